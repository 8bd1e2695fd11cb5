"""Per-service work fanned out by Airflow (issue 16 item 6, ADR 0063): the DAGs run by
``dag.test()`` on the two-service partnership sample map their work over the services; each
service's warehouse and outputs hold its own children only and equal a one-service run of the
same service; one service's rejected delivery does not stop the other; the partnership board
pack compares the two from their own stored figures."""
from __future__ import annotations

import json
import shutil

import pytest

from tests.integration.helpers import core_snapshot, use_partnership_sample
from transforms.partnership.sample import generate_partnership_landing
from transforms.sample import defects

pytestmark = pytest.mark.integration

SERVICES = ("leicester_city", "leicestershire")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("fanout")
    return generate_partnership_landing(out, children_per_service=150, years=2, moved_children=6, custody_days=2, seed=5)


@pytest.fixture
def partnership_env(tmp_path, sample, monkeypatch):
    return use_partnership_sample(tmp_path, sample, monkeypatch)


def _dags():
    from yj_airflow.runner import load_dags

    return load_dags()


def _single_service_env(monkeypatch, root, sample, service_id):
    """Today's one-service setup for one of the sample's services: its landing folder, name and
    areas, no partnership file."""
    from transforms.partnership.sample import LEICESTER_LEICESTERSHIRE_RUTLAND

    service = LEICESTER_LEICESTERSHIRE_RUTLAND.service(service_id)
    landing = root / "landing"
    shutil.copytree(sample.root / "landing" / service_id, landing)
    monkeypatch.delenv("YJ_PARTNERSHIP_FILE", raising=False)
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(root / "output"),
                 "YJ_RAW_ARCHIVE_DIR": str(root / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{root / 'wh.sqlite'}",
                 "YJ_SERVICE_NAME": service.name, "YJ_SERVICE_AREAS": ",".join(service.local_authorities)}.items():
        monkeypatch.setenv(k, v)


def _without_load_times(tables):
    # Load and attempt times differ between two runs; every other value must not.
    return {name: frame.drop(columns=[c for c in frame.columns if c.endswith("_at") or c == "attempt_id"])
            for name, frame in tables.items()}


def test_each_service_gets_its_own_children_and_equals_a_one_service_run(airflow_db, partnership_env, sample,
                                                                         monkeypatch, tmp_path_factory):
    from yj_airflow.runner import run_dag

    root = partnership_env
    result = run_dag(_dags()["case_system_nightly"])
    assert result["ok"], result
    assert sorted(result["services"]) == list(SERVICES)  # one mapped instance per service, named by it
    for service_id in SERVICES:
        load = result["tasks"][f"load_case_system_delivery[{service_id}]"]
        assert load["state"] == "success" and load["result"]["outcome"] == "LOADED"
        children = core_snapshot(f"sqlite:///{root / f'wh.{service_id}.sqlite'}")["child"]
        assert sorted(children["child_id"]) == sorted(sample.tables[service_id]["child"]["child_id"].astype(str))
        assert (root / "output" / service_id / "core_inventory.json").exists()
    assert not (root / "wh.sqlite").exists()  # nothing landed in the configured warehouse itself
    assert run_dag(_dags()["marts_rebuild"])["ok"]

    # The same service alone, as a one-service install runs it today.
    alone = tmp_path_factory.mktemp("alone")
    _single_service_env(monkeypatch, alone, sample, "leicestershire")
    single = run_dag(_dags()["case_system_nightly"])
    assert single["ok"] and list(single["services"]) == ["leicestershire"]
    assert single["tasks"]["load_case_system_delivery"]["result"]["outcome"] == "LOADED"
    assert run_dag(_dags()["marts_rebuild"])["ok"]
    fanned = _without_load_times(core_snapshot(f"sqlite:///{root / 'wh.leicestershire.sqlite'}"))
    one = _without_load_times(core_snapshot(f"sqlite:///{alone / 'wh.sqlite'}"))
    assert fanned.keys() == one.keys()
    for name in one:
        assert fanned[name].equals(one[name]), name
    inventory = lambda folder: {k: v for k, v in json.loads((folder / "core_inventory.json").read_text()).items()  # noqa: E731
                                if "at" not in k}
    assert inventory(root / "output" / "leicestershire") == inventory(alone / "output")
    fanned_marts = sorted(p.name for p in (root / "output" / "leicestershire" / "marts").glob("*.csv"))
    assert fanned_marts and fanned_marts == sorted(p.name for p in (alone / "output" / "marts").glob("*.csv"))
    for name in fanned_marts:
        assert _mart_by_child(root / "output" / "leicestershire" / "marts" / name, root / "wh.leicestershire.sqlite").equals(
            _mart_by_child(alone / "output" / "marts" / name, alone / "wh.sqlite")), name


def _mart_by_child(csv, warehouse):
    """A mart extract with the pseudonymous person key (random per warehouse, by design) read
    back to the child id through that warehouse's key table, so two warehouses compare."""
    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if "person_key" in frame.columns:
        keys = pd.read_sql_table("core_child_key", create_engine(f"sqlite:///{warehouse}"))
        frame["person_key"] = frame["person_key"].map(dict(zip(keys["child_key"], keys["child_id"]))).fillna(frame["person_key"])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_one_services_rejected_delivery_does_not_stop_the_other(airflow_db, partnership_env, sample):
    from yj_airflow.runner import run_dag

    root = partnership_env
    (delivery,) = (root / "landing" / "leicester_city" / "case_system").iterdir()
    defects.truncate_file(delivery / "YJ_Children.csv")
    result = run_dag(_dags()["case_system_nightly"])
    assert not result["ok"]  # the run says something failed
    city, county = result["services"]["leicester_city"], result["services"]["leicestershire"]
    assert city["load_case_system_delivery"]["state"] == "failed"
    assert city["write_core_inventory"]["state"] == "upstream_failed"
    assert county["load_case_system_delivery"]["state"] == "success"
    assert county["write_core_inventory"]["state"] == "success"
    assert len(core_snapshot(f"sqlite:///{root / 'wh.leicestershire.sqlite'}")["child"]) == len(
        sample.tables["leicestershire"]["child"])
    assert core_snapshot(f"sqlite:///{root / 'wh.leicester_city.sqlite'}")["child"].empty

def test_quarterly_return_per_service_and_the_partnership_board_pack(airflow_db, partnership_env):
    from yj_airflow.runner import run_dag

    root = partnership_env
    assert run_dag(_dags()["case_system_nightly"])["ok"]
    result = run_dag(_dags()["yjb_kpi_quarterly"], {"quarter": "2026Q1"})
    assert result["ok"], result
    for service_id in SERVICES:
        produced = result["services"][service_id]["produce_kpi_return"]["result"]
        assert all(f"/output/{service_id}/kpi/" in p for p in produced["outputs"])
        (pack,) = (root / "output" / service_id / "board_pack").glob("board_pack_*.html")
    partnership = result["tasks"]["write_partnership_board_pack"]["result"]
    assert partnership["not_compared"] == []
    (page,) = (root / "output" / "partnership" / "board_pack").glob("partnership_board_pack_*.html")
    text = page.read_text()
    assert "Leicester City" in text and "Leicestershire" in text
    # Each column prints what that service's own pack prints for the same cell (same figures,
    # same suppression); cells appear in the services' order along each row.
    import re

    cell = re.compile(r"data-cell=['\"](fig\|[^'\"]+)['\"]>([^<]+)<")
    compared = {}
    for key, shown in cell.findall(text):
        compared.setdefault(key, []).append(shown)
    assert compared and all(len(v) == len(SERVICES) for v in compared.values())
    for i, service_id in enumerate(SERVICES):
        (own,) = (root / "output" / service_id / "board_pack").glob("board_pack_*.html")
        own_cells = dict(cell.findall(own.read_text()))
        for key, shown in compared.items():
            assert shown[i] == own_cells[key], (service_id, key)
