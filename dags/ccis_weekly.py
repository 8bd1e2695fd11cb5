"""
### Post-16 activity (CCIS) weekly load

Runs on **Mondays at 04:00 Europe/London**, after the weekly `ccis_activity_<yyyymmdd>.csv`.

Today it takes stock of the CCIS files; the validated load and the NEET alerts are added by
the education issue.

**Needs:** the variable `yj_landing_dir` (or `YJ_LANDING_DIR`).
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    schedule=CronTriggerTimetable("0 4 * * 1", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=10),
    tags=["youth-justice", "load", "education", "ccis"],
)
def ccis_weekly():
    @task
    def list_ccis_files() -> dict:
        return tasks.inventory("ccis")

    list_ccis_files()


ccis_weekly()
