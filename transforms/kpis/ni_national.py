"""Local national indicators (kpis.md): first time entrants, use of custody and the
reoffending tracker. Local figures from the case system, for early warning; the official
ones come from the Police National Computer and will differ."""
import datetime as dt

import pandas as pd

from transforms.kpis.common import CUSTODIAL_TYPES, GROUP_OF_TYPE, SUBSTANTIVE_GROUPS, add_months, population_10_17
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule
from transforms.periods import Quarter, quarter_containing


def rolling_year(report_date: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending on the report date."""
    return add_months(report_date, -12) + dt.timedelta(days=1), report_date


def reoffending_cohort_quarter(report_date: dt.date) -> Quarter:
    """The latest quarter whose 12-month follow-up and 6-month waiting period have both
    ended by the report date: its last day plus 18 months is on or before the report date."""
    q = quarter_containing(report_date)
    while add_months(q.end, 18) > report_date:
        q = q.previous
    return q


def _substantive(inputs) -> pd.DataFrame:
    out = inputs.outcome[inputs.outcome["outcome_type"].map(GROUP_OF_TYPE).isin(SUBSTANTIVE_GROUPS)]
    return out.merge(inputs.child[["child_id", "child_key", "local_authority"]], on="child_id", how="left")


def compute(inputs, quarter, rules):
    report = quarter.end
    start, end = rolling_year(report)
    population, _ = population_10_17(inputs, report)
    subst = _substantive(inputs)
    resident = subst[subst["local_authority"].str.upper().isin(inputs.service_areas)] if inputs.service_areas else subst
    first = resident.sort_values(["outcome_date", "outcome_id"]).drop_duplicates("child_id")
    fte = first[(first["outcome_date"] >= start) & (first["outcome_date"] <= end)]
    custody = inputs.outcome[inputs.outcome["outcome_type"].isin(CUSTODIAL_TYPES)
                             & (inputs.outcome["outcome_date"] >= start) & (inputs.outcome["outcome_date"] <= end)]

    cq = reoffending_cohort_quarter(report)
    in_cq = subst[(subst["outcome_date"] >= cq.start) & (subst["outcome_date"] <= cq.end)]
    entry = in_cq.sort_values(["outcome_date", "outcome_id"]).drop_duplicates("child_id")[["child_id", "child_key", "outcome_date"]]
    offences = inputs.offence.merge(subst[["outcome_id", "outcome_date"]].rename(columns={"outcome_date": "proven_on"}),
                                    on="outcome_id", how="inner")
    joined = entry.merge(offences[["child_id", "offence_id", "offence_date", "proven_on"]], on="child_id", how="inner")
    follow_up = joined["outcome_date"].map(lambda d: add_months(d, 12))
    waiting = joined["outcome_date"].map(lambda d: add_months(d, 18))
    reoffences = joined[(joined["offence_date"] > joined["outcome_date"]) & (joined["offence_date"] <= follow_up)
                        & (joined["proven_on"] <= waiting)]
    reoffenders = entry[entry["child_id"].isin(reoffences["child_id"])]

    def keys(frame):
        return tuple(sorted(frame["child_key"].astype(str)))

    n_fte, n_cust = float(len(fte)), float(len(custody))
    n_cohort, n_re, n_off = float(len(entry)), float(len(reoffenders)), float(len(reoffences))
    return [
        Figure("ni", "ni.fte.count", "TOTAL", n_fte, members=keys(fte)),
        Figure("ni", "ni.fte.rate_per_100000", "TOTAL", None if not population else 100000 * n_fte / population,
               n_fte, float(population), members=keys(fte)),
        Figure("ni", "ni.custody.count", "TOTAL", n_cust, members=tuple(sorted(custody["outcome_id"])), member_kind="outcome_id"),
        Figure("ni", "ni.custody.rate_per_1000", "TOTAL", None if not population else 1000 * n_cust / population,
               n_cust, float(population), members=tuple(sorted(custody["outcome_id"])), member_kind="outcome_id"),
        Figure("ni", "ni.reoffending.cohort", "TOTAL", n_cohort, members=keys(entry)),
        Figure("ni", "ni.reoffending.reoffenders", "TOTAL", n_re, members=keys(reoffenders)),
        Figure("ni", "ni.reoffending.reoffences", "TOTAL", n_off, members=tuple(sorted(reoffences["offence_id"])),
               member_kind="offence_id"),
        Figure("ni", "ni.reoffending.binary_rate", "TOTAL", None if not n_cohort else 100 * n_re / n_cohort,
               n_re, n_cohort, members=keys(reoffenders)),
        Figure("ni", "ni.reoffending.frequency", "TOTAL", None if not n_re else n_off / n_re, n_off, n_re,
               members=keys(reoffenders)),
    ]


RULE = REGISTRY.register(Rule("ni", "National indicators (local figures)", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("outcome", "offence", "child", "population"), compute,
                              "First time entrants, custodial sentences, and the reoffending of a past cohort."))
