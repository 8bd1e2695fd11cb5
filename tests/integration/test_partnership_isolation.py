"""Isolation between services enforced by PostgreSQL (issue 16, docs/adr/0060-...): roles log in
for real and the database, not our code, refuses other services' rows."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from transforms.partnership.config import Partnership, Service
from transforms.partnership.isolation import (
    IsolationError, apply_isolation, isolation_problems, isolation_statements, service_roles,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

CITY = Service("city", "Leicester City", ("LEICESTER",), Path("/landing/city"))
COUNTY = Service("county", "Leicestershire", ("LEICESTERSHIRE", "RUTLAND"), Path("/landing/county"))
PARTNERSHIP = Partnership("LLR", (CITY, COUNTY), Path("/landing/police_custody"))

# Minimal tables in the shape the design needs: a service column on every per-service table.
TABLES = """
CREATE TABLE core_child (service text NOT NULL, child_id text, surname text, PRIMARY KEY (service, child_id));
CREATE TABLE mart_offending (service text NOT NULL, quarter text, first_time_entrants integer);
CREATE TABLE quarantine (service text NOT NULL, delivery_id text, reason text, raw_record text);
CREATE TABLE ref_offence_category (code text PRIMARY KEY, label text);
CREATE TABLE match_decision (record_id text, decision text);
INSERT INTO core_child VALUES ('city', 'C1', 'Adeyemi'), ('city', 'C2', 'Brown'), ('county', 'K1', 'Clarke');
INSERT INTO mart_offending VALUES ('city', '2026Q2', 14), ('county', '2026Q2', 9), ('county', '2026Q1', 11);
INSERT INTO quarantine VALUES ('city', 'd1', 'bad date', '{"surname": "Adeyemi"}'), ('county', 'd7', 'unknown code', '{"surname": "Clarke"}');
INSERT INTO ref_offence_category VALUES ('ROBBERY', 'Robbery');
INSERT INTO match_decision VALUES ('K1', 'same');
"""


@pytest.fixture
def warehouse(postgres_url):
    """A warehouse with two services' rows, isolated with roles unique to this test (roles are
    cluster-wide), which are dropped afterwards."""
    prefix = f"yjt{uuid.uuid4().hex[:8]}"
    owner = create_engine(postgres_url)
    with owner.begin() as conn:
        for statement in filter(str.strip, TABLES.split(";")):
            conn.execute(text(statement))
    engines = []

    def login(role: str):
        engine = create_engine(make_url(postgres_url).set(username=role, password=None))
        engines.append(engine)
        return engine

    yield owner, prefix, login
    for engine in engines:
        engine.dispose()
    with owner.begin() as conn:
        for service in PARTNERSHIP.services:
            roles = service_roles(service.id, prefix)
            for role in (roles.analyst, roles.tableau):
                if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                    conn.execute(text(f'DROP OWNED BY "{role}"'))
                    conn.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def refused(engine, sql: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except sqlalchemy.exc.ProgrammingError as exc:
        return "permission denied" in str(exc.orig) or "must be owner" in str(exc.orig)
    return False


def test_a_service_role_reads_only_its_own_children_marts_and_quarantine(warehouse):
    owner, prefix, login = warehouse
    covered = apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    assert covered == ["core_child", "mart_offending", "quarantine"]
    assert isolation_problems(owner, PARTNERSHIP, prefix=prefix) == []
    city = login(service_roles("city", prefix).analyst)
    assert rows(city, "SELECT child_id FROM core_child ORDER BY child_id") == [("C1",), ("C2",)]
    # Asking for the county's rows by name gets nothing, not an error that confirms they exist.
    assert rows(city, "SELECT count(*) FROM core_child WHERE service = 'county'") == [(0,)]
    assert rows(city, "SELECT count(*) FROM core_child WHERE surname = 'Clarke'") == [(0,)]
    assert rows(city, "SELECT service, quarter, first_time_entrants FROM mart_offending") == [("city", "2026Q2", 14)]
    assert rows(city, "SELECT delivery_id FROM quarantine") == [("d1",)]
    assert rows(city, "SELECT label FROM ref_offence_category") == [("Robbery",)]  # shared reference: no child in it
    county = login(service_roles("county", prefix).analyst)
    assert rows(county, "SELECT child_id FROM core_child") == [("K1",)]
    assert rows(county, "SELECT count(*) FROM mart_offending") == [(2,)]
    assert rows(county, "SELECT delivery_id FROM quarantine") == [("d7",)]
    # The owner (the loads) still sees and writes every service's rows.
    assert rows(owner, "SELECT count(*) FROM core_child") == [(3,)]


def test_a_service_role_cannot_write_escape_or_read_unscoped_tables(warehouse):
    owner, prefix, login = warehouse
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    city = login(service_roles("city", prefix).analyst)
    assert refused(city, "INSERT INTO core_child VALUES ('city', 'C9', 'X')")
    assert refused(city, "UPDATE mart_offending SET first_time_entrants = 0")
    assert refused(city, "DELETE FROM quarantine")
    assert refused(city, "ALTER TABLE core_child DISABLE ROW LEVEL SECURITY")
    assert refused(city, f'SET ROLE "{service_roles("county", prefix).analyst}"')
    assert refused(city, "SELECT * FROM match_decision")  # no service column, no grant: nothing
    assert rows(owner, "SELECT count(*) FROM core_child") == [(3,)]


def test_tableau_role_reads_its_own_marts_only(warehouse):
    owner, prefix, login = warehouse
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    tableau = login(service_roles("county", prefix).tableau)
    assert rows(tableau, "SELECT quarter FROM mart_offending ORDER BY quarter") == [("2026Q1",), ("2026Q2",)]
    assert refused(tableau, "SELECT * FROM core_child")
    assert refused(tableau, "SELECT * FROM quarantine")


def test_a_table_added_later_is_reported_then_covered_and_reapplying_changes_nothing(warehouse):
    owner, prefix, login = warehouse
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE mart_remand (service text, remands integer)"))
        conn.execute(text("INSERT INTO mart_remand VALUES ('city', 3), ('county', 5)"))
    assert isolation_problems(owner, PARTNERSHIP, prefix=prefix) == [
        "mart_remand: row-level security is not enabled", "mart_remand: no policy for service city",
        "mart_remand: no policy for service county"]
    city = login(service_roles("city", prefix).analyst)
    assert refused(city, "SELECT * FROM mart_remand")  # not granted until isolated: fails closed
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)  # a rerun changes nothing and does not fail
    assert isolation_problems(owner, PARTNERSHIP, prefix=prefix) == []
    assert rows(city, "SELECT remands FROM mart_remand") == [(3,)]
    with owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_policies WHERE tablename = 'mart_remand'")).scalar() == 2


def test_public_grant_is_a_problem(warehouse):
    owner, prefix, _ = warehouse
    apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    with owner.begin() as conn:
        conn.execute(text("GRANT SELECT ON core_child TO PUBLIC"))
    assert isolation_problems(owner, PARTNERSHIP, prefix=prefix) == ["core_child: PUBLIC can read it"]


def test_unclassified_table_and_sqlite_are_refused(warehouse, tmp_path):
    owner, prefix, _ = warehouse
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (service text)"))
    with pytest.raises(IsolationError, match="table scratch has a 'service' column but its layer is not known"):
        apply_isolation(owner, PARTNERSHIP, prefix=prefix)
    with pytest.raises(IsolationError, match="needs PostgreSQL, not sqlite"):
        apply_isolation(create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}"), PARTNERSHIP)


def test_statements_quote_roles_and_need_identifier_service_ids():
    sql = "\n".join(isolation_statements(PARTNERSHIP, ["core_child"], [], prefix="yj"))
    assert 'CREATE POLICY "yj_city_reads_own_rows" ON "public"."core_child"' in sql
    assert "PASSWORD" not in sql.upper()  # no credential in the code
    with pytest.raises(IsolationError):
        service_roles("city'; DROP TABLE core_child; --")


def test_command_applies_and_checks_the_configured_warehouse(warehouse, postgres_url, tmp_path, monkeypatch, capsys):
    from transforms.partnership.isolation import main

    owner, prefix, login = warehouse
    partnership_file = tmp_path / "partnership.yaml"
    partnership_file.write_text(
        "partnership: LLR\nservices:\n"
        "  - {id: city, name: Leicester City, local_authorities: [LEICESTER], landing: city}\n"
        "  - {id: county, name: Leicestershire, local_authorities: [LEICESTERSHIRE, RUTLAND], landing: county}\n",
        encoding="utf-8")
    monkeypatch.setenv("YJ_PARTNERSHIP_FILE", str(partnership_file))
    monkeypatch.setenv("YJ_WAREHOUSE_URL", postgres_url)
    assert main(["check", "--prefix", prefix]) == 1
    assert "core_child: row-level security is not enabled" in capsys.readouterr().out
    assert main(["apply", "--prefix", prefix]) == 0
    assert "3 tables isolated for 2 services" in capsys.readouterr().out
    assert rows(login(service_roles("county", prefix).analyst), "SELECT child_id FROM core_child") == [("K1",)]
    monkeypatch.setenv("YJ_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert main(["check", "--prefix", prefix]) == 2
    assert "needs PostgreSQL, not sqlite" in capsys.readouterr().err
