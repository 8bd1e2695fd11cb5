"""The nightly case-system load: newest complete delivery -> canonical model -> validation
-> quarantine or staging -> one-transaction publish, with an audit row that reconciles.

``load_newest_delivery`` is what the DAG calls; every step below it is a plain function."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.engine import Connection

from transforms.canonical import Table, canonical_tables, code_lists
from transforms.casesystem.delivery import Delivery, DeliveryRejected, find_deliveries, read_manifest, verify_files
from transforms.casesystem.mapping import to_canonical_text, to_canonical_types
from transforms.casesystem.readers import TableSource, read_table_chunks
from transforms.settings import Settings
from transforms.validation import ValidationOutcome, quarantine_rows, run_suite
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.publish import SnapshotLoad
from transforms.warehouse.reference import load_reference_tables
from transforms.warehouse.audit import audit_outcome, write_audit
from transforms.warehouse.schema import CORE_TABLES, audit_delivery, child_key, core_publication, quarantine

SOURCE = "case_system"
log = logging.getLogger(__name__)


@dataclass
class TableCount:
    read: int = 0
    loaded: int = 0
    quarantined: int = 0


@dataclass
class LoadReport:
    delivery_id: str | None
    outcome: str  # LOADED, REJECTED, DUPLICATE, ALREADY_LOADED, NO_DELIVERY
    reason: str = ""
    counts: dict[str, TableCount] = field(default_factory=dict)
    seconds: float = 0.0
    validations: list[ValidationOutcome] = field(default_factory=list)

    def summary(self) -> str:
        if not self.counts:
            return f"{self.outcome}: {self.delivery_id or '-'} {self.reason}".strip()
        read = sum(c.read for c in self.counts.values())
        loaded = sum(c.loaded for c in self.counts.values())
        held = sum(c.quarantined for c in self.counts.values())
        return f"{self.outcome}: {self.delivery_id} read {read:,} rows, loaded {loaded:,}, quarantined {held:,} ({self.seconds:.1f}s)"


def load_newest_delivery(settings: Settings, engine: Engine | None = None) -> LoadReport:
    """Load the newest case-system delivery in the landing folder, if it is new.

    Raises ``DeliveryRejected`` (after recording the rejection in the audit table) when the
    delivery cannot be loaded; the previous delivery stays live."""
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    load_reference_tables(engine)
    folders = find_deliveries(settings.landing_dir / "case_system")
    if not folders:
        return LoadReport(None, "NO_DELIVERY", f"no delivery with a manifest in {settings.landing_dir / 'case_system'}")
    return load_delivery(folders[-1], settings, engine)


def load_delivery(folder: Path, settings: Settings, engine: Engine) -> LoadReport:
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    delivery_id = folder.name
    try:
        delivery = read_manifest(folder)
        delivery_id = delivery.delivery_id
        previous = _audit_outcome(engine, delivery_id)
        if previous in ("LOADED", "DUPLICATE"):
            return LoadReport(delivery_id, "ALREADY_LOADED", f"delivery {delivery_id} was already processed ({previous}); nothing changed")
        verify_files(delivery)
        same_as = _delivery_with_same_files(engine, delivery)
        if same_as:
            _record_audit(engine, delivery, started, "DUPLICATE", f"the same files as delivery {same_as}; not loaded again", {})
            return LoadReport(delivery_id, "DUPLICATE", f"same files as {same_as}")
        report = _load_verified(delivery, settings, engine, started)
    except DeliveryRejected as exc:
        log.warning("case-system delivery %s rejected: %s", delivery_id, exc)
        _record_rejection(engine, folder, delivery_id, started, str(exc))
        raise
    report.seconds = time.perf_counter() - clock
    _archive(folder, settings.raw_archive_dir / SOURCE / delivery.delivery_id)
    return report


def _load_verified(delivery: Delivery, settings: Settings, engine: Engine, started: dt.datetime) -> LoadReport:
    tables = canonical_tables()
    counts = {t: TableCount() for t in tables}
    quarantined: list[dict] = []
    validations: list[ValidationOutcome] = []
    loaded_keys: dict[str, np.ndarray] = {}
    dob_by_child: dict[str, str] = {}
    extracted_on = delivery.extracted_at[:10]
    params = {f"codes_{name}": sorted(codes) for name, codes in code_lists().items()}

    with SnapshotLoad(engine, {name: CORE_TABLES[name] for name in tables}) as snapshot:
        for name, table in tables.items():
            source, _ = read_table_chunks(delivery, name, settings.csv_chunk_rows)
            _check_columns(delivery, table, source)
            duplicated = _duplicated_keys(delivery, table, settings.csv_chunk_rows)
            keys_here: list[np.ndarray] = []
            _, chunks = read_table_chunks(delivery, name, settings.csv_chunk_rows)
            for raw in chunks:
                counts[name].read += len(raw)
                text = to_canonical_text(raw, table, delivery.mapping)
                checks = _with_check_columns(text, table, duplicated, loaded_keys, dob_by_child, extracted_on)
                outcome = run_suite(f"case_system.{name}", checks, params, headers=delivery.mapping.tables[name].columns,
                                    pii_columns=frozenset(c.name for c in table.columns if c.pii))
                validations.append(outcome)
                if outcome.table_failures:
                    raise DeliveryRejected(f"{source.file_name}: " + "; ".join(outcome.table_failures))
                bad = outcome.row_failures
                good = text.loc[~text.index.isin(list(bad))]
                typed = to_canonical_types(good, table)
                snapshot.write(name, typed)
                counts[name].loaded += len(typed)
                counts[name].quarantined += len(bad)
                quarantined.extend(_quarantine_rows(delivery, name, source, raw, bad))
                if len(table.key) == 1:
                    keys_here.append(_key_hashes(good[table.key[0]]))
                if name == "child":
                    dob_by_child.update(zip(good["child_id"], good["date_of_birth"]))
            expected = delivery.expected_rows(name)
            if counts[name].read != expected:
                raise DeliveryRejected(f"{source.file_name}: {counts[name].read:,} data rows read but the manifest says "
                                       f"{expected:,} (the file is incomplete or has extra rows)")
            if counts[name].read != counts[name].loaded + counts[name].quarantined:
                raise DeliveryRejected(f"{name}: rows read, loaded and quarantined do not reconcile")
            loaded_keys[name] = np.unique(np.concatenate(keys_here)) if keys_here else np.array([], dtype="uint64")
            delivery.sheet_cache.pop(delivery.mapping.tables[name].source, None)
            log.info("case_system %s: read %d, loaded %d, quarantined %d", name, counts[name].read,
                     counts[name].loaded, counts[name].quarantined)
        if counts["child"].loaded == 0:
            raise DeliveryRejected("no child records could be loaded")

        def also(conn: Connection) -> None:
            if quarantined:
                conn.execute(insert(quarantine), quarantined)
            _assign_child_keys(conn, delivery.delivery_id)
            _write_audit(conn, delivery, started, "LOADED", "", counts)
            conn.execute(delete(core_publication).where(core_publication.c.source == SOURCE))
            conn.execute(insert(core_publication).values(source=SOURCE, delivery_id=delivery.delivery_id,
                                                         published_at=dt.datetime.now(dt.timezone.utc)))

        snapshot.publish({t: c.loaded for t, c in counts.items()}, also)
    return LoadReport(delivery.delivery_id, "LOADED", "", counts, validations=validations)


def _check_columns(delivery: Delivery, table: Table, source: TableSource) -> None:
    """Extra columns are tolerated and noted (a supplier adding a field should not stop the
    night's load); missing ones are left for the table-level expectation to reject."""
    expected = set(delivery.mapping.tables[table.name].columns.values())
    extra = [h for h in source.headers if h not in expected]
    if extra:
        delivery.notes.append(f"{source.file_name}: extra column(s) ignored: {', '.join(extra)}")


def _key_hashes(keys: pd.Series) -> np.ndarray:
    """64-bit hashes of key text: 8 bytes a key, so the key index of a file with millions of
    rows stays small (a chance collision among 10 million keys is about 1 in 400,000)."""
    return pd.util.hash_pandas_object(keys.astype("str"), index=False).to_numpy()


def _key_text(frame: pd.DataFrame, table: Table) -> pd.Series:
    if len(table.key) == 1:
        return frame[table.key[0]].astype("str")
    parts = [frame[k].astype("str") for k in table.key]
    return parts[0].str.cat(parts[1:], sep="\x1f")


def _duplicated_keys(delivery: Delivery, table: Table, chunk_rows: int) -> np.ndarray:
    """Hashes of keys that appear more than once anywhere in the file (every copy is held
    back: we cannot know which one is right)."""
    parts = []
    _, chunks = read_table_chunks(delivery, table.name, chunk_rows)
    for raw in chunks:
        text = to_canonical_text(raw, table, delivery.mapping, only=table.key)
        if not all(k in text.columns for k in table.key):
            return np.array([], dtype="uint64")
        complete = text[list(table.key)].notna().all(axis=1)  # an empty key is reported as empty
        parts.append(_key_hashes(_key_text(text[complete], table)))
    if not parts:
        return np.array([], dtype="uint64")
    hashes = pd.Series(np.concatenate(parts))
    return hashes[hashes.duplicated(keep=False)].unique()


def _with_check_columns(text: pd.DataFrame, table: Table, duplicated: np.ndarray, loaded_keys: dict[str, np.ndarray],
                        dob_by_child: dict[str, str], extracted_on: str) -> pd.DataFrame:
    """Add the derived columns the suites check: facts that need other rows or tables."""
    frame = text.copy()
    if all(k in frame.columns for k in table.key):
        frame["_key_unique"] = ~np.isin(_key_hashes(_key_text(frame, table)), duplicated)
    for fk, parent in table.references.items():
        if fk not in frame.columns:
            continue
        parents = loaded_keys.get(parent, np.array([], dtype="uint64"))
        # An empty reference is reported as empty (or allowed, when optional), not as an orphan.
        frame[f"_{fk}_resolves"] = frame[fk].isna().to_numpy() | np.isin(_key_hashes(frame[fk]), parents)
    if table.name == "child" and "date_of_birth" in frame.columns:
        frame["_age_at_extract"] = _years_between(frame["date_of_birth"], pd.Series(extracted_on, index=frame.index))
    if table.name == "episode" and {"child_id", "start_date"} <= set(frame.columns):
        frame["_age_at_start"] = _years_between(frame["child_id"].map(dob_by_child), frame["start_date"])
    if table.name == "offence" and {"child_id", "offence_date"} <= set(frame.columns):
        frame["_age_at_offence"] = _years_between(frame["child_id"].map(dob_by_child), frame["offence_date"])
    return frame


def _years_between(start: pd.Series, end: pd.Series) -> pd.Series:
    a = pd.to_datetime(start, format="%Y-%m-%d", errors="coerce")
    b = pd.to_datetime(end, format="%Y-%m-%d", errors="coerce")
    return ((b - a).dt.days / 365.25).astype("float64")


def _quarantine_rows(delivery: Delivery, table: str, source: TableSource, raw: pd.DataFrame, bad: dict) -> list[dict]:
    return quarantine_rows(source=SOURCE, delivery_id=delivery.delivery_id, table=table, file_label=source.file_name,
                           headers=delivery.mapping.tables[table].columns, column_letter=source.column_letter,
                           raw=raw, bad=bad)


def _assign_child_keys(conn: Connection, delivery_id: str) -> None:
    """A random pseudonymous key for every child seen for the first time; existing keys are
    never changed, so marts and outputs stay comparable across deliveries."""
    known = set(conn.execute(select(child_key.c.child_id)).scalars())
    new = [cid for cid in conn.execute(select(CORE_TABLES["child"].c.child_id)).scalars() if cid not in known]
    if new:
        conn.execute(insert(child_key), [{"child_id": cid, "child_key": f"YJ{secrets.token_hex(5).upper()}",
                                          "first_seen_delivery": delivery_id} for cid in new])


def _audit_outcome(engine: Engine, delivery_id: str) -> str | None:
    return audit_outcome(engine, SOURCE, delivery_id)


def _delivery_with_same_files(engine: Engine, delivery: Delivery) -> str | None:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.file_hashes).where(
            (audit_delivery.c.source == SOURCE) & (audit_delivery.c.outcome == "LOADED"))).all()
    for other_id, hashes in rows:
        if hashes and sorted(hashes.values()) == sorted(delivery.file_hashes.values()):
            return other_id
    return None


def _write_audit(conn: Connection, delivery: Delivery, started: dt.datetime, outcome: str, reason: str,
                 counts: dict[str, TableCount]) -> None:
    write_audit(conn, source=SOURCE, delivery_id=delivery.delivery_id, supplier=delivery.supplier,
                extracted_at=delivery.extracted_at, started=started, outcome=outcome, reason=reason,
                file_hashes=delivery.file_hashes, notes=delivery.notes,
                counts={t: (c.read, c.loaded, c.quarantined) for t, c in counts.items()})


def _record_audit(engine: Engine, delivery: Delivery, started: dt.datetime, outcome: str, reason: str, counts) -> None:
    with engine.begin() as conn:
        _write_audit(conn, delivery, started, outcome, reason, counts)


def _record_rejection(engine: Engine, folder: Path, delivery_id: str, started: dt.datetime, reason: str) -> None:
    try:
        delivery = read_manifest(folder)
    except DeliveryRejected:
        delivery = Delivery(folder=folder, delivery_id=delivery_id, supplier="unknown", extracted_at="", files=[])
    _record_audit(engine, delivery, started, "REJECTED", reason, {})


def _archive(folder: Path, target: Path) -> None:
    """An unchanged copy of every accepted delivery, so the core can be rebuilt from history."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, target)
