"""When the police custody files and the duty briefing are due, and whether they came.

The police send a custody file for each due time (07:00 and 15:00 by default: setting
``YJ_CUSTODY_DUE_TIMES``) and the duty manager reads the morning briefing by 07:45
(``YJ_BRIEFING_DUE_TIME``). Waiting for a file is never an alarm: only a due time passing with
nothing there is, and then once (ADR 0080). Names and folders only: no file is read."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

DEFAULT_CUSTODY_DUE_TIMES = "07:00,15:00"
DEFAULT_BRIEFING_DUE_TIME = "07:45"
_BRIEFING_FOLDER = re.compile(r"^(\d{8})_(\d{4})$")


def parse_times(value: str) -> list[dt.time]:
    """``"07:00,15:00"`` -> sorted times; a malformed setting stops with its value named."""
    times = []
    for part in value.split(","):
        match = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", part)
        if not match:
            raise ValueError(f"'{part.strip()}' is not a time of day HH:MM (in '{value}')")
        times.append(dt.time(int(match.group(1)), int(match.group(2))))
    return sorted(set(times))


def _stamp(date: str, hhmm: str) -> dt.datetime:
    return dt.datetime.strptime(date + hhmm, "%Y%m%d%H%M")


def custody_slot(due: dt.datetime, due_times: list[dt.time]) -> tuple[dt.datetime, dt.datetime]:
    """The window a file for the due time ``due`` (local, naive) is stamped in: after the
    previous due time, up to and including this one."""
    earlier = [t for t in due_times if t < due.time()]
    previous = dt.datetime.combine(due.date(), earlier[-1]) if earlier else \
        dt.datetime.combine(due.date() - dt.timedelta(days=1), due_times[-1])
    return previous, due


def custody_file_arrived(custody_dir: Path, due: dt.datetime, due_times: list[dt.time]) -> bool:
    """Whether a custody file stamped in the due time's window is in the feed's folder (loaded
    or not: the files stay where they landed)."""
    # Imported here: the due-check DAG's schedule reads parse_times at parse time, and the
    # loader brings pandas with it.
    from transforms.custody.load import FILE_PATTERN

    start, end = custody_slot(due, due_times)
    if not custody_dir.is_dir():
        return False
    for path in custody_dir.iterdir():
        match = FILE_PATTERN.match(path.name)
        if match and start < _stamp(*match.groups()) <= end:
            return True
    return False


def briefing_written(custody_output_dir: Path, since: dt.datetime) -> bool:
    """Whether a refresh wrote a briefing (a folder ``YYYYMMDD_HHMM`` named by the data's as-at
    time) from a file stamped at or after ``since``."""
    if not custody_output_dir.is_dir():
        return False
    for path in custody_output_dir.iterdir():
        match = _BRIEFING_FOLDER.match(path.name)
        if path.is_dir() and match and _stamp(*match.groups()) >= since and any(path.iterdir()):
            return True
    return False


def overdue(now: dt.datetime, custody_dir: Path, custody_output_dir: Path, custody_due: list[dt.time],
            briefing_due: dt.time) -> list[str]:
    """What is due at ``now`` (a due time, local and naive) and missing, in plain words."""
    missing = []
    if now.time() in custody_due and not custody_file_arrived(custody_dir, now, custody_due):
        start, _ = custody_slot(now, custody_due)
        missing.append(f"the police custody file due at {now:%H:%M} on {now:%d %b %Y} has not arrived "
                       f"(none stamped after {start:%H:%M %d %b})")
    if now.time() == briefing_due:
        morning = dt.datetime.combine(now.date(), custody_due[0])
        if not briefing_written(custody_output_dir, morning):
            missing.append(f"the duty briefing due at {now:%H:%M} on {now:%d %b %Y} has not been written "
                           f"(no briefing from a file stamped {morning:%H:%M} or later)")
    return missing
