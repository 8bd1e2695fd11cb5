"""
### Post-16 activity (CCIS) weekly load

Runs on **Mondays at 04:00 Europe/London**, after the weekly `ccis_activity_<yyyymmdd>.csv`.

Loads the newest file through the same protocol as the nightly education load: validated by
`expectations/education.ccis_activity.json` (activity codes from the mapping file
`transforms/reference/ccis_activity_codes.csv`, the DfE NCCIS list, which also groups them into
education, employment, training, NEET, other and not known; UPN format and check letter; dates), bad rows
quarantined with a reason, `core_ccis_activity` replaced in one transaction. Then rematches
children across sources and raises NEET / not-known alerts (each once), as the nightly
education DAG does.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_landing_dir`.
Publishes the assets `yj://warehouse/core/ccis` and `yj://warehouse/core/identity`.
"""
from airflow.sdk import dag, task, task_group
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_CCIS, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args
from yj_airflow.tasks import SERVICE_LABEL
from yj_airflow.wiring import match_then_raise_education_alerts


@dag(
    description="Weekly load of the CCIS post-16 activity file, rematching, NEET and not-known alerts",
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
    def list_services() -> list[str]:
        return tasks.service_ids()

    # One mapped group per service (ADR 0063): a service's matching waits on its own load only.
    @task_group(prefix_group_id=False)
    def for_each_service(service_id: str):
        @task(outlets=[published_alias(CORE_CCIS)], map_index_template=SERVICE_LABEL)
        def load_ccis_activity(service_id: str) -> dict:
            return tasks.load_education(weekly_ccis=True, service_id=tasks.label_service(service_id))

        match_then_raise_education_alerts(load_ccis_activity(service_id), service_id)

    for_each_service.expand(service_id=list_services())


ccis_weekly()
