"""
### Marts rebuild

Runs **whenever the case-system core is published** (the asset
`yj://warehouse/core/case_system`), so the reporting layer is rebuilt only from new data.

Today it writes the core inventory (row counts of every core table and the live delivery of
each source) to the output folder; the ten marts, the data dictionary, Tableau extracts and
the board pack are added by the marts issue.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_output_dir`.
"""
from airflow.sdk import dag, task

from yj_airflow import tasks
from yj_airflow.assets import CORE_CASE_SYSTEM
from yj_airflow.defaults import START_DATE, default_args


@dag(
    schedule=[CORE_CASE_SYSTEM],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=5),
    tags=["youth-justice", "marts"],
)
def marts_rebuild():
    @task
    def write_core_inventory() -> dict:
        return tasks.core_inventory()

    write_core_inventory()


marts_rebuild()
