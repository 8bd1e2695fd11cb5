"""A warehouse made before issue 17 (audit tables keyed by delivery, not by attempt) is
upgraded on first use, on SQLite and PostgreSQL, in one transaction, keeping its history;
then loads work on it as on a new one. The old shape is written out here by hand, from the
schema as it was (git show 678cc08^:transforms/warehouse/schema.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, Text, inspect, insert, select

from tests.integration.ingest_harness import settings_for
from transforms.ingest.sources import load_case_system
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.migrate import legacy_attempt_id
from transforms.warehouse.schema import audit_delivery, audit_table_count, warehouse_schema_version

pytestmark = pytest.mark.integration
WHEN = dt.datetime(2025, 4, 2, 6, 30, tzinfo=dt.timezone.utc)


def _old_warehouse(engine, started_at_nullable: bool = False) -> None:
    old = MetaData()
    delivery = Table("audit_delivery", old,
                     Column("delivery_id", Text, primary_key=True), Column("source", Text, primary_key=True),
                     Column("supplier", Text), Column("extracted_at", Text),
                     Column("started_at", DateTime(timezone=True), nullable=started_at_nullable),
                     Column("finished_at", DateTime(timezone=True)), Column("outcome", Text, nullable=False),
                     Column("reason", Text), Column("file_hashes", JSON), Column("notes", JSON))
    counts = Table("audit_table_count", old,
                   Column("delivery_id", Text, primary_key=True), Column("source", Text, primary_key=True),
                   Column("table_name", Text, primary_key=True), Column("rows_read", Integer, nullable=False),
                   Column("rows_loaded", Integer, nullable=False), Column("rows_quarantined", Integer, nullable=False))
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(delivery), [
            {"delivery_id": "corepl-20250401", "source": "case_system", "supplier": "corepl",
             "extracted_at": "2025-04-01T22:00:00", "started_at": WHEN, "finished_at": WHEN, "outcome": "LOADED",
             "reason": None, "file_hashes": {"YJ_Children.csv": "ab12"}, "notes": ["an old note"]},
            {"delivery_id": "corepl-20250402", "source": "case_system", "supplier": "corepl",
             "extracted_at": "2025-04-02T22:00:00", "started_at": None if started_at_nullable else WHEN,
             "finished_at": WHEN, "outcome": "REJECTED", "reason": "YJ_Children.csv is empty (0 bytes)",
             "file_hashes": None, "notes": None},
            # The same delivery id for another source: two attempts, not one.
            {"delivery_id": "corepl-20250401", "source": "education", "supplier": None, "extracted_at": None,
             "started_at": WHEN, "finished_at": WHEN, "outcome": "LOADED", "reason": None, "file_hashes": None,
             "notes": None},
        ])
        conn.execute(insert(counts), [
            {"delivery_id": "corepl-20250401", "source": "case_system", "table_name": "child",
             "rows_read": 120, "rows_loaded": 118, "rows_quarantined": 2},
            {"delivery_id": "corepl-20250401", "source": "case_system", "table_name": "episode",
             "rows_read": 300, "rows_loaded": 300, "rows_quarantined": 0},
        ])


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite'}"
    return request.getfixturevalue("postgres_url")


def test_an_old_warehouse_is_upgraded_on_first_use_keeping_its_history(warehouse_url):
    engine = make_engine(warehouse_url)
    _old_warehouse(engine)
    ensure_schema(engine)
    ensure_schema(engine)  # a second use changes nothing
    assert {c["name"] for c in inspect(engine).get_columns("audit_delivery")} >= {"attempt_id", "delivery_id"}
    with engine.connect() as conn:
        deliveries = {(r.source, r.delivery_id): r for r in conn.execute(select(audit_delivery))}
        counts = conn.execute(select(audit_table_count).order_by(audit_table_count.c.table_name)).mappings().all()
        version = conn.execute(select(warehouse_schema_version)).mappings().all()
    assert set(deliveries) == {("case_system", "corepl-20250401"), ("case_system", "corepl-20250402"),
                               ("education", "corepl-20250401")}
    first = deliveries[("case_system", "corepl-20250401")]
    assert first.attempt_id == legacy_attempt_id("case_system", "corepl-20250401")
    assert first.attempt_id != deliveries[("education", "corepl-20250401")].attempt_id
    assert (first.outcome, first.file_hashes, first.notes) == ("LOADED", {"YJ_Children.csv": "ab12"}, ["an old note"])
    assert first.started_at.replace(tzinfo=dt.timezone.utc) == WHEN or first.started_at == WHEN
    assert deliveries[("case_system", "corepl-20250402")].reason == "YJ_Children.csv is empty (0 bytes)"
    assert [(c["attempt_id"], c["table_name"], c["rows_read"], c["rows_quarantined"]) for c in counts] == [
        (first.attempt_id, "child", 120, 2), (first.attempt_id, "episode", 300, 0)]
    assert [(v["component"], v["version"]) for v in version] == [("audit", 2)]
    assert "upgraded from version 1" in version[0]["note"] and "5 row(s) kept" in version[0]["note"]
    engine.dispose()


def test_loads_work_on_an_upgraded_warehouse(tmp_path, sample_dir):
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    engine = make_engine(url)
    _old_warehouse(engine)
    settings = settings_for(tmp_path, sample_dir / "landing").with_overrides(warehouse_url=url)
    report = load_case_system(settings)
    assert report.outcome == "LOADED", report.summary()
    with engine.connect() as conn:
        outcomes = {(r.delivery_id, r.outcome) for r in conn.execute(select(audit_delivery))}
    assert ("corepl-20250402", "REJECTED") in outcomes and (report.delivery_id, "LOADED") in outcomes
    engine.dispose()


def test_an_upgrade_that_fails_leaves_the_old_tables_as_they_were(warehouse_url):
    # An old row the new shape cannot hold (no start time): the whole upgrade is undone.
    engine = make_engine(warehouse_url)
    _old_warehouse(engine, started_at_nullable=True)
    with pytest.raises(Exception):
        ensure_schema(engine)
    inspector = inspect(engine)
    assert "attempt_id" not in {c["name"] for c in inspector.get_columns("audit_delivery")}
    assert "attempt_id" not in {c["name"] for c in inspector.get_columns("audit_table_count")}
    with engine.connect() as conn:
        assert len(conn.execute(select(Table("audit_delivery", MetaData(), autoload_with=conn))).all()) == 3
        assert len(conn.execute(select(Table("audit_table_count", MetaData(), autoload_with=conn))).all()) == 2
    assert not inspector.has_table("warehouse_schema_version")
    engine.dispose()
