"""
### Education nightly load

Runs at **03:30 Europe/London**, after the local-authority education system's nightly
export (`landing/education/<yyyymmdd>/pupils.csv`, `suspensions.csv`, `attendance.csv`).

Today it takes stock of the education files; the validated load, matching and alerts are
added by the education issue.

**Needs:** the variable `yj_landing_dir` (or `YJ_LANDING_DIR`).
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    schedule=CronTriggerTimetable("30 3 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=10),
    tags=["youth-justice", "load", "education"],
)
def education_nightly():
    @task
    def list_education_files() -> dict:
        return tasks.inventory("education")

    list_education_files()


education_nightly()
