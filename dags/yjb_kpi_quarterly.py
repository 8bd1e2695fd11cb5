"""
### YJB quarterly KPI return

Runs at **06:00 Europe/London on the first day of each quarter** (1 January, April, July,
October) for the quarter just ended; the submission is due a month later.

Trigger it by hand with the `quarter` param (`2025Q2` or `2025-26 Q2`) to regenerate any
quarter. Today it resolves and records the quarter's dates; the measures, the submission
workbook and the evidence workbook are added by the KPI issue.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and `yj_output_dir`.
"""
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    schedule=CronTriggerTimetable("0 6 1 1,4,7,10 *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=10),
    tags=["youth-justice", "kpi", "yjb-return"],
    params={"quarter": Param(None, type=["null", "string"], pattern=r"^\d{4}(-\d{2})?\s*Q[1-4]$",
                             description="Quarter to report, e.g. 2025Q2; empty for the quarter just ended")},
)
def yjb_kpi_quarterly():
    @task
    def resolve_quarter(params: dict | None = None) -> dict:
        return tasks.resolve_quarter((params or {}).get("quarter"))

    resolve_quarter()


yjb_kpi_quarterly()
