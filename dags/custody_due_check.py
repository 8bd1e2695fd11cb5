"""
### Custody due-time check

Runs at each **custody due time** (07:00 and 15:00 Europe/London by default, setting
`YJ_CUSTODY_DUE_TIMES`) and at the **briefing's due time** (07:45, `YJ_BRIEFING_DUE_TIME`).
If the police custody file for that due time has not landed (none stamped since the previous
due time), or by 07:45 no briefing has been written from a file of this morning, it sends
**one** notice to the duty manager (`YJ_DUTY_MANAGER_EMAIL` / variable `yj_duty_manager_email`,
the BI team's address when unset). A night when the files come sends nothing; waiting for a
file never fails anything (`custody_file_watch` skips, never fails, when it sees none). Why a
scheduled check rather than a `DeadlineAlert`: docs/adr/0080-quiet-nights-and-due-times.md.

**Needs:** `yj_landing_dir`, `yj_output_dir`, the `yj_warehouse` connection; `yj_smtp`.
"""
from airflow.sdk import dag, task

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, default_args
from yj_airflow.timetables import custody_due_timetable


@dag(
    description="Tells the duty manager once when a custody file or the duty briefing is not there by its due time",
    schedule=custody_due_timetable(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=5),
    tags=["youth-justice", "police-custody", "operations"],
)
def custody_due_check():
    @task
    def check_custody_due_times() -> dict:
        return tasks.check_custody_due_times()

    check_custody_due_times()


custody_due_check()
