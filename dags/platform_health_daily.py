"""
### Daily health summary

Runs at **07:00 Europe/London** every day, after the night's loads and before the first
custody refresh.

Sends one short message (email through the `yj_smtp` connection to `yj_notify_email`, and the
webhook if `yj_notify_webhook_url` is set): for each source, the last 24 hours' attempts by
outcome, rows quarantined, and which delivery is live since when. It is sent every morning,
also when all is well, so that silence is never mistaken for health; failures themselves are
notified as they happen by each task's failure callback. Counts and delivery names only: no
personal data.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`); `yj_notify_email` and the
`yj_smtp` connection, or `yj_notify_webhook_url` (otherwise the summary is only logged).
"""
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args


@dag(
    description="Morning summary of the last 24 hours of loads, rejections and quarantines, sent to the BI team",
    schedule=CronTriggerTimetable("0 7 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=10),
    tags=["youth-justice", "operations"],
)
def platform_health_daily():
    @task
    def send_daily_health_summary() -> dict:
        return tasks.send_daily_health_summary()

    send_daily_health_summary()


platform_health_daily()
