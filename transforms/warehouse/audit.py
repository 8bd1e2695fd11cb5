"""The audit record of every load attempt (issue 17): a STARTED row in its own transaction
before any work, finished with the outcome and reconciled counts per table in the publish
transaction (or on its own when nothing is published). A later attempt of the same source
turns a STARTED row left by a killed attempt into ABANDONED."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine

from transforms.warehouse.schema import (
    audit_attempt_row, audit_delivery, audit_report_due, audit_table_count, audit_validation,
)

ABANDONED_REASON = "the attempt stopped without finishing"


def new_attempt_id() -> str:
    return secrets.token_hex(4)


def abandon_stale_attempts(engine: Engine, source: str) -> list[str]:
    """STARTED attempts of ``source`` become ABANDONED; returns their ids (their staging tables
    are dropped by the caller). Runs before a new attempt starts: the warehouse lock of the
    source (production) guarantees no other attempt of it is running."""
    with engine.begin() as conn:
        stale = list(conn.execute(select(audit_delivery.c.attempt_id).where(
            (audit_delivery.c.source == source) & (audit_delivery.c.outcome == "STARTED"))).scalars())
        if stale:
            conn.execute(update(audit_delivery).where(audit_delivery.c.attempt_id.in_(stale)).values(
                outcome="ABANDONED", reason=ABANDONED_REASON, finished_at=dt.datetime.now(dt.timezone.utc)))
    return stale


def start_attempt(engine: Engine, *, attempt_id: str, source: str, delivery_id: str, supplier: str = "",
                  extracted_at: str = "", file_hashes: dict | None = None) -> dt.datetime:
    started = dt.datetime.now(dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(audit_delivery).values(
            attempt_id=attempt_id, delivery_id=delivery_id, source=source, supplier=supplier, extracted_at=extracted_at,
            started_at=started, outcome="STARTED", reason="", file_hashes=file_hashes or {}, notes=[]))
    return started


def finish_attempt(conn: Connection, *, attempt_id: str, outcome: str, reason: str = "", delivery_id: str | None = None,
                   supplier: str | None = None, extracted_at: str | None = None, file_hashes: dict | None = None,
                   notes: list | None = None, counts: dict[str, tuple[int, int, int]] | None = None) -> None:
    """``counts``: table -> (read, loaded, quarantined); they must reconcile when the attempt
    loaded (a rejected one loaded none of what it read: read, 0, failing)."""
    counts = counts or {}
    row = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.source).where(
        audit_delivery.c.attempt_id == attempt_id)).one()
    for table, (read, loaded, held) in counts.items():
        if outcome == "LOADED" and read != loaded + held:
            raise ValueError(f"{row.source} {row.delivery_id} {table}: {read} read != {loaded} loaded + {held} quarantined")
    values = {"outcome": outcome, "reason": reason, "finished_at": dt.datetime.now(dt.timezone.utc)}
    for key, value in (("delivery_id", delivery_id), ("supplier", supplier), ("extracted_at", extracted_at),
                       ("file_hashes", file_hashes), ("notes", notes)):
        if value is not None:
            values[key] = value
    conn.execute(update(audit_delivery).where(audit_delivery.c.attempt_id == attempt_id).values(**values))
    if counts:
        conn.execute(insert(audit_table_count), [
            {"attempt_id": attempt_id, "delivery_id": values.get("delivery_id", row.delivery_id), "source": row.source,
             "table_name": t, "rows_read": r, "rows_loaded": l, "rows_quarantined": q} for t, (r, l, q) in counts.items()])


def record_outcome(engine: Engine, *, source: str, delivery_id: str, outcome: str, reason: str = "", supplier: str = "",
                   extracted_at: str = "", file_hashes: dict | None = None, notes: list | None = None) -> str:
    """An attempt that ends as soon as it starts (NOT_A_DELIVERY, DUPLICATE): one row."""
    attempt_id = new_attempt_id()
    start_attempt(engine, attempt_id=attempt_id, source=source, delivery_id=delivery_id, supplier=supplier,
                  extracted_at=extracted_at, file_hashes=file_hashes)
    with engine.begin() as conn:
        finish_attempt(conn, attempt_id=attempt_id, outcome=outcome, reason=reason, notes=notes or [])
        if outcome == "REJECTED":  # its report (the reason) is written like any other
            conn.execute(insert(audit_report_due).values(attempt_id=attempt_id, source=source))
    return attempt_id


def last_attempt(engine: Engine, source: str, delivery_id: str, outcomes: tuple[str, ...] | None = None):
    """The newest finished attempt of a delivery (optionally with one of ``outcomes``), or None."""
    query = select(audit_delivery).where((audit_delivery.c.delivery_id == delivery_id)
                                         & (audit_delivery.c.source == source))
    if outcomes:
        query = query.where(audit_delivery.c.outcome.in_(outcomes))
    with engine.connect() as conn:
        return conn.execute(query.order_by(audit_delivery.c.started_at.desc()).limit(1)).first()


def audit_outcome(engine: Engine, source: str, delivery_id: str) -> str | None:
    row = last_attempt(engine, source, delivery_id)
    return row.outcome if row else None


def loaded_hashes(engine: Engine, source: str) -> dict[str, str]:
    """sha256 -> delivery id, for every file of a source that was loaded (newest attempt last)."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.file_hashes).where(
            (audit_delivery.c.source == source) & (audit_delivery.c.outcome == "LOADED"))
            .order_by(audit_delivery.c.started_at)).all()
    return {h: d for d, hashes in rows for h in (hashes or {}).values()}


def audited(engine: Engine, source: str, delivery_id: str, file_hashes: dict, outcomes: tuple[str, ...]) -> bool:
    """Whether an attempt of this delivery with exactly these file hashes ended in ``outcomes``."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.file_hashes).where(
            and_(audit_delivery.c.source == source, audit_delivery.c.delivery_id == delivery_id,
                 audit_delivery.c.outcome.in_(outcomes)))).scalars().all()
    return any((h or {}) == file_hashes for h in rows)


def record_attempt_details(conn: Connection, *, attempt_id: str, source: str, rows: list[dict],
                           validations: list[dict]) -> None:
    """What the attempt's report is built from (``audit_attempt_row``, ``audit_validation``),
    and the report marked as due; in the transaction that records the attempt's outcome.
    ``rows``: quarantine rows (``transforms.validation.quarantine_rows``; their raw values are
    not kept here); ``validations``: ``transforms.validation.validation_records``."""
    conn.execute(audit_attempt_row.delete().where(audit_attempt_row.c.attempt_id == attempt_id))
    if rows:
        conn.execute(insert(audit_attempt_row), [
            {"attempt_id": attempt_id, "table_name": r["table_name"], "file_name": r["file_name"],
             "line_number": r["line_number"], "rules": r["rules"], "reason": r["reason"]} for r in rows])
    if validations:
        conn.execute(insert(audit_validation), [{"attempt_id": attempt_id, "seq": i, **v}
                                                for i, v in enumerate(validations, start=1)])
    conn.execute(insert(audit_report_due).values(attempt_id=attempt_id, source=source))


def reports_due(engine: Engine, source: str | None = None) -> list[str]:
    """Attempts whose report files are still to be written (oldest first)."""
    query = select(audit_report_due.c.attempt_id).join(
        audit_delivery, audit_delivery.c.attempt_id == audit_report_due.c.attempt_id)
    if source:
        query = query.where(audit_report_due.c.source == source)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(audit_delivery.c.started_at)).scalars())


def report_written(engine: Engine, attempt_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(audit_report_due.delete().where(audit_report_due.c.attempt_id == attempt_id))
