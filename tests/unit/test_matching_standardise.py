"""Each standardisation rule on hand-written values, and the review reasons as a pure function.

PNC examples are the valid ids listed by the Ministry of Justice's person-record service
(hmpps-person-record, PNCIdValidatorTest), i.e. check letters computed by someone else."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.identifiers import (
    canonical_pnc, canonical_upn, identifiers_differ_by_one_character, pnc_check_letter, pnc_is_valid,
    upn_check_letter, upn_is_valid,
)
from transforms.matching import model
from transforms.matching.records import name_groups
from transforms.matching.resolve import (
    WHY_BELOW_LINK, WHY_COMMON_NAME, WHY_FORENAMES, WHY_TWIN, WHY_NO_FORENAME, why_review,
)
from transforms.matching.standardise import Name, fold, split_name, strip_honorific_suffix

MOJ_VALID_PNCS = ["20030011985X", "20120052494Q", "20230583843L", "2001/0171310W", "2011/0275516Q",
                  "2008/0056560Z", "2003/0062845E", "1981/0154257C"]


@pytest.mark.parametrize("pnc", MOJ_VALID_PNCS)
def test_published_pnc_ids_pass_their_check_letter(pnc):
    assert pnc_is_valid(pnc)


@pytest.mark.parametrize("written", ["2001/0171310W", "01/171310W", "01/0171310W", "2001/171310w", " 01 / 171310 W ",
                                     "20010171310W", "01171310W", "2001-0171310-W"])
def test_every_way_of_writing_a_pnc_id_has_one_canonical_form(written):
    assert canonical_pnc(written) == "01/171310W"


@pytest.mark.parametrize("not_pnc", ["", "   ", "N/A", "1234", "01/ABC123W", "3001/0171310W", "01/12345678W", None])
def test_text_that_is_not_a_pnc_id_has_no_canonical_form(not_pnc):
    assert canonical_pnc(not_pnc) is None and not pnc_is_valid(not_pnc)


def test_a_changed_pnc_digit_or_letter_fails_the_check():
    assert not pnc_is_valid("2001/0171311W") and not pnc_is_valid("2001/0171310X")


@given(st.integers(0, 99), st.integers(1, 9_999_999))
def test_pnc_check_letter_round_trips_in_every_form(year, serial):
    yy, body = f"{year:02d}", str(serial)
    letter = pnc_check_letter(yy, body)
    for written in (f"{yy}/{body}{letter}", f"20{yy}/{serial:07d}{letter.lower()}", f"{yy}{body}{letter}"):
        assert canonical_pnc(written) == f"{yy}/{body}{letter}" and pnc_is_valid(written)


def test_upn_canonical_form_and_one_character_mistype():
    body = "801200001001"
    upn = upn_check_letter(body) + body
    assert canonical_upn(f" {upn.lower()[:5]} {upn.lower()[5:]} ") == upn
    mistyped = upn[:-1] + ("2" if upn[-1] != "2" else "3")
    assert upn_is_valid(upn) and not upn_is_valid(mistyped)
    assert identifiers_differ_by_one_character(upn, mistyped)
    assert not identifiers_differ_by_one_character(upn, upn)
    assert not identifiers_differ_by_one_character(upn, mistyped[:-2] + "99")


@pytest.mark.parametrize("raw, folded", [
    ("Zoë", "ZOE"), ("  o'brien ", "OBRIEN"), ("O\u2019Connor", "OCONNOR"), ("Łukasik", "LUKASIK"),
    ("José-María", "JOSE MARIA"), ("smith  -  jones", "SMITH JONES"), ("Chloé\tAnne", "CHLOE ANNE"),
    ("Müller", "MULLER"), ("St. John", "ST JOHN"), ("", ""), (None, ""),
])
def test_names_are_folded_for_case_accents_punctuation_and_spacing(raw, folded):
    assert fold(raw) == folded


def test_names_split_into_given_and_family_names_in_order():
    assert split_name("Mary-Jane Louise", "Smith-Jones") == Name(("MARY", "JANE", "LOUISE"), ("SMITH", "JONES"), ())
    assert split_name("Mary-Jane", "Smith Jones").surname == split_name("Mary Jane", "SMITH-JONES").surname == "SMITHJONES"


@pytest.mark.parametrize("forenames, surname, given, family, markers", [
    # Mohammed as an honorific before the name the child is known by
    ("Mohammed Imran", "Hussain", ("IMRAN",), ("HUSSAIN",), ("MOHAMMED",)),
    ("Md Imran", "Hussain", ("IMRAN",), ("HUSSAIN",), ("MD",)),
    ("Muhammad", "Ali", ("MUHAMMAD",), ("ALI",), ()),          # the only given name stays
    # Begum, Bibi, Khatun: titles, not families
    ("Shazia", "Begum", ("SHAZIA",), (), ("BEGUM",)),
    ("Rokeya", "Khatun", ("ROKEYA",), (), ("KHATUN",)),
    # Sikh Kaur and Singh as surname, middle name or beside the family name
    ("Harpreet", "Kaur", ("HARPREET",), (), ("KAUR",)),
    ("Harpreet Kaur", "Sandhu", ("HARPREET",), ("SANDHU",), ("KAUR",)),
    ("Gurdeep", "Singh Bains", ("GURDEEP",), ("BAINS",), ("SINGH",)),
    # Gujarati honorific suffixes
    ("Rakeshbhai", "Patel", ("RAKESH",), ("PATEL",), ()),
    ("Priyaben", "Mistry", ("PRIYA",), ("MISTRY",), ()),
    ("Ben", "Lad", ("BEN",), ("LAD",), ()),                     # Ben the name is not a suffix
])
def test_community_naming_conventions(forenames, surname, given, family, markers):
    assert split_name(forenames, surname) == Name(given, family, markers)


def test_honorific_suffix_needs_a_stem():
    assert strip_honorific_suffix("ABHAI") == "ABHAI" and strip_honorific_suffix("NILESHBHAI") == "NILESH"


def test_nickname_groups_come_from_the_variants_table():
    groups = name_groups()
    assert groups["ALEXANDRA"] == groups["LEXI"] and groups["BECKY"] == groups["REBECCA"]


F_SAME, F_VARIANT = model.gamma_of(model.FORENAME_LEVELS, model.FORENAME_LEVELS[0]), model.gamma_of(model.FORENAME_LEVELS, model.FORENAME_LEVELS[1])
S_SAME = model.gamma_of(model.SURNAME_LEVELS, model.SURNAME_LEVELS[0])
POSTCODE_SAME, POSTCODE_OTHER_DISTRICT = 2, 0


def test_reason_surname_only_difference_is_a_family_change_not_forenames():
    why = why_review(F_SAME, model.SURNAMES_DIFFER, model.DOB_SAME, POSTCODE_SAME, 0.95, False, 0.99)
    assert why == "Surname differs; forename, date of birth and address agree (a family change of surname looks like this)"
    assert "Forenames" not in why
    moved = why_review(F_VARIANT, model.SURNAMES_DIFFER, model.DOB_SAME, POSTCODE_OTHER_DISTRICT, 0.2, False, 0.99)
    assert moved.startswith("Surname differs; forename, date of birth agree")


def test_reason_twin_sibling_and_other_forename_differences():
    assert why_review(model.FORENAMES_DIFFER, S_SAME, model.DOB_SAME, POSTCODE_SAME, 0.9999, False, 0.99) == WHY_TWIN
    # No forename on a side is no sign of a twin: it gets its own reason.
    assert why_review(model.NAME_MISSING, S_SAME, model.DOB_SAME, POSTCODE_SAME, 0.9999, False, 0.99) == WHY_NO_FORENAME
    assert why_review(model.FORENAMES_DIFFER, model.SURNAMES_DIFFER, model.DOB_SAME, POSTCODE_SAME, 0.9, False, 0.99) == WHY_FORENAMES


def test_reason_common_name_in_another_district_and_middling_score():
    assert why_review(F_SAME, S_SAME, model.DOB_SAME, POSTCODE_OTHER_DISTRICT, 0.999, True, 0.99) == WHY_COMMON_NAME
    assert why_review(F_SAME, S_SAME, model.DOB_SAME, POSTCODE_OTHER_DISTRICT, 0.999, False, 0.99) is None
    assert why_review(F_SAME, S_SAME, model.DOB_SAME, POSTCODE_SAME, 0.999, True, 0.99) is None
    assert why_review(F_SAME, S_SAME, model.DOB_SAME, POSTCODE_SAME, 0.95, False, 0.99) == WHY_BELOW_LINK
    swapped = why_review(model.FORENAME_SWAPPED, model.SURNAME_SWAPPED, model.DOB_SAME, POSTCODE_SAME, 0.999, False, 0.99)
    assert swapped is None


def test_the_case_system_suite_accepts_every_pnc_form_matching_reads():
    """One definition: the suite's regex is identifiers.PNC_ANY_FORM_PATTERN, and every form
    canonical_pnc reads passes it (a long-form PNC id is matched, not quarantined)."""
    import json
    import re

    from transforms.identifiers import PNC_ANY_FORM_PATTERN
    from transforms.settings import REFERENCE_DIR

    suite_file = REFERENCE_DIR.parent.parent / "expectations" / "case_system.child.json"
    suite = json.loads(suite_file.read_text(encoding="utf-8"))
    regexes = [e["kwargs"]["regex"] for e in suite["expectations"] if e["kwargs"].get("column") == "pnc_id"]
    assert regexes == [PNC_ANY_FORM_PATTERN]
    for written in ["2001/0171310W", "01/171310W", "2001/171310w", " 01 / 171310 W ", "20010171310W", "2001-0171310-W"]:
        assert re.match(PNC_ANY_FORM_PATTERN, written) and canonical_pnc(written)
    assert not re.match(PNC_ANY_FORM_PATTERN, "N/A") and not re.match(PNC_ANY_FORM_PATTERN, "01/ABC123W")


def test_review_is_grouped_by_child_strongest_first_with_previous_decisions():
    import pandas as pd

    from transforms.matching.resolve import previous_decisions
    from transforms.matching.review import order_for_review

    review = pd.DataFrame({"source": ["education", "custody", "education", "ccis"], "record_id": ["U1", "C1", "U2", "X1"],
                           "child_id": ["A", "B", "B", "A"], "match_probability": [0.85, 0.97, 0.90, 0.95]})
    ordered = order_for_review(review)
    assert list(zip(ordered["child_id"], ordered["record_id"])) == [("B", "C1"), ("B", "U2"), ("A", "X1"), ("A", "U1")]
    decisions = pd.DataFrame({"source": ["education"], "record_id": ["U2"], "child_id": ["A"], "decision": ["not_same"],
                              "reviewer": ["J. Bloggs"]})
    shown = previous_decisions(review, decisions)
    assert shown[2] == "record not the same as child A (J. Bloggs)"            # the same record, another child
    assert shown[0] == "child not the same as education record U2 (J. Bloggs)"  # the same child, another record
    assert shown[1] is None


def test_quality_counts_review_finds_relatives_and_only_loaded_records():
    import pandas as pd

    from transforms.matching.quality import measure

    truth = pd.DataFrame({"source": ["case_system", "case_system", "case_system", "education", "education", "custody", "custody"],
                          "record_id": ["C1", "C2", "C3", "U1", "U2", "D1", "D9"],
                          "person_id": ["p1", "p2", "p3", "p1", "p2", "p3", "p1"]})
    links = pd.DataFrame({"source": ["case_system", "case_system", "education", "education", "custody"],
                          "record_id": ["C1", "C2", "U1", "U2", "D1"],          # C3 was quarantined, D9 not delivered
                          "child_id": ["C1", "C2", "C1", "C1", None],
                          "method": ["case_system", "case_system", "upn", "probabilistic", "unlinked"]})
    review = pd.DataFrame({"source": ["education"], "record_id": ["U2"], "child_id": ["C2"]})
    relations = pd.DataFrame({"person_id_a": ["p1"], "person_id_b": ["p2"], "relation": ["twin"]})
    q = measure(links, review, truth, relations)
    # True links: U1 (p1) and U2 (p2); D1 belongs to p3 whose case record was not loaded.
    assert (q.true_links, q.automatic_links, q.correct_links) == (2, 2, 1)
    assert q.precision == 0.5 and q.recall == 0.5
    assert q.found_by_review == 1 and q.recall_after_review == 1.0  # U2's true pair is on the review list
    assert q.relatives_merged == {"twin": 1} and not q.meets_targets()
    assert q.case_children == 2 and q.review_children == 1
    verdicts = q.verdicts()
    assert verdicts == {"precision": False, "recall": False, "recall_after_review": True, "review_share": False, "no_twin": False,
                        "no_namesake": True}
    lines = "\n".join(q.lines())
    assert "0.5000  FAIL" in lines and "1.0000  PASS" in lines and "50.0% of 2  FAIL" in lines
