"""
### Marts rebuild

Runs **whenever new core data is published**: the case system
(`yj://warehouse/core/case_system`), the person keys after matching
(`yj://warehouse/core/identity`, published after every education and CCIS load) or police
custody (`yj://warehouse/core/police_custody`).

Rebuilds the reporting marts (`mart_*`, see `docs/reference/data_dictionary.md`) from the
canonical core only, checks each against its definition, replaces them in one transaction, and writes a
Tableau `.hyper` and a CSV per mart with the data dictionary to `output/marts/`. Also writes
the core inventory.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_output_dir`.
"""
from airflow.sdk import dag, task, task_group

from yj_airflow import tasks
from yj_airflow.assets import CORE_CASE_SYSTEM, CORE_CUSTODY, CORE_IDENTITY
from yj_airflow.defaults import START_DATE, default_args
from yj_airflow.tasks import SERVICE_LABEL


@dag(
    description="Rebuilds the reporting marts and their Tableau/CSV extracts when core data changes",
    schedule=(CORE_CASE_SYSTEM | CORE_IDENTITY | CORE_CUSTODY),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=5),
    tags=["youth-justice", "marts"],
)
def marts_rebuild():
    @task
    def list_services() -> list[str]:
        return tasks.service_ids()

    # Every service's marts are rebuilt from its own warehouse (ADR 0063): one event rebuilds
    # all, each in its own mapped group, so one service's failure leaves the others' marts built.
    @task_group(prefix_group_id=False)
    def for_each_service(service_id: str):
        @task(map_index_template=SERVICE_LABEL)
        def write_core_inventory(service_id: str) -> dict:
            return tasks.core_inventory(tasks.label_service(service_id))

        @task(map_index_template=SERVICE_LABEL)
        def rebuild_marts_and_extracts(service_id: str) -> dict:
            return tasks.rebuild_marts(tasks.label_service(service_id))

        write_core_inventory(service_id) >> rebuild_marts_and_extracts(service_id)

    for_each_service.expand(service_id=list_services())


marts_rebuild()
