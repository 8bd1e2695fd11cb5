"""The single definitions in transforms/measures on hand-built rows, and the vectorised
month arithmetic against the date one (kpis.md: "12 months after")."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings, strategies as st

from transforms.measures.offending import custodial_sentences, first_time_entrants
from transforms.measures.reoffending import cohort_quarter, reoffending_cohort, tracking_complete
from transforms.measures.victims import victims_of_outcomes_in, with_contact
from transforms.periods import Quarter, add_months, add_months_to

D = dt.date.fromisoformat


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), st.integers(-24, 24))
def test_vectorised_months_agree_with_add_months(day, months):
    assert add_months_to(pd.Series([pd.Timestamp(day)]), months).iloc[0].date() == add_months(day, months)


def test_dates_or_timestamps_give_the_same_entrants_and_sentences():
    outcome = pd.DataFrame([
        {"outcome_id": "a", "child_id": "C1", "outcome_date": D("2025-01-05"), "outcome_type": "COMMUNITY_RESOLUTION"},
        {"outcome_id": "b", "child_id": "C1", "outcome_date": D("2025-02-05"), "outcome_type": "YOUTH_CAUTION"},
        {"outcome_id": "c", "child_id": "C2", "outcome_date": D("2024-12-31"), "outcome_type": "DTO"},
        {"outcome_id": "d", "child_id": "C3", "outcome_date": D("2025-03-01"), "outcome_type": "FINE"}])
    child = pd.DataFrame({"child_id": ["C1", "C2", "C3"], "local_authority": ["Leicestershire", "RUTLAND", "LEICESTER"]})
    for frame in (outcome, outcome.assign(outcome_date=pd.to_datetime(outcome["outcome_date"]))):
        fte = first_time_entrants(frame, child, ("LEICESTERSHIRE", "RUTLAND"), D("2025-01-01"), D("2025-03-31"))
        assert fte["outcome_id"].tolist() == ["b"]  # C2 entered in December; C3 lives outside the areas
        assert custodial_sentences(frame, D("2024-12-31"), D("2025-03-31"))["outcome_id"].tolist() == ["c"]


def test_reoffending_follow_up_and_waiting_period_edges():
    q = Quarter.parse("2023Q4")  # January to March 2024
    assert cohort_quarter(D("2025-09-30")) == q and tracking_complete(q, D("2025-09-30"))
    assert not tracking_complete(q, D("2025-09-29"))
    outcome = pd.DataFrame([
        {"outcome_id": "i1", "child_id": "A", "outcome_date": D("2024-02-29"), "outcome_type": "YOUTH_CAUTION"},
        {"outcome_id": "i2", "child_id": "A", "outcome_date": D("2024-03-15"), "outcome_type": "FINE"},  # not the entry
        {"outcome_id": "p1", "child_id": "A", "outcome_date": D("2025-08-29"), "outcome_type": "REFERRAL_ORDER"},  # 18 months
        {"outcome_id": "p2", "child_id": "A", "outcome_date": D("2025-08-30"), "outcome_type": "REFERRAL_ORDER"},  # a day late
        {"outcome_id": "p3", "child_id": "A", "outcome_date": D("2025-01-10"), "outcome_type": "OUTCOME_22"}])  # not substantive
    offence = pd.DataFrame([
        {"offence_id": "x1", "child_id": "A", "offence_date": D("2025-02-28"), "outcome_id": "p1"},  # last day of 12 months
        {"offence_id": "x2", "child_id": "A", "offence_date": D("2025-01-01"), "outcome_id": "p2"},
        {"offence_id": "x3", "child_id": "A", "offence_date": D("2024-12-01"), "outcome_id": "p3"},
        {"offence_id": "x4", "child_id": "A", "offence_date": D("2024-02-29"), "outcome_id": "p1"}])  # same day: not after
    r = reoffending_cohort(outcome, offence, q)
    assert r.entries["outcome_id"].tolist() == ["i1"] and r.reoffences["offence_id"].tolist() == ["x1"]
    assert (r.cohort, len(r.reoffenders), r.binary_rate, r.frequency) == (1, 1, 100.0, 1.0)
    assert reoffending_cohort(outcome.iloc[:0], offence, q).binary_rate is None


def test_victims_are_counted_by_their_offences_outcome_date_and_contact_needs_consent():
    outcome = pd.DataFrame({"outcome_id": ["o1", "o2"], "outcome_date": [D("2025-07-01"), D("2025-10-01")]})
    offence = pd.DataFrame({"offence_id": ["f1", "f2", "f3"], "outcome_id": ["o1", "o2", None]})
    victim = pd.DataFrame({"victim_id": ["v1", "v2", "v3", "v4"], "offence_id": ["f1", "f1", "f2", "f3"],
                           "contact_consent": [True, None, True, True], "views_sought": [True, True, True, True],
                           "kept_informed": [False] * 4, "rj_offered": [False] * 4, "rj_participated": [False] * 4})
    v = victims_of_outcomes_in(victim, offence, outcome, D("2025-07-01"), D("2025-09-30"))
    assert v["victim_id"].tolist() == ["v1", "v2"]
    assert with_contact(v, "views_sought")["victim_id"].tolist() == ["v1"]  # v2's views were sought without consent
