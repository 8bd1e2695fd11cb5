"""Financial-year quarters as the YJB uses them (kpis.md, "Periods")."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo


class BadQuarter(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    fy_start_year: int  # the financial year starting 1 April of this year
    number: int  # 1 = April to June ... 4 = January to March

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """``2025Q2``, ``2025-26 Q2`` or ``2025/26 Q2``."""
        raw = (text or "").strip().upper()
        m = re.fullmatch(r"(\d{4})\s*Q([1-4])", raw) or re.fullmatch(r"(\d{4})[-/](\d{2})\s*Q([1-4])", raw)
        if not m:
            raise BadQuarter(f"'{text}' is not a quarter: write it like 2025Q2 or '2025-26 Q2'")
        if len(m.groups()) == 3:
            year, short, q = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if (year + 1) % 100 != short:
                raise BadQuarter(f"'{text}': {year}-{short:02d} is not a financial year")
        else:
            year, q = int(m.group(1)), int(m.group(2))
        if not 2000 <= year <= 2100:
            raise BadQuarter(f"'{text}': year {year} is out of range")
        return cls(year, q)

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        year = self.fy_start_year + (month > 12)
        return dt.date(year, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        nxt = Quarter(self.fy_start_year + (self.number == 4), self.number % 4 + 1).start
        return nxt - dt.timedelta(days=1)

    @property
    def previous(self) -> "Quarter":
        return Quarter(self.fy_start_year - (self.number == 1), (self.number - 2) % 4 + 1)

    @property
    def label(self) -> str:
        return f"{self.fy_start_year}-{(self.fy_start_year + 1) % 100:02d} Q{self.number}"

    @property
    def code(self) -> str:
        return f"{self.fy_start_year}Q{self.number}"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later; a day the month lacks (29 February, 31st)
    moves to the month's last day, so 12 months after 29 February 2024 is 28 February 2025
    (kpis.md: "12 months after")."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months_to(dates, months: int):
    """``add_months`` for a pandas Series of timestamps, vectorised: pandas' month offset moves
    a day the month lacks to the month's last day, the same rule (a property test checks they
    agree)."""
    import pandas as pd

    return pd.to_datetime(dates) + pd.DateOffset(months=months)


def quarter_containing(day: dt.date) -> Quarter:
    fy = day.year if day.month >= 4 else day.year - 1
    return Quarter(fy, (day.month - 4) % 12 // 3 + 1)


def quarters_ending(last: Quarter, count: int) -> list[Quarter]:
    """``count`` consecutive quarters, oldest first, ending with ``last`` (a trend's axis)."""
    out = [last]
    while len(out) < count:
        out.insert(0, out[0].previous)
    return out


def latest_complete_quarter(timezone: str = "Europe/London", today: dt.date | None = None) -> Quarter:
    today = today or dt.datetime.now(ZoneInfo(timezone)).date()
    return quarter_containing(today).previous


def quarter_ended_before(moment: dt.datetime, timezone: str = "Europe/London") -> Quarter:
    """The quarter that ended before ``moment`` (a run's logical date or data interval end),
    judged on the local calendar: 1 April 2026 06:00 London is in 2026-27 Q1, so it reports
    2025-26 Q4, whenever the run actually happens (issue 12)."""
    local = moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment
    return quarter_containing(local.date()).previous
