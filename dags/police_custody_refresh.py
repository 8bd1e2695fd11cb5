"""
### Police custody refresh

Runs at **07:30 and 15:30 Europe/London** (the police send files at about 07:00 and 15:00),
on local time across the clock changes.

Today it takes stock of the custody files in `landing/police_custody/`. The validated load,
the duty briefing and the prevention triage list are added by the custody issue; the task
list below will grow, the schedule and the asset it publishes will not.

**Needs:** the variable `yj_landing_dir` (or `YJ_LANDING_DIR`).
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import MultipleCronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    schedule=MultipleCronTriggerTimetable("30 7 * * *", "30 15 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=5),
    tags=["youth-justice", "load", "police-custody"],
)
def police_custody_refresh():
    @task
    def list_custody_files() -> dict:
        return tasks.inventory("police_custody")

    list_custody_files()


police_custody_refresh()
