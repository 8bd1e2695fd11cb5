"""
### Custody file watch

Every **five minutes**, looks for a custody file in `landing/police_custody/` that has not
been loaded. When it finds one it emits the asset `yj://landing/police_custody`, which starts
`police_custody_refresh` at once; otherwise the task is skipped and nothing runs. A cheap
listing: no file is read.

**Needs:** `yj_landing_dir` and the `yj_warehouse` connection (to see what is loaded).
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import LANDING_CUSTODY
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    schedule=CronTriggerTimetable("*/5 * * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=1),
    tags=["youth-justice", "police-custody", "watch"],
)
def custody_file_watch():
    @task(outlets=[LANDING_CUSTODY])
    def find_new_custody_files() -> dict:
        return tasks.new_custody_files()

    find_new_custody_files()


custody_file_watch()
