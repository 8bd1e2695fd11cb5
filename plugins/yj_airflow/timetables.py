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
