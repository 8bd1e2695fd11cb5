"""Asset events, run by Airflow: the custody file watch emits one landing event per new file
however many times it looks; a load that publishes nothing emits no event (so it starts no
marts rebuild)."""
from __future__ import annotations

import shutil

import pytest

from tests.conftest import copy_landing
from transforms.custody.watch import files_to_announce

pytestmark = pytest.mark.integration
LANDING = "yj://landing/police_custody"


def test_files_to_announce_hand_written_cases():
    assert files_to_announce([], []) == []
    assert files_to_announce(["custody_20261121_1500.csv", "custody_20261121_0700.csv"], []) == \
        ["custody_20261121_0700.csv", "custody_20261121_1500.csv"]
    assert files_to_announce(["a.csv", "b.csv"], [{"file": "a.csv"}, None, {}, {"other": 1}]) == ["b.csv"]
    assert files_to_announce(["a.csv", "a.csv"], []) == ["a.csv"]
    assert files_to_announce(["a.csv"], [{"file": "a.csv"}, {"file": "a.csv"}]) == []


def _events(uri: str, run_ids: set[str]) -> list[dict]:
    from sqlalchemy import select

    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(select(AssetEvent.extra, AssetEvent.source_run_id).join(
            AssetModel, AssetModel.id == AssetEvent.asset_id).where(
            AssetModel.uri == uri)).all()
    return [extra for extra, run_id in rows if run_id in run_ids]


def test_the_watch_emits_one_event_per_new_file(airflow_db, tmp_path, sample_dir, monkeypatch):
    from yj_airflow.runner import load_dags

    landing = copy_landing(sample_dir, tmp_path / "landing")
    custody = landing / "police_custody"
    files = sorted(custody.glob("custody_*.csv"))
    assert len(files) >= 3
    held_back = tmp_path / "held_back"
    held_back.mkdir()
    for f in files[2:]:
        shutil.move(f, held_back / f.name)
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
                 "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}.items():
        monkeypatch.setenv(k, v)
    watch = load_dags()["custody_file_watch"]

    first = watch.test()
    assert sorted(e["file"] for e in _events(LANDING, {first.run_id})) == [f.name for f in files[:2]]

    # Nothing was loaded yet (no refresh ran): the two files are still there and unloaded,
    # and a third lands. The next look announces the third only.
    shutil.move(held_back / files[2].name, custody / files[2].name)
    second = watch.test()
    assert [e["file"] for e in _events(LANDING, {second.run_id})] == [files[2].name]
    assert len(_events(LANDING, {first.run_id, second.run_id})) == 3


def test_a_load_that_publishes_nothing_emits_no_event(airflow_db, tmp_path, sample_dir, monkeypatch):
    from yj_airflow.runner import load_dags, run_dag

    landing = copy_landing(sample_dir, tmp_path / "landing")
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
                 "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}.items():
        monkeypatch.setenv(k, v)
    dag = load_dags()["case_system_nightly"]
    first, again = run_dag(dag), run_dag(dag)
    assert first["ok"] and again["ok"]
    assert again["tasks"]["load_case_system_delivery"]["result"]["outcome"] == "ALREADY_LOADED"
    from sqlalchemy import select

    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run_ids = session.scalars(select(DagRun.run_id).where(DagRun.dag_id == "case_system_nightly")
                                  .order_by(DagRun.id.desc()).limit(2)).all()
    newest, previous = run_ids
    assert len(_events("yj://warehouse/core/case_system", {previous})) == 1
    assert _events("yj://warehouse/core/case_system", {newest}) == []


def test_identical_custody_bytes_under_two_names_load_once(airflow_db, tmp_path, sample_dir, monkeypatch):
    from sqlalchemy import func, select

    from transforms.custody.load import SOURCE
    from transforms.warehouse.audit import audit_outcome
    from transforms.warehouse.db import make_engine
    from transforms.warehouse.schema import metadata
    from yj_airflow.runner import load_dags, run_dag

    landing = copy_landing(sample_dir, tmp_path / "landing")
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
                 "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": url}.items():
        monkeypatch.setenv(k, v)
    refresh = load_dags()["police_custody_refresh"]
    assert run_dag(refresh)["ok"]
    engine = make_engine(url)
    versions = metadata.tables["core_custody_detention_version"]
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(versions)).scalar_one()
    newest = sorted((landing / "police_custody").glob("custody_*.csv"))[-1]
    copy = newest.with_name("custody_20261122_2359.csv")  # same bytes, another name
    shutil.copy(newest, copy)
    assert run_dag(refresh)["ok"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(versions)).scalar_one() == before
    assert audit_outcome(engine, SOURCE, copy.name) == "DUPLICATE"
