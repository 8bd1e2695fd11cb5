"""First-time entrants and custodial sentences (kpis.md, "National indicators"), over any
period: the return uses the rolling 12 months ending on the report date, the marts and the
pack also show them by quarter, and both views call these functions."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms.kpis.common import CUSTODIAL_TYPES, GROUP_OF_TYPE, SUBSTANTIVE_GROUPS
from transforms.measures._dates import as_timestamps, between
from transforms.periods import add_months


def rolling_year(report_date: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending on the report date (the first day is the day after the same date a
    year earlier)."""
    return add_months(report_date, -12) + dt.timedelta(days=1), report_date


def substantive_outcomes(outcome: pd.DataFrame) -> pd.DataFrame:
    """Outcomes in the OUT_OF_COURT, FIRST_TIER, COMMUNITY or CUSTODY groups: a youth caution or
    a court outcome. Community resolutions, Outcome 22 and NFA are not substantive."""
    out = outcome[outcome["outcome_type"].map(GROUP_OF_TYPE).isin(SUBSTANTIVE_GROUPS)].copy()
    out["outcome_date"] = as_timestamps(out["outcome_date"])
    out["group"] = out["outcome_type"].map(GROUP_OF_TYPE)
    return out


def first_substantive_outcomes(outcome: pd.DataFrame, child: pd.DataFrame, service_areas: tuple[str, ...]) -> pd.DataFrame:
    """Each resident child's first ever substantive outcome (ties to the smaller outcome_id).
    Residents: children whose local authority is one of ``service_areas`` (all when empty)."""
    subst = substantive_outcomes(outcome).merge(child[["child_id", "local_authority"]], on="child_id", how="left")
    if service_areas:
        subst = subst[subst["local_authority"].fillna("").str.upper().isin([a.upper() for a in service_areas])]
    return subst.sort_values(["outcome_date", "outcome_id"]).drop_duplicates("child_id")


def first_time_entrants(outcome: pd.DataFrame, child: pd.DataFrame, service_areas: tuple[str, ...],
                        start: dt.date, end: dt.date) -> pd.DataFrame:
    """First-time entrants in ``start`` to ``end``: one row per child whose first ever
    substantive outcome falls in the period."""
    return entrants_between(first_substantive_outcomes(outcome, child, service_areas), start, end)


def entrants_between(first: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Of ``first_substantive_outcomes``, those in the period (for a caller counting many periods)."""
    return first[between(first["outcome_date"], start, end)]


def custodial_sentences(outcome: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Custodial sentences (DTO, S250, S259 outcomes) dated in the period: one row per sentence,
    not per child (a child sentenced twice counts twice)."""
    return outcome[outcome["outcome_type"].isin(CUSTODIAL_TYPES) & between(outcome["outcome_date"], start, end)]
