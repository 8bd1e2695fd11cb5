"""DAGs run by Airflow itself (``dag.test()``) against the embedded warehouse and PostgreSQL,
and the whole chain as ``yj run`` runs it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import copy_landing
from tests.integration.helpers import audit_rows, core_snapshot, derive_delivery
from transforms.sample import defects

pytestmark = pytest.mark.integration


def _dags():
    from yj_airflow.runner import load_dags

    return load_dags()


def test_case_system_dag_loads_a_delivery(airflow_db, yj_env, tmp_path):
    from yj_airflow.runner import run_dag

    result = run_dag(_dags()["case_system_nightly"])
    assert result["ok"], result
    assert result["tasks"]["load_case_system_delivery"]["state"] == "success"
    summary = result["tasks"]["load_case_system_delivery"]["result"]
    assert summary["outcome"] == "LOADED" and summary["counts"]["child"]["loaded"] == 300
    docs = tmp_path / "output" / "data_docs" / "case_system" / summary["delivery_id"]
    assert len(list(docs.glob("*/index.html"))) == 1  # one attempt, one Data Docs folder
    assert (tmp_path / "output" / "core_inventory.json").exists()


def test_case_system_dag_fails_loudly_on_a_rejected_delivery_and_keeps_live_data(airflow_db, yj_env, tmp_path):
    from yj_airflow.runner import run_dag

    assert run_dag(_dags()["case_system_nightly"])["ok"]
    before = core_snapshot(yj_env["YJ_WAREHOUSE_URL"])
    folder = derive_delivery(tmp_path / "landing", "broken")
    defects.truncate_file(folder / "YJ_Children.csv")
    result = run_dag(_dags()["case_system_nightly"])
    assert not result["ok"]
    assert result["tasks"]["load_case_system_delivery"]["state"] in ("failed", "up_for_retry")
    assert core_snapshot(yj_env["YJ_WAREHOUSE_URL"])["child"].equals(before["child"])
    deliveries, _, live = audit_rows(yj_env["YJ_WAREHOUSE_URL"])
    assert deliveries.set_index("delivery_id").loc["broken", "outcome"] == "REJECTED"
    assert live["case_system"] != "broken"


@pytest.mark.postgres
def test_case_system_dag_against_postgresql(airflow_db, yj_env, postgres_url, monkeypatch):
    from yj_airflow.runner import run_dag

    monkeypatch.setenv("YJ_WAREHOUSE_URL", postgres_url)
    result = run_dag(_dags()["case_system_nightly"])
    assert result["ok"], result
    assert len(core_snapshot(postgres_url)["episode"]) > 300


def test_kpi_dag_takes_the_quarter_param(airflow_db, yj_env):
    from yj_airflow.runner import run_dag

    # Data first: the board pack refuses a quarter with no data in the warehouse.
    assert run_dag(_dags()["case_system_nightly"])["ok"]
    result = run_dag(_dags()["yjb_kpi_quarterly"], {"quarter": "2025Q2"})
    assert result["ok"]
    assert result["tasks"]["resolve_quarter"]["result"] == {"quarter": "2025-26 Q2", "start": "2025-07-01",
                                                           "end": "2025-09-30"}


def test_yj_run_runs_the_whole_chain_and_lists_outputs(tmp_path, sample_dir, airflow_db):
    """The README's main command, as a user runs it, in a fresh process."""
    landing = copy_landing(sample_dir, tmp_path / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YJ_") and k != "PYTHONWARNINGS"}
    env["YJ_RAW_ARCHIVE_DIR"] = str(tmp_path / "raw")
    out = subprocess.run([sys.executable, "-m", "yj_airflow.cli", "run", "--landing", str(landing), "--out",
                          str(tmp_path / "out"), "--warehouse", f"sqlite:///{tmp_path / 'wh.sqlite'}", "--quarter", "2026Q1"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for dag_id in ("case_system_nightly", "police_custody_refresh", "education_nightly", "ccis_weekly",
                   "marts_rebuild", "yjb_kpi_quarterly"):
        assert f"  {dag_id}: success" in out.stdout
    assert "quarantine_report_" in out.stdout
    assert "2026-27 Q1: DRAFT" in out.stdout or "2026-27 Q1: READY" in out.stdout
    assert "yjb_kpi_return_leicestershire_2026-27_Q1.xlsx" in out.stdout
    assert (tmp_path / "out" / "core_inventory.json").exists()
    # Progress inside each step, and no library warning (Airflow's, pandas', GE's) shown.
    assert "case_system child: reading YJ_Children.csv" in out.stderr  # progress: standard error
    assert "matching: deciding links and the pairs to review" in out.stderr
    for text in (out.stdout, out.stderr):
        assert "Warning" not in text and "py.warnings" not in text and "[warning" not in text, text[-3000:]
    # No personal data in what the run printed.
    children = core_snapshot(f"sqlite:///{tmp_path / 'wh.sqlite'}")["child"]
    for surname in children["last_name"].head(50):
        assert f" {surname} " not in out.stdout and f" {surname} " not in out.stderr


def test_education_dag_takes_a_backlog_of_snapshots_in_order(airflow_db, yj_env, tmp_path):
    """Two nights' snapshots in one transfer: the DAG's load takes both, oldest first, and says so."""
    import shutil

    from yj_airflow.runner import run_dag

    assert run_dag(_dags()["case_system_nightly"])["ok"]
    import datetime as dt

    education = tmp_path / "landing" / "education"
    newest = sorted(education.iterdir())[-1]
    night_before = f"{dt.datetime.strptime(newest.name, '%Y%m%d') - dt.timedelta(days=1):%Y%m%d}"
    shutil.copytree(newest, education / night_before)
    result = run_dag(_dags()["education_nightly"])
    assert result["ok"], result
    [summary] = [t["result"] for task_id, t in result["tasks"].items() if task_id.endswith("load_education_snapshot")
                 and isinstance(t["result"], dict)] or [None]
    assert summary is not None, result["tasks"].keys()
    taken = [f"education-{night_before}", f"education-{newest.name}"]
    assert [line.split(":")[1].split()[0] for line in summary["taken"]] == taken
    deliveries, _, live = audit_rows(yj_env["YJ_WAREHOUSE_URL"])
    loaded = deliveries[deliveries["delivery_id"].str.startswith("education-")].set_index("delivery_id")["outcome"]
    assert loaded.to_dict() == {name: "LOADED" for name in taken}
    assert live["education"] == taken[-1]
