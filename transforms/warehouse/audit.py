"""The audit record every load writes: one row per delivery (or file) and its reconciled
counts per table. Re-writing a delivery's audit replaces it, so a re-run never doubles it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine

from transforms.warehouse.schema import audit_delivery, audit_table_count


def write_audit(conn: Connection, *, source: str, delivery_id: str, supplier: str, extracted_at: str,
                started: dt.datetime, outcome: str, reason: str, file_hashes: dict, notes: list,
                counts: dict[str, tuple[int, int, int]]) -> None:
    """``counts``: table -> (read, loaded, quarantined); they must reconcile."""
    for table, (read, loaded, held) in counts.items():
        if read != loaded + held:
            raise ValueError(f"{source} {delivery_id} {table}: {read} read != {loaded} loaded + {held} quarantined")
    key = (audit_delivery.c.delivery_id == delivery_id) & (audit_delivery.c.source == source)
    conn.execute(delete(audit_delivery).where(key))
    conn.execute(delete(audit_table_count).where((audit_table_count.c.delivery_id == delivery_id)
                                                 & (audit_table_count.c.source == source)))
    conn.execute(insert(audit_delivery).values(
        delivery_id=delivery_id, source=source, supplier=supplier, extracted_at=extracted_at, started_at=started,
        finished_at=dt.datetime.now(dt.timezone.utc), outcome=outcome, reason=reason, file_hashes=file_hashes,
        notes=notes))
    if counts:
        conn.execute(insert(audit_table_count), [
            {"delivery_id": delivery_id, "source": source, "table_name": t, "rows_read": r, "rows_loaded": l,
             "rows_quarantined": q} for t, (r, l, q) in counts.items()])


def audit_outcome(engine: Engine, source: str, delivery_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(audit_delivery.c.outcome).where(
            (audit_delivery.c.delivery_id == delivery_id) & (audit_delivery.c.source == source))).scalar_one_or_none()


def loaded_hashes(engine: Engine, source: str) -> dict[str, str]:
    """sha256 -> delivery id, for every delivery of a source that was loaded."""
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.delivery_id, audit_delivery.c.file_hashes).where(
            (audit_delivery.c.source == source) & (audit_delivery.c.outcome == "LOADED"))).all()
    return {h: d for d, hashes in rows for h in (hashes or {}).values()}
