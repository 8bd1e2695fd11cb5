"""The review list round trip through the warehouse: a reviewer's decisions, saved in the
workbook the pipeline wrote, are imported, override the model, and survive a reload of the
case system and every later matching run."""
from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import copy_landing, make_settings
from tests.integration.helpers import derive_delivery
from transforms.ingest.sources import load_case_system
from transforms.ingest.sources import load_education
from transforms.matching.review import BadReviewWorkbook, HEADER_FIRST_CELL, write_review_workbook
from transforms.matching.run import run_matching
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


def test_a_decision_the_pipeline_cannot_read_stops_the_import_without_personal_details(sample_dir, tmp_path):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = make_settings(tmp_path, landing)
    load_case_system(settings)
    load_education(settings)
    first = run_matching(settings)
    pupil = first.result.links[first.result.links["source"] == "education"].iloc[0]
    review = pd.DataFrame([{"source": "education", "record_id": pupil["record_id"], "child_id": pupil["child_id"],
                            "match_probability": 0.9, "match_weight": 4.0, "reasons": "r", "why_review": "w"}])
    book = write_review_workbook(review, first.result.people, landing / "match_review" / "batch.xlsx",
                                 pd.Timestamp("2026-11-21 09:00").to_pydatetime())
    _fill_decisions(book, {f"education|{pupil['record_id']}|{pupil['child_id']}": "probably"})
    with pytest.raises(BadReviewWorkbook) as caught:
        run_matching(settings)
    message = str(caught.value)
    assert "rows 5 have a Decision other than 'Same child' or 'Not the same'" in message
    assert pupil["record_id"] not in message
