"""
### Police custody refresh

Runs at **07:30 and 15:30 Europe/London** (the police send files at about 07:00 and 15:00;
local time across the clock changes) and **as soon as a new custody file lands** (the asset
`yj://landing/police_custody`, emitted by `custody_file_watch` within five minutes, or at once
by the transfer job through Airflow's REST API).

Loads every new `landing/police_custody/custody_<yyyymmdd>_<hhmm>.csv` in extract-time order,
validates it with the suite `expectations/police_custody.detention.json` (bad rows to
quarantine with a reason), keeps every version of every detention, and makes the newest
version by the file's own extract time live (a late, older file never overwrites newer data).
Then writes to `output/custody/<extract time>/` the **duty briefing** (xlsx and one-page
HTML: still detained, new since the last refresh, overnight, transfers not achieved,
appropriate adults awaited, children not known to the service), the **prevention triage
list**, and the month's **Remand Strategy Meeting** figures (internal, and shared with small
numbers suppressed).

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`), `yj_landing_dir`,
`yj_output_dir`. Publishes the asset `yj://warehouse/core/police_custody`.
"""
from airflow.sdk import dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import MultipleCronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.assets import CORE_CUSTODY, LANDING_CUSTODY, published_alias
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    description="Twice-daily police custody load: duty briefing, prevention triage list and remand figures",
    schedule=AssetOrTimeSchedule(
        timetable=MultipleCronTriggerTimetable("30 7 * * *", "30 15 * * *", timezone=TIMEZONE),
        assets=[LANDING_CUSTODY]),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=2, retry_minutes=5),
    tags=["youth-justice", "load", "police-custody"],
)
def police_custody_refresh():
    @task(outlets=[published_alias(CORE_CUSTODY)])
    def refresh_custody_and_write_briefing() -> dict:
        return tasks.refresh_custody()

    refresh_custody_and_write_briefing()


police_custody_refresh()
