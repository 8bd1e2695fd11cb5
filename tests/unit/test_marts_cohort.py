"""Each mart from a hand-built cohort with known answers (no database: the builders take
the core as frames)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from transforms.canonical import canonical_tables, ethnic_group_of
from transforms.marts.build import conform
from transforms.marts.core import CoreData
from transforms.marts.definitions import MARTS

AS_OF = dt.date(2026, 11, 20)
D = pd.Timestamp


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    columns = [c.name for c in canonical_tables()[name].columns]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


@pytest.fixture(scope="module")
def core() -> CoreData:
    child = _table("child", [
        {"child_id": "A", "first_name": "Ann", "last_name": "X", "date_of_birth": D("2010-01-15"), "sex": "M", "ethnicity": "W1",
         "postcode": "LE4 5AB", "local_authority": "LEICESTERSHIRE"},
        {"child_id": "B", "first_name": "Bea", "last_name": "Y", "date_of_birth": D("2009-06-30"), "sex": "F", "ethnicity": "B1",
         "postcode": "LE2 1CD", "local_authority": "LEICESTERSHIRE"},
        {"child_id": "C", "first_name": "Cal", "last_name": "Z", "date_of_birth": D("2008-03-01"), "sex": "M", "ethnicity": "A1",
         "postcode": "LE11 2EF", "local_authority": "RUTLAND"},
    ])
    child["child_key"] = child["person_key"] = ["KA", "KB", "KC"]
    child["ethnic_group"] = child["ethnicity"].map(ethnic_group_of)
    child["postcode_district"] = ["LE4", "LE2", "LE11"]
    episode = _table("episode", [
        {"episode_id": "E1", "child_id": "A", "episode_type": "REFERRAL_ORDER", "start_date": D("2025-05-01"), "end_date": D("2025-11-01"),
         "end_reason": "COMPLETED", "outcome_id": "O1"},
        {"episode_id": "E2", "child_id": "B", "episode_type": "YOUTH_CAUTION", "start_date": D("2025-07-01"), "outcome_id": "O2"},
        {"episode_id": "E3", "child_id": "B", "episode_type": "REMAND_YDA", "start_date": D("2025-08-01"), "end_date": D("2025-08-20")},
        {"episode_id": "E4", "child_id": "C", "episode_type": "DTO", "start_date": D("2025-09-01"), "outcome_id": "O3"},
    ])
    outcome = _table("outcome", [
        {"outcome_id": "O1", "child_id": "A", "outcome_date": D("2025-05-01"), "outcome_type": "REFERRAL_ORDER"},
        {"outcome_id": "O2", "child_id": "B", "outcome_date": D("2025-07-01"), "outcome_type": "YOUTH_CAUTION"},
        {"outcome_id": "O3", "child_id": "C", "outcome_date": D("2025-09-01"), "outcome_type": "DTO"},
        {"outcome_id": "O4", "child_id": "A", "outcome_date": D("2026-01-10"), "outcome_type": "YOUTH_REHABILITATION_ORDER"},
    ])
    offence = _table("offence", [
        {"offence_id": "F1", "child_id": "A", "offence_date": D("2025-04-01"), "outcome_id": "O1"},
        {"offence_id": "F2", "child_id": "A", "offence_date": D("2025-12-01"), "outcome_id": "O4"},
        {"offence_id": "F3", "child_id": "B", "offence_date": D("2025-06-20"), "outcome_id": "O2"},
    ])
    need = _table("need", [
        {"need_id": "N1", "child_id": "A", "episode_id": "E1", "domain": "MENTAL_HEALTH", "screened_date": D("2025-05-20"),
         "need_identified": True, "intervention_planned": True, "intervention_attended": False},
        {"need_id": "N2", "child_id": "A", "episode_id": "E1", "domain": "SEND", "need_identified": True},
    ])
    tables = {
        "child": child, "episode": episode, "outcome": outcome, "offence": offence, "need": need,
        "assessment": _table("assessment", [{"assessment_id": "S1", "child_id": "A", "episode_id": "E1", "assessment_type": "ASSETPLUS",
                                             "completed_date": D("2025-05-10"), "likelihood_of_reoffending": "HIGH", "risk_of_serious_harm": "MEDIUM"}]),
        "ete_status": _table("ete_status", [{"child_id": "A", "episode_id": "E1", "recorded_at": "END", "ete_type": "COLLEGE",
                                             "hours_offered": 16, "hours_attended": 12, "suitable": True}]),
        "accommodation": _table("accommodation", []),
        "wider_services": _table("wider_services", [{"child_id": "B", "status": "LOOKED_AFTER", "start_date": D("2025-01-01")}]),
        "victim": _table("victim", [{"victim_id": "V1", "offence_id": "F2", "victim_kind": "PERSON", "contact_consent": True, "rj_offered": True}]),
        "population": pd.DataFrame([{"area": "LEICESTERSHIRE", "year": 2025, "age": 15, "sex": s, "ethnic_group": g, "population": 1000}
                                    for s in ("M", "F") for g in ("White", "Black", "Asian", "Mixed", "Other")]),
    }
    for name in ("pupil", "suspension", "ccis_activity", "custody_detention", "identity_link", "board_attendance", "ccis_activity_ref"):
        tables[name] = pd.DataFrame()
    return CoreData(tables, AS_OF)


def _built(core, name) -> pd.DataFrame:
    return conform(MARTS[name], MARTS[name].build(core))


def test_cohort_mart(core):
    m = _built(core, "cohort").set_index("episode_id")
    assert list(m.index) == ["E1", "E2", "E3", "E4"]
    assert m.loc["E1", "age_at_start"] == 15 and m.loc["E1", "postcode_district"] == "LE4"
    assert list(m["stage"]) == ["COURT", "OUT_OF_COURT", "REMAND", "CUSTODY"]
    assert m.loc["E1", "send"] and m.loc["E1", "mental_health_need"] and not m.loc["E2", "send"]
    assert m.loc["E3", "looked_after"] and not m.loc["E1", "looked_after"]
    assert m.loc["E1", "likelihood_of_reoffending"] == "HIGH" and m.loc["E1", "start_quarter"] == "2025Q1"


def test_reoffending_tracker(core):
    m = _built(core, "reoffending").set_index(["person_key", "cohort_quarter"])
    a = m.loc[("KA", "2025Q1")]
    assert a["reoffended"] and a["reoffences"] == 1 and a["age_at_index"] == 15
    # 2025Q1 ends 30 June 2025; its waiting period (18 months) ends 31 December 2026, after the as-of date.
    assert not a["tracking_complete"]
    assert not m.loc[("KB", "2025Q2"), "reoffended"]
    assert not m.loc[("KA", "2025Q4"), "tracking_complete"]


def test_out_of_court_and_remands(core):
    ooc = _built(core, "out_of_court")
    assert list(ooc["outcome_id"]) == ["O2"] and ooc["stage"].iloc[0] == "OUT_OF_COURT" and not ooc["reoffended_12m"].iloc[0]
    rc = _built(core, "remands_custody").set_index("record_id")
    assert rc.loc["E3", "record_kind"] == "REMAND_YDA" and rc.loc["E4", "record_kind"] == "CUSTODIAL_SENTENCE"
    assert rc.loc["E4", "age_at_start"] == 17


def test_health_victims_ete(core):
    h = _built(core, "health")
    assert len(h) == 1 and h["screened"].iloc[0] and h["screened_quarter"].iloc[0] == "2025Q1"
    v = _built(core, "victims")
    assert v["person_key"].tolist() == ["KA"] and v["offence_quarter"].tolist() == ["2025Q3"]
    e = _built(core, "ete").set_index("episode_id")
    assert e.loc["E1", "ete_end"] == "COLLEGE" and e.loc["E1", "hours_attended_end"] == 12


def test_disproportionality_counts_and_rates(core):
    d = _built(core, "disproportionality")
    fy = d[(d["period"] == "2025-26")].set_index(["stage", "dimension", "group"])
    assert fy.loc[("COURT", "ethnic_group", "White"), "children"] == 1
    assert fy.loc[("OUT_OF_COURT", "ethnic_group", "Black"), "children"] == 1
    assert fy.loc[("OUT_OF_COURT", "ethnic_group", "Black"), "rate_per_1000"] == pytest.approx(1 / 2000 * 1000)
    assert fy.loc[("OUT_OF_COURT", "sex", "F"), "children"] == 1
    assert fy.loc[("REMAND", "looked_after", "Y"), "children"] == 1
    # One child against none: no relative rate can be assessed, so no flag.
    assert fy.loc[("OUT_OF_COURT", "ethnic_group", "Black"), "flag"] == "NOT_ASSESSED"


def test_performance_overview(core):
    p = _built(core, "performance_overview").set_index(["quarter", "measure"])["value"]
    assert p[("2025Q2", "caseload_court")] == 1  # A's referral order open on 30 September 2025
    assert p[("2025Q2", "starts_remand")] == 1 and p[("2025Q2", "ends_remand")] == 1
    assert p[("2025Q1", "first_time_entrants_in_quarter")] == 1 and p[("2025Q2", "first_time_entrants_in_quarter")] == 2
    assert p[("2025Q2", "first_time_entrants_12m")] == 3 and p[("2025Q2", "custodial_sentences_12m")] == 1
    assert p[("2025Q2", "first_time_entrants_rate_per_100000")] == pytest.approx(3 / 10000 * 100000)


def test_education_through_the_person_key_and_board_attendance(core):
    tables = dict(core.tables)
    # U1 is A's pupil record and U2 is B's; U9 is a pupil the matching found no case-system child for.
    tables["identity_link"] = pd.DataFrame([
        {"source": "education", "record_id": "U1", "person_key": "KA", "child_id": "A"},
        {"source": "education", "record_id": "U2", "person_key": "KB", "child_id": "B"},
        {"source": "education", "record_id": "U9", "person_key": "P9", "child_id": None}])
    tables["pupil"] = pd.DataFrame([{"upn": "U1", "ehe": False, "part_time_timetable": True, "sen_provision": "N"},
                                    {"upn": "U2", "ehe": True, "part_time_timetable": False, "sen_provision": "K"},
                                    {"upn": "U9", "ehe": False, "part_time_timetable": False, "sen_provision": "E"}])
    tables["suspension"] = pd.DataFrame([
        {"upn": "U1", "start_date": "2025-10-02", "category": "SUSPENSION", "sessions": 4, "reason_code": "PP"},
        {"upn": "U9", "start_date": "2025-10-03", "category": "PERMANENT_EXCLUSION", "sessions": 0, "reason_code": "DA"}])
    tables["board_attendance"] = pd.DataFrame([
        {"meeting_date": D("2025-06-10"), "partner": "Police", "member_role": "Chair", "attended": True, "senior": True},
        {"meeting_date": D("2025-06-10"), "partner": "Health", "member_role": "Member", "attended": False, "senior": False}])
    linked = CoreData(tables, AS_OF)

    events = _built(linked, "ete_event")
    assert events["person_key"].tolist() == ["KA"]  # U9 is not one of the service's children
    assert events["event_quarter"].tolist() == ["2025Q3"] and events["sessions"].tolist() == [4]
    ete = _built(linked, "ete").set_index("episode_id")
    assert ete.loc["E1", "part_time_timetable"] and ete.loc["E1", "sen_provision"] == "N"
    assert ete.loc["E2", "ehe"] and ete.loc["E3", "sen_provision"] == "K" and pd.isna(ete.loc["E4", "sen_provision"])
    cohort = _built(linked, "cohort").set_index("episode_id")
    assert cohort.loc["E2", "send"] and cohort.loc["E3", "send"]  # SEN support on B's school record
    assert not cohort.loc["E4", "send"]
    board = _built(linked, "board_attendance")
    assert board["meeting_quarter"].tolist() == ["2025Q1", "2025Q1"] and board["attended"].tolist() == [True, False]


def test_looked_after_children_are_assessed_against_their_reference(core):
    without = _built(core, "disproportionality").set_index(["period", "stage", "dimension", "group"])
    assert without.loc[("2025-26", "COURT", "looked_after", "Y"), "flag"] == "NOT_ASSESSED"
    tables = dict(core.tables)
    tables["looked_after_population"] = pd.DataFrame([{"area": "LEICESTERSHIRE", "year": 2024, "looked_after": 100, "source": "hand"}])
    d = _built(CoreData(tables, AS_OF), "disproportionality").set_index(["period", "stage", "dimension", "group"])
    oocd = ("2025-26", "OUT_OF_COURT", "looked_after", "Y")  # B, looked after since January 2025
    assert d.loc[oocd, "population"] == 100 and d.loc[oocd, "rate_per_1000"] == pytest.approx(10.0)
    assert d.loc[("2025-26", "OUT_OF_COURT", "looked_after", "N"), "population"] == 10000 - 100
    court = ("2025-26", "COURT", "looked_after", "Y")  # A is not looked after: a rate of 0 against 1 in 9,900
    assert d.loc[court, "relative_rate"] == 0.0 and d.loc[court, "relative_rate_ci_high"] > 1
    assert d.loc[court, "flag"] == "NOT_SIGNIFICANT"
