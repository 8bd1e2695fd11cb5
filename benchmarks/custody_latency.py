"""`make bench-custody`: from a custody file landing to the duty briefing being written,
through a real Airflow (`airflow standalone`: scheduler, DAG processor, triggerer, API server)
on the embedded setup, at county scale. Target: under 60 s end to end, of which the
pipeline's own work (the refresh function, timed inside the task) under 10 s. The task's
whole duration (process start and imports included) and the refresh run in-process before
Airflow starts are reported beside it.

Steps: generate a county sample and load its case-system delivery and custody files; start
Airflow with the DAGs unpaused; wait until the file watch is running; drop a new custody
file; poll the output folder for its briefing; stop Airflow (SIGINT, as it expects)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from transforms.settings import PROJECT_ROOT, load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "var" / "bench-custody"))
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)

    from transforms.ingest.sources import load_case_system
    from transforms.custody.refresh import refresh_custody
    from transforms.sample.landing import generate_landing

    generate_landing(out / "sample", children=args.children, years=10, seed=2026)
    landing = out / "sample" / "landing"
    env = {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(out / "output"), "YJ_RAW_ARCHIVE_DIR": str(out / "raw"),
           "YJ_WAREHOUSE_URL": f"sqlite:///{out / 'warehouse.sqlite'}"}
    os.environ.update(env)
    settings = load_settings()
    load_case_system(settings)
    started = time.perf_counter()
    refresh_custody(settings)  # the sample's own files, loaded before Airflow starts
    baseline_s = time.perf_counter() - started

    home = Path(tempfile.mkdtemp(prefix="yj-airflow-bench-"))
    airflow_env = {**os.environ, **env, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
                   "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                   "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False", "AIRFLOW__CORE__PARALLELISM": "4",
                   "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2", "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                   "AIRFLOW__API__PORT": "18080", "GX_ANALYTICS_ENABLED": "False",
                   "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://localhost:18080/execution/",
                   # standalone starts its components as `airflow ...` commands: use this environment's.
                   "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    log = open(out / "airflow.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=airflow_env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_watch(home, airflow_env, args.timeout)
        newest = sorted((landing / "police_custody").glob("custody_*.csv"))[-1]
        stamp = dt.datetime.strptime(newest.stem[len("custody_"):], "%Y%m%d_%H%M") + dt.timedelta(hours=8)
        target = landing / "police_custody" / f"custody_{stamp:%Y%m%d_%H%M}.csv"
        briefing = out / "output" / "custody" / f"{stamp:%Y%m%d_%H%M}" / f"duty_briefing_{stamp:%Y%m%d_%H%M}.html"
        tmp = target.with_suffix(".part")
        shutil.copy(newest, tmp)
        landed = time.perf_counter()
        tmp.rename(target)  # lands atomically, as a transfer job should write it
        while not briefing.exists() and time.perf_counter() - landed < args.timeout:
            time.sleep(0.5)
        latency = time.perf_counter() - landed if briefing.exists() else None
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    task_s, work_s = _task_duration(home, airflow_env)
    report = {"children": args.children, "refresh_in_process_s": round(baseline_s, 2),
              "refresh_task_in_airflow_s": task_s, "pipeline_work_in_task_s": work_s, "file_landed_to_briefing_s": None if latency is None else round(latency, 1),
              "targets": {"end_to_end_s": 60, "pipeline_work_s": 10},
              "met": latency is not None and latency < 60 and work_s is not None and work_s < 10}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def _airflow(home_env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "airflow", *args], env=home_env, capture_output=True, text=True,
                          timeout=120).stdout


def _wait_for_watch(home: Path, env: dict, timeout: int) -> None:
    """Until the file watch has a running DAG run (the DAG processor has parsed the folder
    and the scheduler has started the continuous run)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        watch = _airflow(env, "dags", "list-runs", "custody_file_watch", "-o", "json")
        refresh = _airflow(env, "dags", "list-runs", "police_custody_refresh", "-o", "json")
        # The watch is poking, and no refresh is under way (the one Airflow starts on unpausing
        # must not pick the dropped file up by chance and flatter the figure).
        if '"running"' in watch and '"running"' not in refresh and '"queued"' not in refresh:
            time.sleep(3)
            return
        time.sleep(3)
    raise SystemExit("Airflow did not start the custody file watch in time; see airflow.log")


def _task_duration(home: Path, env: dict) -> tuple[float | None, float | None]:
    """The refresh task's duration (process start, imports, work) and, from its XCom, the
    time spent in the pipeline's own refresh function, for the run of the dropped file."""
    import sqlite3

    db = home / "airflow.db"
    if not db.exists():
        return None, None
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT duration, id FROM task_instance WHERE dag_id='police_custody_refresh' "
                           "AND task_id='refresh_custody_and_write_briefing' AND state='success' "
                           "ORDER BY end_date DESC LIMIT 1").fetchone()
        if row is None:
            return None, None
        value = conn.execute("SELECT value FROM xcom WHERE dag_id='police_custody_refresh' AND key='return_value' "
                             "ORDER BY timestamp DESC LIMIT 1").fetchone()
    work = None
    if value:
        payload = json.loads(value[0]) if isinstance(value[0], str) else json.loads(bytes(value[0]).decode())
        work = payload.get("seconds") if isinstance(payload, dict) else None
    return round(row[0], 2), work


if __name__ == "__main__":
    main()
