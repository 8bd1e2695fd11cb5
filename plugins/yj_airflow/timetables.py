"""The quarterly return's schedule: a cron trigger (06:00 London on the first day of each
quarter) whose scheduled and backfill runs are named after the quarter they report, so the
run list says ``scheduled__2025Q4__2026-04-01T05:00:00+00:00``. Manual runs keep Airflow's
own names: their quarter comes from the ``quarter`` param, which a timetable cannot see."""
from __future__ import annotations

from airflow.timetables.trigger import CronTriggerTimetable
from airflow.utils.types import DagRunType


class QuarterlyReturnTimetable(CronTriggerTimetable):
    description = "At 06:00 Europe/London on 1 January, April, July and October, for the quarter just ended"

    def generate_run_id(self, *, run_type, run_after, data_interval, **extra) -> str:
        from transforms.periods import quarter_ended_before

        run_id = super().generate_run_id(run_type=run_type, run_after=run_after, data_interval=data_interval, **extra)
        if DagRunType(run_type) not in (DagRunType.SCHEDULED, DagRunType.BACKFILL_JOB):
            return run_id
        moment = data_interval.end if data_interval else run_after
        quarter = quarter_ended_before(moment, str(getattr(self._timezone, "name", self._timezone)))
        kind, _, rest = run_id.partition("__")
        return f"{kind}__{quarter.code}__{rest}"


def custody_due_timetable():
    """One run at each custody due time and at the briefing's due time (settings
    ``YJ_CUSTODY_DUE_TIMES``, ``YJ_BRIEFING_DUE_TIME``: environment variables, read when the DAG
    file is parsed, so a change takes effect at the next parse)."""
    import os

    from airflow.timetables.trigger import MultipleCronTriggerTimetable

    from transforms.custody.due import DEFAULT_BRIEFING_DUE_TIME, DEFAULT_CUSTODY_DUE_TIMES, parse_times
    from yj_airflow.defaults import TIMEZONE

    times = parse_times(os.environ.get("YJ_CUSTODY_DUE_TIMES") or DEFAULT_CUSTODY_DUE_TIMES)
    times += parse_times(os.environ.get("YJ_BRIEFING_DUE_TIME") or DEFAULT_BRIEFING_DUE_TIME)
    return MultipleCronTriggerTimetable(*[f"{t.minute} {t.hour} * * *" for t in sorted(set(times))], timezone=TIMEZONE)
