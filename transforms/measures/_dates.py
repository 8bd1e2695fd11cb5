"""Date columns compared the same way whether a caller holds ``datetime.date`` (the KPI
inputs) or ``pandas.Timestamp`` (the marts)."""
from __future__ import annotations

import datetime as dt

import pandas as pd


def as_timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def stamp(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(day).normalize()


def between(values: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """True where the date is in ``start`` to ``end`` inclusive (missing dates are not)."""
    v = as_timestamps(values)
    return (v >= stamp(start)) & (v <= stamp(end))
