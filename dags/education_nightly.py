"""
### Education nightly load

Runs at **03:30 Europe/London**, after the local-authority education system's nightly
export (`landing/education/<yyyymmdd>/pupils.csv`, `suspensions.csv`, `attendance.csv`).

Loads the newest snapshot through the same protocol as the case system: each file validated
by its suite in `expectations/` (UPN format and check letter, DfE ethnicity codes, SEN
provision E/K/N, sessions that add up, dates in range, every UPN resolving to a pupil), bad
rows quarantined with a reason, the three tables published together in one transaction
(`core_pupil`, `core_suspension`, `core_attendance`), an audit row that reconciles.
KPI 3 (SEND) reads the pupils. Matching and alerts are added by the rest of the education issue.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_landing_dir`.
Publishes the asset `yj://warehouse/core/education`.
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_EDUCATION
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
    @task(outlets=[CORE_EDUCATION])
    def load_education_snapshot() -> dict:
        return tasks.load_education()

    load_education_snapshot()


education_nightly()
