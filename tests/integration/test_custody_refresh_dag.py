"""The twice-daily custody refresh DAG run by Airflow (``dag.test()``) on a two-service
partnership sharing one police feed (issue 16 item 3): each service's warehouse and duty
briefing hold only its own children (checked against the sample's ground truth, made by the
generator, not by the router), the briefing counts the other service's children, the duty
manager gets the area-unknown list, every report lands where its file was loaded, the custody
watch looks at the shared feed, and a second run changes nothing."""
from __future__ import annotations


import pytest
from openpyxl import load_workbook

from tests.integration.helpers import use_partnership_sample
from transforms.custody.briefing import TABLE_ROW
from transforms.custody.load import live_detentions
from transforms.partnership.routing import AREA_UNKNOWN
from transforms.partnership.sample import generate_partnership_landing
from transforms.warehouse.db import make_engine

pytestmark = pytest.mark.integration

SERVICES = ("leicester_city", "leicestershire")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("custody_dag")
    return generate_partnership_landing(out, children_per_service=120, years=2, moved_children=6, custody_days=3, seed=23)


@pytest.fixture
def partnership_env(tmp_path, sample, monkeypatch):
    return use_partnership_sample(tmp_path, sample, monkeypatch)


def _dags():
    from yj_airflow.runner import load_dags

    return load_dags()


def _live(warehouse) -> set[str]:
    engine = make_engine(f"sqlite:///{warehouse}")
    refs = set(live_detentions(engine)["custody_ref"])
    engine.dispose()
    return refs


def _briefing_refs(path) -> set[str]:
    book = load_workbook(path, read_only=True)
    refs = set()
    for sheet in book.worksheets[1:]:
        rows = list(sheet.iter_rows(min_row=TABLE_ROW, values_only=True))
        if len(rows) > 1 and rows[0] and "Custody ref" in rows[0]:
            column = list(rows[0]).index("Custody ref")
            refs |= {r[column] for r in rows[1:] if r[column]}
    return refs


def _summary(path) -> dict:
    sheet = load_workbook(path, read_only=True)["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=TABLE_ROW + 1, values_only=True) if row and row[0]}


def test_custody_refresh_dag_routes_the_shared_feed_to_each_service(airflow_db, partnership_env, sample):
    from yj_airflow import tasks
    from yj_airflow.runner import run_dag

    root = partnership_env
    assert run_dag(_dags()["case_system_nightly"])["ok"]  # each service knows its own children
    feed_files = sorted(p.name for p in (root / "landing" / "police_custody").glob("custody_*.csv"))
    assert feed_files and tasks.unloaded_custody_files() == feed_files  # the watch looks at the shared feed

    result = run_dag(_dags()["police_custody_refresh"])
    assert result["ok"], result
    refresh = result["tasks"]["refresh_custody_and_write_briefing"]["result"]
    assert sorted(refresh["services"]) == list(SERVICES)
    assert {f["file"] for f in refresh["files"] if f["outcome"] == "LOADED"} == set(feed_files)
    assert tasks.unloaded_custody_files() == []  # loaded into the partnership area: nothing left to announce

    truth = sample.routing_truth
    live = {s: _live(root / f"wh.{s}.sqlite") for s in SERVICES}
    area = _live(root / "wh.partnership.sqlite")
    for service_id in SERVICES:
        expected = set(truth.loc[truth["expected_service"] == service_id, "custody_ref"]) & area
        assert live[service_id] == expected, service_id  # every one of its children, no other
        assert expected
        (briefing,) = (root / "output" / service_id / "custody").glob("*/duty_briefing_*.xlsx")
        refs = _briefing_refs(briefing)
        assert refs and refs <= live[service_id]
        other = next(s for s in SERVICES if s != service_id)
        assert _summary(briefing)["Detained in the area, another service's child"] == len(live[other])
    assert refresh["routed"][AREA_UNKNOWN] == len(area & set(truth.loc[truth["expected_routed_by"] == AREA_UNKNOWN,
                                                                      "custody_ref"]))
    # The duty manager's list and the feed's own load reports are in the partnership area's output.
    (unknown_list,) = (root / "output" / "partnership" / "custody").glob("*/area_unknown_*.xlsx")
    assert unknown_list.exists()
    for name in feed_files:
        assert list((root / "output" / "partnership" / "police_custody" / name).glob("quarantine_report_*.xlsx"))
    assert not (root / "output" / "police_custody").exists() and not (root / "output" / "custody").exists()
    assert not (root / "wh.sqlite").exists() or not _live(root / "wh.sqlite")

    # A second refresh with no new file changes nothing anywhere.
    again = run_dag(_dags()["police_custody_refresh"])
    assert again["ok"]
    assert again["tasks"]["refresh_custody_and_write_briefing"]["result"]["files"] == []
    assert {s: _live(root / f"wh.{s}.sqlite") for s in SERVICES} == live
