"""The local reoffending measure (kpis.md, "National indicators"): a cohort of children with a
substantive outcome in a quarter, each followed for 12 months after that outcome, counting
offences proven within 18 months of it (6 more months for a court to deal with them).

One definition for the return (the cohort quarter of a report date), the reoffending mart
(every cohort quarter, marked tracked once its waiting period has ended) and the board pack."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from transforms.measures._dates import as_timestamps, between
from transforms.measures.offending import substantive_outcomes
from transforms.periods import Quarter, add_months, add_months_to, quarter_containing

FOLLOW_UP_MONTHS = 12  # kpis.md: an offence committed no later than 12 months after the outcome
WAITING_MONTHS = 18  # kpis.md: proven by a substantive outcome no later than 18 months after it


def tracking_complete(cohort: Quarter, as_at: dt.date) -> bool:
    """The follow-up and waiting periods of every child of the cohort have ended by ``as_at``."""
    return add_months(cohort.end, WAITING_MONTHS) <= as_at


def cohort_quarter(report_date: dt.date) -> Quarter:
    """The latest quarter whose 12-month follow-up and 6-month waiting period have both ended by
    the report date: its last day plus 18 months is on or before the report date."""
    q = quarter_containing(report_date)
    while not tracking_complete(q, report_date):
        q = q.previous
    return q


@dataclass(frozen=True)
class ReoffendingCohort:
    quarter: Quarter
    entries: pd.DataFrame  # one row per child: child_id, outcome_id, outcome_date (index date), group, reoffences
    reoffences: pd.DataFrame  # one row per counted offence: child_id, offence_id, offence_date, proven_on

    @property
    def cohort(self) -> int:
        return len(self.entries)

    @property
    def reoffenders(self) -> pd.DataFrame:
        return self.entries[self.entries["reoffences"] > 0]

    @property
    def binary_rate(self) -> float | None:
        """Reoffenders as a percentage of the cohort (None for an empty cohort)."""
        return None if not self.cohort else 100 * len(self.reoffenders) / self.cohort

    @property
    def frequency(self) -> float | None:
        """Reoffences per reoffender (None when nobody reoffended)."""
        return None if self.reoffenders.empty else len(self.reoffences) / len(self.reoffenders)


def reoffending_cohort(outcome: pd.DataFrame, offence: pd.DataFrame, quarter: Quarter,
                       substantive: pd.DataFrame | None = None) -> ReoffendingCohort:
    """Children whose substantive outcome fell in ``quarter`` (entering at the first one), and
    their offences committed after it and no later than 12 months after it that led to a
    substantive outcome dated no later than 18 months after it. ``substantive``: the outcomes'
    ``substantive_outcomes``, when a caller building many cohorts has it already."""
    subst = substantive_outcomes(outcome) if substantive is None else substantive
    in_q = subst[between(subst["outcome_date"], quarter.start, quarter.end)]
    entries = in_q.sort_values(["outcome_date", "outcome_id"]).drop_duplicates("child_id")[
        ["child_id", "outcome_id", "outcome_date", "outcome_type", "group"]].reset_index(drop=True)
    counted = proven_reoffences(entries.rename(columns={"outcome_id": "index_id"}), outcome, offence, subst)
    per_entry = counted.groupby("index_id").size()
    entries["reoffences"] = entries["outcome_id"].map(per_entry).fillna(0).astype(int)
    return ReoffendingCohort(quarter, entries, counted.drop(columns="index_id").reset_index(drop=True))


def proven_reoffences(index: pd.DataFrame, outcome: pd.DataFrame, offence: pd.DataFrame,
                      substantive: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each index event (columns ``index_id``, ``child_id``, ``outcome_date``), the child's
    offences committed after its date and no later than 12 months after it that led to a
    substantive outcome dated no later than 18 months after it. One row per (index, offence).
    Used by the reoffending cohort and by the out-of-court mart's follow-up of each decision."""
    subst = substantive_outcomes(outcome) if substantive is None else substantive
    proven = offence.merge(subst[["outcome_id", "outcome_date"]].rename(columns={"outcome_date": "proven_on"}),
                           on="outcome_id", how="inner")
    joined = index[["index_id", "child_id", "outcome_date"]].assign(outcome_date=lambda f: as_timestamps(f["outcome_date"])).merge(
        proven[["child_id", "offence_id", "offence_date", "proven_on"]], on="child_id", how="inner")
    joined["offence_date"] = as_timestamps(joined["offence_date"])
    follow_up = add_months_to(joined["outcome_date"], FOLLOW_UP_MONTHS)
    waiting = add_months_to(joined["outcome_date"], WAITING_MONTHS)
    keep = (joined["offence_date"] > joined["outcome_date"]) & (joined["offence_date"] <= follow_up) & (joined["proven_on"] <= waiting)
    return joined.loc[keep, ["index_id", "child_id", "offence_id", "offence_date", "proven_on"]]
