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
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_IDENTITY, CORE_CCIS, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


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
    @task(outlets=[published_alias(CORE_CCIS)])
    def load_ccis_activity() -> dict:
        return tasks.load_education(weekly_ccis=True)

    @task(outlets=[CORE_IDENTITY])
    def match_children_across_sources() -> dict:
        return tasks.match_identities()

    @task
    def raise_education_alerts() -> dict:
        return tasks.raise_education_alerts()

    load_ccis_activity() >> match_children_across_sources() >> raise_education_alerts()


ccis_weekly()
