"""Victims (KPI 10): victims linked to offences whose outcome is dated in the period, and the
consent and contact measures. Consent gates the rest: views sought, kept informed and
restorative justice are counted among victims who consented to contact, so every share the
pack prints has the denominator the return uses."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms.measures._dates import between

CONTACT_MEASURES = ("views_sought", "kept_informed", "rj_offered", "rj_participated")


def victims_of_outcomes_in(victim: pd.DataFrame, offence: pd.DataFrame, outcome: pd.DataFrame,
                           start: dt.date, end: dt.date) -> pd.DataFrame:
    """Victims of offences whose outcome is dated in ``start`` to ``end`` (not the offence date:
    an offence counts once it has been dealt with)."""
    dated = offence[["offence_id", "outcome_id"]].merge(outcome[["outcome_id", "outcome_date"]], on="outcome_id", how="inner")
    in_period = dated[between(dated["outcome_date"], start, end)]
    return victim[victim["offence_id"].isin(in_period["offence_id"])]


def consented(victims: pd.DataFrame) -> pd.DataFrame:
    """Victims who consented to contact (a missing answer is not consent)."""
    return victims[victims["contact_consent"] == True]  # noqa: E712


def with_contact(victims: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Of the victims who consented, those with ``measure`` (views_sought, kept_informed,
    rj_offered, rj_participated) recorded as done."""
    if measure not in CONTACT_MEASURES:
        raise ValueError(f"{measure} is not a victim contact measure: {', '.join(CONTACT_MEASURES)}")
    c = consented(victims)
    return c[c[measure] == True]  # noqa: E712
