"""What every DAG of the platform shares: owner, start date, retries, London time."""
import pendulum

TIMEZONE = "Europe/London"
START_DATE = pendulum.datetime(2025, 1, 1, tz=TIMEZONE)
OWNER = "yj-bi-team"


def default_args(retries: int = 2, retry_minutes: int = 10) -> dict:
    return {"owner": OWNER, "retries": retries, "retry_delay": pendulum.duration(minutes=retry_minutes)}
