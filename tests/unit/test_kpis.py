"""Each KPI on a hand-built cohort whose figures are worked out in the comments.
The quarter is 2025-26 Q2: 1 July to 30 September 2025."""

import pandas as pd
import pytest

from tests.unit.kpi_builders import D, children, figures_by, make_inputs
from transforms.kpis import (
    kpi01_accommodation, kpi02_ete, kpi03_send, kpi04_mental_health, kpi05_substance_misuse, kpi06_out_of_court,
    kpi07_wider_services, kpi08_board, kpi09_serious_violence, kpi10_victims, ni_national,
)
from transforms.kpis.common import above_school_age, add_months, kpi_cohort
from transforms.kpis.registry import KPIS_INTRODUCED, Figure, Registry, Rule
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter

Q = Quarter.parse("2025Q2")
RULES = KpiRules()


def ep(eid, cid, etype, end, **kw):
    return {"episode_id": eid, "child_id": cid, "episode_type": etype, "start_date": kw.pop("start", D("2025-03-01")),
            "end_date": D(end) if end else None, **kw}


# C1: Referral Order ends on the quarter's first day and a YRO on its last: counted once, in
#     COMMUNITY (the more serious), with the YRO's records.
# C2: Prevention; END no fixed abode, no flag -> unsuitable; START NOT_KNOWN -> unknown.
# C3: Youth caution ended the day before the quarter -> not in the cohort.
# C4: a remand ending in the quarter -> excluded from the KPI cohort.
# C5: DTO; no END record -> stays in the cohort as unknown; START flag False -> not suitable.
# C6: two first-tier orders ending the same day -> the greater episode_id (E6B) counts.
COHORT_EPISODES = [
    ep("E1A", "C1", "REFERRAL_ORDER", "2025-07-01"), ep("E1B", "C1", "YOUTH_REHABILITATION_ORDER", "2025-09-30"),
    ep("E2", "C2", "PREVENTION", "2025-08-15"), ep("E3", "C3", "YOUTH_CAUTION", "2025-06-30"),
    ep("E4", "C4", "REMAND_YDA", "2025-08-01"), ep("E5", "C5", "DTO", "2025-09-01"),
    ep("E6A", "C6", "REFERRAL_ORDER", "2025-08-01"), ep("E6B", "C6", "FINE", "2025-08-01"),
]
COHORT_CHILDREN = children("C1", "C2", "C3", "C4", "C5", "C6")


def acc(eid, cid, stage, kind, suitable=None):
    return {"child_id": cid, "episode_id": eid, "recorded_at": stage, "accommodation_type": kind, "suitable": suitable}


def test_kpi_cohort_counts_each_child_once_in_the_most_serious_group():
    cohort = kpi_cohort(make_inputs(child=COHORT_CHILDREN, episode=COHORT_EPISODES), Q, RULES).set_index("child_id")
    assert cohort["episode_id"].to_dict() == {"C1": "E1B", "C2": "E2", "C5": "E5", "C6": "E6B"}
    assert cohort["group"].to_dict() == {"C1": "COMMUNITY", "C2": "PREVENTION_DIVERSION", "C5": "CUSTODY", "C6": "FIRST_TIER"}


def test_kpi1_accommodation_flag_wins_over_type():
    accommodation = [
        acc("E1B", "C1", "END", "BED_AND_BREAKFAST", True),  # flag says suitable despite the type
        acc("E1B", "C1", "START", "WITH_PARENTS"),  # no flag: suitable by type
        acc("E1A", "C1", "END", "NO_FIXED_ABODE"),  # not the counted episode: ignored
        acc("E2", "C2", "END", "NO_FIXED_ABODE"), acc("E2", "C2", "START", "NOT_KNOWN"),
        acc("E5", "C5", "START", "CUSTODY", False),
        acc("E6B", "C6", "END", "WITH_PARENTS", False), acc("E6A", "C6", "END", "WITH_PARENTS", True),
    ]
    f = figures_by(kpi01_accommodation.compute(make_inputs(child=COHORT_CHILDREN, episode=COHORT_EPISODES,
                                                           accommodation=accommodation), Q, RULES))
    assert f[("kpi1.cohort", "TOTAL")] == 4
    assert [f[("kpi1.cohort", g)] for g in ("PREVENTION_DIVERSION", "OUT_OF_COURT", "FIRST_TIER", "COMMUNITY", "CUSTODY")] == [1, 0, 1, 1, 1]
    assert f[("kpi1.suitable_end", "TOTAL")] == 1 and f[("kpi1.suitable_end", "COMMUNITY")] == 1
    assert f[("kpi1.unsuitable_end", "TOTAL")] == 2  # C2 by type, C6 by flag
    assert f[("kpi1.unknown_end", "TOTAL")] == 1 and f[("kpi1.unknown_end", "CUSTODY")] == 1  # C5: no END record
    assert f[("kpi1.suitable_start", "TOTAL")] == 1  # only C1
    assert f[("kpi1.suitable_end_pct", "TOTAL")] == 25.0
    assert f[("kpi1.suitable_end_pct", "OUT_OF_COURT")] is None  # empty denominator: blank, not 0%


@pytest.mark.parametrize("dob,on,above", [
    ("2009-03-10", "2025-06-27", False),  # turns 16 in the year; the last Friday of June itself: still school age
    ("2009-03-10", "2025-06-28", True),  # the day after
    ("2008-08-31", "2024-09-01", True),  # turned 16 the day before the academic year began
    ("2008-09-01", "2024-09-01", False),  # turns 16 on its first day: school age until late June
    ("2010-10-01", "2025-08-20", False),
])
def test_school_age_rule(dob, on, above):
    assert above_school_age(D(dob), D(on)) is above


def test_add_months_moves_29_february_to_28():
    assert add_months(D("2024-02-29"), 12) == D("2025-02-28")
    assert add_months(D("2024-03-31"), 18) == D("2025-09-30")


def test_kpi2_ete_hours_thresholds_and_school_age():
    # A turned 16 in March 2025; episode ends 15 July 2025 (after the last Friday of June):
    # above school age, 16 hours of college is exactly the threshold -> suitable.
    # B is of school age: 25 hours exactly -> suitable. C: 24 hours -> unsuitable.
    # D: NEET, no flag -> unsuitable. E: NEET but the practitioner judged it suitable -> suitable.
    kids = children("A", "B", "C", "D", "E", A={"date_of_birth": D("2009-03-10")}, B={"date_of_birth": D("2010-10-01")},
                    C={"date_of_birth": D("2010-10-01")}, D={"date_of_birth": D("2008-01-01")}, E={"date_of_birth": D("2008-01-01")})
    episodes = [ep("EA", "A", "PREVENTION", "2025-07-15"), ep("EB", "B", "PREVENTION", "2025-08-20"),
                ep("EC", "C", "PREVENTION", "2025-08-20"), ep("ED", "D", "PREVENTION", "2025-08-20"),
                ep("EE", "E", "PREVENTION", "2025-08-20")]

    def ete(eid, cid, kind, offered=None, attended=None, suitable=None, stage="END"):
        return {"child_id": cid, "episode_id": eid, "recorded_at": stage, "ete_type": kind, "hours_offered": offered,
                "hours_attended": attended, "suitable": suitable}

    records = [ete("EA", "A", "COLLEGE", 16, 10), ete("EB", "B", "SCHOOL_FULL_TIME", 25, 20),
               ete("EC", "C", "SCHOOL_FULL_TIME", 24, 24), ete("ED", "D", "NEET"), ete("EE", "E", "NEET", suitable=True),
               ete("EB", "B", "SCHOOL_FULL_TIME", 30, 30, stage="START")]
    f = figures_by(kpi02_ete.compute(make_inputs(child=kids, episode=episodes, ete_status=records), Q, RULES))
    assert f[("kpi2.cohort", "TOTAL")] == 5
    assert f[("kpi2.suitable_end", "TOTAL")] == 3  # A, B, E
    assert f[("kpi2.suitable_start", "TOTAL")] == 1  # B
    assert (f[("kpi2.school_age.cohort", "TOTAL")], f[("kpi2.school_age.suitable_end", "TOTAL")]) == (2, 1)
    assert (f[("kpi2.above_school_age.cohort", "TOTAL")], f[("kpi2.above_school_age.suitable_end", "TOTAL")]) == (3, 2)
    assert (f[("kpi2.hours_offered_end", "TOTAL")], f[("kpi2.hours_attended_end", "TOTAL")]) == (65, 54)
    assert f[("kpi2.suitable_end_pct", "TOTAL")] == 60.0


def test_kpi3_send_from_need_records_and_pupil_records():
    # P1: SEND need on the counted episode, no pupil record -> identified, no formal plan.
    # P2: pupil record with an EHCP (E), suitable ETE -> identified, formal plan, and suitable.
    # P3: SEN support (K), NEET -> identified and formal plan, not suitable ETE.
    # P4: pupil with no SEN (N), SEND need screened but not identified -> not counted.
    # P3's case record has no UPN: the pupil is theirs through the person key all the same.
    kids = children("P1", "P2", "P3", "P4", P2={"upn": "U2"}, P4={"upn": "U4"})
    episodes = [ep(f"E{c}", c, "REFERRAL_ORDER", "2025-08-01") for c in ("P1", "P2", "P3", "P4")]
    needs = [{"need_id": "N1", "child_id": "P1", "episode_id": "EP1", "domain": "SEND", "need_identified": True},
             {"need_id": "N4", "child_id": "P4", "episode_id": "EP4", "domain": "SEND", "need_identified": False}]
    ete = [{"child_id": "P2", "episode_id": "EP2", "recorded_at": "END", "ete_type": "SCHOOL_FULL_TIME", "hours_offered": 30},
           {"child_id": "P3", "episode_id": "EP3", "recorded_at": "END", "ete_type": "NEET"}]
    pupil = pd.DataFrame({"child_id": ["P2", "P3", "P4"], "upn": ["U2", "U3", "U4"], "sen_provision": ["E", "K", "N"]})
    f = figures_by(kpi03_send.compute(make_inputs(child=kids, episode=episodes, need=needs, ete_status=ete, pupil=pupil), Q, RULES))
    assert f[("kpi3.send_identified", "TOTAL")] == 3
    assert f[("kpi3.formal_plan", "TOTAL")] == 2
    assert f[("kpi3.formal_plan_and_suitable_ete", "TOTAL")] == 1
    assert f[("kpi3.formal_plan_pct", "FIRST_TIER")] == pytest.approx(200 / 3)


def test_kpi4_and_kpi5_needs_screened_planned_attended():
    # M1: mental health need identified, no intervention (screened but nothing offered).
    # M2: two records; one identified without a plan, one with a plan attended -> counts as planned and attended.
    # M3: no mental health need; a substance misuse need planned but not attended.
    kids = children("M1", "M2", "M3")
    episodes = [ep(f"E{c}", c, "YOUTH_CAUTION", "2025-09-01") for c in ("M1", "M2", "M3")]

    def need(nid, cid, domain, ident, planned=False, attended=False):
        return {"need_id": nid, "child_id": cid, "episode_id": f"E{cid}", "domain": domain, "need_identified": ident,
                "intervention_planned": planned, "intervention_attended": attended}

    needs = [need("1", "M1", "MENTAL_HEALTH", True), need("2", "M2", "MENTAL_HEALTH", True),
             need("3", "M2", "MENTAL_HEALTH", True, True, True), need("4", "M3", "MENTAL_HEALTH", False),
             need("5", "M3", "SUBSTANCE_MISUSE", True, True, False)]
    inputs = make_inputs(child=kids, episode=episodes, need=needs)
    mh = figures_by(kpi04_mental_health.compute(inputs, Q, RULES))
    assert [mh[(m, "TOTAL")] for m in ("kpi4.cohort", "kpi4.need_identified", "kpi4.intervention_planned",
                                        "kpi4.intervention_attended")] == [3, 2, 1, 1]
    assert mh[("kpi4.intervention_attended_pct", "OUT_OF_COURT")] == 50.0
    sm = figures_by(kpi05_substance_misuse.compute(inputs, Q, RULES))
    assert [sm[(m, "TOTAL")] for m in ("kpi5.need_identified", "kpi5.intervention_planned", "kpi5.intervention_attended")] == [1, 1, 0]


def test_kpi6_out_of_court_completion():
    # D1: Outcome 22 completed. D2: a community resolution (completed) and a youth caution
    # (breached) end in the quarter: the caution counts (more serious) and was not completed.
    # D3: prevention and D4: Turnaround are not disposals: not counted.
    kids = children("D1", "D2", "D3", "D4")
    episodes = [ep("X1", "D1", "OUTCOME_22", "2025-07-10"), ep("X2A", "D2", "COMMUNITY_RESOLUTION", "2025-09-20"),
                ep("X2B", "D2", "YOUTH_CAUTION", "2025-07-20", end_reason="BREACHED"),
                ep("X3", "D3", "PREVENTION", "2025-08-01"), ep("X4", "D4", "TURNAROUND", "2025-08-01")]
    f = figures_by(kpi06_out_of_court.compute(make_inputs(child=kids, episode=episodes), Q, RULES))
    assert (f[("kpi6.ended", "TOTAL")], f[("kpi6.ended", "PREVENTION_DIVERSION")], f[("kpi6.ended", "OUT_OF_COURT")]) == (2, 1, 1)
    assert (f[("kpi6.completed", "TOTAL")], f[("kpi6.completed", "OUT_OF_COURT")]) == (1, 0)
    assert f[("kpi6.completed_pct", "TOTAL")] == 50.0


def test_kpi7_statuses_active_on_the_end_date():
    # W1 looked after across the end date; W2 child in need ended the day before (not active);
    # W3 early help starting on the end date (active); W4 child protection ending on it (active).
    kids = children("W1", "W2", "W3", "W4")
    episodes = [ep(f"E{c}", c, "REFERRAL_ORDER", "2025-08-10") for c in ("W1", "W2", "W3", "W4")]
    ws = [{"child_id": "W1", "status": "LOOKED_AFTER", "start_date": D("2024-01-01"), "end_date": None},
          {"child_id": "W2", "status": "CHILD_IN_NEED", "start_date": D("2025-01-01"), "end_date": D("2025-08-09")},
          {"child_id": "W3", "status": "EARLY_HELP", "start_date": D("2025-08-10"), "end_date": None},
          {"child_id": "W4", "status": "CHILD_PROTECTION", "start_date": D("2025-02-01"), "end_date": D("2025-08-10")}]
    f = figures_by(kpi07_wider_services.compute(make_inputs(child=kids, episode=episodes, wider_services=ws), Q, RULES))
    assert [f[(f"kpi7.{s}", "TOTAL")] for s in ("looked_after", "child_in_need", "early_help", "child_protection", "any")] == [1, 0, 1, 1, 3]


def test_kpi8_board_attendance_with_a_partner_absent():
    def row(day, partner, attended, senior):
        return {"meeting_date": D(day), "partner": partner, "member_role": "r", "attended": attended, "senior": senior}

    board = [row("2025-07-10", " police ", True, True), row("2025-09-11", "POLICE", True, True),
             row("2025-07-10", "HEALTH", False, False), row("2025-09-11", "HEALTH", True, True),
             row("2025-07-10", "EDUCATION", True, False), row("2025-09-11", "PROBATION", True, True),
             row("2025-09-11", "OPCC", True, True), row("2025-06-12", "CHILDRENS_SOCIAL_CARE", True, True)]
    f = figures_by(kpi08_board.compute(make_inputs(board=board), Q, RULES))
    assert f[("kpi8.meetings", "TOTAL")] == 2
    assert {p: f[("kpi8.attended", p)] for p in ("POLICE", "PROBATION", "HEALTH", "CHILDRENS_SOCIAL_CARE", "EDUCATION", "OPCC")} == \
        {"POLICE": 2, "PROBATION": 1, "HEALTH": 1, "CHILDRENS_SOCIAL_CARE": 0, "EDUCATION": 0, "OPCC": 1}


def test_kpi9_serious_violence_gravity_4_vs_5_and_substantive_outcomes():
    outcomes = [{"outcome_id": "Y1", "child_id": "S1", "outcome_date": D("2025-07-05"), "outcome_type": "YOUTH_CAUTION"},
                {"outcome_id": "Y2", "child_id": "S1", "outcome_date": D("2025-08-05"), "outcome_type": "REFERRAL_ORDER"},
                {"outcome_id": "Y3", "child_id": "S2", "outcome_date": D("2025-08-05"), "outcome_type": "REFERRAL_ORDER"},
                {"outcome_id": "Y4", "child_id": "S3", "outcome_date": D("2025-08-05"), "outcome_type": "COMMUNITY_RESOLUTION"},
                {"outcome_id": "Y5", "child_id": "S4", "outcome_date": D("2025-06-30"), "outcome_type": "DTO"}]

    def off(oid, cid, cat, gravity, outcome):
        return {"offence_id": oid, "child_id": cid, "offence_date": D("2025-05-01"), "offence_category": cat,
                "gravity_score": gravity, "outcome_id": outcome}

    offences = [off("F1", "S1", "VIOLENCE_AGAINST_THE_PERSON", 5, "Y1"), off("F2", "S1", "DRUGS", 6, "Y2"),
                off("F3", "S2", "ROBBERY", 4, "Y3"),  # gravity 4: not serious violence
                off("F4", "S3", "DRUGS", 6, "Y4"),  # community resolution: not substantive
                off("F5", "S4", "VIOLENCE_AGAINST_THE_PERSON", 7, "Y5")]  # outcome before the quarter
    f = figures_by(kpi09_serious_violence.compute(make_inputs(child=children("S1", "S2", "S3", "S4"), outcome=outcomes,
                                                              offence=offences), Q, RULES))
    assert (f[("kpi9.offences", "TOTAL")], f[("kpi9.children", "TOTAL")]) == (2, 1)
    assert f[("kpi9.rate_per_10000", "TOTAL")] == 1.0  # 2 offences per 20,000 children


def test_kpi10_victims_consent_gates_the_rest():
    outcomes = [{"outcome_id": "Y1", "child_id": "V", "outcome_date": D("2025-08-01"), "outcome_type": "YOUTH_CAUTION"},
                {"outcome_id": "Y2", "child_id": "V", "outcome_date": D("2025-04-01"), "outcome_type": "YOUTH_CAUTION"}]
    offences = [{"offence_id": "F1", "child_id": "V", "offence_date": D("2025-06-01"), "outcome_id": "Y1"},
                {"offence_id": "F2", "child_id": "V", "offence_date": D("2025-03-01"), "outcome_id": "Y2"}]
    victims = [{"victim_id": "V1", "offence_id": "F1", "contact_consent": True, "views_sought": True, "kept_informed": False,
                "rj_offered": True, "rj_participated": True},
               {"victim_id": "V2", "offence_id": "F1", "contact_consent": False, "views_sought": True},  # no consent
               {"victim_id": "V3", "offence_id": "F1", "contact_consent": None},
               {"victim_id": "V4", "offence_id": "F2", "contact_consent": True, "views_sought": True}]  # other quarter
    f = figures_by(kpi10_victims.compute(make_inputs(child=children("V"), outcome=outcomes, offence=offences, victim=victims), Q, RULES))
    assert [f[(m, "TOTAL")] for m in ("kpi10.victims", "kpi10.consented", "kpi10.views_sought", "kpi10.kept_informed",
                                       "kpi10.rj_offered", "kpi10.rj_participated", "kpi10.rj_participated_pct")] == [3, 1, 1, 0, 1, 1, 100.0]


def test_national_indicators_fte_custody_and_reoffending():
    def oc(oid, cid, day, kind):
        return {"outcome_id": oid, "child_id": cid, "outcome_date": D(day), "outcome_type": kind}

    def off(oid, cid, day, outcome):
        return {"offence_id": oid, "child_id": cid, "offence_date": D(day), "offence_category": "THEFT_AND_HANDLING",
                "gravity_score": 3, "outcome_id": outcome}

    outcomes = [
        # FTE window is 1 Oct 2024 to 30 Sep 2025.
        oc("A1", "F1", "2025-01-10", "OUTCOME_22"), oc("A2", "F1", "2025-05-01", "YOUTH_CAUTION"),  # O22 first: FTE at the caution
        oc("B1", "F2", "2024-09-30", "REFERRAL_ORDER"), oc("B2", "F2", "2025-02-01", "YRO_ISS"),  # first before the window
        oc("C1", "F3", "2024-10-01", "FINE"),  # the window's first day
        oc("D1", "F4", "2025-03-01", "DTO"), oc("D0", "F5", "2024-09-01", "DTO"),
        # Reoffending cohort quarter: January to March 2024 (its end + 18 months = 30 Sep 2025).
        oc("R1", "R1", "2024-02-29", "YOUTH_CAUTION"), oc("R1b", "R1", "2025-06-01", "REFERRAL_ORDER"),
        oc("R2", "R2", "2024-01-15", "YOUTH_CAUTION"), oc("R2b", "R2", "2025-03-01", "REFERRAL_ORDER"),
        oc("R3", "R3", "2024-03-10", "YOUTH_CAUTION"), oc("R3b", "R3", "2025-09-20", "REFERRAL_ORDER"),
        oc("R4", "R4", "2024-01-05", "YOUTH_CAUTION"), oc("R4b", "R4", "2024-08-01", "REFERRAL_ORDER"),
    ]
    offences = [
        off("X1", "R1", "2025-02-28", "R1b"),  # 12 months after 29 Feb 2024 is 28 Feb 2025: just inside
        off("X2", "R2", "2025-01-16", "R2b"),  # one day outside 12 months
        off("X3", "R3", "2024-06-01", "R3b"),  # proven after the 18-month waiting period
        off("X4", "R4", "2024-05-01", "R4b"), off("X5", "R4", "2024-07-01", "R4b"),
    ]
    kids = children("F1", "F2", "F3", "F4", "F5", "R1", "R2", "R3", "R4")
    f = figures_by(ni_national.compute(make_inputs(child=kids, outcome=outcomes, offence=offences), Q, RULES))
    assert f[("ni.fte.count", "TOTAL")] == 3  # F1 (at the caution), F3 (first day), F4 (a DTO is substantive too)
    assert f[("ni.custody.count", "TOTAL")] == 1
    assert f[("ni.fte.rate_per_100000", "TOTAL")] == pytest.approx(3 / 20000 * 100000)
    assert (f[("ni.reoffending.cohort", "TOTAL")], f[("ni.reoffending.reoffenders", "TOTAL")],
            f[("ni.reoffending.reoffences", "TOTAL")]) == (4, 2, 3)
    assert f[("ni.reoffending.binary_rate", "TOTAL")] == 50.0
    assert f[("ni.reoffending.frequency", "TOTAL")] == 1.5
    assert ni_national.reoffending_cohort_quarter(D("2025-09-30")) == Quarter.parse("2023Q4")


def test_registry_runs_an_old_quarter_with_the_rules_of_its_time():
    registry = Registry()

    def old(inputs, quarter, rules):
        return [Figure("kpi9", "kpi9.offences", "TOTAL", 1.0)]

    def new(inputs, quarter, rules):
        return [Figure("kpi9", "kpi9.offences", "TOTAL", 2.0)]

    registry.register(Rule("kpi9", "v1", "2023-04", KPIS_INTRODUCED, (), old))
    registry.register(Rule("kpi9", "v2", "2025-04", Quarter.parse("2025Q1"), (), new))
    assert [r.title for r in registry.in_force(Quarter.parse("2024Q4"))] == ["v1"]
    assert [r.title for r in registry.in_force(Quarter.parse("2025Q2"))] == ["v2"]
    assert registry.in_force(Quarter.parse("2022Q4")) == []
    with pytest.raises(ValueError):
        registry.register(Rule("kpi9", "dup", "x", Quarter.parse("2025Q1"), (), new))


def test_rules_are_settings(monkeypatch):
    monkeypatch.setenv("YJ_KPI_RULES", '{"ete_hours_school_age": 20, "serious_violence_min_gravity": 4}')
    rules = KpiRules.from_env()
    assert (rules.ete_hours_school_age, rules.serious_violence_min_gravity) == (20, 4)
    monkeypatch.setenv("YJ_KPI_RULES", '{"no_such_rule": 1}')
    with pytest.raises(ValueError, match="no_such_rule"):
        KpiRules.from_env()


def test_a_rule_default_changed_from_a_later_quarter_leaves_earlier_quarters_unchanged(monkeypatch):
    """Rules of their time (issue 12): B, of school age, has 25 hours of school at the end of an
    episode in 2025-26 Q2 and another in 2026-27 Q1. From 2026-27 Q1 the school-age threshold
    rises to 30 hours: Q2 2025-26 still counts B as suitable, Q1 2026-27 does not."""
    from transforms.kpis.rules_config import RulesChange, rules_in_force

    kids = children("B", B={"date_of_birth": D("2012-10-01")})
    episodes = [ep("E1", "B", "PREVENTION", "2025-08-20"), ep("E2", "B", "PREVENTION", "2026-05-20", start=D("2026-01-05"))]
    records = [{"child_id": "B", "episode_id": e, "recorded_at": "END", "ete_type": "SCHOOL_FULL_TIME",
                "hours_offered": 25, "hours_attended": 25, "suitable": None} for e in ("E1", "E2")]
    inputs = make_inputs(child=kids, episode=episodes, ete_status=records)
    changes = [RulesChange(Quarter.parse("2026Q1"), {"ete_hours_school_age": 30}, "a later default")]
    earlier, later = Quarter.parse("2025Q2"), Quarter.parse("2026Q1")

    def suitable(quarter, rules):
        return figures_by(kpi02_ete.compute(inputs, quarter, rules))[("kpi2.suitable_end", "TOTAL")]

    assert rules_in_force(earlier, changes) == KpiRules()
    assert rules_in_force(later, changes).ete_hours_school_age == 30
    assert suitable(earlier, rules_in_force(earlier, changes)) == suitable(earlier, KpiRules()) == 1
    assert suitable(later, rules_in_force(later, changes)) == 0
    # The service's overrides are versioned the same way, through YJ_KPI_RULES.
    monkeypatch.setenv("YJ_KPI_RULES", '[{"valid_from": "2026Q1", "ete_hours_school_age": 30}]')
    assert KpiRules.from_env(earlier).ete_hours_school_age == 25 and KpiRules.from_env(later).ete_hours_school_age == 30
    monkeypatch.setenv("YJ_KPI_RULES", '[{"valid_from": "2026Q5", "ete_hours_school_age": 30}]')
    with pytest.raises(ValueError, match="'2026Q5' is not a quarter"):
        KpiRules.from_env(earlier)


def test_every_measure_has_its_wording_from_the_spec():
    from transforms.kpis.catalogue import REGISTRY
    from transforms.kpis.wording import MEASURE_WORDING

    inputs = make_inputs(child=COHORT_CHILDREN, episode=COHORT_EPISODES)
    measures = {f.measure for rule in REGISTRY.in_force(Q) for f in rule.compute(inputs, Q, RULES)}
    assert measures - set(MEASURE_WORDING) == set()
