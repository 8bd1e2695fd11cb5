"""The review workbook a person finishes in one sitting, on hand-built records: rival
candidates side by side, values as each system recorded them, the reason that applies, and a
layout that stays readable on screen and on paper."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl import load_workbook

from transforms.matching.model import FORENAME_LEVELS, FORENAME_SWAPPED, SURNAME_LEVELS, SURNAME_SWAPPED, gamma_of
from transforms.matching.records import CASE_COLUMNS, SOURCES, standardise
from transforms.matching.resolve import (
    WHY_NO_FORENAME, WHY_RIVALS, WHY_SWAPPED, Thresholds, _settle, why_review,
)
from transforms.matching.review import HEADER_FIRST_CELL, MARKING, read_decisions_workbook, write_review_workbook

SAME_FORENAME = gamma_of(FORENAME_LEVELS, FORENAME_LEVELS[0])
SAME_SURNAME = gamma_of(SURNAME_LEVELS, SURNAME_LEVELS[0])


def _people():
    case = standardise(pd.DataFrame({
        "child_id": ["C1", "C2", "C3"], "first_name": ["Yusuf", "Amy", "Anna"], "last_name": ["Singh", "Smith", "Smith"],
        "date_of_birth": ["2010-03-04", "2011-05-06", "2011-05-06"], "postcode": ["le4 6ab", "LE11 2CD", "LE11 2CD"],
        "sex": ["M", "F", "F"], "upn": [None, "A123456789012", None], "pnc_id": ["22/123456A", None, None]}),
        "case_system", CASE_COLUMNS)
    pupils = standardise(pd.DataFrame({
        "upn": ["B123456789012", "C123456789012"], "former_upn": [None, None], "forename": ["Yusuf", "A"],
        "surname": ["Singh", "Smith"], "date_of_birth": ["2010-03-04", "2011-05-06"], "postcode": ["LE4 6AB", "le11 2cd"],
        "sex": ["M", "F"]}), "education", SOURCES["education"])
    empty = pupils.iloc[0:0]
    return {"case_system": case, "education": pupils, "ccis": empty, "custody": empty}


def _pair(record, child, p, why):
    return {"source": "education", "record_id": record, "child_id": child, "match_probability": p, "match_weight": 5.0,
            "reasons": "Forename: same (+3.0)", "why_review": why}


def test_neither_side_with_a_forename_is_not_called_a_twin_and_a_swap_gets_its_own_reason():
    assert why_review(-1, SAME_SURNAME, 4, 2, 0.95, False, 0.99) == WHY_NO_FORENAME
    swapped_f, swapped_s = FORENAME_SWAPPED, SURNAME_SWAPPED
    assert why_review(swapped_f, swapped_s, 4, 2, 0.95, False, 0.99) == WHY_SWAPPED


def test_every_plausible_rival_child_goes_to_review_not_only_the_best():
    candidates = pd.DataFrame([
        {"source": "education", "record_id": "C123456789012", "child_id": child, "match_probability": p,
         "match_weight": 6.0, "reasons": "r", "gamma_forename": SAME_FORENAME, "gamma_surname": SAME_SURNAME,
         "gamma_dob": 4, "gamma_postcode": 2, "gamma_sex": 1}
        for child, p in (("C2", 0.995), ("C3", 0.97), ("C1", 0.5))])
    linked = pd.DataFrame(columns=["source", "record_id", "child_id", "method", "match_probability", "match_weight", "reasons"])
    auto, review = _settle(candidates[candidates["match_probability"] >= 0.8], linked, set(), {}, Thresholds(0.99, 0.8))
    assert auto.empty
    assert [(r["child_id"], r["why_review"]) for r in review] == [("C2", WHY_RIVALS), ("C3", WHY_RIVALS)]


def test_workbook_groups_rivals_shows_values_as_recorded_and_is_laid_out_for_screen_and_paper(tmp_path):
    review = pd.DataFrame([_pair("C123456789012", "C2", 0.995, WHY_RIVALS), _pair("C123456789012", "C3", 0.97, WHY_RIVALS),
                           _pair("B123456789012", "C1", 0.9, WHY_NO_FORENAME)])
    path = write_review_workbook(review, _people(), tmp_path / "review.xlsx", dt.datetime(2026, 11, 21, 9, 0, 5))
    ws = load_workbook(path)["Review"]
    header = [c.value for c in ws[4]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=5, values_only=True)]
    assert [(r["Group"], r["case: id"]) for r in rows] == [(1, "C2"), (1, "C3"), (2, "C1")]
    assert rows[0]["other: forenames"] == "A" and rows[0]["other: postcode"] == "le11 2cd"  # as the school recorded them
    yusuf = rows[2]
    assert (yusuf["case: forenames"], yusuf["case: surname"]) == ("Yusuf", "Singh")  # not "YUSUF / None"
    assert yusuf["case: postcode"] == "le4 6ab" and yusuf["case: identifiers"] == "PNC 22/123456A"
    assert yusuf["case: date of birth"] == "04/03/2010" and yusuf["other: identifiers"] == "UPN B123456789012"
    assert ws.freeze_panes == "B5"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"
    assert MARKING in ws.oddHeader.right.text and MARKING in ws.oddFooter.left.text
    assert "&P" in ws.oddFooter.center.text
    (validation,) = ws.data_validations.dataValidation
    decision = header.index("Decision") + 1
    letter = ws.cell(row=4, column=decision).column_letter
    assert str(validation.sqref) == f"{letter}5:{letter}7"
    assert validation.showErrorMessage and validation.errorStyle == "stop"
    assert validation.formula1 == '"Same child,Not the same"'


def test_reading_a_workbook_keeps_good_decisions_and_returns_the_typo_with_its_row(tmp_path):
    review = pd.DataFrame([_pair("C123456789012", "C2", 0.995, WHY_RIVALS), _pair("C123456789012", "C3", 0.97, WHY_RIVALS)])
    path = write_review_workbook(review, _people(), tmp_path / "review.xlsx", dt.datetime(2026, 11, 21, 9, 0, 5))
    wb = load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[4]]
    ws.cell(row=5, column=header.index("Decision") + 1, value="Same child")
    ws.cell(row=6, column=header.index("Decision") + 1, value="Not teh same")
    wb.save(path)
    decisions, unreadable = read_decisions_workbook(path)
    assert decisions[["record_id", "child_id", "decision"]].values.tolist() == [["C123456789012", "C2", "same"]]
    assert unreadable[["file", "excel_row", "typed", "child_id"]].values.tolist() == [["review.xlsx", 6, "Not teh same", "C3"]]
    assert header[-1] == HEADER_FIRST_CELL
