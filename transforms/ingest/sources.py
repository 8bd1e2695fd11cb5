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
    CORE_TABLES, EDUCATION_TABLES, child_key, core_board_attendance, ref_looked_after, ref_population,
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
    return _finish(load_case_system_delivery(deliveries[-1], settings, engine), strays)


def load_case_system_delivery(folder: Path, settings: Settings, engine: Engine) -> IngestReport:
    try:
        delivery = read_manifest(folder, settings.mappings_dir)
        verify_files(delivery)
    except DeliveryRejected as exc:
        record_outcome(engine, source=CASE_SYSTEM.name, delivery_id=folder.name, outcome="REJECTED", reason=str(exc))
        exc.report = IngestReport(CASE_SYSTEM.name, folder.name, "REJECTED", str(exc))
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
    stamp, folder = max(snapshots)
    delivery = Delivery(folder=folder, delivery_id=f"education-{folder.name}", supplier=mapping.supplier,
                        extracted_at=stamp, files=[], mapping=mapping)
    wanted = {t.source: t.source for t in mapping.tables.values()}
    try:
        delivery.paths = _match_files(folder, wanted, delivery.notes)
    except DeliveryRejected as exc:
        record_outcome(engine, source=EDUCATION.name, delivery_id=delivery.delivery_id, outcome="REJECTED",
                       reason=str(exc), extracted_at=delivery.extracted_text)
        exc.report = IngestReport(EDUCATION.name, delivery.delivery_id, "REJECTED", str(exc))
        raise
    return _finish(load_snapshot(EDUCATION, delivery, settings, engine), strays)


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
    stamp, path = max(files)
    mapping = _mapping("ccis", settings)
    delivery = Delivery(folder=path.parent, delivery_id=f"ccis-{stamp:%Y%m%d}", supplier=mapping.supplier,
                        extracted_at=stamp, files=[], mapping=mapping,
                        paths={mapping.tables["ccis_activity"].source: path})
    if path.name != f"ccis_activity_{stamp:%Y%m%d}.csv":
        delivery.notes.append(f"{path.name} taken as ccis_activity_{stamp:%Y%m%d}.csv (the name differs only in "
                              f"case or separators)")
    return _finish(load_snapshot(CCIS, delivery, settings, engine), strays)


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
