"""Suitable accommodation (KPI 1) and suitable education, training or employment (KPI 2),
as kpis.md defines them. The return, the ETE mart and the pack's ETE section all use these,
so a record without a ``suitable`` flag is judged the same way everywhere."""
from __future__ import annotations

import pandas as pd


def accommodation_suitability(records: pd.DataFrame, rules) -> pd.Series:
    """True / False / None: the record's flag when present, otherwise from the type
    (BED_AND_BREAKFAST, NO_FIXED_ABODE unsuitable; NOT_KNOWN or no record unknown)."""
    by_type = records["accommodation_type"].map(
        lambda t: None if pd.isna(t) or t in rules.accommodation_unknown_types
        else t not in rules.accommodation_unsuitable_types)
    flag = records["suitable"]
    return flag.where(flag.notna(), by_type).astype(object)


def ete_suitability(records: pd.DataFrame, above_school_age: pd.Series, rules) -> pd.Series:
    """True / False: the record's flag when present; otherwise NEET / NOT_KNOWN (and no record)
    unsuitable, any other type suitable when the weekly hours offered reach the threshold for
    the child's age (25 of school age, 16 above, by default)."""
    threshold = above_school_age.map({True: rules.ete_hours_above_school_age, False: rules.ete_hours_school_age})
    hours = pd.to_numeric(records["hours_offered"], errors="coerce")
    by_hours = records["ete_type"].notna() & ~records["ete_type"].isin(rules.ete_unsuitable_types) & (hours >= threshold)
    flag = records["suitable"]
    return flag.where(flag.notna(), by_hours).fillna(False).astype(bool)
