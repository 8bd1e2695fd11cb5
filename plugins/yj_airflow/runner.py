"""Run the whole chain through Airflow itself on the embedded setup: a project-local
AIRFLOW_HOME with SQLite metadata, and each DAG run by ``dag.test()`` in dependency order.

Airflow reads its configuration when first imported, so ``prepare_airflow_env`` must run
before anything imports airflow."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from transforms.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
# Dependency order: loads first, then what reads the core.
# The custody refresh before the education and CCIS DAGs, as the schedule has it: their matching
# run then links the custody records too (the marts read those links), and writes the latest
# duty briefing again with them, so a first run leaves no known child listed as "not known".
CHAIN = ["case_system_nightly", "police_custody_refresh", "education_nightly", "ccis_weekly",
         "marts_rebuild", "yjb_kpi_quarterly"]
# DAGs that only trigger others; `yj run` has no need of them.
TRIGGER_ONLY = ["custody_file_watch"]
# Operations around the data: the daily health summary, the custody due-time check, retention
# and subject access.
OPERATIONS = ["platform_health_daily", "custody_due_check", "retention_daily", "subject_access_request"]


def prepare_airflow_env(airflow_home: Path | None = None) -> Path:
    home = Path(os.environ.get("AIRFLOW_HOME") or airflow_home or PROJECT_ROOT / ".airflow")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PROJECT_ROOT / "plugins"))
    os.environ.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    # dag.test() runs without a DAG processor, so assets are never registered and every asset
    # event logs "not found" and "inactive": noise at a terminal (the scheduler registers them).
    os.environ.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", "airflow.assets.manager=ERROR")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    return home


def migrate_metadata_db(home: Path) -> None:
    """Create or upgrade Airflow's metadata database (SQLite under AIRFLOW_HOME); about 3 s."""
    marker = home / ".migrated"
    if marker.exists() and (home / "airflow.db").exists():
        return
    result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                            env=os.environ.copy())
    if result.returncode != 0:
        raise RuntimeError("airflow db migrate failed:\n" + result.stderr[-2000:])
    marker.write_text("ok\n")


def load_dags() -> dict:
    from airflow.dag_processing.dagbag import DagBag

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError("DAG import errors: " + "; ".join(f"{k}: {v}" for k, v in bag.import_errors.items()))
    return bag.dags


def run_dag(dag, run_conf: dict | None = None, logical_date=None) -> dict:
    """Run one DAG through Airflow; return its state and each task's state and XCom summary.

    Per-service work is mapped over the services (ADR 0063): a task mapped to one instance (the
    one-service default) is reported under its task id as before; with several, each instance
    is ``task_id[service_id]``, and ``services`` holds every service's tasks by task id."""
    from collections import Counter

    from airflow.utils.state import DagRunState

    # A one-shot local run reports a failure at once; waiting out the production retry delay
    # (minutes) helps nobody at a terminal. The scheduler still retries as declared.
    for task in dag.tasks:
        task.retries = 0
    dag_run = dag.test(run_conf=run_conf or {}, **({"logical_date": logical_date} if logical_date else {}))
    order = {task_id: i for i, task_id in enumerate(dag.task_ids)}
    instances = sorted(dag_run.get_task_instances(), key=lambda ti: (order.get(ti.task_id, len(order)), ti.map_index))
    mapped = Counter(ti.task_id for ti in instances if ti.map_index >= 0)
    # Every mapped group expands over the service list, so an instance whose label was never
    # rendered (it did not run: upstream_failed) is named by its place in that list.
    labels = {}
    for ti in instances:
        if ti.task_id == "list_services":
            labels = dict(enumerate(ti.xcom_pull(task_ids=ti.task_id) or []))
    tasks, services = {}, {}
    for ti in instances:
        value = None
        try:
            value = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index if ti.map_index >= 0 else None)
        except Exception:  # XCom unreadable: the state is still reported
            value = None
        entry = {"state": str(ti.state), "result": value}
        if ti.map_index < 0:
            tasks[ti.task_id] = entry
            continue
        service = labels.get(ti.map_index) or ti.rendered_map_index or str(ti.map_index)
        services.setdefault(service, {})[ti.task_id] = entry
        tasks[ti.task_id if mapped[ti.task_id] == 1 else f"{ti.task_id}[{service}]"] = entry
    return {"dag_id": dag.dag_id, "state": str(dag_run.state), "ok": dag_run.state == DagRunState.SUCCESS,
            "tasks": tasks, "services": services}
