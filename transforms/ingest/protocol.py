"""The snapshot protocol: a delivery of one source -> canonical tables replaced in one
transaction, with every row loaded or quarantined and every attempt audited.

    attempt audited STARTED (own transaction) -> for each table, parents first: read in chunks
    (bounded memory) -> map to the model -> derived checks -> Great Expectations suite ->
    quarantine or stage -> reconcile (read = loaded + quarantined, manifest rows) -> table
    rules (quarantined share, shrink against live) -> publish staging, quarantine, audit,
    history and the source's extra writes in one transaction -> staging dropped.

A source is described by ``Source`` (``transforms.ingest.sources``); nothing here knows which
source it is loading."""
from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy import Table as SqlTable

from transforms.canonical import Table, code_lists, load_model
from transforms.identifiers import upns_valid
from transforms.ingest.delivery import Delivery, file_sha256
from transforms.frames import map_distinct
from transforms.ingest.mapping import rows_not_typed, to_canonical_text, to_canonical_types
from transforms.ingest.readers import (
    MALFORMED_ATTR, TableSource, csv_chunks, malformed_reason, match_headers, open_csv, read_sheet,
)
from transforms.ingest.report import DeliveryRejected, IngestReport, TableCount
from transforms.settings import Settings
from transforms.validation import RowFailure, quarantine_rows, run_suite, validation_records
from transforms.warehouse.audit import (
    abandon_stale_attempts, audited, finish_attempt, new_attempt_id, record_attempt_details, start_attempt,
)
from transforms.warehouse.publish import SnapshotLoad, drop_staging_of
from transforms.warehouse.schema import core_publication, metadata, quarantine

log = logging.getLogger(__name__)
ROW_FIELDS_RULE = "ROW-FIELDS"


@dataclass(frozen=True)
class Source:
    """What makes a source different, as data: its audit name, model, live tables, suites,
    and the writes it adds to the publish transaction."""
    name: str
    live_tables: Callable[[], dict[str, SqlTable]]  # canonical name -> live table, parents first
    suite_prefix: str
    # Extra writes inside the publish transaction (e.g. the case system's pseudonymous keys).
    also_publish: Callable[[Connection, Delivery], None] | None = None
    # Append each published table to ``hist_<core table>`` with the delivery id and extract time.
    keep_history: bool = False
    archive: bool = True


@dataclass
class _Progress:
    """What an attempt has found so far: kept with its outcome whether it loads or is
    rejected, so a rejection's report shows the counts, rules and rows as a load's does."""
    counts: dict[str, TableCount]
    quarantined: list[dict]
    validations: list

    def rejected_counts(self) -> dict[str, TableCount]:
        """Per table reached: rows read, none loaded (the delivery was rejected), rows failing."""
        return {t: TableCount(c.read, 0, c.quarantined) for t, c in self.counts.items() if c.read}


@dataclass
class _TableRun:
    table: Table
    source: TableSource
    chunks: Callable[[], Iterator[pd.DataFrame]]


def load_snapshot(source: Source, delivery: Delivery, settings: Settings, engine: Engine, *,
                  history_only: bool = False) -> IngestReport:
    """Load one delivery of ``source``. Returns LOADED, DUPLICATE or ALREADY_LOADED; raises
    ``DeliveryRejected`` after recording the rejection (the previous data stays live).
    ``history_only``: a snapshot older than the live one (it arrived late) is checked and
    quarantined as usual and goes into history at its own date; live data is left alone."""
    clock = time.perf_counter()
    hashes = delivery.file_hashes
    if audited(engine, source.name, delivery.delivery_id, hashes, ("LOADED", "DUPLICATE")):
        return IngestReport(source.name, delivery.delivery_id, "ALREADY_LOADED",
                            f"delivery {delivery.delivery_id} with these bytes was already processed; nothing changed")
    stale = abandon_stale_attempts(engine, source.name)
    for name in drop_staging_of(engine, stale):
        log.info("dropped staging table %s of an abandoned attempt", name)
    attempt_id = new_attempt_id()
    start_attempt(engine, attempt_id=attempt_id, source=source.name, delivery_id=delivery.delivery_id,
                  supplier=delivery.supplier, extracted_at=delivery.extracted_text, file_hashes=hashes)
    progress = _Progress({}, [], [])
    try:
        # A dated snapshot kept as history is loaded even when its bytes repeat an older one:
        # it is the state as at its own date, and skipping it would serve the older snapshot's
        # date to a report dated after it (the as-at history).
        same_as = None if source.keep_history else _loaded_with_same_bytes(engine, source.name, delivery.delivery_id, hashes)
        if same_as:
            reason = f"the same files as delivery {same_as}; not loaded again"
            with engine.begin() as conn:
                finish_attempt(conn, attempt_id=attempt_id, outcome="DUPLICATE", reason=reason, notes=delivery.notes)
            return IngestReport(source.name, delivery.delivery_id, "DUPLICATE", reason, attempt_id=attempt_id)
        report = _load(source, delivery, settings, engine, attempt_id, progress, history_only)
    except DeliveryRejected as exc:
        reason = str(exc)
        log.warning("%s delivery %s rejected: %s", source.name, delivery.delivery_id, reason)
        with engine.begin() as conn:
            finish_attempt(conn, attempt_id=attempt_id, outcome="REJECTED", reason=reason, notes=delivery.notes,
                           counts={t: (c.read, c.loaded, c.quarantined) for t, c in progress.rejected_counts().items()})
            record_attempt_details(conn, attempt_id=attempt_id, source=source.name, rows=progress.quarantined,
                                   validations=validation_records(progress.validations))
        exc.report = IngestReport(source.name, delivery.delivery_id, "REJECTED", reason, notes=delivery.notes,
                                  attempt_id=attempt_id, seconds=time.perf_counter() - clock,
                                  counts=progress.rejected_counts(), validations=progress.validations,
                                  extracted_at=delivery.extracted_at)
        raise
    except Exception as exc:
        # A bug, not a data problem: recorded without the message (it may quote a value).
        with engine.begin() as conn:
            finish_attempt(conn, attempt_id=attempt_id, outcome="FAILED",
                           reason=f"the load stopped with an internal error ({exc.__class__.__name__})")
        raise
    report.seconds = time.perf_counter() - clock
    if source.archive:
        _archive(delivery, settings.raw_archive_dir / source.name, hashes)
    return report


def _loaded_with_same_bytes(engine: Engine, source: str, delivery_id: str, hashes: dict) -> str | None:
    from transforms.warehouse.schema import audit_delivery

    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.file_hashes).where(
            (audit_delivery.c.source == source) & (audit_delivery.c.outcome == "LOADED")
            & (audit_delivery.c.delivery_id != delivery_id))).all()
    for other_id, other in rows:
        if other and sorted(other.values()) == sorted(hashes.values()):
            return other_id
    return None


def _open_table(delivery: Delivery, table: Table, chunk_rows: int) -> _TableRun:
    mapping = delivery.mapping
    source_name = mapping.tables[table.name].source
    file_headers = mapping.tables[table.name].file_headers()
    if mapping.format == "csv":
        path = delivery.path_of(source_name)
        source = open_csv(path, mapping)
        match_headers(source, file_headers)
        delivery.notes.extend(source.notes)
        return _TableRun(table, source, lambda: csv_chunks(path, source, mapping, chunk_rows))
    path = delivery.path_of(mapping.workbook)
    # A workbook is parsed once per delivery; each sheet is read when first asked for.
    if source_name not in delivery.sheet_cache:
        lenient = source_name == "*"  # a hand-kept sheet: find its header row, skip blank lines
        delivery.sheet_cache[source_name] = read_sheet(
            path, source_name, file_headers if lenient else None)
    frame = delivery.sheet_cache[source_name]
    source = TableSource(file_name=f"{mapping.workbook} [{source_name}]", headers=list(frame.columns))
    return _TableRun(table, source, lambda: iter([frame]))


def _load(source: Source, delivery: Delivery, settings: Settings, engine: Engine, attempt_id: str,
          progress: _Progress, history_only: bool = False) -> IngestReport:
    model = load_model(delivery.mapping.model)
    live = source.live_tables()
    tables = {name: model[name] for name in live}
    counts = progress.counts
    counts.update({t: TableCount() for t in tables})
    # Records written to staging: the loaded rows, except where a row holds START and END.
    staged = {t: 0 for t in tables}
    quarantined = progress.quarantined
    validations = progress.validations
    loaded_keys: dict[str, np.ndarray] = {}
    quarantined_keys: dict[str, dict[str, str]] = {}  # table -> key -> where its row is quarantined
    context = {"dob_by_child": {}, "extracted_on": (delivery.extracted_at.date().isoformat()
                                                   if delivery.extracted_at else "9999-12-31")}
    params = {f"codes_{name}": sorted(codes) for name, codes in code_lists().items()}
    params["custody_outcomes"] = []

    with SnapshotLoad(engine, live, attempt_id) as snapshot:
        for name, table in tables.items():
            run = _open_table(delivery, table, settings.csv_chunk_rows)
            table_mapping = delivery.mapping.tables[name]
            headers = table_mapping.headers
            _note_extra_columns(delivery, run.source, table_mapping.file_headers())
            duplicated, only_chunk = _duplicated_keys(run, delivery)
            keys_here: list[np.ndarray] = []
            count = counts[name]
            log.info("%s %s: reading %s", source.name, name, run.source.file_name)
            for raw in ([only_chunk] if only_chunk is not None else run.chunks()):
                if count.read:  # a long file: say how far it has got
                    log.info("%s %s: %s rows read so far", source.name, name, f"{count.read:,}")
                count.read += len(raw)
                text = to_canonical_text(raw, table, delivery.mapping)
                checks = derived_checks(text, table, duplicated, loaded_keys, context)
                outcome = run_suite(f"{source.suite_prefix}.{name}", checks, params, headers=headers,
                                    pii_columns=frozenset(c.name for c in table.columns if c.pii))
                validations.append(outcome)
                if outcome.table_failures:
                    raise DeliveryRejected(f"{run.source.file_name}: " + "; ".join(outcome.table_failures))
                bad = outcome.row_failures
                for line, fields in raw.attrs.get(MALFORMED_ATTR, {}).items():
                    # The row's values are shifted or cut off: every other failure on it is noise.
                    bad[line] = [RowFailure(ROW_FIELDS_RULE, None, malformed_reason(len(fields), len(run.source.headers)))]
                passed = text.loc[~text.index.isin(list(bad))]
                for line, failures in rows_not_typed(passed, table, headers).items():
                    bad[line] = [RowFailure(*f) for f in failures]
                roots = _link_orphans(text, table, bad, quarantined_keys)
                if len(table.key) == 1 and table.key[0] in text.columns:
                    keys = _first_values(text, table.key[0], bad)
                    for line, failures in bad.items():
                        key = keys.get(line)
                        if isinstance(key, str):
                            quarantined_keys.setdefault(name, {})[key] = (
                                roots.get(line) or _root_cause(run.source.file_name, line, failures))
                good = text.loc[~text.index.isin(list(bad))]
                typed = to_canonical_types(good, table)
                snapshot.write(name, typed)
                staged[name] += len(typed)
                # Counts are of the supplier's rows (as the manifest's are); a row holding START
                # and END is two records under one row number.
                count.loaded += good.index.nunique() if table_mapping.start_end_in_one_row else len(typed)
                count.quarantined += len(bad)
                quarantined.extend(quarantine_rows(
                    source=source.name, delivery_id=delivery.delivery_id, table=name, file_label=run.source.file_name,
                    headers=headers, column_letter=lambda label: _column_letters(run.source, label), raw=raw, bad=bad,
                    malformed=raw.attrs.get(MALFORMED_ATTR, {})))
                if len(table.key) == 1:
                    keys_here.append(key_hashes(good[table.key[0]]))
                if name == "child":
                    context["dob_by_child"].update(zip(good["child_id"], good["date_of_birth"]))
            _check_table(delivery, run, count, staged[name], settings, engine, None if history_only else live[name])
            loaded_keys[name] = np.unique(np.concatenate(keys_here)) if keys_here else np.array([], dtype="uint64")
            delivery.sheet_cache.pop(delivery.mapping.tables[name].source, None)
            log.info("%s %s: read %d, loaded %d, quarantined %d", source.name, name, count.read, count.loaded,
                     count.quarantined)

        def also(conn: Connection) -> None:
            # A corrected re-send reuses the delivery id: its earlier quarantine rows go.
            conn.execute(delete(quarantine).where((quarantine.c.source == source.name)
                                                  & (quarantine.c.delivery_id == delivery.delivery_id)))
            if quarantined:
                conn.execute(insert(quarantine), quarantined)
            if source.also_publish:
                source.also_publish(conn, delivery)
            if source.keep_history:
                _append_history(conn, snapshot, delivery)
            finish_attempt(conn, attempt_id=attempt_id, outcome="LOADED", notes=delivery.notes,
                           counts={t: (c.read, c.loaded, c.quarantined) for t, c in counts.items()})
            record_attempt_details(conn, attempt_id=attempt_id, source=source.name, rows=quarantined,
                                   validations=validation_records(validations))
            if history_only:
                return
            conn.execute(delete(core_publication).where(core_publication.c.source == source.name))
            conn.execute(insert(core_publication).values(source=source.name, delivery_id=delivery.delivery_id,
                                                         published_at=dt.datetime.now(dt.timezone.utc)))

        if history_only:
            delivery.notes.append("loaded into history at its own date only: a newer snapshot is live")
        snapshot.publish(staged, also, replace_live=not history_only)
    return IngestReport(source.name, delivery.delivery_id, "LOADED", "", counts, notes=delivery.notes,
                        validations=validations, attempt_id=attempt_id, extracted_at=delivery.extracted_at)


def _link_orphans(text: pd.DataFrame, table: Table, bad: dict, quarantined_keys: dict[str, dict[str, str]]) -> dict:
    """An orphan whose parent row was quarantined says so, naming the root cause: the parent's
    own fault, or, when the parent is itself an orphan, the row that started it (a victim of an
    offence of a child whose date of birth is wrong points at the child's row). Returns the root
    cause of each orphan, for its own children."""
    roots = {}
    for fk, parent in table.references.items():
        held = quarantined_keys.get(parent)
        if not held or fk not in text.columns:
            continue
        references = _first_values(text, fk, bad)
        for line, failures in bad.items():
            root = held.get(references.get(line))
            if root and any(f.column == fk for f in failures):
                failures.append(RowFailure("ORPHAN", fk, f"its {parent} row is quarantined; the root cause is {root}; "
                                                         "fix that row first"))
                roots.setdefault(line, root)
    return roots


def _root_cause(file_name: str, line, failures: list[RowFailure]) -> str:
    """Where a quarantined parent row is and why, for its orphans' reasons: the file, row, rule
    codes and the first reason (reasons never hold personal data)."""
    rules = ",".join(sorted({f.rule for f in failures}))
    first = next((f.reason for f in failures if f.rule != "ORPHAN"), failures[0].reason)
    return f"{file_name} row {line} [{rules}]: {first[:160]}"


def _first_values(text: pd.DataFrame, column: str, lines) -> dict:
    """Each listed row's value of ``column``, in one selection (a row holding START and END has
    two records sharing their key columns: the first is taken)."""
    values = text.loc[text.index.isin(list(lines)), column]
    values = values[~values.index.duplicated()]
    return dict(zip(values.index, values.tolist()))


def _column_letters(source, label: str) -> str:
    """Excel column letters for a header, or for both halves of a column split into START
    and END (``ETE_START / ETE_END`` -> ``D / H``)."""
    if label in source.headers or " / " not in label:
        return source.column_letter(label)
    return " / ".join(source.column_letter(part) for part in label.split(" / "))


def _check_table(delivery: Delivery, run: _TableRun, count: TableCount, staged: int, settings: Settings,
                 engine: Engine, live: SqlTable | None) -> None:
    """Reconciliation and the table-level rules that protect live data (the shrink rule only
    when the delivery replaces ``live``)."""
    file_name, name = run.source.file_name, run.table.name
    expected = delivery.expected_rows(name)
    if expected is not None and count.read != expected:
        raise DeliveryRejected(f"{file_name}: {count.read:,} data rows read but the manifest says {expected:,} "
                               f"(the file is incomplete or has extra rows)")
    if not count.reconciles():
        raise DeliveryRejected(f"{name}: rows read, loaded and quarantined do not reconcile")
    if count.read and count.loaded == 0:
        raise DeliveryRejected(f"{file_name}: every one of its {count.read:,} rows was quarantined; the live "
                               f"{name} data is kept")
    limit = settings.quarantined_share_limit(name)
    if count.read and count.quarantined / count.read > limit:
        raise DeliveryRejected(f"{file_name}: {count.quarantined:,} of {count.read:,} rows quarantined, more than "
                               f"the {limit:.0%} allowed for {name} (setting max_quarantined_share)")
    if live is None:
        return
    with engine.connect() as conn:
        live_rows = conn.execute(select(func.count()).select_from(live)).scalar_one()
    # Against the live table's records (a row holding START and END stages two).
    if live_rows and staged < live_rows * (1 - settings.max_shrink_share):
        raise DeliveryRejected(f"{file_name}: {staged:,} {name} rows would replace {live_rows:,} live ones, "
                               f"a fall of more than {settings.max_shrink_share:.0%} (setting max_shrink_share)")


def _note_extra_columns(delivery: Delivery, source: TableSource, file_headers: list[str]) -> None:
    """Extra columns are tolerated and noted (a supplier adding a field should not stop the
    night's load); missing ones are left for the table-level expectation to reject."""
    expected = set(file_headers)
    extra = [h for h in source.headers if h not in expected]
    if extra:
        # Named by letter only: in a file sent without its header, the "headers" are a person's data.
        delivery.notes.append(f"{source.file_name}: {len(extra)} extra column(s) ignored (column "
                              + ", ".join(source.column_letter(h) for h in extra[:10]) + ")")


def key_hashes(keys: pd.Series) -> np.ndarray:
    """64-bit hashes of key text: 8 bytes a key, so the key index of a file with millions of
    rows stays small (a chance collision among 10 million keys is about 1 in 400,000)."""
    return pd.util.hash_pandas_object(keys.astype("str"), index=False).to_numpy()


def _key_text(frame: pd.DataFrame, table: Table) -> pd.Series:
    if len(table.key) == 1:
        return frame[table.key[0]].astype("str")
    parts = [frame[k].astype("str") for k in table.key]
    return parts[0].str.cat(parts[1:], sep="\x1f")


def _duplicated_keys(run: _TableRun, delivery: Delivery) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Hashes of keys that appear more than once anywhere in the file (every copy is held
    back: we cannot know which one is right), and the file's raw rows when they came in one
    chunk: the main pass then uses them instead of reading and parsing the file again
    (memory stays bounded by the chunk size either way)."""
    table, parts, chunks = run.table, [], 0
    only_chunk = None
    for raw in run.chunks():
        chunks += 1
        only_chunk = raw if chunks == 1 else None
        text = to_canonical_text(raw, table, delivery.mapping, only=table.key)
        if not all(k in text.columns for k in table.key):
            return np.array([], dtype="uint64"), None
        complete = text[list(table.key)].notna().all(axis=1)  # an empty key is reported as empty
        parts.append(key_hashes(_key_text(text[complete], table)))
    if not parts:
        return np.array([], dtype="uint64"), None
    hashes = pd.Series(np.concatenate(parts))
    return hashes[hashes.duplicated(keep=False)].unique(), only_chunk


def derived_checks(text: pd.DataFrame, table: Table, duplicated: np.ndarray, loaded_keys: dict[str, np.ndarray],
                   context: dict) -> pd.DataFrame:
    """Add the derived columns the suites check: facts that need other rows, other tables or
    the delivery (a suite ignores the ones it does not use)."""
    frame = text.copy()
    columns = set(frame.columns)
    if all(k in columns for k in table.key):
        frame["_key_unique"] = ~np.isin(key_hashes(_key_text(frame, table)), duplicated)
    for fk, parent in table.references.items():
        if fk in columns:
            parents = loaded_keys.get(parent, np.array([], dtype="uint64"))
            # An empty reference is reported as empty (or allowed, when optional), not as an orphan.
            frame[f"_{fk}_resolves"] = frame[fk].isna().to_numpy() | np.isin(key_hashes(frame[fk]), parents)
    extracted_on = pd.Series(context["extracted_on"], index=frame.index)
    if table.name == "child" and "date_of_birth" in columns:
        frame["_age_at_extract"] = _years_between(frame["date_of_birth"], extracted_on)
    if table.name == "episode" and {"child_id", "start_date"} <= columns:
        frame["_age_at_start"] = _years_between(frame["child_id"].map(context["dob_by_child"]), frame["start_date"])
    if table.name == "offence" and {"child_id", "offence_date"} <= columns:
        frame["_age_at_offence"] = _years_between(frame["child_id"].map(context["dob_by_child"]), frame["offence_date"])
    if "upn" in columns:
        upn = frame["upn"]
        frame["_upn_check_ok"] = ~upn.map(lambda u: isinstance(u, str)).to_numpy(dtype=bool) | upns_valid(upn.tolist())
    if "start_date" in columns:
        frame["_not_in_future"] = map_distinct(
            frame["start_date"], lambda d: not isinstance(d, str) or d.startswith("!") or d <= context["extracted_on"],
            missing=True).astype(bool)
    sessions = ["possible_sessions", "attended_sessions", "unauthorised_sessions"]
    if set(sessions) <= columns:
        numbers = frame[sessions].apply(pd.to_numeric, errors="coerce")
        fine = numbers["attended_sessions"] + numbers["unauthorised_sessions"] <= numbers["possible_sessions"]
        frame["_sessions_add_up"] = fine | numbers.isna().any(axis=1)
    return frame


def _years_between(start: pd.Series, end: pd.Series) -> pd.Series:
    a = pd.to_datetime(start, format="%Y-%m-%d", errors="coerce")
    b = pd.to_datetime(end, format="%Y-%m-%d", errors="coerce")
    return ((b - a).dt.days / 365.25).astype("float64")


def _append_history(conn: Connection, snapshot: SnapshotLoad, delivery: Delivery) -> None:
    """``hist_<core table>`` gets every published row with the delivery id and extract time,
    when the schema defines such a table (as-at history, issue 12)."""
    for name, live in snapshot.live.items():
        history = metadata.tables.get(live.name.replace("core_", "hist_", 1))
        if history is None:
            continue
        staged = snapshot.staging[name]
        columns = [c.name for c in live.columns]
        conn.execute(delete(history).where(history.c.snapshot_delivery_id == delivery.delivery_id))
        conn.execute(insert(history).from_select(
            columns + ["snapshot_delivery_id", "snapshot_extracted_at"],
            select(*[staged.c[c] for c in columns],
                   _literal(delivery.delivery_id), _literal(delivery.extracted_at.replace(tzinfo=None)
                                                            if delivery.extracted_at else None))))


def _literal(value):
    from sqlalchemy import literal

    return literal(value)


def _archive(delivery: Delivery, folder: Path, hashes: dict) -> None:
    """An unchanged copy of every accepted delivery, so the core can be rebuilt from history;
    a corrected re-send under the same id is kept beside the first."""
    target = folder / delivery.delivery_id
    if target.exists():
        target = folder / f"{delivery.delivery_id}.{sorted(hashes.values())[0][:12] if hashes else 'x'}"
        if target.exists():
            return
    target.mkdir(parents=True, exist_ok=True)
    for name in hashes:
        path = delivery.path_of(name)
        if path.is_file():
            shutil.copy2(path, target / name)
    manifest = delivery.folder / "manifest.json"
    if delivery.files and manifest.is_file():
        shutil.copy2(manifest, target / "manifest.json")


__all__ = ["Source", "load_snapshot", "derived_checks", "key_hashes", "file_sha256"]
