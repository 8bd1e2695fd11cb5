"""Run a landing folder through the real loads of one source and collect everything a person
could see: the reports, the audit, quarantine reasons, output files and log lines. Used by the
corpus harness and the property tests, so both check the same invariants."""
from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from transforms.custody.load import load_new_custody_files
from transforms.ingest import sources
from transforms.ingest.report import DeliveryRejected, IngestReport
from transforms.reports import write_ingest_outputs
from transforms.settings import Settings, load_settings
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import (
    CORE_TABLES, EDUCATION_TABLES, audit_delivery, core_board_attendance, custody_detention, quarantine,
    ref_population,
)

LIVE_TABLES = {
    "case_system": list(CORE_TABLES.values()),
    "education": [EDUCATION_TABLES[n] for n in ("pupil", "suspension", "attendance")],
    "ccis": [EDUCATION_TABLES["ccis_activity"]],
    "board": [core_board_attendance],
    "population": [ref_population],
    "police_custody": [custody_detention],
}
LOADS = {"case_system": sources.load_case_system, "education": sources.load_education, "ccis": sources.load_ccis,
         "board": sources.load_board, "population": sources.load_population}


@dataclass
class Run:
    reports: list[IngestReport]
    outputs: list[Path] = field(default_factory=list)
    logs: str = ""


def settings_for(root: Path, landing: Path) -> Settings:
    return load_settings().with_overrides(landing_dir=landing, output_dir=root / "output",
                                          raw_archive_dir=root / "raw", warehouse_url=f"sqlite:///{root / 'wh.sqlite'}")


def run_source(source: str, settings: Settings) -> Run:
    """Load ``source`` from ``settings.landing_dir``; a data problem must come back as a report
    (any other exception propagates: that is the traceback the tests forbid)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        if source == "police_custody":
            reports = load_new_custody_files(settings)
        else:
            try:
                reports = [LOADS[source](settings)]
            except DeliveryRejected as exc:
                reports = [getattr(exc, "report", None) or IngestReport(source, None, "REJECTED", str(exc))]
        outputs = [Path(p) for r in reports for p in write_ingest_outputs(r, settings)]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return Run(reports, outputs, buffer.getvalue())


def live_state(settings: Settings, source: str) -> dict[str, str]:
    engine = make_engine(settings.warehouse_url)
    out = {}
    with engine.connect() as conn:
        for table in LIVE_TABLES[source]:
            frame = pd.read_sql_query(select(table), conn)
            out[table.name] = frame.sort_values(list(frame.columns)).to_csv(index=False) if len(frame.columns) else ""
    engine.dispose()
    return out


def audit(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        deliveries = pd.read_sql_query(select(audit_delivery), conn)
        held = pd.read_sql_query(select(quarantine.c.source, quarantine.c.reason, quarantine.c.rules), conn)
    engine.dispose()
    return deliveries, held


def visible_text(settings: Settings, run: Run) -> str:
    """Every message a person could read: reports, audit rows, quarantine reasons, logs and
    the text of every output file (workbooks unzipped)."""
    deliveries, held = audit(settings)
    parts = [run.logs, deliveries[["delivery_id", "reason"]].to_csv(), json.dumps(deliveries["notes"].tolist()),
             "\n".join(held["reason"])]
    for r in run.reports:
        parts += [r.reason, r.summary(), "\n".join(r.notes)]
    for path in run.outputs:
        if path.is_dir():
            continue
        for file in ([path] if path.suffix != ".html" else sorted(path.parent.glob("*.html"))):
            if file.suffix == ".xlsx":
                with zipfile.ZipFile(file) as z:
                    parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
            else:
                parts.append(file.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)
