"""The education loads: the newest nightly ``landing/education/<yyyymmdd>/`` snapshot
(pupils, suspensions, attendance) and the weekly CCIS post-16 activity file, through the same
protocol as the case system: each file
validated by its suite in ``expectations/``, bad rows quarantined with a reason, the three
tables published together in one transaction, an audit row that reconciles."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, insert, literal, select

from transforms.canonical import code_lists, load_model
from transforms.casesystem.delivery import file_sha256
from transforms.casesystem.mapping import SupplierMapping, TableMapping, to_canonical_text, to_canonical_types
from transforms.casesystem.readers import TableSource
from transforms.identifiers import upn_is_valid
from transforms.settings import Settings
from transforms.validation import quarantine_rows, run_suite
from transforms.warehouse.audit import audit_outcome, write_audit
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.publish import SnapshotLoad
from transforms.warehouse.reference import load_reference_tables
from transforms.warehouse.schema import EDUCATION_TABLES, HISTORY_TABLES, core_publication, quarantine

SOURCE = "education"
FILES = {"pupil": "pupils.csv", "suspension": "suspensions.csv", "attendance": "attendance.csv"}
CCIS_SOURCE = "ccis"
log = logging.getLogger(__name__)


class SnapshotRejected(Exception):
    pass


# The files use the canonical names already: an identity mapping, Y/N booleans, ISO dates.
MAPPING = SupplierMapping(
    supplier="la_education", description="Local-authority education system nightly extract", format="csv",
    date_formats=("%Y-%m-%d",), booleans={"Y": True, "N": False, "YES": True, "NO": False},
    null_markers=("", "NULL", "N/A", "-"), codes={},
    tables={name: TableMapping(source=name, columns={c.name: c.name for c in table.columns})
            for name, table in load_model("education_model.yaml").items()},
)


@dataclass
class EducationReport:
    snapshot: str | None
    outcome: str  # LOADED, REJECTED, ALREADY_LOADED, NO_SNAPSHOT
    reason: str = ""
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.counts:
            return f"{self.outcome}: {self.snapshot or '-'} {self.reason}".strip()
        read = sum(c[0] for c in self.counts.values())
        held = sum(c[2] for c in self.counts.values())
        return f"{self.outcome}: {self.snapshot} read {read:,} rows, loaded {read - held:,}, quarantined {held:,}"


def newest_snapshot(landing: Path) -> Path | None:
    folder = landing / "education"
    dated = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()) if folder.exists() else []
    return dated[-1] if dated else None


def load_newest_education(settings: Settings, engine: Engine | None = None) -> EducationReport:
    """The nightly snapshot: pupils, suspensions and attendance, published together."""
    folder = newest_snapshot(settings.landing_dir)
    if folder is None:
        return EducationReport(None, "NO_SNAPSHOT", f"no snapshot folder in {settings.landing_dir / 'education'}")
    files = {name: folder / file for name, file in FILES.items()}
    return load_snapshot(settings, SOURCE, f"education-{folder.name}", folder.name, files, engine)


def load_newest_ccis(settings: Settings, engine: Engine | None = None) -> EducationReport:
    """The weekly post-16 activity extract, ``landing/ccis/ccis_activity_<yyyymmdd>.csv``."""
    found = sorted((settings.landing_dir / "ccis").glob("ccis_activity_*.csv"))
    if not found:
        return EducationReport(None, "NO_SNAPSHOT", f"no CCIS file in {settings.landing_dir / 'ccis'}")
    path = found[-1]
    stamp = path.stem.rsplit("_", 1)[-1]
    return load_snapshot(settings, CCIS_SOURCE, f"ccis-{stamp}", stamp, {"ccis_activity": path}, engine)


def load_snapshot(settings: Settings, source: str, snapshot: str, stamp: str, files: dict[str, Path],
                  engine: Engine | None = None) -> EducationReport:
    """Load a set of flat files as one snapshot of their tables (replacing the previous one)."""
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    load_reference_tables(engine)
    if audit_outcome(engine, source, snapshot) == "LOADED":
        return EducationReport(snapshot, "ALREADY_LOADED", "nothing changed")
    started = dt.datetime.now(dt.timezone.utc)
    hashes: dict[str, str] = {}
    try:
        return _load(source, snapshot, stamp, files, engine, started, hashes)
    except SnapshotRejected as exc:
        log.warning("%s snapshot %s rejected: %s", source, snapshot, exc)
        with engine.begin() as conn:
            write_audit(conn, source=source, delivery_id=snapshot, supplier="la_education", extracted_at=stamp,
                        started=started, outcome="REJECTED", reason=str(exc), file_hashes=hashes, notes=[], counts={})
        raise


def _load(source: str, snapshot: str, stamp: str, files: dict[str, Path], engine: Engine, started: dt.datetime,
          hashes: dict) -> EducationReport:
    model = {name: load_model("education_model.yaml")[name] for name in files}
    extract_date = dt.datetime.strptime(stamp, "%Y%m%d").date().isoformat()
    params = {f"codes_{name}": sorted(codes) for name, codes in code_lists().items()}
    counts, held, pupils = {}, [], pd.Index([])
    with SnapshotLoad(engine, {name: EDUCATION_TABLES[name] for name in files}) as staging:
        for name, table in model.items():
            path = files[name]
            if not path.exists():
                raise SnapshotRejected(f"the snapshot has no {path.name}")
            hashes[path.name] = file_sha256(path)
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                              skip_blank_lines=False)
            raw.index = pd.RangeIndex(2, 2 + len(raw))
            text = to_canonical_text(raw, table, MAPPING)
            checks = _with_check_columns(text, table, pupils, extract_date)
            outcome = run_suite(f"education.{name}", checks, params,
                                pii_columns=frozenset(c.name for c in table.columns if c.pii))
            if outcome.table_failures:
                raise SnapshotRejected(f"{path.name}: " + "; ".join(outcome.table_failures))
            bad = outcome.row_failures
            good = to_canonical_types(text.loc[~text.index.isin(list(bad))], table)
            staging.write(name, good)
            file = TableSource(file_name=path.name, headers=list(raw.columns))
            held += quarantine_rows(source=source, delivery_id=snapshot, table=name, file_label=path.name,
                                    headers=MAPPING.tables[name].columns, column_letter=file.column_letter, raw=raw, bad=bad)
            counts[name] = (len(raw), len(good), len(bad))
            if name == "pupil":
                pupils = pd.Index(good["upn"])

        def also(conn) -> None:
            if held:
                conn.execute(insert(quarantine), held)
            write_audit(conn, source=source, delivery_id=snapshot, supplier="la_education", extracted_at=stamp,
                        started=started, outcome="LOADED", reason="", file_hashes=hashes, notes=[], counts=counts)
            conn.execute(delete(core_publication).where(core_publication.c.source == source))
            conn.execute(insert(core_publication).values(source=source, delivery_id=snapshot,
                                                         published_at=dt.datetime.now(dt.timezone.utc)))
            append_history(conn, staging, snapshot, dt.datetime.strptime(stamp, "%Y%m%d"))

        staging.publish({n: c[1] for n, c in counts.items()}, also)
    return EducationReport(snapshot, "LOADED", "", counts)


def append_history(conn, staging: SnapshotLoad, snapshot: str, extracted_at: dt.datetime) -> None:
    """Keep this snapshot as a dated version in ``hist_<table>`` (issue 12), in the publish
    transaction: a past quarter is then served from the snapshot in force at its report date.
    Replacing the snapshot's own rows first makes a reload change nothing."""
    for name in staging.tables:
        history, staged = HISTORY_TABLES[name], staging.staging[name]
        columns = [c.name for c in EDUCATION_TABLES[name].columns]
        conn.execute(delete(history).where(history.c.snapshot_delivery_id == snapshot))
        conn.execute(insert(history).from_select(
            columns + ["snapshot_delivery_id", "snapshot_extracted_at"],
            select(*[staged.c[c] for c in columns], literal(snapshot), literal(extracted_at, history.c.snapshot_extracted_at.type))))


def _with_check_columns(text: pd.DataFrame, table, pupils: pd.Index, extract_date: str) -> pd.DataFrame:
    frame = text.copy()
    if all(k in frame.columns for k in table.key):
        parts = [frame[k].astype(str) for k in table.key]
        keys = parts[0].str.cat(parts[1:], sep="|") if len(parts) > 1 else frame[table.key[0]]
        frame["_key_unique"] = ~keys.duplicated(keep=False).to_numpy() | frame[table.key[0]].isna().to_numpy()
    if "upn" in frame.columns:
        frame["_upn_check_ok"] = frame["upn"].map(lambda u: True if not isinstance(u, str) else upn_is_valid(u))
    for fk in table.references:
        if fk in frame.columns:
            frame[f"_{fk}_resolves"] = frame[fk].isna() | frame[fk].isin(pupils)
    if "start_date" in frame.columns:
        frame["_not_in_future"] = frame["start_date"].map(lambda d: not isinstance(d, str) or d <= extract_date)
    if {"possible_sessions", "attended_sessions", "unauthorised_sessions"} <= set(frame.columns):
        numbers = frame[["possible_sessions", "attended_sessions", "unauthorised_sessions"]].apply(pd.to_numeric, errors="coerce")
        fine = numbers["attended_sessions"] + numbers["unauthorised_sessions"] <= numbers["possible_sessions"]
        frame["_sessions_add_up"] = fine | numbers.isna().any(axis=1)
    return frame
