"""The custody refresh load: every new custody file, oldest extract first, validated,
its good rows added to the version history, and the live table rebuilt for the detentions
it touched so that the newest version by the file's own extract time wins (a late, older
file never overwrites newer data). One transaction per file."""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select

from transforms.casesystem.delivery import file_sha256
from transforms.casesystem.readers import TableSource
from transforms.settings import Settings
from transforms.validation import quarantine_rows, run_suite
from transforms.warehouse.audit import audit_outcome, loaded_hashes, write_audit
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import (
    CUSTODY_COLUMNS, custody_detention, custody_detention_version, quarantine,
)

SOURCE = "police_custody"
FILE_PATTERN = re.compile(r"^custody_(\d{8})_(\d{4})\.csv$")
OUTCOMES = ("CHARGED_REMANDED", "CHARGED_BAILED", "RUI", "PRE_CHARGE_BAIL", "NFA", "COMMUNITY_RESOLUTION",
            "YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION", "REFERRED_TO_PANEL", "OTHER")
DATETIME_COLUMNS = ("arrest_datetime", "arrival_datetime", "detention_authorised_datetime", "release_datetime",
                    "appropriate_adult_requested", "appropriate_adult_arrived")
BOOL_COLUMNS = ("strip_search", "pace_transfer_requested", "pace_transfer_achieved")
PII_COLUMNS = frozenset({"surname", "forenames", "date_of_birth", "postcode", "pnc_id"})
NULL_MARKERS = {"", "NULL", "N/A", "-"}
log = logging.getLogger(__name__)


class CustodyFileRejected(Exception):
    pass


@dataclass
class CustodyFileReport:
    file_name: str
    extract_time: dt.datetime | None
    outcome: str  # LOADED, REJECTED, DUPLICATE, ALREADY_LOADED
    reason: str = ""
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    touched: list[str] = field(default_factory=list)


def extract_time_of(path: Path) -> dt.datetime:
    """The file's own extract time, from its name (Europe/London wall-clock time)."""
    m = FILE_PATTERN.match(path.name)
    if not m:
        raise CustodyFileRejected(f"{path.name}: the name is not custody_<yyyymmdd>_<hhmm>.csv")
    try:
        return dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M")
    except ValueError as exc:
        raise CustodyFileRejected(f"{path.name}: the date or time in the name is not valid") from exc


def custody_files(landing: Path) -> list[Path]:
    folder = landing / "police_custody"
    return sorted(folder.glob("custody_*.csv")) if folder.exists() else []


def load_new_custody_files(settings: Settings, engine: Engine | None = None,
                           now: dt.datetime | None = None) -> list[CustodyFileReport]:
    """Load every custody file not loaded yet, in extract-time order. A rejected file is
    reported and skipped; the others still load."""
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    now = now or dt.datetime.now(ZoneInfo(settings.timezone)).replace(tzinfo=None)
    dated = []
    for path in custody_files(settings.landing_dir):
        try:
            dated.append((extract_time_of(path), path))
        except CustodyFileRejected as exc:
            dated.append((None, path))
            log.warning(str(exc))
    reports = []
    for extract, path in sorted(dated, key=lambda d: (d[0] is None, d[0] or dt.datetime.min, d[1].name)):
        # The name carries the extract time, so it identifies the file: the same name with the
        # same bytes is a duplicate delivery (nothing to do); the same name with other bytes is
        # a corrected file and replaces that extract's versions. Two extracts with the same
        # content are still two extracts. A rejected file is looked at again next time.
        if audit_outcome(engine, SOURCE, path.name) == "LOADED" and loaded_hashes(engine, SOURCE).get(file_sha256(path)) == path.name:
            continue
        reports.append(load_custody_file(path, engine, now))
    return reports


def load_custody_file(path: Path, engine: Engine, now: dt.datetime) -> CustodyFileReport:
    started = dt.datetime.now(dt.timezone.utc)
    digest = file_sha256(path)
    try:
        extract = extract_time_of(path)
        if extract > now + dt.timedelta(minutes=5):
            raise CustodyFileRejected(f"{path.name}: its extract time {extract:%d/%m/%Y %H:%M} is in the future; "
                                      "a file from the future would outrank every real one")
        raw, text = _read(path)
        checks = _with_check_columns(text)
        outcome = run_suite("police_custody.detention", checks, {"custody_outcomes": list(OUTCOMES)},
                            pii_columns=PII_COLUMNS)
        if outcome.table_failures:
            raise CustodyFileRejected(f"{path.name}: " + "; ".join(outcome.table_failures))
    except CustodyFileRejected as exc:
        report = CustodyFileReport(path.name, None, "REJECTED", str(exc))
        log.warning(str(exc))
        with engine.begin() as conn:
            _audit(conn, report, started, digest)
        return report

    bad = outcome.row_failures
    good = _typed(text.loc[~text.index.isin(list(bad))])
    good["extract_time"] = extract
    good["file_name"] = path.name
    source = TableSource(file_name=path.name, headers=list(raw.columns))
    held = quarantine_rows(source=SOURCE, delivery_id=path.name, table="custody_detention", file_label=path.name,
                           headers={c: c for c in raw.columns}, column_letter=source.column_letter, raw=raw, bad=bad)
    report = CustodyFileReport(path.name, extract, "LOADED", read=len(raw), loaded=len(good), quarantined=len(bad),
                               touched=sorted(good["custody_ref"]))
    with engine.begin() as conn:
        if len(good):
            conn.execute(delete(custody_detention_version).where(
                (custody_detention_version.c.extract_time == extract)
                & custody_detention_version.c.custody_ref.in_(report.touched)))
            conn.execute(insert(custody_detention_version), _records(good))
            _rebuild_latest(conn, report.touched)
        if held:
            conn.execute(insert(quarantine), held)
        _audit(conn, report, started, digest)
    log.info("custody %s: read %d, loaded %d, quarantined %d", path.name, report.read, report.loaded, report.quarantined)
    return report


def _read(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                          skip_blank_lines=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CustodyFileRejected(f"{path.name} cannot be read as a UTF-8 CSV ({str(exc)[:120]})") from exc
    raw.columns = [c.strip() for c in raw.columns]
    raw.index = pd.RangeIndex(2, 2 + len(raw))
    text = pd.DataFrame(index=raw.index)
    for col in CUSTODY_COLUMNS:
        if col not in raw.columns:
            continue
        values = raw[col].astype(str).str.strip()
        values = values.where(~values.str.upper().isin(NULL_MARKERS), None)
        if col in BOOL_COLUMNS:
            values = values.map(lambda v: {"Y": "true", "N": "false", "YES": "true", "NO": "false"}.get(v.upper(), v)
                                if isinstance(v, str) else v)
        text[col] = values.astype(object)
    return raw, text


def _with_check_columns(text: pd.DataFrame) -> pd.DataFrame:
    frame = text.copy()
    if "custody_ref" in frame.columns:
        frame["_key_unique"] = ~frame["custody_ref"].duplicated(keep=False) | frame["custody_ref"].isna()
    if {"date_of_birth", "arrival_datetime"} <= set(frame.columns):
        dob = pd.to_datetime(frame["date_of_birth"], format="%Y-%m-%d", errors="coerce")
        arrival = pd.to_datetime(frame["arrival_datetime"], format="ISO8601", errors="coerce")
        frame["_age_at_arrival"] = ((arrival - dob).dt.days / 365.25).astype("float64")
    if {"pace_transfer_requested", "pace_transfer_achieved"} <= set(frame.columns):
        frame["_transfer_consistent"] = ~((frame["pace_transfer_achieved"] == "true") & (frame["pace_transfer_requested"] != "true"))
    return frame


def _typed(text: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=text.index)
    for col in CUSTODY_COLUMNS:
        values = text[col] if col in text.columns else pd.Series(None, index=text.index, dtype=object)
        if col in DATETIME_COLUMNS:
            parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
            out[col] = pd.Series(parsed.dt.to_pydatetime(), index=text.index, dtype=object).where(parsed.notna(), None)
        elif col == "date_of_birth":
            out[col] = pd.to_datetime(values, format="%Y-%m-%d").dt.date.astype(object)
        elif col in BOOL_COLUMNS:
            out[col] = values.map({"true": True, "false": False}).astype(object).where(values.notna(), None)
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")


def _rebuild_latest(conn, refs: list[str]) -> None:
    """For each touched detention, the version with the greatest extract time becomes live."""
    history = pd.read_sql_query(select(custody_detention_version).where(custody_detention_version.c.custody_ref.in_(refs)), conn)
    history = history.sort_values(["custody_ref", "extract_time"])
    first_seen = history.groupby("custody_ref")["extract_time"].min()
    versions = history.groupby("custody_ref").size()
    latest = history.drop_duplicates("custody_ref", keep="last").drop(columns=["file_name"]).set_index("custody_ref")
    latest["first_seen_extract"] = first_seen
    latest["versions"] = versions
    latest = latest.reset_index()
    for col in DATETIME_COLUMNS + ("extract_time", "first_seen_extract"):
        parsed = pd.to_datetime(latest[col])
        latest[col] = pd.Series(parsed.dt.to_pydatetime(), dtype=object).where(parsed.notna(), None)
    latest["date_of_birth"] = pd.to_datetime(latest["date_of_birth"]).dt.date
    for col in BOOL_COLUMNS:
        latest[col] = latest[col].map(lambda v: None if v is None or v != v else bool(v))
    conn.execute(delete(custody_detention).where(custody_detention.c.custody_ref.in_(refs)))
    conn.execute(insert(custody_detention), _records(latest))


def _audit(conn, report: CustodyFileReport, started: dt.datetime, digest: str) -> None:
    counts = {"custody_detention": (report.read, report.loaded, report.quarantined)} if report.outcome == "LOADED" else {}
    write_audit(conn, source=SOURCE, delivery_id=report.file_name, supplier="police",
                extracted_at=report.extract_time.isoformat() if report.extract_time else "", started=started,
                outcome=report.outcome, reason=report.reason, file_hashes={report.file_name: digest}, notes=[],
                counts=counts)


def live_detentions(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(select(custody_detention), conn)


def latest_extract_time(engine: Engine) -> dt.datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.max(custody_detention_version.c.extract_time))).scalar_one_or_none()
    return pd.Timestamp(value).to_pydatetime() if value is not None else None

