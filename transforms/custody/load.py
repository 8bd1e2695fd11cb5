"""The custody refresh load: every new custody file, oldest extract first, through the ingest
protocol's steps (checked, read with a detected encoding, mapped by ``police_custody.yaml``,
validated, quarantined, audited from STARTED), its good rows added to the version history, and
the live table rebuilt for the detentions it touched so that the newest version by the file's
own extract time wins (a late, older file never overwrites newer data). One transaction per
file; one bad file never stops the others.

Which files are loaded: a name identifies an extract; the same bytes under the same name again
is a rerun (nothing happens), other bytes under the same name are a correction (that extract's
versions and quarantine rows are replaced), the same bytes under another name are a DUPLICATE
(recorded once, not loaded again). A name that is not ``custody_<yyyymmdd>_<hhmm>.csv`` (after
ignoring case and separators, noted) is NOT_A_DELIVERY."""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select

from transforms.canonical import load_model
from transforms.ingest.delivery import file_sha256
from transforms.ingest.mapping import (
    UNPARSED_DATE_MARK, load_mapping, rows_not_typed, to_canonical_text, to_canonical_types,
)
from transforms.ingest.protocol import ROW_FIELDS_RULE
from transforms.ingest.readers import MALFORMED_ATTR, csv_chunks, malformed_reason, open_csv
from transforms.ingest.report import DeliveryRejected, IngestReport, TableCount
from transforms.ingest.sources import normalise_name
from transforms.settings import Settings
from transforms.validation import RowFailure, quarantine_rows, run_suite, validation_records
from transforms.warehouse.audit import (
    abandon_stale_attempts, audit_outcome, finish_attempt, last_attempt, loaded_hashes, new_attempt_id, record_attempt_details,
    record_outcome, start_attempt,
)
from transforms.warehouse.db import bulk_insert, ensure_schema, make_engine
from transforms.warehouse.schema import (
    custody_detention, custody_detention_version, quarantine,
)

SOURCE = "police_custody"
TABLE = "custody_detention"
FILE_PATTERN = re.compile(r"^custody_(\d{8})_(\d{4})\.csv$")
OUTCOMES = ("CHARGED_REMANDED", "CHARGED_BAILED", "RUI", "PRE_CHARGE_BAIL", "NFA", "COMMUNITY_RESOLUTION",
            "YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION", "REFERRED_TO_PANEL", "OTHER")
_REFS_PER_STATEMENT = 5_000  # bound parameters per statement stay far below SQLite's and PostgreSQL's limits
log = logging.getLogger(__name__)

def extract_time_of(path: Path) -> dt.datetime:
    """The file's own extract time, from its name (Europe/London wall-clock time)."""
    m = FILE_PATTERN.match(normalise_name(path.name))
    if not m:
        raise DeliveryRejected(f"{path.name}: the name is not custody_<yyyymmdd>_<hhmm>.csv")
    try:
        return dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M")
    except ValueError as exc:
        raise DeliveryRejected(f"{path.name}: the date or time in the name is not valid") from exc


def custody_files(landing: Path, folder: Path | None = None) -> list[Path]:
    """Every entry of the custody landing folder (each is loaded or accounted for):
    ``<landing>/police_custody`` unless ``folder`` names another (a partnership's feed, or the
    files routed to one service)."""
    folder = folder or landing / "police_custody"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _digest(path: Path) -> str | None:
    try:
        return file_sha256(path) if path.is_file() else None
    except OSError:
        return None


def _needs_attempt(engine: Engine, path: Path, digest: str | None, loaded: dict[str, str]) -> bool:
    """False when the last attempt of this name saw these bytes and settled them (a rerun)."""
    last = last_attempt(engine, SOURCE, path.name, ("LOADED", "DUPLICATE", "REJECTED", "NOT_A_DELIVERY"))
    if last is None:
        return True
    same_bytes = (last.file_hashes or {}).get(path.name) == (digest or "unreadable")
    if not same_bytes:
        return True
    # A file rejected for an extract time in the future may be fine once that time has come.
    return last.outcome == "REJECTED" and "in the future" in (last.reason or "")


def files_to_load(settings: Settings, engine: Engine, folder: Path | None = None) -> list[str]:
    """Names of custody files a refresh would attempt (a listing and audit queries; each file is
    hashed, custody files are small), from ``folder`` as ``load_new_custody_files`` reads it."""
    loaded = loaded_hashes(engine, SOURCE)
    return [p.name for p in custody_files(settings.landing_dir, folder) if _needs_attempt(engine, p, _digest(p), loaded)]


def rejected_files(settings: Settings, engine: Engine, folder: Path | None = None) -> set[str]:
    """Names of the custody files in the folder whose last attempt was rejected (they wait for
    a person; each refresh tries them again)."""
    return {p.name for p in custody_files(settings.landing_dir, folder) if audit_outcome(engine, SOURCE, p.name) == "REJECTED"}


def load_new_custody_files(settings: Settings, engine: Engine | None = None,
                           now: dt.datetime | None = None, folder: Path | None = None) -> list[IngestReport]:
    """Load every custody file not settled yet (from ``folder``, by default the landing
    folder's ``police_custody``), in extract-time order. A rejected file is reported and
    skipped; the others still load."""
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    now = now or dt.datetime.now(ZoneInfo(settings.timezone)).replace(tzinfo=None)
    dated, reports = [], []
    for path in custody_files(settings.landing_dir, folder):
        try:
            dated.append((extract_time_of(path), path))
        except DeliveryRejected as exc:
            digest = _digest(path)
            if _needs_attempt(engine, path, digest, {}):
                reason = str(exc).split(": ", 1)[-1]
                record_outcome(engine, source=SOURCE, delivery_id=path.name, outcome="NOT_A_DELIVERY", reason=reason,
                               file_hashes={path.name: digest or "unreadable"})
                reports.append(IngestReport(SOURCE, path.name, "NOT_A_DELIVERY", reason))
    for extract, path in sorted(dated, key=lambda d: (d[0], d[1].name)):
        digest = _digest(path)
        if not _needs_attempt(engine, path, digest, {}):
            continue
        same_as = loaded_hashes(engine, SOURCE).get(digest) if digest else None
        if same_as and same_as != path.name:
            reason = f"the same bytes as {same_as}, already loaded; not loaded again"
            record_outcome(engine, source=SOURCE, delivery_id=path.name, outcome="DUPLICATE", reason=reason,
                           extracted_at=extract.isoformat(), file_hashes={path.name: digest})
            reports.append(IngestReport(SOURCE, path.name, "DUPLICATE", reason, extracted_at=extract))
            continue
        reports.append(load_custody_file(path, engine, now, settings))
    return reports


def load_custody_file(path: Path, engine: Engine, now: dt.datetime, settings: Settings | None = None) -> IngestReport:
    clock = time.perf_counter()
    mappings_dir = settings.mappings_dir if settings else None
    digest = _digest(path) or "unreadable"
    abandon_stale_attempts(engine, SOURCE)
    attempt_id = new_attempt_id()
    start_attempt(engine, attempt_id=attempt_id, source=SOURCE, delivery_id=path.name, supplier="police",
                  file_hashes={path.name: digest})
    notes: list[str] = []
    extract, outcome = None, None
    read, held = 0, []
    try:
        extract = extract_time_of(path)
        if normalise_name(path.name) != path.name:
            notes.append(f"{path.name} taken as {normalise_name(path.name)} (the name differs only in case or separators)")
        if extract > now + dt.timedelta(minutes=5):
            raise DeliveryRejected(f"{path.name}: its extract time {extract:%d/%m/%Y %H:%M} is in the future; "
                                   "a file from the future would outrank every real one")
        mapping = load_mapping("police_custody", mappings_dir)
        table = load_model(mapping.model)[TABLE]
        source = open_csv(path, mapping)
        notes.extend(source.notes)
        chunks = list(csv_chunks(path, source, mapping, 1_000_000))
        raw = pd.concat(chunks) if chunks else pd.DataFrame(columns=source.headers)
        malformed = {k: v for c in chunks for k, v in c.attrs.get(MALFORMED_ATTR, {}).items()}
        text = to_canonical_text(raw, table, mapping)
        outcome = run_suite("police_custody.detention", _with_check_columns(text, extract),
                            {"custody_outcomes": list(OUTCOMES)},
                            pii_columns=frozenset(c.name for c in table.columns if c.pii))
        if outcome.table_failures:
            raise DeliveryRejected(f"{path.name}: " + "; ".join(outcome.table_failures))
        bad = outcome.row_failures
        for line, fields in malformed.items():
            bad[line] = [RowFailure(ROW_FIELDS_RULE, None, malformed_reason(len(fields), len(source.headers)))]
        for line, failures in rows_not_typed(text.loc[~text.index.isin(list(bad))], table).items():
            bad[line] = [RowFailure(*f) for f in failures]
        read = len(raw)
        held = quarantine_rows(source=SOURCE, delivery_id=path.name, table=TABLE, file_label=path.name,
                               headers={c: c for c in source.headers}, column_letter=source.column_letter, raw=raw,
                               bad=bad, malformed=malformed)
        good = to_canonical_types(text.loc[~text.index.isin(list(bad))], table)
        if len(raw) and len(good) == 0:
            raise DeliveryRejected(f"{path.name}: every one of its {len(raw):,} rows was quarantined")
    except DeliveryRejected as exc:
        reason = str(exc)
        log.warning("custody file rejected: %s", reason)
        validations = [outcome] if outcome is not None else []
        counts = {TABLE: TableCount(read, 0, len(held))} if read else {}
        with engine.begin() as conn:
            finish_attempt(conn, attempt_id=attempt_id, outcome="REJECTED", reason=reason, notes=notes,
                           extracted_at=extract.isoformat() if extract else "",
                           counts={t: (c.read, c.loaded, c.quarantined) for t, c in counts.items()})
            record_attempt_details(conn, attempt_id=attempt_id, source=SOURCE, rows=held,
                                   validations=validation_records(validations))
        return IngestReport(SOURCE, path.name, "REJECTED", reason, notes=notes, attempt_id=attempt_id,
                            extracted_at=extract, seconds=time.perf_counter() - clock, counts=counts,
                            validations=validations)
    except Exception as exc:  # a bug: recorded, and the other files still load
        log.exception("custody file %s: internal error", path.name)
        with engine.begin() as conn:
            finish_attempt(conn, attempt_id=attempt_id, outcome="FAILED",
                           reason=f"the load stopped with an internal error ({exc.__class__.__name__})")
        return IngestReport(SOURCE, path.name, "FAILED", f"internal error ({exc.__class__.__name__})",
                            attempt_id=attempt_id)

    good["extract_time"] = extract
    good["file_name"] = path.name
    count = TableCount(read=len(raw), loaded=len(good), quarantined=len(bad))
    report = IngestReport(SOURCE, path.name, "LOADED", counts={TABLE: count}, notes=notes, attempt_id=attempt_id,
                          extracted_at=extract, touched=sorted(good["custody_ref"]), validations=[outcome])
    if not count.reconciles():
        raise AssertionError(f"{path.name}: rows read, loaded and quarantined do not reconcile")
    with engine.begin() as conn:
        # A corrected file (same name, other bytes) replaces its extract's versions and rows.
        previous = conn.execute(select(custody_detention_version.c.custody_ref).where(
            custody_detention_version.c.file_name == path.name)).scalars().all()
        conn.execute(delete(custody_detention_version).where(
            (custody_detention_version.c.file_name == path.name)
            | ((custody_detention_version.c.extract_time == extract)
               & custody_detention_version.c.custody_ref.in_(report.touched))))
        conn.execute(delete(quarantine).where((quarantine.c.source == SOURCE) & (quarantine.c.delivery_id == path.name)))
        if len(good):
            bulk_insert(conn, custody_detention_version, good)
        touched = sorted(set(report.touched) | set(previous))
        if touched:
            _rebuild_latest(conn, touched)
        if held:
            conn.execute(insert(quarantine), held)
        finish_attempt(conn, attempt_id=attempt_id, outcome="LOADED", notes=notes, extracted_at=extract.isoformat(),
                       counts={TABLE: (count.read, count.loaded, count.quarantined)})
        record_attempt_details(conn, attempt_id=attempt_id, source=SOURCE, rows=held,
                               validations=validation_records([outcome]))
    report.seconds = time.perf_counter() - clock
    log.info("custody %s: read %d, loaded %d, quarantined %d", path.name, report.read, report.loaded, report.quarantined)
    return report


# The detention's times that must be no later than the file's own extract time.
_EVENT_TIMES = ("arrest_datetime", "arrival_datetime", "detention_authorised_datetime", "release_datetime")


def _with_check_columns(text: pd.DataFrame, extract: dt.datetime) -> pd.DataFrame:
    frame = text.copy()
    times = [c for c in _EVENT_TIMES if c in frame.columns]
    if times:
        # A time after the extract was taken is impossible: a clock or a file-naming error.
        # ISO text compares as time does; an unreadable time is left to its own rule.
        cutoff = extract.strftime("%Y-%m-%dT%H:%M:%S")
        late = pd.Series(False, index=frame.index)
        for column in times:
            values = frame[column]
            readable = values.notna() & ~values.astype(str).str.startswith(UNPARSED_DATE_MARK)
            late |= readable & (values.astype(str) > cutoff)
        frame["_not_after_extract"] = ~late.to_numpy()
    if "custody_ref" in frame.columns:
        frame["_key_unique"] = ~frame["custody_ref"].duplicated(keep=False) | frame["custody_ref"].isna()
    if {"date_of_birth", "arrival_datetime"} <= set(frame.columns):
        dob = pd.to_datetime(frame["date_of_birth"], format="%Y-%m-%d", errors="coerce")
        arrival = pd.to_datetime(frame["arrival_datetime"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
        frame["_age_at_arrival"] = ((arrival - dob).dt.days / 365.25).astype("float64")
    if {"pace_transfer_requested", "pace_transfer_achieved"} <= set(frame.columns):
        frame["_transfer_consistent"] = ~((frame["pace_transfer_achieved"] == "true") & (frame["pace_transfer_requested"] != "true"))
    return frame


def _rebuild_latest(conn, refs: list[str]) -> None:
    """For each touched detention, the version with the greatest extract time becomes live, with
    when it was first seen and how many versions there are. Done by the database (one INSERT ...
    SELECT per batch of references), so the rows never travel through Python again."""
    version, live = custody_detention_version, custody_detention
    copied = [c.name for c in live.columns if c.name not in ("first_seen_extract", "versions")]
    for start in range(0, len(refs), _REFS_PER_STATEMENT):
        batch = refs[start:start + _REFS_PER_STATEMENT]
        conn.execute(delete(live).where(live.c.custody_ref.in_(batch)))
        summary = (select(version.c.custody_ref, func.max(version.c.extract_time).label("latest"),
                          func.min(version.c.extract_time).label("first_seen"), func.count().label("versions"))
                   .where(version.c.custody_ref.in_(batch)).group_by(version.c.custody_ref).subquery())
        newest = (select(*[version.c[name] for name in copied], summary.c.first_seen, summary.c.versions)
                  .join_from(version, summary, (version.c.custody_ref == summary.c.custody_ref)
                             & (version.c.extract_time == summary.c.latest)))
        conn.execute(insert(live).from_select(copied + ["first_seen_extract", "versions"], newest))


def live_detentions(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(select(custody_detention), conn)


def latest_extract_time(engine: Engine) -> dt.datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.max(custody_detention_version.c.extract_time))).scalar_one_or_none()
    return pd.Timestamp(value).to_pydatetime() if value is not None else None

