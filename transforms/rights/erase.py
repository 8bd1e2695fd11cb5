"""Erasure and correction (UK GDPR Arts. 16 and 17): remove one child's records from every
place of the inventory, history and files included, or unlink one record wrongly merged with a
child; then recompute what depends on them (links, marts, every submitted return, which shows
the change on its Revisions sheet: a submitted return is never changed silently).

Only exact matches are erased (the case-system id, linked records, UPN, PNC id, or name and
date of birth together); near matches never are. The audit row holds the request's reference,
who asked, the reason's category and counts per place: no identifier of the child."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, delete, insert, or_, select, update

from transforms.rights.files import remove_rows, subject_test
from transforms.rights.find import Found, Request, Subject, find_records, norm, rows_naming
from transforms.rights.inventory import Inventory, load_inventory
from transforms.rights.subject_access import PACK_FOLDER, finish_audit, start_audit
from transforms.settings import Settings
from transforms.warehouse.db import ensure_schema
from transforms.warehouse.schema import match_decision, metadata

REASONS = ("court_order", "wrong_merge", "never_sent", "rectification", "data_subject_request", "sent_again")
CHUNK = 200


class ErasureRefused(ValueError):
    """An erasure that cannot be made as asked (nothing given, nothing found, a bad reason)."""


@dataclass
class ErasureReport:
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, place: str, n: int) -> None:
        if n:
            self.counts[place] = self.counts.get(place, 0) + int(n)

    def summary(self) -> str:
        rows = sum(v for k, v in self.counts.items() if ":" not in k and not k.startswith("landing"))
        files = sum(v for k, v in self.counts.items() if k.startswith(("archive:", "output:")))
        landing = sum(v for k, v in self.counts.items() if k.startswith("landing"))
        tables = sum(1 for k in self.counts if ":" not in k and not k.startswith("landing"))
        return (f"erasure {self.run_id}: {rows:,} row(s) removed from {tables} "
                f"table(s), {files:,} file row(s) or file(s) removed; recomputed: {', '.join(self.recomputed) or 'nothing'} "
                f"({self.seconds:.1f}s)" + (f"; {landing:,} row(s) still name it in the landing folder, which the "
                                             "platform never changes: clear them with the transfer job" if landing else ""))


def _delete_found(conn, found: Found, report: ErasureReport) -> None:
    for place, rows in found.records.items():
        table = metadata.tables[place]
        if place == "quarantine":
            for ids in _chunks(list(rows["id"])):
                report.add(place, conn.execute(update(table).where(table.c.id.in_(ids)).values(raw_record={})).rowcount)
            continue
        keys = [c.name for c in table.primary_key.columns]
        values = rows[keys].astype(object).where(rows[keys].notna(), None).to_dict(orient="records")
        for part in _chunks(values):
            if len(keys) == 1:
                where = table.c[keys[0]].in_([v[keys[0]] for v in part])
            else:
                where = or_(*[and_(*[table.c[k] == _db_value(table.c[k], v[k]) for k in keys]) for v in part])
            report.add(place, conn.execute(delete(table).where(where)).rowcount)


def _db_value(column, value):
    """A key value read back by pandas, as the column binds it (datetimes and dates)."""
    import sqlalchemy as sa

    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(column.type, sa.Date):
        return pd.Timestamp(value).date()
    return value


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def erase_from_files(settings: Settings, subject: Subject, inventory: Inventory, report: ErasureReport,
                     count_as: str = "") -> None:
    """The child's rows out of every archived delivery and output; a subject access pack about
    the child goes whole (it is all about them)."""
    test = subject_test(subject)
    for area, root in (("archive", Path(settings.raw_archive_dir)), ("output", Path(settings.output_dir))):
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            place = inventory.file_place(area, relative)
            label = f"{area}:{place.place if place else '(not in inventory)'}{count_as}"
            if path.suffix.lower() not in (".csv", ".xlsx", ".html", ".json", ".md", ".pdf"):
                continue
            if area == "output" and relative.startswith(f"{PACK_FOLDER}/"):
                # A pack about the child goes whole, with its PDF and its near-matches file.
                if path.name.endswith("_INTERNAL.xlsx") and "_NEAR_MATCHES_" not in path.name and path.exists() \
                        and file_names_child(path, test):
                    prefix = path.name[:-len("_INTERNAL.xlsx")]
                    for p in list(path.parent.glob(f"{prefix}*")):
                        p.unlink()
                        report.add(label, 1)
                continue
            # Found first with the fast scan subject access uses (read-only workbooks, one regular
            # expression over text files); only a file that names the child is rewritten.
            if path.suffix.lower() == ".pdf" or not rows_naming(path, subject):
                continue
            report.add(label, remove_rows(path, test))


def left_in_landing(settings: Settings, subject: Subject, report: ErasureReport) -> None:
    """The transfer job's landing folder is never changed by the platform (a delivery must keep
    matching its manifest): the rows still naming the child there are counted, for the service
    to clear with the supplier's transfer job."""
    root = Path(settings.landing_dir)
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else ():
        if path.suffix.lower() in (".csv", ".xlsx", ".json"):
            report.add("landing (left: the transfer job's folder)", len(rows_naming(path, subject)))


def file_names_child(path: Path, test) -> bool:
    from transforms.rights.find import _rows_of

    return any(test(cells) for cells in _rows_of(path))


def recompute(settings: Settings, engine: Engine, report: ErasureReport, today: dt.date | None = None) -> None:
    """Links (a full matching run), marts, and every submitted return regenerated so its
    Revisions sheet shows what the erasure changed (the submitted copy and frozen figures stay)."""
    from sqlalchemy import select

    from transforms.kpis.produce import produce_return
    from transforms.marts.build import rebuild_marts
    from transforms.matching.run import run_matching
    from transforms.periods import Quarter
    from transforms.warehouse.schema import kpi_submission

    run_matching(settings)
    report.recomputed.append("links")
    with engine.connect() as conn:
        has_core = conn.execute(select(metadata.tables["core_child"].c.child_id).limit(1)).first() is not None
        quarters = list(conn.execute(select(kpi_submission.c.quarter)).scalars())
    if has_core:
        rebuild_marts(engine, settings.output_dir / "marts", today or dt.date.today(), settings.service_areas)
        report.recomputed.append("marts")
    for code in quarters:
        produce_return(settings, Quarter.parse(code), engine)
        report.recomputed.append(f"return {code} (revisions)")


def identifier_digest(kind: str, value: str) -> str:
    """A keyed hash of one identifier: the register can recognise a child sent again, and
    cannot be read back. Set ``YJ_RIGHTS_KEY`` in production, so the register cannot be tested
    against a list of identifiers by someone holding only the warehouse."""
    import hashlib
    import hmac
    import os

    key = (os.environ.get("YJ_RIGHTS_KEY") or "yj-erasure-register").encode()
    return hmac.new(key, f"{kind}:{norm(value)}".encode(), hashlib.sha256).hexdigest()


REGISTERED = {"child_id": "child_ids", "upn": "upns", "pnc_id": "pnc_ids"}


def register_erasure(conn, subject: Subject, request_ref: str) -> int:
    from transforms.warehouse.schema import rights_erasure_register as register

    now = dt.datetime.now(dt.timezone.utc)
    digests = {identifier_digest(kind, v): kind for kind, attr in REGISTERED.items() for v in getattr(subject, attr) if v}
    known = set(conn.execute(select(register.c.digest).where(register.c.digest.in_(list(digests)))).scalars()) if digests else set()
    new = [{"digest": d, "kind": k, "request_ref": request_ref, "erased_at": now} for d, k in digests.items() if d not in known]
    if new:
        conn.execute(insert(register), new)
    return len(new)


def erased_children_sent_again(engine: Engine) -> list[str]:
    """Case-system children whose id, UPN or PNC id is in the erasure register: a supplier sent
    them again after they were erased."""
    from transforms.warehouse.schema import rights_erasure_register as register

    child = metadata.tables["core_child"]
    with engine.connect() as conn:
        digests = set(conn.execute(select(register.c.digest)).scalars())
        if not digests:
            return []
        rows = conn.execute(select(child.c.child_id, child.c.upn, child.c.pnc_id)).all()
    return sorted({r.child_id for r in rows if any(
        v and identifier_digest(kind, v) in digests for kind, v in (("child_id", r.child_id), ("upn", r.upn), ("pnc_id", r.pnc_id)))})


def erase(settings: Settings, engine: Engine, request: Request, request_ref: str, reason: str,
          requested_by: str | None = None, recompute_dependants: bool = True) -> ErasureReport:
    """Remove every exact record of the child everywhere in the inventory, then recompute."""
    if reason not in REASONS:
        raise ErasureRefused(f"reason must be one of {', '.join(REASONS)}")
    if not request.given():
        raise ErasureRefused("give a case-system child id, a UPN, a PNC id, or first name, last name and date of birth")
    if not request_ref or not request_ref.strip():
        raise ErasureRefused("give the request's reference (court order or the service's log number)")
    started = time.perf_counter()
    ensure_schema(engine)
    inventory = load_inventory()
    found = find_records(engine, request, settings, inventory, with_files=False)
    if not found.records:
        raise ErasureRefused("no record of this child was found (near matches are never erased: confirm them first)")
    run_id = start_audit(engine, "ERASURE", request_ref, requested_by)
    report = ErasureReport(run_id)
    with engine.begin() as conn:
        _delete_found(conn, found, report)
        report.add("rights_erasure_register (keyed hashes)", register_erasure(conn, found.subject, request_ref))
    erase_from_files(settings, found.subject, inventory, report)
    left_in_landing(settings, found.subject, report)
    if recompute_dependants:
        recompute(settings, engine, report)
    report.seconds = time.perf_counter() - started
    finish_audit(engine, run_id, report.counts, f"reason {reason}; recomputed {', '.join(report.recomputed) or 'nothing'}")
    return report


def erase_record(settings: Settings, engine: Engine, source: str, record_id: str, request_ref: str, reason: str,
                 requested_by: str | None = None, recompute_dependants: bool = True) -> ErasureReport:
    """Remove one record that should never have been sent (``custody``, ``education`` or
    ``ccis`` and its id) everywhere it is held, without touching the child it may be linked to;
    then recompute as ``erase`` does."""
    from transforms.rights.find import record_subject

    if reason not in REASONS:
        raise ErasureRefused(f"reason must be one of {', '.join(REASONS)}")
    if source not in ("custody", "education", "ccis"):
        raise ErasureRefused("a record is custody:<custody ref>, education:<UPN> or ccis:<CCIS id>; "
                             "erase a case-system child with --child-id")
    if not request_ref or not request_ref.strip():
        raise ErasureRefused("give the request's reference (court order or the service's log number)")
    started = time.perf_counter()
    ensure_schema(engine)
    inventory = load_inventory()
    subject = record_subject(source, record_id)
    found = find_records(engine, None, settings, inventory, with_files=False, subject=subject)
    if not found.records:
        raise ErasureRefused("no such record was found")
    run_id = start_audit(engine, "ERASURE", request_ref, requested_by)
    report = ErasureReport(run_id)
    with engine.begin() as conn:
        _delete_found(conn, found, report)
    erase_from_files(settings, found.subject, inventory, report)
    left_in_landing(settings, found.subject, report)
    if recompute_dependants:
        recompute(settings, engine, report)
    report.seconds = time.perf_counter() - started
    finish_audit(engine, run_id, report.counts, f"reason {reason}; one {source} record; "
                                                f"recomputed {', '.join(report.recomputed) or 'nothing'}")
    return report


def unlink(settings: Settings, engine: Engine, source: str, record_id: str, child_id: str, request_ref: str,
           requested_by: str | None = None, recompute_dependants: bool = True) -> ErasureReport:
    """Correct a wrongly merged identity: record that ``source``/``record_id`` is NOT the child
    (a reviewer's decision, kept across reloads), drop the link, and re-match."""
    from sqlalchemy import select

    ensure_schema(engine)
    started = time.perf_counter()
    link = metadata.tables["core_identity_link"]
    with engine.connect() as conn:
        row = conn.execute(select(link.c.child_id).where((link.c.source == source) & (link.c.record_id == record_id))).first()
    if row is None or row.child_id != child_id:
        raise ErasureRefused("that record is not linked to that child")
    run_id = start_audit(engine, "CORRECTION", request_ref, requested_by)
    report = ErasureReport(run_id)
    now = dt.datetime.now()
    with engine.begin() as conn:
        conn.execute(delete(match_decision).where((match_decision.c.source == source) & (match_decision.c.record_id == record_id)
                                                  & (match_decision.c.child_id == child_id)))
        conn.execute(insert(match_decision).values(source=source, record_id=record_id, child_id=child_id, decision="not_same",
                                                   reviewer=requested_by, decided_on=now.date().isoformat(),
                                                   imported_from=f"yj erase --unlink ({request_ref})", imported_at=now))
        report.add("match_decision", 1)
        report.add("core_identity_link", conn.execute(delete(link).where((link.c.source == source) & (link.c.record_id == record_id))).rowcount)
        alerts = metadata.tables["alert_raised"]
        # Alerts raised for the child from the other record were about someone else.
        if source in ("education", "ccis"):
            report.add("alert_raised", conn.execute(delete(alerts).where(alerts.c.child_id == child_id)).rowcount)
    if recompute_dependants:
        recompute(settings, engine, report)
    report.seconds = time.perf_counter() - started
    finish_audit(engine, run_id, report.counts, f"unlinked one {source} record; recomputed {', '.join(report.recomputed)}")
    return report


__all__ = ["erase", "erase_record", "unlink", "ErasureReport", "ErasureRefused", "REASONS"]
