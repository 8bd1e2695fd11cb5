"""
### Education nightly load

Runs at **03:30 Europe/London**, after the local-authority education system's nightly
export (`landing/education/<yyyymmdd>/pupils.csv`, `suspensions.csv`, `attendance.csv`).

Loads the newest snapshot through the same protocol as the case system: each file validated
by its suite in `expectations/` (UPN format and check letter, DfE ethnicity codes, SEN
provision E/K/N, sessions that add up, dates in range, every UPN resolving to a pupil), bad
rows quarantined with a reason, the three tables published together in one transaction
(`core_pupil`, `core_suspension`, `core_attendance`), an audit row that reconciles.

Then matches children across all sources (`core_identity_link`: UPN, PNC id, then the Splink
model; reviewers' decisions from `landing/match_review/` first) and writes the review list
(`output/matching/`), then raises education alerts for children open to the service, each
once (`output/education_alerts/`). Both run even when the snapshot was already loaded, since
the case system may have changed since. KPI 3 (SEND) reads the pupils through the person key.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_landing_dir`.
Publishes the assets `yj://warehouse/core/education` and `yj://warehouse/core/identity`.
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_IDENTITY, CORE_EDUCATION, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    description="Nightly education snapshot load (pupils, suspensions, attendance), matching and education alerts",
    schedule=CronTriggerTimetable("30 3 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=10),
    tags=["youth-justice", "load", "education"],
)
def education_nightly():
    @task(outlets=[published_alias(CORE_EDUCATION)])
    def load_education_snapshot() -> dict:
        return tasks.load_education()

    @task(outlets=[CORE_IDENTITY])
    def match_children_across_sources() -> dict:
        return tasks.match_identities()

    @task
    def raise_education_alerts() -> dict:
        return tasks.raise_education_alerts()

    load_education_snapshot() >> match_children_across_sources() >> raise_education_alerts()


education_nightly()
