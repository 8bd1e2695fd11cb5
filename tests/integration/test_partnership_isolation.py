"""Isolation between services enforced by PostgreSQL (issue 16, docs/adr/0062-...): two services'
deliveries are loaded by the real case-system load and mart build into their own schemas, then
each role logs in for real and the database, not our code, refuses the other service's children,
marts and quarantine rows, and every write."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import make_settings
from transforms.partnership.config import Partnership, Service
from transforms.partnership.isolation import (
    IsolationError, apply_isolation, isolation_problems, isolation_statements, partnership_reader_role,
    service_roles,
)
from transforms.partnership.sample import LEICESTER_LEICESTERSHIRE_RUTLAND, generate_partnership_landing
from transforms.partnership.scope import partnership_settings, service_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory):
    """The two-service sample, each service's delivery rewritten with one child whose date of
    birth is not a date (a quarantined row carrying that service's child)."""
    from transforms.ingest.mapping import load_mapping
    from transforms.sample.writers import write_delivery

    out = tmp_path_factory.mktemp("isolation")
    sample = generate_partnership_landing(out / "generated", children_per_service=40, years=1, moved_children=3,
                                          custody_days=1, seed=11)
    partnership = Partnership(LEICESTER_LEICESTERSHIRE_RUTLAND.name, tuple(
        replace(s, landing_dir=out / "landing" / s.id) for s in LEICESTER_LEICESTERSHIRE_RUTLAND.services),
        out / "landing" / "police_custody", source=sample.partnership_file)
    bad_surname = {}
    for service in partnership.services:
        mapping = load_mapping(service.case_system)
        dob, surname = (mapping.tables["child"].columns[c] for c in ("date_of_birth", "last_name"))

        def corrupt(table, frame, service_id=service.id):
            if table == "child":
                frame.loc[frame.index[0], dob] = "not a date"
                bad_surname[service_id] = frame.loc[frame.index[0], surname]
            return frame

        write_delivery(sample.tables[service.id], service.landing_dir / "case_system" / f"{service.case_system}-20261120",
                       service.case_system, f"{service.case_system}-20261120", dt.datetime(2026, 11, 20, 1, 30), corrupt)
    return out, partnership, sample, bad_surname


def _create_database(admin_url: str, name: str, template: str | None = None) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def loaded_template(postgres_server, deliveries, tmp_path_factory):
    """A database holding both services, loaded into their schemas (``yj_leicester_city``,
    ``yj_leicestershire``) by the real case-system load and mart build, once; each test gets a
    copy (CREATE DATABASE ... TEMPLATE)."""
    from transforms.ingest.sources import load_case_system_delivery
    from transforms.marts.build import rebuild_marts
    from transforms.warehouse.db import ensure_schema

    out, partnership, sample, bad_surname = deliveries
    name = f"yj_test_iso_{uuid.uuid4().hex[:8]}"
    url = _create_database(postgres_server, name)
    base = make_settings(tmp_path_factory.mktemp("outputs"), out / "landing", url)
    for service in partnership.services:
        settings = service_settings(base, service, partnership)
        engine = create_engine(settings.warehouse_url)
        ensure_schema(engine)
        (delivery,) = (service.landing_dir / "case_system").iterdir()
        assert load_case_system_delivery(delivery, settings, engine).outcome == "LOADED"
        rebuild_marts(engine, settings.output_dir / "extracts", AS_OF, settings.service_areas)
        engine.dispose()
    yield name
    _drop_database(postgres_server, name)


@pytest.fixture
def warehouse(postgres_server, loaded_template, deliveries, tmp_path):
    """A copy of the loaded warehouse; roles unique to this test (roles are cluster-wide),
    dropped afterwards."""
    out, partnership, sample, bad_surname = deliveries
    name = f"yj_test_{uuid.uuid4().hex[:10]}"
    postgres_url = _create_database(postgres_server, name, template=loaded_template)
    base = make_settings(tmp_path, out / "landing", postgres_url)
    prefix = f"yjt{uuid.uuid4().hex[:8]}"
    owner = create_engine(postgres_url)
    engines = []

    def login(role: str):
        engine = create_engine(make_url(postgres_url).set(username=role, password=None))
        engines.append(engine)
        return engine

    yield owner, prefix, login, partnership, bad_surname, base
    for engine in engines:
        engine.dispose()
    with owner.begin() as conn:
        for role in [r for s in partnership.services for r in vars(service_roles(s.id, prefix)).values()] + [partnership_reader_role(prefix)]:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()
    _drop_database(postgres_server, name)


def rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def refused(engine, sql: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except sqlalchemy.exc.ProgrammingError as exc:
        return "permission denied" in str(exc.orig) or "must be owner" in str(exc.orig)
    return False


CITY, COUNTY = "yj_leicester_city", "yj_leicestershire"


def test_each_analyst_reads_its_own_services_children_marts_and_quarantine_only(warehouse):
    owner, prefix, login, partnership, bad_surname, _ = warehouse
    apply_isolation(owner, partnership, prefix=prefix)
    assert isolation_problems(owner, partnership, prefix=prefix) == []
    city = login(service_roles("leicester_city", prefix).analyst)
    # Its own schema, unqualified (the role's search_path), equals what the load wrote.
    assert rows(city, "SELECT count(*) FROM core_child") == rows(owner, f"SELECT count(*) FROM {CITY}.core_child")
    assert rows(city, "SELECT count(*) FROM core_child")[0][0] > 30
    assert rows(city, "SELECT count(*) FROM quarantine WHERE table_name = 'child'")[0][0] >= 1
    assert rows(city, "SELECT count(*) FROM mart_cohort")[0][0] > 0
    # The county's children, marts and quarantine rows: refused by the database, whichever way asked.
    for table in ("core_child", "mart_cohort", "quarantine", "audit_delivery", "core_child_key"):
        assert refused(city, f"SELECT * FROM {COUNTY}.{table}"), table
    county_quarantine = rows(owner, f"SELECT count(*) FROM {COUNTY}.quarantine WHERE raw_record::text LIKE :s",
                             s=f"%{bad_surname['leicestershire']}%")
    assert county_quarantine[0][0] >= 1  # the row exists; the city's analyst cannot see it
    # Pointing its search_path at the county's schema finds nothing there: no usage, no table.
    with pytest.raises(sqlalchemy.exc.ProgrammingError, match='relation "quarantine" does not exist'):
        rows(city, f"SET search_path = {COUNTY}; SELECT * FROM quarantine")
    county = login(service_roles("leicestershire", prefix).analyst)
    assert rows(county, "SELECT count(*) FROM core_child") == rows(owner, f"SELECT count(*) FROM {COUNTY}.core_child")
    assert refused(county, f"SELECT * FROM {CITY}.core_child")
    assert refused(county, f"SELECT * FROM {CITY}.quarantine")


def test_no_role_can_write_escape_or_read_the_shared_areas(warehouse):
    owner, prefix, login, partnership, _, base = warehouse
    from transforms.warehouse.db import ensure_schema

    shared = create_engine(partnership_settings(base, partnership).warehouse_url)
    ensure_schema(shared)  # the custody feed's area, with its tables
    shared.dispose()
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE public.leftover (child_id text)"))
        conn.execute(text("INSERT INTO public.leftover VALUES ('C1')"))
    apply_isolation(owner, partnership, prefix=prefix)
    city = login(service_roles("leicester_city", prefix).analyst)
    before = rows(owner, f"SELECT count(*) FROM {CITY}.core_child")
    assert refused(city, "DELETE FROM core_child")
    assert refused(city, "UPDATE mart_cohort SET stage = 'x'")
    assert refused(city, "INSERT INTO quarantine (table_name) VALUES ('child')")
    assert refused(city, "TRUNCATE core_child")
    assert refused(city, "DROP TABLE core_child")
    assert refused(city, f"CREATE TABLE {CITY}.mine (x int)")
    assert refused(city, f'SET ROLE "{service_roles("leicestershire", prefix).analyst}"')
    assert refused(city, "SELECT * FROM yj_partnership.core_custody_detention")
    assert refused(city, "SELECT * FROM public.leftover")
    assert rows(owner, f"SELECT count(*) FROM {CITY}.core_child") == before
    reader = login(partnership_reader_role(prefix))
    assert refused(reader, "INSERT INTO yj_leicester_city.mart_cohort DEFAULT VALUES")
    assert refused(reader, "SELECT * FROM yj_partnership.core_custody_detention")


def test_tableau_reads_its_own_marts_and_the_reader_every_services_marts_only(warehouse):
    owner, prefix, login, partnership, _, _ = warehouse
    apply_isolation(owner, partnership, prefix=prefix)
    tableau = login(service_roles("leicestershire", prefix).tableau)
    assert rows(tableau, "SELECT count(*) FROM mart_cohort") == rows(owner, f"SELECT count(*) FROM {COUNTY}.mart_cohort")
    assert refused(tableau, "SELECT * FROM core_child")
    assert refused(tableau, "SELECT * FROM quarantine")
    assert refused(tableau, f"SELECT * FROM {CITY}.mart_cohort")
    reader = login(partnership_reader_role(prefix))
    for schema in (CITY, COUNTY):
        assert rows(reader, f"SELECT count(*) FROM {schema}.mart_cohort") == rows(owner, f"SELECT count(*) FROM {schema}.mart_cohort")
        assert refused(reader, f"SELECT * FROM {schema}.core_child")
        assert refused(reader, f"SELECT * FROM {schema}.quarantine")


def test_tables_created_later_readable_by_the_analyst_marts_reported_until_reapplied(warehouse):
    owner, prefix, login, partnership, _, _ = warehouse
    apply_isolation(owner, partnership, prefix=prefix)
    with owner.begin() as conn:
        conn.execute(text(f"CREATE TABLE {CITY}.core_new (child_id text)"))
        conn.execute(text(f"INSERT INTO {CITY}.core_new VALUES ('C1')"))
        conn.execute(text(f"CREATE TABLE {CITY}.mart_remand (remands integer)"))
        conn.execute(text(f"INSERT INTO {CITY}.mart_remand VALUES (3)"))
    city = login(service_roles("leicester_city", prefix).analyst)
    assert rows(city, "SELECT child_id FROM core_new") == [("C1",)]  # default privileges: no second step
    assert refused(login(service_roles("leicestershire", prefix).analyst), f"SELECT * FROM {CITY}.core_new")
    tableau_role = service_roles("leicester_city", prefix).tableau
    assert isolation_problems(owner, partnership, prefix=prefix) == [
        f"{CITY}.mart_remand: {tableau_role} cannot read it",
        f"{CITY}.mart_remand: {partnership_reader_role(prefix)} cannot read it"]
    assert refused(login(tableau_role), "SELECT * FROM mart_remand")  # fails closed until applied
    apply_isolation(owner, partnership, prefix=prefix)
    apply_isolation(owner, partnership, prefix=prefix)  # a rerun changes nothing and does not fail
    assert isolation_problems(owner, partnership, prefix=prefix) == []
    assert rows(login(tableau_role), "SELECT remands FROM mart_remand") == [(3,)]


def test_a_grant_by_hand_or_to_public_is_a_problem(warehouse):
    owner, prefix, _, partnership, _, _ = warehouse
    apply_isolation(owner, partnership, prefix=prefix)
    county_analyst = service_roles("leicestershire", prefix).analyst
    with owner.begin() as conn:
        conn.execute(text(f'GRANT USAGE ON SCHEMA {CITY} TO "{county_analyst}"'))
        conn.execute(text(f'GRANT SELECT ON {CITY}.core_child TO "{county_analyst}"'))
        conn.execute(text(f"GRANT INSERT ON {COUNTY}.mart_cohort TO \"{service_roles('leicestershire', prefix).tableau}\""))
        conn.execute(text("CREATE TABLE public.leftover (child_id text)"))
        conn.execute(text("GRANT SELECT ON public.leftover TO PUBLIC"))
    problems = isolation_problems(owner, partnership, prefix=prefix)
    assert f"{CITY}.core_child: {county_analyst} can read it" in problems
    assert f"{COUNTY}.mart_cohort: {service_roles('leicestershire', prefix).tableau} can insert" in problems
    assert "public.leftover: PUBLIC can read it" in problems


def test_sqlite_is_refused_and_names_must_be_identifiers(tmp_path):
    with pytest.raises(IsolationError, match="needs PostgreSQL, not sqlite"):
        apply_isolation(create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}"), LEICESTER_LEICESTERSHIRE_RUTLAND)
    with pytest.raises(IsolationError):
        service_roles("city'; DROP TABLE core_child; --")
    sql = "\n".join(isolation_statements(LEICESTER_LEICESTERSHIRE_RUTLAND, [(CITY, "mart_cohort")], prefix="yj"))
    assert 'GRANT SELECT ON "yj_leicester_city"."mart_cohort" TO "yj_leicester_city_tableau", "yj_partnership_reader"' in sql
    assert "PASSWORD" not in sql.upper()  # no credential in the code


def test_command_applies_and_checks_the_configured_warehouse(warehouse, tmp_path, monkeypatch, capsys):
    from transforms.partnership.isolation import main

    owner, prefix, login, partnership, _, _ = warehouse
    postgres_url = owner.url.render_as_string(hide_password=False)
    partnership_file = tmp_path / "partnership.yaml"
    partnership_file.write_text(
        "partnership: LLR\nservices:\n"
        "  - {id: leicester_city, name: Leicester City, local_authorities: [LEICESTER], landing: leicester_city}\n"
        "  - {id: leicestershire, name: Leicestershire, local_authorities: [LEICESTERSHIRE, RUTLAND], landing: leicestershire}\n",
        encoding="utf-8")
    monkeypatch.setenv("YJ_PARTNERSHIP_FILE", str(partnership_file))
    monkeypatch.setenv("YJ_WAREHOUSE_URL", postgres_url)
    assert main(["check", "--prefix", prefix]) == 1
    assert f"role {service_roles('leicester_city', prefix).analyst} does not exist" in capsys.readouterr().out
    assert main(["apply", "--prefix", prefix]) == 0
    assert "2 services isolated in 3 schemas" in capsys.readouterr().out
    county = login(service_roles("leicestershire", prefix).analyst)
    assert rows(county, "SELECT count(*) FROM core_child")[0][0] > 30
    monkeypatch.setenv("YJ_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert main(["check", "--prefix", prefix]) == 2
    assert "needs PostgreSQL, not sqlite" in capsys.readouterr().err
