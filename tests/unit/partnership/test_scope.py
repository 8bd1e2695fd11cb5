"""A warehouse and folders per service (transforms/partnership/scope.py, ADR 0062)."""
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from transforms.partnership.config import PartnershipConfigError, load_partnership, parse_partnership
from transforms.partnership.scope import area_warehouse_url, partnership_settings, service_settings, services_with_settings
from transforms.settings import load_settings
from transforms.warehouse.db import ensure_schema, make_engine, warehouse_schema

PARTNERSHIP = """\
partnership: Leicester, Leicestershire and Rutland
services:
  - id: city
    name: Leicester City
    local_authorities: [LEICESTER]
    landing: city
  - id: county
    name: Leicestershire
    local_authorities: [LEICESTERSHIRE, RUTLAND]
    landing: county
"""


@pytest.fixture
def settings(tmp_path):
    return load_settings().with_overrides(
        warehouse_url=f"sqlite:///{tmp_path / 'warehouse.sqlite'}", landing_dir=tmp_path / "landing",
        output_dir=tmp_path / "output", raw_archive_dir=tmp_path / "raw")


def test_the_default_service_runs_on_todays_settings(settings):
    ((service, scoped),) = services_with_settings(settings)
    assert scoped == settings
    assert partnership_settings(settings, load_partnership(settings)) == settings


def test_each_service_has_its_own_warehouse_file_and_folders(settings, tmp_path):
    path = tmp_path / "llr.yaml"
    path.write_text(PARTNERSHIP)
    partnership = parse_partnership(path, settings)
    city = service_settings(settings, partnership.service("city"), partnership)
    assert city.warehouse_url == f"sqlite:///{tmp_path / 'warehouse.city.sqlite'}"
    assert (city.landing_dir, city.output_dir, city.raw_archive_dir) == (
        settings.landing_dir / "city", settings.output_dir / "city", settings.raw_archive_dir / "city")
    assert (city.service_name, city.service_areas) == ("Leicester City", ("LEICESTER",))
    shared = partnership_settings(settings, partnership)
    assert shared.warehouse_url.endswith("warehouse.partnership.sqlite")
    assert shared.service_areas == ("LEICESTER", "LEICESTERSHIRE", "RUTLAND")


def test_a_postgresql_service_is_a_schema_chosen_by_search_path():
    url = area_warehouse_url("postgresql+psycopg://yj:secret@db:5432/yj", "city")
    assert warehouse_schema(url) == "yj_city"
    assert ":secret@" in url  # the loads still log in as the owner
    again = area_warehouse_url(url, "county")  # never two search paths
    assert warehouse_schema(again) == "yj_county" and again.count("search_path") == 1
    assert warehouse_schema("postgresql+psycopg://db/yj") is None


def test_partnership_is_not_a_service_id(settings, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(PARTNERSHIP.replace("id: city", "id: partnership"))
    with pytest.raises(PartnershipConfigError, match=r"services\[0\]\.id.*reserved"):
        parse_partnership(path, settings)


@pytest.mark.integration
def test_service_schemas_are_created_and_kept_apart_on_postgresql(postgres_url):
    engines = [make_engine(area_warehouse_url(postgres_url, area)) for area in ("scopetest_a", "scopetest_b")]
    try:
        for engine in engines:
            ensure_schema(engine)
        with engines[0].begin() as conn:
            conn.execute(text("DELETE FROM audit_delivery"))
            conn.execute(text("INSERT INTO audit_delivery (attempt_id, source, delivery_id, outcome, started_at) "
                              "VALUES ('a1', 'case_system', 'd1', 'LOADED', now())"))
        with engines[1].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_delivery")).scalar() == 0
        assert "audit_delivery" in inspect(engines[1]).get_table_names(schema="yj_scopetest_b")
    finally:
        for engine, area in zip(engines, ("scopetest_a", "scopetest_b")):
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "yj_{area}" CASCADE'))
            engine.dispose()
