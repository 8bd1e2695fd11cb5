"""A custody refresh end to end: load new files, enrich the live detentions, write outputs."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from transforms.custody.briefing import write_refresh_outputs
from transforms.custody.enrich import enrich
from transforms.custody.load import SOURCE, live_detentions, load_new_custody_files
from transforms.ingest.report import IngestReport
from transforms.matching.resolve import links_for_new_records
from transforms.matching.run import thresholds_from
from transforms.settings import Settings
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import CORE_TABLES, audit_delivery


@dataclass
class RefreshReport:
    files: list[IngestReport]
    as_at: dt.datetime | None
    outputs: list[Path] = field(default_factory=list)
    live: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        loaded = [f for f in self.files if f.outcome == "LOADED"]
        rejected = [f for f in self.files if f.outcome == "REJECTED"]
        return (f"{len(loaded)} file(s) loaded ({sum(f.loaded for f in loaded)} rows, "
                f"{sum(f.quarantined for f in loaded)} quarantined), {len(rejected)} rejected; "
                f"{self.live} detention(s) live as at {self.as_at:%d/%m/%Y %H:%M}" if self.as_at else "no custody data yet")


def _extract_times(engine: Engine) -> list[dt.datetime]:
    """Extract times of every custody file loaded, empty files included: a file with no
    detention still says that, as at its time, no child was in custody. A later extract with
    the same bytes as a loaded one (DUPLICATE, not loaded again) still says so as at its time."""
    with engine.connect() as conn:
        values = conn.execute(select(audit_delivery.c.extracted_at).where(
            (audit_delivery.c.source == SOURCE) & audit_delivery.c.outcome.in_(("LOADED", "DUPLICATE")))).scalars().all()
    return sorted({dt.datetime.fromisoformat(v) for v in values if v})


def refresh_custody(settings: Settings, engine: Engine | None = None, now: dt.datetime | None = None) -> RefreshReport:
    started = time.perf_counter()
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    files = load_new_custody_files(settings, engine, now)
    times = _extract_times(engine)
    if not times:
        return RefreshReport(files, None)
    as_at = times[-1]
    previous = times[-2] if len(times) > 1 else None
    with engine.connect() as conn:
        episodes = pd.read_sql_query(select(CORE_TABLES["episode"].c.child_id, CORE_TABLES["episode"].c.end_date), conn)
    detentions = live_detentions(engine)
    detentions["date_of_birth"] = pd.to_datetime(detentions["date_of_birth"]).dt.date
    links = links_for_new_records(engine, "custody", detentions, thresholds_from(settings))
    enriched = enrich(detentions, links, episodes, as_at)
    folder = settings.output_dir / "custody" / f"{as_at:%Y%m%d_%H%M}"
    outputs = write_refresh_outputs(enriched, folder, as_at, previous, settings.service_name, settings.suppression_threshold)
    return RefreshReport(files, as_at, outputs, live=len(enriched), seconds=time.perf_counter() - started)
