"""Each variation a person would accept between two records of one child is a comparison level
of the model, with its own weight: hand-written pairs, run through the model's own level SQL on
DuckDB (``comparison_levels_of``), fall into the level that names them. Then the traps: a
namesake or a twin is not linked on name and date of birth alone."""
from __future__ import annotations

import pandas as pd
import pytest

from transforms.matching import model
from transforms.matching.model import DOB_LEVELS, FORENAME_LEVELS, SURNAME_LEVELS, comparison_levels_of, gamma_of
from transforms.matching.records import CASE_COLUMNS, SOURCES, standardise, with_known_surnames
from transforms.matching.resolve import (
    WHY_INITIAL_TWIN, WHY_NAMESAKE, Thresholds, _settle, initial_twins, namesakes, why_review,
)


def _child(first, last, dob="2010-03-04", postcode="LE4 6AB", child_id="C1", upn=None):
    return pd.DataFrame({"child_id": [child_id], "first_name": [first], "last_name": [last], "date_of_birth": [dob],
                         "postcode": [postcode], "sex": ["M"], "upn": [upn], "pnc_id": [None]})


def _pupil(first, last, dob="2010-03-04", postcode="LE4 6AB", upn="A100000000001"):
    return pd.DataFrame({"upn": [upn], "former_upn": [None], "forename": [first], "surname": [last], "date_of_birth": [dob],
                         "postcode": [postcode], "sex": ["M"]})


def _detention(forenames, surname, dob="2010-03-04", postcode="LE4 6AB", ref="D1"):
    return pd.DataFrame({"custody_ref": [ref], "forenames": [forenames], "surname": [surname], "date_of_birth": [dob],
                         "postcode": [postcode], "sex": ["M"], "pnc_id": [None]})


def _levels(child: pd.DataFrame, record: pd.DataFrame, source: str = "education") -> dict:
    case = standardise(child, "case_system", CASE_COLUMNS)
    other = standardise(record, source, SOURCES[source])
    return comparison_levels_of(case, other).iloc[0].to_dict()


def fore(label_index: int) -> int:
    return gamma_of(FORENAME_LEVELS, FORENAME_LEVELS[label_index])


def sur(label_index: int) -> int:
    return gamma_of(SURNAME_LEVELS, SURNAME_LEVELS[label_index])


def dob(label_index: int) -> int:
    return gamma_of(DOB_LEVELS, DOB_LEVELS[label_index])


@pytest.mark.parametrize("case_first, other_first, level", [
    ("Alexander", "Alex", 1),          # name_variants.csv
    ("Margaret", "Peggy", 1),          # only in the maintained nicknames list (nicknames.csv)
    ("Katherine", "Kate", 1),
    ("Ava Rose", "Rose Ava", 2),       # given and middle name swapped
    ("Ava Rose", "Rose", 2),           # the middle name used as the first
    ("Jessica", "J", 3),               # an initial for the full forename
    ("J", "Jessica", 3),
    ("Jessica", "Jessicca", 4),        # a spelling slip is its own, weaker, level
    ("Jessica", "Bethany", 6),
])
def test_forename_variations_each_fall_into_their_own_level(case_first, other_first, level):
    assert _levels(_child(case_first, "Thompson"), _pupil(other_first, "Thompson"))["gamma_forename"] == fore(level)


def test_an_initial_is_not_a_nickname_and_a_nickname_is_never_chained():
    # Al is a nickname of Alexander and of Albert; Alexander and Albert are not one name.
    assert _levels(_child("Alexander", "Shaw"), _pupil("Albert", "Shaw"))["gamma_forename"] != fore(1)
    assert _levels(_child("Alexander", "Shaw"), _pupil("Al", "Shaw"))["gamma_forename"] == fore(1)


@pytest.mark.parametrize("case_dob, other_dob, level", [
    ("2010-03-04", "2010-03-04", 0),
    ("2010-03-04", "2010-04-03", 1),   # day and month swapped
    ("2010-03-04", "2010-03-07", 2),   # one digit
    ("2010-03-04", "2011-03-04", 2),   # a year apart is one digit here...
    ("2009-12-31", "2010-12-31", 3),   # ...and not here: a year apart across a decade
    ("2010-02-28", "2010-03-01", 3),   # a day apart across a month
    ("2010-01-31", "2010-02-28", 4),   # no slip a person would accept: another date in the same year
    ("2010-03-04", "2012-07-19", 5),
])
def test_date_of_birth_slips_each_fall_into_their_own_level(case_dob, other_dob, level):
    got = _levels(_child("Ava", "Patel", dob=case_dob), _pupil("Ava", "Patel", dob=other_dob))["gamma_dob"]
    assert got == dob(level), (case_dob, other_dob)


def test_patronymic_surname_is_its_own_level_not_a_swap():
    # A Somali child registered Hodan Abdi Farah (given, father's, grandfather's name); the
    # police record the father's name as the surname.
    levels = _levels(_child("Hodan Abdi", "Farah"), _detention("HODAN", "ABDI"), "custody")
    assert levels["gamma_surname"] == sur(4)
    swapped = _levels(_child("Ali", "Khan"), _detention("KHAN", "ALI"), "custody")
    assert (swapped["gamma_forename"], swapped["gamma_surname"]) == (model.FORENAME_SWAPPED, model.SURNAME_SWAPPED)


def test_a_step_parents_surname_seen_for_the_child_in_another_source_is_its_own_level():
    case = standardise(_child("Ruby", "Jones", upn="A100000000001"), "case_system", CASE_COLUMNS)
    pupil = standardise(_pupil("Ruby", "Walsh", upn="A100000000001"), "education", SOURCES["education"])  # birth surname at school
    detention = standardise(_detention("RUBY", "WALSH"), "custody", SOURCES["custody"])
    people = {"case_system": case, "education": pupil, "custody": detention, "ccis": pupil.iloc[0:0]}
    proven = pd.DataFrame({"source": ["education"], "record_id": ["A100000000001"], "child_id": ["C1"]})
    known = with_known_surnames(case, people, proven)
    assert comparison_levels_of(known, detention).iloc[0]["gamma_surname"] == sur(2)
    # The pupil that taught it is never compared with its own surname (its source is left out),
    # so the proven pairs do not all fall into this level when the model learns its weight.
    assert comparison_levels_of(known, pupil).iloc[0]["gamma_surname"] == sur(6)
    # A child with no such record elsewhere: the surnames simply differ.
    assert comparison_levels_of(case, detention).iloc[0]["gamma_surname"] == sur(6)


def test_every_level_is_a_level_of_the_model_with_its_own_weight():
    comparisons = {c["output_column_name"]: c for c in model.settings().create_settings_dict("duckdb")["comparisons"]}
    for name, labels in (("forename", FORENAME_LEVELS), ("surname", SURNAME_LEVELS), ("dob", DOB_LEVELS)):
        levels = [lv for lv in comparisons[name]["comparison_levels"] if not lv.get("is_null_level")]
        assert tuple(lv.get("label_for_charts") for lv in levels) == labels


# --- the traps ----------------------------------------------------------------------------------

def _scored(case: pd.DataFrame, others: pd.DataFrame, probability: float) -> pd.DataFrame:
    """Pairs at their real levels, with a score as high as a model could give (the rules, not
    the score, must stop these)."""
    scored = comparison_levels_of(case, others).assign(match_probability=probability, match_weight=20.0, reasons="r")
    return scored


def test_twin_trap_an_initial_shared_by_twins_is_not_linked_to_either():
    case = standardise(pd.concat([_child("Amy", "Shaw", child_id="C1")]), "case_system", CASE_COLUMNS)
    # Amy's twin Anna is a pupil the service does not know; a detention says only "A SHAW".
    pupils = standardise(_pupil("Anna", "Shaw", upn="A100000000002"), "education", SOURCES["education"])
    detention = standardise(_detention("A", "SHAW"), "custody", SOURCES["custody"])
    people = {"case_system": case, "education": pupils, "custody": detention, "ccis": pupils.iloc[0:0]}
    assert ("A", "SHAW", "2010-03-04") in initial_twins(people)
    scored = _scored(case, detention, 0.9999)
    assert scored.iloc[0]["gamma_forename"] == fore(3)
    assert why_review(scored.iloc[0]["gamma_forename"], scored.iloc[0]["gamma_surname"], scored.iloc[0]["gamma_dob"],
                      scored.iloc[0]["gamma_postcode"], 0.9999, False, 0.99, twin_risk=True) == WHY_INITIAL_TWIN
    # Without a twin anywhere, the same initial is ordinary evidence for the model to weigh.
    alone = {**people, "education": pupils.iloc[0:0]}
    assert initial_twins(alone) == set()


def test_twin_trap_twins_with_different_forenames_stay_apart():
    case = standardise(_child("Amy", "Shaw"), "case_system", CASE_COLUMNS)
    twin = standardise(_pupil("Anna", "Shaw", upn="A100000000002"), "education", SOURCES["education"])
    scored = _scored(case, twin, 0.9999)
    linked = pd.DataFrame(columns=["source", "record_id", "child_id", "method", "match_probability", "match_weight", "reasons"])
    auto, review = _settle(scored, linked, set(), {}, Thresholds())
    assert auto.empty and len(review) == 1


def test_namesake_trap_two_children_with_one_name_and_date_of_birth_need_an_address():
    case = standardise(pd.concat([_child("Oliver", "Smith", postcode="LE4 6AB", child_id="C1"),
                                  _child("Oliver", "Smith", postcode="LE11 3TU", child_id="C2")]), "case_system", CASE_COLUMNS)
    detention = standardise(_detention("OLIVER", "SMITH", postcode=None), "custody", SOURCES["custody"])
    people = {"case_system": case, "custody": detention, "education": detention.iloc[0:0], "ccis": detention.iloc[0:0]}
    assert ("OLIVER", "SMITH", "2010-03-04") in namesakes(people)
    scored = _scored(case, detention, 0.9999).assign(namesake=True)
    linked = pd.DataFrame(columns=["source", "record_id", "child_id", "method", "match_probability", "match_weight", "reasons"])
    auto, review = _settle(scored, linked, set(), {}, Thresholds())
    assert auto.empty and {r["child_id"] for r in review} == {"C1", "C2"}
    assert why_review(scored.iloc[0]["gamma_forename"], scored.iloc[0]["gamma_surname"], scored.iloc[0]["gamma_dob"],
                      -1, 0.9999, False, 0.99, namesake=True) == WHY_NAMESAKE
    # The address corroborates: the detention at C1's postcode is C1's (its rival scores lower).
    at_home = standardise(_detention("OLIVER", "SMITH", postcode="LE4 6AB"), "custody", SOURCES["custody"])
    home = comparison_levels_of(case, at_home).assign(match_weight=20.0, reasons="r", namesake=True)
    home["match_probability"] = [0.9999 if c == "C1" else 0.5 for c in home["child_id"]]
    auto, review = _settle(home[home["match_probability"] >= 0.8], linked, set(), {}, Thresholds())
    assert auto["child_id"].tolist() == ["C1"] and not review


def test_traps_through_decide_the_rules_find_the_namesake_and_the_twin_themselves():
    from transforms.matching.resolve import decide

    no_decisions = pd.DataFrame(columns=["source", "record_id", "child_id", "decision", "reviewer"])
    case = standardise(pd.concat([_child("Oliver", "Smith", postcode="LE4 6AB", child_id="C1"),
                                  _child("Oliver", "Smith", postcode="LE11 3TU", child_id="C2"),
                                  _child("Amy", "Shaw", dob="2011-05-06", child_id="C3")]), "case_system", CASE_COLUMNS)
    pupils = standardise(_pupil("Anna", "Shaw", dob="2011-05-06", upn="A100000000002"), "education", SOURCES["education"])
    detentions = standardise(pd.concat([_detention("OLIVER", "SMITH", postcode=None, ref="D1"),
                                        _detention("A", "SHAW", dob="2011-05-06", ref="D2")]), "custody", SOURCES["custody"])
    people = {"case_system": case, "education": pupils, "custody": detentions, "ccis": pupils.iloc[0:0]}
    levels = comparison_levels_of(case, detentions)
    plausible = levels[(levels["gamma_surname"] == sur(0)) & (levels["gamma_dob"] == dob(0))]
    scored = plausible.assign(match_probability=0.9999, match_weight=20.0, reasons="r")
    links, review = decide(people, scored, no_decisions, Thresholds())
    assert links.empty
    assert set(review.loc[review["record_id"] == "D1", "child_id"]) == {"C1", "C2"}
    assert review.loc[review["record_id"] == "D2", "why_review"].tolist() == [WHY_INITIAL_TWIN]
