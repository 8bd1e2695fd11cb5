"""What every DAG of the platform shares: owner, start date, retries, London time, and the
failure notice (yj_airflow.notify)."""
import pendulum

from yj_airflow.notify import on_task_failure

TIMEZONE = "Europe/London"
START_DATE = pendulum.datetime(2025, 1, 1, tz=TIMEZONE)
OWNER = "yj-bi-team"
# The first retry comes 30 to 60 s after a failure (Airflow spreads retries over
# [delay, 2 x delay)): what fails a load in production is mostly a lost worker or a dropped
# connection, gone by then (a killed task process is reported at once; a dead worker after
# the 45 s heartbeat timeout in deploy/airflow.env), so a lost load is running again within
# 2 minutes (ADR 0081). Each later retry waits twice as long, up to the DAG's ``retry_minutes``.
FIRST_RETRY_DELAY = pendulum.duration(seconds=30)


def default_args(retries: int = 2, retry_minutes: int = 10) -> dict:
    return {"owner": OWNER, "retries": retries, "retry_delay": FIRST_RETRY_DELAY,
            "retry_exponential_backoff": 2.0, "max_retry_delay": pendulum.duration(minutes=retry_minutes),
            "on_failure_callback": on_task_failure}
