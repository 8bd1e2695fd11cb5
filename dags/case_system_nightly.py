"""
### Case-system nightly load

Runs at **02:30 Europe/London** (the supplier's delivery lands by 02:00).

Picks the newest case-system delivery in `landing/case_system/`, checks it is complete
(manifest present, every file's SHA-256 and row count as the manifest says), maps the
supplier's layout (`corepl` or `childview`, a mapping file each) to the canonical model,
validates each table with its Great Expectations suite from `expectations/`, quarantines
failing rows with a readable reason and publishes the rest in one transaction.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`), the variables
`yj_landing_dir` and `yj_output_dir` (or the `YJ_` environment variables).

**Writes:** the `core_` tables, `audit_delivery`, `quarantine`; in the output folder the
quarantine report and Data Docs. A rejected delivery fails the task after recording why;
the previous night's data stays live. Publishes the asset `yj://warehouse/core/case_system`.
"""
from airflow.sdk import dag, task, task_group
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_CASE_SYSTEM, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args
from yj_airflow.tasks import SERVICE_LABEL


@dag(
    description="Nightly load of the newest case-management-system delivery into the core warehouse",
    schedule=CronTriggerTimetable("30 2 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=10),
    tags=["youth-justice", "load", "case-system"],
)
def case_system_nightly():
    @task
    def list_services() -> list[str]:
        return tasks.service_ids()

    # One mapped group per service: a service's inventory waits on its own load only, so one
    # service's rejected delivery does not stop the others (ADR 0063).
    @task_group(prefix_group_id=False)
    def for_each_service(service_id: str):
        @task(outlets=[published_alias(CORE_CASE_SYSTEM)], map_index_template=SERVICE_LABEL)
        def load_case_system_delivery(service_id: str) -> dict:
            return tasks.load_case_system(tasks.label_service(service_id))

        @task(map_index_template=SERVICE_LABEL)
        def write_core_inventory(_: dict, service_id: str) -> dict:
            return tasks.core_inventory(tasks.label_service(service_id))

        write_core_inventory(load_case_system_delivery(service_id), service_id)

    for_each_service.expand(service_id=list_services())


case_system_nightly()
