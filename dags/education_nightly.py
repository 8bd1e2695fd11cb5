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
from airflow.sdk import dag, task, task_group
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_EDUCATION, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args
from yj_airflow.tasks import SERVICE_LABEL
from yj_airflow.wiring import match_then_raise_education_alerts


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
    @task
    def list_services() -> list[str]:
        return tasks.service_ids()

    # One mapped group per service (ADR 0063): a service's matching waits on its own load only.
    @task_group(prefix_group_id=False)
    def for_each_service(service_id: str):
        @task(outlets=[published_alias(CORE_EDUCATION)], map_index_template=SERVICE_LABEL)
        def load_education_snapshot(service_id: str) -> dict:
            return tasks.load_education(service_id=tasks.label_service(service_id))

        match_then_raise_education_alerts(load_education_snapshot(service_id), service_id)

    for_each_service.expand(service_id=list_services())


education_nightly()
