"""
### Custody file watch

Runs **continuously** (one run at a time, a new one as soon as the last ends). Its sensor
looks every 15 seconds for a custody file in `landing/police_custody/` that has not been
loaded, in reschedule mode (no worker slot is held between looks). For each such file not
announced before it emits one event on the asset `yj://landing/police_custody` (extra
`{"file": name}`), which starts `police_custody_refresh` at once, so a new file reaches the
duty briefing within a minute; a file already announced (waiting for its refresh, or
rejected) is not announced again. A cheap listing: no file is read.

**A quiet night is quiet:** after 6 hours without a new file the sensor is *skipped*, not
failed (`soft_fail`), so no failure notice is sent and the next run starts watching again.
A file that is late is told by `custody_due_check` at its due time, once.

**Needs:** `yj_landing_dir` and the `yj_warehouse` connection (to see what is loaded).
"""
from airflow.sdk import PokeReturnValue, dag, task

from yj_airflow import tasks
from yj_airflow.assets import LANDING_CUSTODY, published_alias
from yj_airflow.defaults import START_DATE, default_args


@dag(
    description="Watches the police custody landing folder and signals each new unloaded custody file",
    schedule="@continuous",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=1),
    tags=["youth-justice", "police-custody", "watch"],
)
def custody_file_watch():
    # soft_fail: no file for 6 hours is a quiet night, not a failure (no notice; the run ends
    # skipped and @continuous starts the next). Late files are custody_due_check's to tell.
    @task.sensor(poke_interval=15, timeout=6 * 3600, mode="reschedule", soft_fail=True, inlets=[LANDING_CUSTODY],
                 outlets=[published_alias(LANDING_CUSTODY)])
    def wait_for_new_custody_file() -> PokeReturnValue:
        new = tasks.announce_new_custody_files()
        return PokeReturnValue(is_done=bool(new), xcom_value={"new_files": new})

    wait_for_new_custody_file()


custody_file_watch()
