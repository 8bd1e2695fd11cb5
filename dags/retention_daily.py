"""
### Retention: delete what has passed its rule

Runs at **04:30 Europe/London** every day, after the night's loads.

Applies every retention rule of `transforms/reference/personal_data_inventory.yaml` (settings
`YJ_RETENTION_<RULE>_DAYS`, defaults and their sources in the README's "Personal data"
section): case records, superseded custody versions, old detentions, education and CCIS
history, quarantined rows' raw values, alerts, the raw archive and the written outputs.
Aggregates (marts, stored and submitted figures, returns) are kept, and so is the newest
archived delivery of each source. In a partnership each service's warehouse and folders are
done in turn, and the partnership area's too (the shared custody feed). Each run writes one `audit_rights` row of counts per place
and rule, nothing else. Trigger it with `{"dry_run": true}` to list what would go without
deleting anything.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and the output and raw archive
folders (`yj_output_dir`, `YJ_RAW_ARCHIVE_DIR`).
"""
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import rights, tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args
from yj_airflow.tasks import SERVICE_LABEL


@dag(
    description="Daily retention: delete personal data past its rule from tables, history, archive and outputs",
    schedule=CronTriggerTimetable("30 4 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=30),
    tags=["youth-justice", "operations", "data-rights"],
    params={"dry_run": Param(False, type="boolean", description="List what would be deleted; delete nothing")},
)
def retention_daily():
    @task
    def list_services() -> list[str]:
        return tasks.service_ids()

    @task(map_index_template=SERVICE_LABEL)
    def apply_retention_rules(service_id: str, params: dict | None = None) -> dict:
        return rights.retention_task(bool((params or {}).get("dry_run")), tasks.label_service(service_id))

    @task
    def apply_retention_rules_to_the_partnership_area(params: dict | None = None) -> dict:
        return rights.partnership_area_retention_task(bool((params or {}).get("dry_run")))

    apply_retention_rules.expand(service_id=list_services())
    apply_retention_rules_to_the_partnership_area()


retention_daily()
