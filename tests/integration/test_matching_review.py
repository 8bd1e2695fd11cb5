"""The review list round trip through the warehouse: a reviewer's decisions, saved in the
workbook the pipeline wrote, are imported, override the model, and survive a reload of the
case system and every later matching run."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import copy_landing, make_settings
from tests.integration.helpers import derive_delivery
from transforms.ingest.sources import load_case_system
from transforms.ingest.sources import load_ccis, load_education
from transforms.matching.review import HEADER_FIRST_CELL, write_review_workbook
from transforms.matching.run import review_workbook_path, run_matching
from transforms.sample import defects
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import match_decision

pytestmark = pytest.mark.integration


def _links(engine) -> pd.DataFrame:
    return pd.read_sql_table("core_identity_link", engine).set_index(["source", "record_id"])


def _fill_decisions(path, decisions: dict[str, str], reviewer="J. Bloggs") -> None:
    wb = load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[4]]
    for row in ws.iter_rows(min_row=5):
        ref = row[header.index(HEADER_FIRST_CELL)].value
        if ref in decisions:
            row[header.index("Decision")].value = decisions[ref]
            row[header.index("Reviewer")].value = reviewer
    wb.save(path)


def test_reviewer_decisions_survive_reloads_and_override_the_model(sample_dir, tmp_path):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = make_settings(tmp_path, landing)
    load_case_system(settings)
    load_education(settings)
    first = run_matching(settings)
    engine = make_engine(settings.warehouse_url)
    links = _links(engine)
    education = links.loc["education"]
    by_model = education[education["method"] == "probabilistic"].iloc[0]
    model_pupil = by_model.name
    unlinked_pupil = education[education["method"] == "unlinked"].index[0]
    lonely_child = sorted(set(links.loc["case_system"].index) - set(education["child_id"].dropna()))[0]

    # The pipeline's own review workbook, with these two pairs in it, filled in by a person.
    review = pd.DataFrame([
        {"source": "education", "record_id": model_pupil, "child_id": by_model["child_id"], "match_probability": 0.99,
         "match_weight": 7.0, "reasons": "as queued", "why_review": "test"},
        {"source": "education", "record_id": unlinked_pupil, "child_id": lonely_child, "match_probability": 0.85,
         "match_weight": 3.0, "reasons": "as queued", "why_review": "test"},
    ])
    book = write_review_workbook(review, first.result.people, landing / "match_review" / "review_batch_1.xlsx",
                                 pd.Timestamp("2026-11-21 09:00").to_pydatetime())
    _fill_decisions(book, {f"education|{model_pupil}|{by_model['child_id']}": "Not the same",
                           f"education|{unlinked_pupil}|{lonely_child}": "Same child"})

    second = run_matching(settings)
    assert second.decisions_imported == 2
    links = _links(engine)
    assert pd.isna(links.loc[("education", model_pupil), "child_id"])
    assert links.loc[("education", model_pupil), "method"] == "unlinked"
    assert links.loc[("education", unlinked_pupil), "child_id"] == lonely_child
    assert links.loc[("education", unlinked_pupil), "method"] == "reviewer"
    # The child's person key is the pupil's person key now.
    assert links.loc[("education", unlinked_pupil), "person_key"] == links.loc[("case_system", lonely_child), "person_key"]

    # A new case-system delivery and another nightly run: the decisions still hold.
    folder = derive_delivery(landing, "corepl-20261121")
    children = pd.read_csv(folder / "YJ_Children.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    children.loc[0, "Postcode"] = "LE4 9ZZ"  # a real change, so the delivery loads rather than being a duplicate
    children.to_csv(folder / "YJ_Children.csv", index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    assert load_case_system(settings).outcome == "LOADED"
    run_matching(settings)
    links = _links(engine)
    assert pd.isna(links.loc[("education", model_pupil), "child_id"])
    assert links.loc[("education", unlinked_pupil), "method"] == "reviewer"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(match_decision)).scalar_one() == 2  # re-import adds nothing


def test_a_decision_typo_is_flagged_on_its_row_while_every_other_decision_is_applied(sample_dir, tmp_path, caplog):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = make_settings(tmp_path, landing)
    load_case_system(settings)
    load_education(settings)
    first = run_matching(settings)
    pupils = first.result.links[first.result.links["source"] == "education"]
    typo, fine = pupils.iloc[0], pupils.iloc[1]
    review = pd.DataFrame([{"source": "education", "record_id": p["record_id"], "child_id": p["child_id"],
                            "match_probability": 0.9, "match_weight": 4.0, "reasons": "r", "why_review": "w"}
                           for p in (typo, fine)])
    book = write_review_workbook(review, first.result.people, landing / "match_review" / "batch.xlsx",
                                 pd.Timestamp("2026-11-21 09:00").to_pydatetime())
    typo_ref = f"education|{typo['record_id']}|{typo['child_id']}"
    _fill_decisions(book, {typo_ref: "probably", f"education|{fine['record_id']}|{fine['child_id']}": "Not the same"})

    with caplog.at_level("WARNING"):
        second = run_matching(settings)
    assert second.decisions_imported == 1 and second.decisions_unreadable == 1
    links = _links(make_engine(settings.warehouse_url))
    assert links.loc[("education", fine["record_id"]), "method"] == "unlinked"  # the readable decision applied
    assert links.loc[("education", typo["record_id"]), "child_id"] == typo["child_id"]  # the typo changed nothing
    # The log names the file and row, never the pair.
    assert "batch.xlsx row" in caplog.text and typo["record_id"] not in caplog.text
    # The new workbook shows the pair again, the problem on its own row.
    ws = load_workbook(second.review_workbook)["Review"]
    header = [c.value for c in ws[4]]
    flagged = [row for row in ws.iter_rows(min_row=5, values_only=True) if row[header.index(HEADER_FIRST_CELL)] == typo_ref]
    assert len(flagged) == 1
    check = flagged[0][header.index("Notes")]
    assert "'probably'" in check and "batch.xlsx, row" in check
    assert not any(row[header.index(HEADER_FIRST_CELL)] == f"education|{fine['record_id']}|{fine['child_id']}"
                   and row[header.index("Notes")] for row in ws.iter_rows(min_row=5, values_only=True))


def test_two_matching_steps_in_the_same_minute_write_two_workbooks_each_with_every_source(sample_dir, tmp_path):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = make_settings(tmp_path, landing)
    load_case_system(settings)
    load_education(settings)
    load_ccis(settings)
    education_step = run_matching(settings, now=dt.datetime(2026, 11, 21, 2, 30, 5))
    ccis_step = run_matching(settings, now=dt.datetime(2026, 11, 21, 2, 30, 41))
    assert education_step.review_workbook != ccis_step.review_workbook
    assert education_step.review_workbook.exists() and ccis_step.review_workbook.exists()
    for report in (education_step, ccis_step):
        ws = load_workbook(report.review_workbook)["Review"]
        header = [c.value for c in ws[4]]
        refs = [row[header.index(HEADER_FIRST_CELL)] for row in ws.iter_rows(min_row=5, values_only=True)]
        assert len(refs) == len(report.result.review)
        assert {r.split("|")[0] for r in refs} == set(report.result.review["source"])
        assert report.result.counts["ccis"]["records"] and report.result.counts["education"]["records"]
    # Even within one second (two services' runs), no name is taken twice.
    folder = tmp_path / "names"
    assert review_workbook_path(folder, dt.datetime(2026, 11, 21, 2, 30, 5)) != review_workbook_path(
        folder, dt.datetime(2026, 11, 21, 2, 30, 5))
