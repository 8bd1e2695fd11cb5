"""Parse-time guards: every DAG imports cleanly, cheaply, and declares what a reviewer needs."""
import subprocess
import sys
import textwrap

import pytest
from airflow.timetables.trigger import CronTriggerTimetable, MultipleCronTriggerTimetable

from yj_airflow.runner import CHAIN, DAGS_FOLDER, OPERATIONS, TRIGGER_ONLY

ALL_DAGS = CHAIN + TRIGGER_ONLY + OPERATIONS

EXPECTED_SCHEDULES = {
    "case_system_nightly": ["30 2 * * *"],
    "education_nightly": ["30 3 * * *"],
    "ccis_weekly": ["0 4 * * 1"],
    "yjb_kpi_quarterly": ["0 6 1 1,4,7,10 *"],
    "platform_health_daily": ["0 7 * * *"],
    "custody_due_check": ["0 7 * * *", "45 7 * * *", "0 15 * * *"],
    "retention_daily": ["30 4 * * *"],
}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dags) == sorted(ALL_DAGS)
    assert len(list(DAGS_FOLDER.glob("*.py"))) == len(ALL_DAGS)


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_dag_declares_owner_retries_tags_and_doc(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.owner == "yj-bi-team"
    assert "youth-justice" in dag.tags
    assert dag.doc_md and "Needs" in dag.doc_md
    for task in dag.tasks:
        assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"
    assert dag.max_active_runs == 1
    assert not dag.catchup


@pytest.mark.parametrize("dag_id,crons", EXPECTED_SCHEDULES.items())
def test_dag_schedule_is_in_london_time(dagbag, dag_id, crons):
    timetable = dagbag.dags[dag_id].timetable
    if isinstance(timetable, MultipleCronTriggerTimetable):
        parts = timetable._timetables
    else:
        assert isinstance(timetable, CronTriggerTimetable)
        parts = [timetable]
    assert [t._expression for t in parts] == crons
    assert all(str(t._timezone) in ("Europe/London", "Timezone('Europe/London')") or getattr(t._timezone, "name", "") == "Europe/London" for t in parts)


def test_marts_rebuild_is_scheduled_on_the_core_assets(dagbag):
    dag = dagbag.dags["marts_rebuild"]
    uris = {a.uri for a in dag.timetable.asset_condition.objects}
    assert uris == {"yj://warehouse/core/case_system", "yj://warehouse/core/identity", "yj://warehouse/core/police_custody"}
    matcher = dagbag.dags["education_nightly"].get_task("match_children_across_sources")
    assert [o.uri for o in matcher.outlets] == ["yj://warehouse/core/identity"]
    # Loads publish through an alias, so that a load with nothing new emits no event (issue 15).
    loader = dagbag.dags["case_system_nightly"].get_task("load_case_system_delivery")
    assert [o.name for o in loader.outlets] == ["published yj://warehouse/core/case_system"]


def test_kpi_dag_takes_a_quarter_param(dagbag):
    params = dagbag.dags["yjb_kpi_quarterly"].params
    assert "quarter" in params and "submit" in params
    # A mistyped quarter reaches the task, which explains it; no raw pattern is shown.
    assert "pattern" not in params.get_param("quarter").schema


@pytest.mark.parametrize("dag_id", ALL_DAGS)
def test_every_dag_says_what_it_does_in_one_line(dagbag, dag_id):
    description = dagbag.dags[dag_id].description
    assert description and "\n" not in description and 20 <= len(description) <= 120, description


def test_importing_the_dag_folder_is_fast_and_touches_nothing_heavy():
    """In a fresh interpreter: parse every DAG file, time it, and check that no heavy
    library (pandas, Great Expectations, SQLAlchemy engines) was imported by our DAG code."""
    code = textwrap.dedent(f"""
        import sys, time, importlib.util, pathlib
        import airflow.sdk  # Airflow itself is always loaded by the DAG processor
        before = set(sys.modules)
        start = time.perf_counter()
        for path in sorted(pathlib.Path({str(DAGS_FOLDER)!r}).glob("*.py")):
            spec = importlib.util.spec_from_file_location(path.stem, path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        took = time.perf_counter() - start
        new = set(sys.modules) - before
        heavy = sorted(m for m in new if m.split(".")[0] in ("great_expectations", "pandas", "openpyxl", "splink", "duckdb"))
        print("RESULT", took, ",".join(heavy) or "-")
    """)
    stdout = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    _, took, heavy = next(line for line in stdout.splitlines() if line.startswith("RESULT ")).split()
    took = float(took)
    assert heavy == "-", f"DAG files imported heavy modules at parse time: {heavy}"
    assert took < 2.0, f"parsing the DAG folder took {took:.2f}s"


def test_custody_refresh_runs_twice_daily_in_london_time_and_when_a_file_lands(dagbag):
    import datetime as dt
    from zoneinfo import ZoneInfo

    schedule = dagbag.dags["police_custody_refresh"].timetable
    assert [a.uri for a in schedule.asset_condition.objects] == ["yj://landing/police_custody"]
    crons = schedule.timetable._timetables
    assert [t._expression for t in crons] == ["30 7 * * *", "30 15 * * *"]
    london = ZoneInfo("Europe/London")
    # Across both clock changes of 2026 the 07:30 run stays at 07:30 local time.
    for day in ("2026-03-28", "2026-03-29", "2026-03-30", "2026-10-24", "2026-10-25", "2026-10-26"):
        start = dt.datetime.fromisoformat(day + "T00:00").replace(tzinfo=london)
        nxt = crons[0]._get_next(start)
        assert nxt.astimezone(london).strftime("%H:%M") == "07:30", (day, nxt)
    summer = crons[0]._get_next(dt.datetime(2026, 10, 24, tzinfo=london)).astimezone(dt.timezone.utc)
    winter = crons[0]._get_next(dt.datetime(2026, 10, 26, tzinfo=london)).astimezone(dt.timezone.utc)
    assert (summer.hour, winter.hour) == (6, 7)


def test_custody_file_watch_pokes_continuously_and_emits_the_landing_asset(dagbag):
    dag = dagbag.dags["custody_file_watch"]
    assert dag.timetable.__class__.__name__ == "ContinuousTimetable"
    sensor = dag.get_task("wait_for_new_custody_file")
    assert sensor.poke_interval == 15 and sensor.mode == "reschedule"
    # A quiet night: the timeout skips the sensor (no failure, no notice), never fails it.
    assert sensor.soft_fail and sensor.timeout > 0
    # Reads its own earlier events (inlet) to announce each file once, through an alias.
    assert [i.uri for i in sensor.inlets] == ["yj://landing/police_custody"]
    assert [o.name for o in sensor.outlets] == ["published yj://landing/police_custody"]


def test_kpi_scheduled_runs_are_named_after_the_quarter_they_report(dagbag):
    import datetime as dt

    from airflow.timetables.base import DataInterval
    from airflow.utils.types import DagRunType

    timetable = dagbag.dags["yjb_kpi_quarterly"].timetable
    logical = dt.datetime(2026, 4, 1, 5, 0, tzinfo=dt.timezone.utc)  # 06:00 in London (BST)
    name = timetable.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=logical,
                                     data_interval=DataInterval(logical, logical))
    assert name.startswith("scheduled__2025Q4__")
    backfill = timetable.generate_run_id(run_type=DagRunType.BACKFILL_JOB, run_after=logical,
                                         data_interval=DataInterval(logical, logical))
    assert backfill.startswith("backfill__2025Q4__")
