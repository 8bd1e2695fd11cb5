"""One lock per warehouse resource: a second writer waits for the first, or stops with a clear
message and changes nothing; a holder that dies lets go. On SQLite (file lock) and PostgreSQL
(advisory lock), between real processes: the ``yj`` command and DAGs run by Airflow."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from sqlalchemy import inspect

from tests.conftest import copy_landing
from tests.integration.helpers import audit_rows, core_snapshot, marts_snapshot
from transforms.warehouse.locks import RESOURCES, WarehouseBusy, lock_key, warehouse_lock

pytestmark = pytest.mark.integration

HOLD = textwrap.dedent("""
    import sys, time
    from transforms.warehouse.locks import warehouse_lock
    with warehouse_lock(sys.argv[1], sys.argv[2], 5, "the holder in the test"):
        print("held", flush=True)
        time.sleep(600)
""")


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wh.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _hold_in_another_process(url: str, resource: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url, resource], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_keys_differ_per_resource():
    assert len({lock_key(r) for r in RESOURCES}) == len(RESOURCES)


def test_a_second_writer_stops_with_the_holder_named_and_a_dead_holder_lets_go(warehouse_url):
    holder = _hold_in_another_process(warehouse_url, "marts")
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            with warehouse_lock(warehouse_url, "marts", wait_seconds=1.5, holder="second"):
                pytest.fail("entered a held lock")
        assert time.monotonic() - started >= 1.5
        assert "the reporting marts (marts) are being written by the holder in the test" in str(busy.value)
        assert "Nothing was changed" in str(busy.value)
        # Another resource is not blocked by it.
        with warehouse_lock(warehouse_url, "case_system", wait_seconds=0):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # killed, as a worker can be: no clean release
        holder.wait()
    with warehouse_lock(warehouse_url, "marts", wait_seconds=10):
        pass


def test_a_waiting_writer_goes_ahead_when_the_holder_finishes(warehouse_url):
    holder = _hold_in_another_process(warehouse_url, "identity")
    try:
        subprocess.Popen(["sh", "-c", f"sleep 1.5; kill -TERM {holder.pid}"])
        started = time.monotonic()
        with warehouse_lock(warehouse_url, "identity", wait_seconds=30):
            waited = time.monotonic() - started
        assert 1.0 < waited < 20
    finally:
        holder.kill()
        holder.wait()


def test_unknown_resource_is_refused():
    with pytest.raises(ValueError, match="unknown warehouse resource"):
        with warehouse_lock("sqlite://", "everything"):
            pass


# --- real jobs: the CLI and DAGs run by Airflow, against PostgreSQL


def _cli(args: list[str], env_extra: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YJ_")}
    env.update(env_extra)
    return subprocess.Popen([sys.executable, "-m", "yj_airflow.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_until_locked(url: str, resource: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``proc`` holds the lock (a probe that cannot take it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            with warehouse_lock(url, resource, wait_seconds=0):
                pass
        except WarehouseBusy:
            return
        time.sleep(0.05)
    pytest.fail(f"{resource} was never locked")


@pytest.fixture
def job_env(tmp_path, sample_dir, postgres_url, monkeypatch):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    env = {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
           "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": postgres_url}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.mark.postgres
def test_cli_and_dag_loading_the_same_source_at_once_load_it_once(airflow_db, job_env):
    from yj_airflow.runner import load_dags, run_dag

    url = job_env["YJ_WAREHOUSE_URL"]
    cli = _cli(["load-case-system"], job_env)
    _wait_until_locked(url, "case_system", cli)
    result = run_dag(load_dags()["case_system_nightly"])  # waits for the CLI's load, then finds it done
    out, err = cli.communicate(timeout=300)
    assert cli.returncode == 0, err
    assert result["ok"], result
    assert out.startswith("case_system LOADED: ")
    assert result["tasks"]["load_case_system_delivery"]["result"]["outcome"] == "ALREADY_LOADED"
    deliveries, counts, live = audit_rows(url)
    assert list(deliveries["outcome"]) == ["LOADED"]
    assert len(core_snapshot(url)["child"]) == 300
    from transforms.warehouse.db import make_engine

    assert not [t for t in inspect(make_engine(url)).get_table_names() if t.startswith("stg_")]


@pytest.mark.postgres
def test_a_cli_load_that_cannot_wait_stops_clearly_and_changes_nothing(job_env):
    url = job_env["YJ_WAREHOUSE_URL"]
    holder = _hold_in_another_process(url, "case_system")
    try:
        cli = _cli(["load-case-system"], {**job_env, "YJ_LOCK_WAIT_SECONDS": "1"})
        out, err = cli.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert cli.returncode == 75
    assert err.strip().splitlines()[-1].startswith("yj: busy: the case-system core tables (case_system) are being "
                                                   "written by the holder in the test")
    assert "Traceback" not in err
    from transforms.warehouse.db import ensure_schema, make_engine

    ensure_schema(make_engine(url))
    deliveries, _, live = audit_rows(url)
    assert deliveries.empty and not live


@pytest.mark.postgres
def test_marts_rebuilt_by_the_cli_and_the_marts_dag_at_once_end_consistent(airflow_db, job_env):
    from yj_airflow.runner import load_dags, run_dag

    url = job_env["YJ_WAREHOUSE_URL"]
    assert _cli(["load-case-system"], job_env).wait(timeout=300) == 0
    cli = _cli(["board-pack", "--quarter", "2026Q1", "--rebuild"], job_env)
    _wait_until_locked(url, "marts", cli)
    result = run_dag(load_dags()["marts_rebuild"])
    out, err = cli.communicate(timeout=300)
    assert cli.returncode == 0, err
    assert result["ok"], result
    assert result["tasks"]["rebuild_marts_and_extracts"]["state"] == "success"
    # Nothing interleaved: the marts are exactly what one more rebuild on its own makes.
    after_both = marts_snapshot(url)
    assert after_both and any(len(frame) for frame in after_both.values())
    assert run_dag(load_dags()["marts_rebuild"])["ok"]
    again = marts_snapshot(url)
    assert after_both.keys() == again.keys()
    for name in again:
        pd.testing.assert_frame_equal(after_both[name], again[name], obj=name)


# --- writes that were outside a lock: the return's submission, the education alerts


def test_submitting_a_return_waits_for_the_kpi_return_lock(tmp_path):
    from transforms.warehouse.db import ensure_schema, make_engine

    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    ensure_schema(make_engine(url))
    holder = _hold_in_another_process(url, "kpi_return")
    try:
        cli = _cli(["submit-return", "--quarter", "2026Q1", "--approved-by", "Head of Service", "--warehouse", url,
                    "--out", str(tmp_path / "out")],
                   {"YJ_LOCK_WAIT_SECONDS": "1", "YJ_LANDING_DIR": str(tmp_path / "landing")})
        out, err = cli.communicate(timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert cli.returncode == 75, err
    assert "the stored KPI figures (kpi_return) are being written by the holder in the test" in err


def test_education_alerts_are_raised_under_their_lock(tmp_path, monkeypatch):
    from yj_airflow import tasks

    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    for name, value in {"YJ_WAREHOUSE_URL": url, "YJ_OUTPUT_DIR": str(tmp_path / "out"),
                        "YJ_LANDING_DIR": str(tmp_path / "landing"), "YJ_LOCK_WAIT_SECONDS": "1"}.items():
        monkeypatch.setenv(name, value)
    holder = _hold_in_another_process(url, "education_alerts")
    try:
        with pytest.raises(WarehouseBusy, match="the raised education alerts"):
            tasks.raise_education_alerts()
    finally:
        holder.kill()
        holder.wait()
