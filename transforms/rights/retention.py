"""Retention that runs: delete what has passed its rule (``personal_data_inventory.yaml``) from
the warehouse tables, the history, the raw archive and the written outputs.

Kept whatever their age: aggregates (marts, stored and submitted figures, returns and their
submitted copies), the newest archived delivery of each source (it rebuilds the core), and a
return's evidence workbook until its own date. Every run, dry or not, writes one
``audit_rights`` row of counts per place and rule, and nothing else; a dry run deletes nothing
and lists what would go."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, inspect, select, update
from sqlalchemy.engine import Connection

from transforms.rights.inventory import Inventory, load_inventory
from transforms.settings import Settings
from transforms.warehouse.db import ensure_schema
from transforms.warehouse.schema import audit_delivery, core_publication, metadata

CHUNK = 500  # identifiers per IN list: well inside every engine's parameter limit
_DATE_IN_NAME = re.compile(r"(20\d{2})-?(\d{2})-?(\d{2})")
_QUARTER_IN_PATH = re.compile(r"(?:^|/)(\d{4})Q([1-4])(?:/|$)")


@dataclass
class RetentionReport:
    run_id: str
    today: dt.date
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[tuple[str, str, str]] = field(default_factory=list)  # (area, relative path, rule)
    not_in_inventory: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, place: str, rule: str, n: int) -> None:
        if n:
            self.counts.setdefault(place, {})
            self.counts[place][rule] = self.counts[place].get(rule, 0) + int(n)

    def summary(self) -> str:
        rows = sum(n for p, rules in self.counts.items() if not p.startswith(("archive:", "output:")) for n in rules.values())
        verb = "would delete" if self.dry_run else "deleted"
        return (f"retention as at {self.today:%d/%m/%Y}: {verb} {rows:,} row(s) in "
                f"{sum(1 for p in self.counts if not p.startswith(('archive:', 'output:')))} table(s) and "
                f"{len(self.files):,} file(s) ({self.seconds:.1f}s)")

    def lines(self) -> list[str]:
        out = [f"  {place:<40} {rule:<24} {n:>8,}" for place, rules in sorted(self.counts.items()) for rule, n in sorted(rules.items())]
        out += [f"  {'would delete' if self.dry_run else 'deleted'} {area}: {rel} ({rule})" for area, rel, rule in self.files]
        out += [f"  not in the inventory (left alone): {rel}" for rel in self.not_in_inventory]
        return out


def _cutoff(inventory: Inventory, rule: str, today: dt.date) -> dt.datetime | None:
    c = inventory.rules[rule].cutoff(today)
    return None if c is None else dt.datetime.combine(c, dt.time())


def _run(conn: Connection, dry_run: bool, table, where) -> int:
    if dry_run:
        return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar() or 0)
    return int(conn.execute(delete(table).where(where)).rowcount or 0)


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)] or []


def children_past_rule(conn: Connection, inventory: Inventory, today: dt.date) -> list[str]:
    """Case-system children whose record has passed ``case_record``: no open episode, the last
    involvement older than the rule's days, and at least the rule's minimum age."""
    rule = inventory.rules["case_record"]
    if rule.days is None:
        return []
    t = metadata.tables
    children = pd.read_sql_query(select(t["core_child"].c.child_id, t["core_child"].c.date_of_birth), conn)
    if children.empty:
        return []
    episodes = pd.read_sql_query(select(t["core_episode"].c.child_id, t["core_episode"].c.start_date,
                                        t["core_episode"].c.end_date), conn)
    dated = [episodes.assign(day=pd.to_datetime(episodes["end_date"]).fillna(pd.to_datetime(episodes["start_date"])))[["child_id", "day"]]]
    for name, col in (("core_outcome", "outcome_date"), ("core_offence", "offence_date")):
        f = pd.read_sql_query(select(t[name].c.child_id, t[name].c[col]), conn)
        dated.append(pd.DataFrame({"child_id": f["child_id"], "day": pd.to_datetime(f[col])}))
    last = pd.concat(dated).groupby("child_id")["day"].max()
    open_children = set(episodes.loc[episodes["end_date"].isna(), "child_id"])
    dob = pd.to_datetime(children["date_of_birth"])
    old_enough = dob + pd.DateOffset(years=rule.min_age_years or 0) <= pd.Timestamp(today)
    last_day = pd.to_datetime(children["child_id"].map(last.to_dict()).astype(object), errors="coerce")
    passed = last_day.isna() | (last_day + pd.Timedelta(days=rule.days) <= pd.Timestamp(today))
    keep = old_enough & passed & ~children["child_id"].isin(open_children)
    return sorted(children.loc[keep, "child_id"])


RECORD_KEYS = {"core_episode": "episode_id", "core_offence": "offence_id", "core_outcome": "outcome_id",
               "core_assessment": "assessment_id", "core_need": "need_id"}


def children_withdrawn(conn: Connection) -> list[str]:
    """Case-system children the live full delivery no longer holds (a correction at source):
    they have a key from an earlier delivery but no record now. None while nothing is loaded."""
    t = metadata.tables
    if conn.execute(select(t["core_child"].c.child_id).limit(1)).first() is None:
        return []
    key = t["core_child_key"]
    return sorted(conn.execute(select(key.c.child_id).where(key.c.child_id.not_in(select(t["core_child"].c.child_id)))).scalars())


def delete_children(conn: Connection, inventory: Inventory, child_ids: list[str], report: RetentionReport,
                    rule: str, dry_run: bool) -> set[str]:
    """Every row of these case-system children in every place found by child id, and the
    victims of their offences. Returns the keys of every deleted record (the children's ids,
    their episodes', offences'... and victims' ids), to take their rows out of the archive."""
    if not child_ids:
        return set()
    t = metadata.tables
    existing = set(inspect(conn).get_table_names())
    keys: set[str] = set(child_ids)
    offence_ids: list[str] = []
    for name, key in RECORD_KEYS.items():
        for chunk in _chunks(child_ids):
            found = list(conn.execute(select(t[name].c[key]).where(t[name].c.child_id.in_(chunk))).scalars())
            keys |= set(found)
            if name == "core_offence":
                offence_ids += found
    victims = t["core_victim"]
    for chunk in _chunks(offence_ids):
        keys |= set(conn.execute(select(victims.c.victim_id).where(victims.c.offence_id.in_(chunk))).scalars())
        report.add("core_victim", rule, _run(conn, dry_run, victims, victims.c.offence_id.in_(chunk)))
    # Children before parents on PostgreSQL is not needed (no foreign keys); core_child last
    # keeps the rows findable until the end of the transaction.
    for place in sorted(inventory.tables(), key=lambda p: p.place == "core_child"):
        column = place.find.get("child_id")
        if not column or place.place not in existing:
            continue
        table = t[place.place]
        place_rule = rule if place.retention in ("case_record", "alerts") or rule != "case_record" else "follows_record"
        for chunk in _chunks(child_ids):
            report.add(place.place, place_rule, _run(conn, dry_run, table, table.c[column].in_(chunk)))
    return {k for k in keys if k is not None}


def _custody(conn: Connection, inventory: Inventory, today: dt.date, report: RetentionReport, dry_run: bool) -> None:
    t = metadata.tables
    versions, detentions = t["core_custody_detention_version"], t["core_custody_detention"]
    cutoff = _cutoff(inventory, "custody_detention", today)
    if cutoff is not None:
        refs = list(conn.execute(select(detentions.c.custody_ref).where(detentions.c.arrival_datetime < cutoff)).scalars())
        for chunk in _chunks(refs):
            report.add("core_custody_detention_version", "custody_detention",
                       _run(conn, dry_run, versions, versions.c.custody_ref.in_(chunk)))
            report.add("core_custody_detention", "custody_detention",
                       _run(conn, dry_run, detentions, detentions.c.custody_ref.in_(chunk)))
    cutoff = _cutoff(inventory, "custody_version", today)
    if cutoff is not None:
        newer = versions.alias("newer")
        superseded = select(func.max(newer.c.extract_time)).where(newer.c.custody_ref == versions.c.custody_ref).scalar_subquery()
        report.add("core_custody_detention_version", "custody_version",
                   _run(conn, dry_run, versions, and_(versions.c.extract_time < cutoff, versions.c.extract_time < superseded)))


HISTORY_KEYS = {"hist_pupil": ("education", "upn"), "hist_suspension": ("education", "upn"),
                "hist_attendance": ("education", "upn"), "hist_ccis_activity": ("ccis", "ccis_id")}
CORE_SNAPSHOTS = {"education": ("core_pupil", "core_suspension", "core_attendance"), "ccis": ("core_ccis_activity",)}


def _education(conn: Connection, inventory: Inventory, today: dt.date, report: RetentionReport, dry_run: bool) -> None:
    t = metadata.tables
    link = t["core_identity_link"]
    cutoff = _cutoff(inventory, "education_history", today)
    if cutoff is not None:
        for name in HISTORY_KEYS:
            report.add(name, "education_history", _run(conn, dry_run, t[name], t[name].c.snapshot_extracted_at < cutoff))
        # The live snapshot too, once it is itself past the rule (no newer one has come).
        for source, tables in CORE_SNAPSHOTS.items():
            if _live_extracted(conn, source) and _live_extracted(conn, source) < cutoff:
                for name in tables:
                    report.add(name, "education_history", _run(conn, dry_run, t[name], t[name].c[t[name].primary_key.columns[0].name].is_not(None)))
    cutoff = _cutoff(inventory, "education_out_of_scope", today)
    if cutoff is not None:
        for name, (source, key) in HISTORY_KEYS.items():
            linked = select(link.c.record_id).where((link.c.source == source) & link.c.child_id.is_not(None))
            report.add(name, "education_out_of_scope", _run(conn, dry_run, t[name], and_(
                t[name].c.snapshot_extracted_at < cutoff, t[name].c[key].not_in(linked))))


def _live_extracted(conn: Connection, source: str) -> dt.datetime | None:
    delivery = conn.execute(select(core_publication.c.delivery_id).where(core_publication.c.source == source)).scalar()
    if delivery is None:
        return None
    text = conn.execute(select(audit_delivery.c.extracted_at).where(
        (audit_delivery.c.source == source) & (audit_delivery.c.delivery_id == delivery)
        & (audit_delivery.c.outcome == "LOADED"))).scalar()
    try:
        return pd.Timestamp(text).to_pydatetime().replace(tzinfo=None) if text else None
    except ValueError:
        return None


def _quarantine(conn: Connection, inventory: Inventory, today: dt.date, report: RetentionReport, dry_run: bool) -> None:
    """A quarantined row keeps its place, line, rules and reason (the delivery report reads
    them); only its raw values go."""
    cutoff = _cutoff(inventory, "quarantine_raw", today)
    if cutoff is None:
        return
    q = metadata.tables["quarantine"]
    first = (select(audit_delivery.c.source, audit_delivery.c.delivery_id, func.min(audit_delivery.c.started_at).label("at"))
             .group_by(audit_delivery.c.source, audit_delivery.c.delivery_id))
    attempts = {(r.source, r.delivery_id): r.at for r in conn.execute(first).all()}
    rows = conn.execute(select(q.c.id, q.c.source, q.c.delivery_id, q.c.raw_record)).all()
    ids = []
    for r in rows:
        at = attempts.get((r.source, r.delivery_id))
        at = pd.Timestamp(at).to_pydatetime().replace(tzinfo=None) if at is not None else None
        if at is not None and at < cutoff and r.raw_record:
            ids.append(r.id)
    report.add("quarantine", "quarantine_raw", len(ids))
    if not dry_run:
        for chunk in _chunks(ids):
            conn.execute(update(q).where(q.c.id.in_(chunk)).values(raw_record={}))


def _alerts(conn: Connection, inventory: Inventory, today: dt.date, report: RetentionReport, dry_run: bool) -> None:
    cutoff = _cutoff(inventory, "alerts", today)
    if cutoff is not None:
        a = metadata.tables["alert_raised"]
        report.add("alert_raised", "alerts", _run(conn, dry_run, a, a.c.raised_at < cutoff))


RECORD_TABLES = {"case_system": [("core_child", "child_id")], "education": [("core_pupil", "upn"), ("hist_pupil", "upn")],
                 "ccis": [("core_ccis_activity", "ccis_id"), ("hist_ccis_activity", "ccis_id")],
                 "custody": [("core_custody_detention", "custody_ref")]}


def remove_orphans(conn: Connection, report: RetentionReport, dry_run: bool, rule: str = "follows_record") -> None:
    """Links, keys, review pairs and decisions about records or children that no longer exist.
    Matching rebuilds links every run; this keeps them true in between."""
    t = metadata.tables
    children = select(t["core_child"].c.child_id)
    for name in ("core_identity_link", "core_person_key", "core_match_review_pair", "match_decision"):
        table = t[name]
        for source, holders in RECORD_TABLES.items():
            gone = and_(*[table.c.record_id.not_in(select(t[h].c[col])) for h, col in holders])
            report.add(name, rule, _run(conn, dry_run, table, and_(table.c.source == source, gone)))
        if name in ("core_match_review_pair", "match_decision"):
            report.add(name, rule, _run(conn, dry_run, table, table.c.child_id.not_in(children)))
    link = t["core_identity_link"]
    dangling = and_(link.c.child_id.is_not(None), link.c.child_id.not_in(children))
    if dry_run:
        n = conn.execute(select(func.count()).select_from(link).where(dangling)).scalar()
    else:
        n = conn.execute(update(link).where(dangling).values(child_id=None, method="unlinked")).rowcount
    report.add("core_identity_link", f"{rule} (unlinked)", int(n or 0))
    key = t["core_child_key"]
    report.add("core_child_key", rule, _run(conn, dry_run, key, key.c.child_id.not_in(children)))


# --- Files --------------------------------------------------------------------------------------

def _date_of(relative: str, path: Path, delivery_dates: dict[str, dt.datetime]) -> dt.datetime:
    """A file's or folder's date: its delivery's extract time, else a date in its name or
    folder, else its modification time."""
    parts = relative.split("/")
    for part in parts:
        stem = part.split(".")[0]
        if stem in delivery_dates:
            return delivery_dates[stem]
    for part in reversed(parts):
        m = _DATE_IN_NAME.search(part)
        if m:
            try:
                return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
    return dt.datetime.fromtimestamp(path.stat().st_mtime)


def _quarter_end(relative: str) -> dt.datetime | None:
    m = _QUARTER_IN_PATH.search(relative)
    if not m:
        return None
    from transforms.periods import Quarter

    return dt.datetime.combine(Quarter.parse(f"{m[1]}Q{m[2]}").end, dt.time())


def _delivery_dates(engine: Engine) -> dict[str, dt.datetime]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.extracted_at)).all()
    out = {}
    for delivery_id, extracted in rows:
        try:
            if extracted:
                out[delivery_id] = pd.Timestamp(extracted).to_pydatetime().replace(tzinfo=None)
        except ValueError:
            continue
    return out


def archive_entries(root: Path) -> list[Path]:
    """One entry per archived delivery: ``<source>/<delivery>`` folders and files, and the
    partnership's routed custody files one level deeper."""
    entries = []
    if not root.exists():
        return entries
    for source in sorted(p for p in root.iterdir() if p.is_dir()):
        for entry in sorted(source.iterdir()):
            if source.name == "custody_routed" and entry.is_dir():
                entries += sorted(entry.iterdir())
            else:
                entries.append(entry)
    return entries


def _files(settings: Settings, engine: Engine, inventory: Inventory, today: dt.date, report: RetentionReport,
           dry_run: bool, deleted_keys: set[str] | None = None, expired_snapshots: set[str] | None = None) -> None:
    dates = _delivery_dates(engine)
    root = Path(settings.raw_archive_dir)
    by_folder: dict[Path, list[tuple[dt.datetime, Path, str]]] = {}
    for entry in archive_entries(root):
        relative = entry.relative_to(root).as_posix()
        by_folder.setdefault(entry.parent, []).append((_date_of(relative, entry, dates), entry, relative))
    for entries in by_folder.values():
        entries.sort()
        _newest(entries[-1], inventory, report, dry_run, deleted_keys or set(), expired_snapshots or set())
        for when, entry, relative in entries[:-1]:  # the newest of each source is kept: it rebuilds the core
            place = inventory.file_place("archive", relative)
            if place is None:
                report.not_in_inventory.append(f"archive:{relative}")
                continue
            cutoff = _cutoff(inventory, place.retention, today)
            if cutoff is not None and when < cutoff:
                report.files.append(("archive", relative, place.retention))
                report.add(f"archive:{place.place}", place.retention, 1)
                if not dry_run:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    out = Path(settings.output_dir)
    if not out.exists():
        return
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        relative = path.relative_to(out).as_posix()
        place = inventory.file_place("output", relative)
        if place is None:
            report.not_in_inventory.append(f"output:{relative}")
            continue
        cutoff = _cutoff(inventory, place.retention, today)
        if cutoff is None:
            continue
        when = _quarter_end(relative) if place.retention == "return_evidence" else None
        when = when or _date_of(relative, path, dates)
        if when < cutoff:
            report.files.append(("output", relative, place.retention))
            report.add(f"output:{place.place}", place.retention, 1)
            if not dry_run:
                path.unlink()
    if not dry_run:
        for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()


def _newest(newest: tuple[dt.datetime, Path, str], inventory: Inventory, report: RetentionReport, dry_run: bool,
            deleted_keys: set[str], expired_snapshots: set[str]) -> None:
    """The newest archived delivery of a source is kept to rebuild the core, but not with what
    retention just deleted from the core: a snapshot whose live copy passed its rule goes whole,
    and the rows of deleted case records are taken out of the case system's."""
    from transforms.rights.files import remove_rows

    _, entry, relative = newest
    place = inventory.file_place("archive", relative)
    if place is None:
        return
    if place.source in expired_snapshots:
        report.files.append(("archive", relative, "education_history"))
        report.add(f"archive:{place.place}", "education_history", 1)
        if not dry_run:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return
    if place.source != "case_system" or not deleted_keys or dry_run:
        return
    removed = 0
    for path in sorted(entry.rglob("*")) if entry.is_dir() else [entry]:
        if path.is_file() and path.suffix.lower() in (".csv", ".xlsx"):
            removed += remove_rows(path, lambda cells: any(c in deleted_keys for c in cells))
    report.add(f"archive:{place.place}", "case_record (rows)", removed)


def _withdraw_from_files(settings: Settings, inventory: Inventory, child_ids: set[str], child_keys: set[str],
                         report: RetentionReport, dry_run: bool) -> None:
    """A child withdrawn at source leaves every archived delivery (all of them, not only the
    newest) and every output, by their case-system id and pseudonymous key."""
    from transforms.rights.erase import ErasureReport, erase_from_files
    from transforms.rights.find import Subject

    if dry_run:
        report.add("archive and outputs", "supplier_correction (children)", len(child_ids))
        return
    files = ErasureReport("retention")
    erase_from_files(settings, Subject(child_ids=child_ids, child_keys=child_keys), inventory, files)
    for place, n in files.counts.items():
        report.add(place, "supplier_correction (rows)", n)


def _erase_again(settings: Settings, engine: Engine, report: RetentionReport, dry_run: bool) -> None:
    """A child erased before and sent again by the case system is erased again (the erasure
    register), with its dependants recomputed as the first erasure did."""
    from transforms.rights.erase import erase, erased_children_sent_again
    from transforms.rights.find import Request

    again = erased_children_sent_again(engine)
    report.add("erasure_register", "sent again after erasure (children)", len(again))
    if dry_run:
        return
    for child_id in again:
        erase(settings, engine, Request(child_id=child_id), "erasure register (sent again)", "sent_again", "retention",
              recompute_dependants=child_id == again[-1])


def run_retention(settings: Settings, engine: Engine, today: dt.date | None = None, dry_run: bool = False,
                  requested_by: str | None = None) -> RetentionReport:
    """Apply every rule as at ``today`` (default: today in the service's time zone)."""
    from zoneinfo import ZoneInfo

    from transforms.rights.subject_access import finish_audit, start_audit

    started = time.perf_counter()
    ensure_schema(engine)
    today = today or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    inventory = load_inventory()
    run_id = start_audit(engine, "RETENTION_DRY_RUN" if dry_run else "RETENTION", None, requested_by)
    report = RetentionReport(run_id, today, dry_run)
    with engine.begin() as conn:
        deleted = delete_children(conn, inventory, children_past_rule(conn, inventory, today), report, "case_record", dry_run)
        withdrawn = children_withdrawn(conn)
        key_table = metadata.tables["core_child_key"]
        withdrawn_keys = {k for chunk in _chunks(withdrawn) for k in conn.execute(
            select(key_table.c.child_key).where(key_table.c.child_id.in_(chunk))).scalars()}
        delete_children(conn, inventory, withdrawn, report, "supplier_correction", dry_run)
        history_cutoff = _cutoff(inventory, "education_history", today)
        expired = {source for source in CORE_SNAPSHOTS
                   if history_cutoff is not None and (x := _live_extracted(conn, source)) and x < history_cutoff}
        _custody(conn, inventory, today, report, dry_run)
        _education(conn, inventory, today, report, dry_run)
        _quarantine(conn, inventory, today, report, dry_run)
        _alerts(conn, inventory, today, report, dry_run)
        if not dry_run:
            remove_orphans(conn, report, dry_run)
    _files(settings, engine, inventory, today, report, dry_run, deleted, expired)
    _erase_again(settings, engine, report, dry_run)
    if withdrawn:
        _withdraw_from_files(settings, inventory, set(withdrawn), withdrawn_keys, report, dry_run)
    report.seconds = time.perf_counter() - started
    finish_audit(engine, run_id, report.counts, f"as at {today.isoformat()}; {len(report.not_in_inventory)} file(s) not in the inventory")
    return report
