"""Every snapshot source as data, and how its deliveries are found in the landing folder:

    case_system  landing/case_system/<delivery_id>/ with manifest.json (written last)
    education    landing/education/<yyyymmdd>/pupils.csv, suspensions.csv, attendance.csv
    ccis         landing/ccis/ccis_activity_<yyyymmdd>.csv
    board        landing/board/board_attendance.xlsx
    population   landing/reference/population.csv
    looked_after landing/reference/looked_after.csv (optional)

Every entry of a source's landing folder is accounted for: the newest delivery is loaded (or
rejected with its reason), a name that does not follow the contract is audited as
NOT_A_DELIVERY with a one-line reason. A name that differs from the contract only in letter
case or separators (``Pupils.CSV``, ``ccis-activity-20261120.csv``) is accepted with a note
(docs/adr/0010-lenient-file-names.md)."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection

from transforms.ingest.delivery import LONDON, Delivery, file_sha256, find_deliveries, read_manifest, verify_files
from transforms.ingest.mapping import MappingError, load_mapping
from transforms.ingest.protocol import Source, load_snapshot
from transforms.ingest.report import DeliveryRejected, IngestReport
from transforms.settings import Settings
from transforms.warehouse.audit import audited, record_outcome
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.reference import load_reference_tables
from transforms.warehouse.schema import (
    CORE_TABLES, EDUCATION_TABLES, audit_delivery, child_key, core_board_attendance, core_publication, ref_looked_after,
    ref_population,
)


def normalise_name(name: str) -> str:
    """A file name as the contract would spell it: lower case, runs of spaces, dots and
    hyphens between words as one underscore, the extension kept."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[\s._-]+", "_", stem.strip().lower()).strip("_")
    return f"{stem}.{ext.lower()}" if ext else stem


def _assign_child_keys(conn: Connection, delivery: Delivery) -> None:
    """A random pseudonymous key for every child seen for the first time; existing keys are
    never changed, so marts and outputs stay comparable across deliveries."""
    known = set(conn.execute(select(child_key.c.child_id)).scalars())
    new = [cid for cid in conn.execute(select(CORE_TABLES["child"].c.child_id)).scalars() if cid not in known]
    if new:
        conn.execute(insert(child_key), [{"child_id": cid, "child_key": f"YJ{secrets.token_hex(5).upper()}",
                                          "first_seen_delivery": delivery.delivery_id} for cid in new])


CASE_SYSTEM = Source("case_system", lambda: dict(CORE_TABLES), "case_system", also_publish=_assign_child_keys)
EDUCATION = Source("education", lambda: {n: EDUCATION_TABLES[n] for n in ("pupil", "suspension", "attendance")},
                   "education", keep_history=True)
CCIS = Source("ccis", lambda: {"ccis_activity": EDUCATION_TABLES["ccis_activity"]}, "education", keep_history=True)
BOARD = Source("board", lambda: {"board_attendance": core_board_attendance}, "reference")
POPULATION = Source("population", lambda: {"population": ref_population}, "reference")
LOOKED_AFTER = Source("looked_after", lambda: {"looked_after": ref_looked_after}, "reference")


def _prepare(settings: Settings, engine: Engine | None) -> Engine:
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    load_reference_tables(engine)
    return engine


def _not_a_delivery(engine: Engine, source: str, path: Path, reason: str) -> str:
    """Audit a landing entry that is not a delivery, once per name and content."""
    try:
        digest = file_sha256(path) if path.is_file() else ("folder" if path.is_dir() else "unreadable")
    except OSError:
        digest = "unreadable"
    hashes = {path.name: digest}
    line = f"{path.name}: {reason}"
    if not audited(engine, source, path.name, hashes, ("NOT_A_DELIVERY",)):
        record_outcome(engine, source=source, delivery_id=path.name, outcome="NOT_A_DELIVERY", reason=reason,
                       file_hashes=hashes)
    return line


def _finish(report: IngestReport, strays: list[str]) -> IngestReport:
    report.notes.extend(f"not a delivery: {s}" for s in strays)
    return report


def _nothing(source: str, folder: Path, strays: list[str]) -> IngestReport:
    reason = f"no delivery in {folder.name}/" + (f"; {len(strays)} entr{'y' if len(strays) == 1 else 'ies'} "
                                                f"not a delivery: " + "; ".join(strays[:5]) if strays else "")
    return _finish(IngestReport(source, None, "NO_DELIVERY", reason), strays)


# --- case system ---------------------------------------------------------------------------

def load_case_system(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """The newest complete case-system delivery. Raises ``DeliveryRejected`` (recorded) when it
    cannot be loaded; the previous delivery stays live."""
    engine = _prepare(settings, engine)
    folder = settings.landing_dir / "case_system"
    strays = []
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            if not entry.is_dir():
                strays.append(_not_a_delivery(engine, CASE_SYSTEM.name, entry,
                                              "a file where a delivery folder (with manifest.json) should be"))
            elif not (entry / "manifest.json").is_file():
                # Recorded once; when its manifest arrives the delivery loads as usual.
                strays.append(_not_a_delivery(engine, CASE_SYSTEM.name, entry,
                                              "no manifest.json: an incomplete delivery, not loaded until its "
                                              "manifest arrives"))
    deliveries = find_deliveries(folder, settings.mappings_dir)
    if not deliveries:
        return _nothing(CASE_SYSTEM.name, folder, strays)
    return _finish(load_newest_superseding(deliveries, settings, engine), strays)


def load_newest_superseding(deliveries: list[Path], settings: Settings, engine: Engine) -> IngestReport:
    """The case system sends full snapshots: the newest delivery is loaded and every older one
    not yet taken is recorded as SUPERSEDED by it (no folder is passed over without an audit
    row). When the newest is rejected, the next newest is tried, and so on down to the live
    one; a rejection of the newest is raised after that (its report carries the backlog)."""
    backlog: list[IngestReport] = []
    rejection: DeliveryRejected | None = None
    taken: IngestReport | None = None
    remaining = list(deliveries)
    while remaining:
        folder = remaining.pop()
        try:
            report = load_case_system_delivery(folder, settings, engine)
        except DeliveryRejected as exc:
            if rejection is None:
                rejection = exc
            else:
                backlog.insert(0, exc.report)
            continue
        taken = report
        break
    if taken is not None:
        backlog += [r for r in (_supersede(folder, taken, settings, engine) for folder in remaining) if r]
        if rejection is not None and taken.outcome == "LOADED":
            backlog.append(taken)
    if rejection is not None:
        rejection.report.backlog = backlog
        raise rejection
    taken.backlog = backlog
    return taken


def _supersede(folder: Path, newer: IngestReport, settings: Settings, engine: Engine) -> IngestReport | None:
    """Record an older case-system delivery as SUPERSEDED by ``newer`` (once per bytes)."""
    try:
        delivery = read_manifest(folder, settings.mappings_dir)
        delivery_id, hashes, extracted = delivery.delivery_id, delivery.file_hashes, delivery.extracted_at
    except DeliveryRejected:
        delivery_id, hashes, extracted = folder.name, {"manifest.json": file_sha256(folder / "manifest.json")}, None
    if audited(engine, CASE_SYSTEM.name, delivery_id, hashes, ("LOADED", "DUPLICATE", "SUPERSEDED", "REJECTED")):
        return None
    reason = (f"superseded by delivery {newer.delivery_id}, a newer full snapshot"
              + (f" (extracted {newer.extracted_at:%Y-%m-%d %H:%M})" if newer.extracted_at else "") + "; not loaded")
    attempt = record_outcome(engine, source=CASE_SYSTEM.name, delivery_id=delivery_id, outcome="SUPERSEDED",
                             reason=reason, extracted_at=extracted.isoformat() if extracted else "",
                             file_hashes=hashes)
    return IngestReport(CASE_SYSTEM.name, delivery_id, "SUPERSEDED", reason, attempt_id=attempt,
                        extracted_at=extracted)


def load_case_system_delivery(folder: Path, settings: Settings, engine: Engine) -> IngestReport:
    try:
        delivery = read_manifest(folder, settings.mappings_dir)
        verify_files(delivery)
    except DeliveryRejected as exc:
        attempt = record_outcome(engine, source=CASE_SYSTEM.name, delivery_id=folder.name, outcome="REJECTED",
                                 reason=str(exc))
        exc.report = IngestReport(CASE_SYSTEM.name, folder.name, "REJECTED", str(exc), attempt_id=attempt)
        raise
    return load_snapshot(CASE_SYSTEM, delivery, settings, engine)


# --- education and CCIS --------------------------------------------------------------------

def _dated(name: str, fmt: str = "%Y%m%d") -> dt.datetime | None:
    try:
        return dt.datetime.strptime(name, fmt).replace(tzinfo=LONDON)
    except ValueError:
        return None


def load_education(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """The newest nightly snapshot: pupils, suspensions and attendance, published together."""
    engine = _prepare(settings, engine)
    landing = settings.landing_dir / "education"
    mapping = _mapping("la_education", settings)
    contract = {normalise_name(t.source) for t in mapping.tables.values()}
    strays, snapshots = [], []
    for entry in sorted(landing.iterdir()) if landing.is_dir() else []:
        stamp = _dated(entry.name) if entry.is_dir() else None
        if stamp is None:
            strays.append(_not_a_delivery(engine, EDUCATION.name, entry,
                                          "not a snapshot folder named <yyyymmdd> (a valid date)"))
        elif not any(normalise_name(e.name) in contract for e in entry.iterdir()):
            # Only what a desktop leaves behind (.DS_Store, Thumbs.db): not a night's snapshot,
            # so the previous one stays live (a folder with some of the files is rejected below).
            strays.append(_not_a_delivery(engine, EDUCATION.name, entry,
                                          "a snapshot folder with none of " + ", ".join(sorted(contract))))
        else:
            snapshots.append((stamp, entry))
    if not snapshots:
        return _nothing(EDUCATION.name, landing, strays)
    wanted = {t.source: t.source for t in mapping.tables.values()}

    def education_delivery(stamp: dt.datetime, folder: Path) -> Delivery:
        delivery = Delivery(folder=folder, delivery_id=f"education-{folder.name}", supplier=mapping.supplier,
                            extracted_at=stamp, files=[], mapping=mapping)
        try:
            delivery.paths = _match_files(folder, wanted, delivery.notes)
        except DeliveryRejected as exc:
            attempt = record_outcome(engine, source=EDUCATION.name, delivery_id=delivery.delivery_id,
                                     outcome="REJECTED", reason=str(exc), extracted_at=delivery.extracted_text)
            exc.report = IngestReport(EDUCATION.name, delivery.delivery_id, "REJECTED", str(exc), attempt_id=attempt,
                                      extracted_at=stamp)
            raise
        return delivery

    return _finish(load_dated_in_order(EDUCATION, sorted(snapshots), education_delivery, settings, engine), strays)


def load_dated_in_order(source: Source, dated: list[tuple[dt.datetime, Path]], make_delivery, settings: Settings,
                        engine: Engine) -> IngestReport:
    """Every dated snapshot of a history-keeping source not yet taken, oldest first, each at its
    own date: after an outage or on a first deployment every night's snapshot goes into history
    (the as-at KPIs read it) and the newest ends up live. A snapshot older than the one already
    live (it arrived late) goes into history only. A snapshot taken before (loaded, a duplicate,
    or rejected when it is not the newest) is not taken again. Returns the newest snapshot's
    report with the earlier ones as its ``backlog``; a rejection of the newest is raised after
    the rest were taken (its report carries the backlog too)."""
    backlog: list[IngestReport] = []
    live_stamp = _live_extract_time(engine, source.name)
    *earlier, newest = dated
    for stamp, path in earlier:
        try:
            delivery = make_delivery(stamp, path)
        except DeliveryRejected as exc:
            backlog.append(exc.report)
            continue
        if audited(engine, source.name, delivery.delivery_id, delivery.file_hashes,
                   ("LOADED", "DUPLICATE", "REJECTED")):
            continue
        try:
            report = load_snapshot(source, delivery, settings, engine,
                                   history_only=live_stamp is not None and stamp < live_stamp)
        except DeliveryRejected as exc:
            backlog.append(exc.report)
            continue
        backlog.append(report)
        if report.outcome == "LOADED" and (live_stamp is None or stamp > live_stamp):
            live_stamp = stamp
    stamp, path = newest
    try:
        delivery = make_delivery(stamp, path)
        report = load_snapshot(source, delivery, settings, engine,
                               history_only=live_stamp is not None and stamp < live_stamp)
    except DeliveryRejected as exc:
        exc.report.backlog = backlog
        raise
    report.backlog = backlog
    return report


def _live_extract_time(engine: Engine, source: str) -> dt.datetime | None:
    """The extract time of the delivery a source has live, or None before its first load."""
    with engine.connect() as conn:
        live = conn.execute(select(core_publication.c.delivery_id).where(core_publication.c.source == source)).scalar()
        if live is None:
            return None
        text = conn.execute(select(audit_delivery.c.extracted_at).where(
            (audit_delivery.c.source == source) & (audit_delivery.c.delivery_id == live)
            & (audit_delivery.c.outcome == "LOADED")).order_by(audit_delivery.c.started_at.desc())).scalar()
    if not text:
        return None
    stamp = dt.datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=LONDON)


def _match_files(folder: Path, wanted: dict[str, str], notes: list[str]) -> dict[str, Path]:
    """Contract file name -> path in the folder, matched by exact name, else by the name
    normalised (case, separators) with a note. Files the contract does not name are noted."""
    entries = sorted(folder.iterdir())
    found: dict[str, Path] = {}
    for contract in wanted:
        exact = folder / contract
        if exact.exists() or exact.is_symlink():
            found[contract] = exact
            continue
        near = [e for e in entries if normalise_name(e.name) == normalise_name(contract)]
        if len(near) > 1:
            raise DeliveryRejected(f"{folder.name} has {len(near)} files that could be {contract}: "
                                   + ", ".join(e.name for e in near))
        if not near:
            raise DeliveryRejected(f"the snapshot {folder.name} has no {contract}")
        notes.append(f"{near[0].name} taken as {contract} (the name differs only in case or separators)")
        found[contract] = near[0]
    used = {p.name for p in found.values()}
    for e in entries:
        if e.name not in used:
            notes.append(f"{e.name}: not part of the snapshot contract; not loaded")
    return found


CCIS_NAME = re.compile(r"^ccis_activity_(\d{8})\.csv$")


def load_ccis(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """The newest weekly post-16 activity extract, ``landing/ccis/ccis_activity_<yyyymmdd>.csv``."""
    engine = _prepare(settings, engine)
    landing = settings.landing_dir / "ccis"
    strays, files = [], []
    for entry in sorted(landing.iterdir()) if landing.is_dir() else []:
        m = CCIS_NAME.match(normalise_name(entry.name))
        stamp = _dated(m.group(1)) if m else None
        if stamp is None:
            strays.append(_not_a_delivery(engine, CCIS.name, entry, "the name is not ccis_activity_<yyyymmdd>.csv"))
        else:
            files.append((stamp, entry))
    if not files:
        return _nothing(CCIS.name, landing, strays)
    mapping = _mapping("ccis", settings)

    def ccis_delivery(stamp: dt.datetime, path: Path) -> Delivery:
        delivery = Delivery(folder=path.parent, delivery_id=f"ccis-{stamp:%Y%m%d}", supplier=mapping.supplier,
                            extracted_at=stamp, files=[], mapping=mapping,
                            paths={mapping.tables["ccis_activity"].source: path})
        if path.name != f"ccis_activity_{stamp:%Y%m%d}.csv":
            delivery.notes.append(f"{path.name} taken as ccis_activity_{stamp:%Y%m%d}.csv (the name differs only in "
                                  f"case or separators)")
        return delivery

    return _finish(load_dated_in_order(CCIS, sorted(files), ccis_delivery, settings, engine), strays)


def _mapping(supplier: str, settings: Settings):
    try:
        return load_mapping(supplier, settings.mappings_dir)
    except MappingError as exc:
        raise DeliveryRejected(str(exc)) from exc


# --- board register and population reference ----------------------------------------------

def load_board(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """``landing/board/board_attendance.xlsx``, the hand-kept register."""
    return _load_single_file(BOARD, "board_register", settings.landing_dir / "board", "board_attendance.xlsx",
                             settings, engine)


def load_population(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """``landing/reference/population.csv``."""
    return _load_single_file(POPULATION, "population", settings.landing_dir / "reference", "population.csv",
                             settings, engine)


# Folders several single-file sources share: each leaves the others' files to them.
SHARED_FOLDERS = {"reference": ("population.csv", "looked_after.csv")}


def load_looked_after(settings: Settings, engine: Engine | None = None) -> IngestReport:
    """``landing/reference/looked_after.csv`` (optional: without it the looked-after dimension of
    disproportionality is not assessed)."""
    return _load_single_file(LOOKED_AFTER, "looked_after", settings.landing_dir / "reference", "looked_after.csv",
                             settings, engine)


def _load_single_file(source: Source, supplier: str, landing: Path, contract: str, settings: Settings,
                      engine: Engine | None) -> IngestReport:
    """A source that is one file replaced now and then: its delivery id is the file's name and
    the start of its SHA-256, so a changed file is a new delivery and the same file a rerun."""
    engine = _prepare(settings, engine)
    strays, found = [], None
    for entry in sorted(landing.iterdir()) if landing.is_dir() else []:
        if entry.name.startswith(("~$", ".~lock")):
            strays.append(_not_a_delivery(engine, source.name, entry, "an office lock file, not data"))
        elif normalise_name(entry.name) == normalise_name(contract) and found is None:
            found = entry
        elif normalise_name(entry.name) in {normalise_name(n) for n in SHARED_FOLDERS.get(landing.name, ())}:
            continue  # another source's file in the same folder: that source accounts for it
        else:
            strays.append(_not_a_delivery(engine, source.name, entry, f"not {contract}"))
    if found is None:
        return _nothing(source.name, landing, strays)
    mapping = _mapping(supplier, settings)
    digest = file_sha256(found) if found.is_file() else "unreadable"
    stamp = dt.datetime.fromtimestamp(found.lstat().st_mtime, tz=LONDON)
    delivery = Delivery(folder=landing, delivery_id=f"{Path(contract).stem}-{digest[:12]}", supplier=mapping.supplier,
                        extracted_at=stamp, files=[], mapping=mapping,
                        paths={(mapping.workbook or next(iter(mapping.tables.values())).source): found})
    if found.name != contract:
        delivery.notes.append(f"{found.name} taken as {contract} (the name differs only in case or separators)")
    return _finish(load_snapshot(source, delivery, settings, engine), strays)


def load_reference_sources(settings: Settings, engine: Engine | None = None) -> dict[str, IngestReport]:
    """The board register and the population reference, each through the protocol. A source
    that is rejected is reported and leaves its previous data live; the other still loads."""
    reports = {}
    for name, load in (("board", load_board), ("population", load_population), ("looked_after", load_looked_after)):
        try:
            reports[name] = load(settings, engine)
        except DeliveryRejected as exc:
            reports[name] = getattr(exc, "report", None) or IngestReport(name, None, "REJECTED", str(exc))
    return reports
