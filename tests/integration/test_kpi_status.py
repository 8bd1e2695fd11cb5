"""Honest status (issue 12): READY only when every check passes; each way the data cannot
support the quarter gives DRAFT with the named check failing and a detail in plain words."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import make_settings
from tests.integration.kpi_fixtures import build_warehouse, edit_corepl_table, uk_date
from transforms.kpis.produce import produce_return
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter
from transforms.warehouse.db import ensure_schema, make_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("status"), "corepl")


def _check(result, name):
    row = result.checks.set_index("check").loc[name]
    return row["result"], row["detail"]


def test_an_empty_warehouse_is_draft(tmp_path):
    settings = make_settings(tmp_path, tmp_path)
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    result = produce_return(settings, Quarter.parse("2025Q2"), engine)
    assert result.status == "DRAFT"
    assert _check(result, "Warehouse holds case-system data") == (
        "FAIL", "the warehouse holds no case-system children: load a delivery before producing a return")
    assert _check(result, "Case-system delivery extracted after the quarter ended") == (
        "FAIL", "no case-system delivery is loaded")
    assert _check(result, "Quarter has ended in the data") == ("FAIL", "no loaded delivery of any source: nothing to report")


def test_a_future_quarter_is_draft(loaded):
    settings, engine = loaded
    result = produce_return(settings, Quarter.parse("2030Q1"), engine)
    assert result.status == "DRAFT"
    assert _check(result, "Quarter has ended in the data") == (
        "FAIL", "the quarter ends on 30 June 2030 but the newest data was extracted on 20 November 2026: "
                "the quarter has not ended in the data")


def test_a_delivery_extracted_before_the_quarter_ended_is_draft(loaded):
    settings, engine = loaded
    result = produce_return(settings, Quarter.parse("2026Q3"), engine)  # 1 October to 31 December 2026
    assert result.status == "DRAFT"
    assert _check(result, "Case-system delivery extracted after the quarter ended") == (
        "FAIL", "case-system delivery corepl-20261120 was extracted on 20 November 2026, before the quarter ended on "
                "31 December 2026: episodes ending later in the quarter are missing")


def test_a_missing_education_snapshot_is_draft(loaded):
    settings, engine = loaded
    result = produce_return(settings, Quarter.parse("2025Q1"), engine)  # report date before the first snapshot
    assert result.status == "DRAFT"
    assert _check(result, "Education snapshot for the report date") == (
        "FAIL", "no education snapshot dated on or before 30 June 2025: KPI 3 formal plans cannot be counted")


def test_nothing_to_compare_is_not_compared_and_draft(loaded):
    settings, engine = loaded
    result = produce_return(settings, Quarter.parse("2024Q3"), engine)  # 2024Q2 never produced
    assert result.status == "DRAFT"
    assert _check(result, "Change from the previous quarter") == (
        "NOT_COMPARED", "no figures stored for 2024-25 Q2: nothing to compare with")
    assert (result.checks["result"] != "PASS").sum() >= 1


def test_a_clean_quarter_is_ready(tmp_path):
    # Two snapshots with the sample's own SEN provision, on the two report dates.
    settings, engine = build_warehouse(tmp_path, "corepl", snapshots=(("20250930", None), ("20251231", None)))
    # A 300-child sample swings by chance more than the default 50% between quarters on small
    # sub-counts; the threshold is one of the service's counting rules (kpis.md, configurable).
    q2, q3 = Quarter.parse("2025Q2"), Quarter.parse("2025Q3")
    produce_return(settings, q2, engine, KpiRules.from_env(q2).with_changes({"change_warning": 2.0}))
    result = produce_return(settings, q3, engine, KpiRules.from_env(q3).with_changes({"change_warning": 2.0}))
    not_passed = result.checks[result.checks["result"] != "PASS"]
    assert result.status == "READY", not_passed.to_dict("records")
    outcome, detail = _check(result, "Change from the previous quarter")
    assert outcome == "PASS" and "compared with the last produced 2025-26 Q2 figures" in detail
    cover = {r[0]: r[1] for r in load_workbook(result.workbook)["Cover"].iter_rows(min_row=4, max_col=2, values_only=True)
             if r[0]}
    assert cover["Status"] == "READY"


# --- Quarantined rows: two episodes given an episode type the supplier does not have; one ends
# in the quarter (2025-26 Q2), the other ended long before it.

def _corrupt_two_episodes(landing: Path) -> None:
    found = {}

    def corrupt(header, rows):
        end, start, kind = header.index("End Date"), header.index("Start Date"), header.index("Episode Type")
        found["in_quarter"] = next(i for i, r in enumerate(rows[1:], 1)
                                   if r[end] and ("2025", "07") <= uk_date(r[end])[:2] <= ("2025", "09"))
        found["long_before"] = next(i for i, r in enumerate(rows[1:], 1) if r[end] and uk_date(r[end])[0] == "2022"
                                    and uk_date(r[start])[0] == "2022")
        for i in found.values():
            rows[i][kind] = "Not A Real Episode Type"

    edit_corepl_table(next((landing / "case_system").iterdir()), "YJ_Episodes.csv", corrupt)
    # Excel row numbers: the header is row 1, so list index i is row i + 1.
    (landing.parent / "corrupted_lines.json").write_text(json.dumps({k: i + 1 for k, i in found.items()}))


def test_quarantined_rows_in_the_quarter_are_draft_and_listed_for_the_bi_team(tmp_path):
    settings, engine = build_warehouse(tmp_path, "corepl", before_load=_corrupt_two_episodes)
    lines = json.loads((tmp_path / "corrupted_lines.json").read_text())  # Excel row numbers (header is row 1)
    result = produce_return(settings, Quarter.parse("2025Q2"), engine)
    assert result.status == "DRAFT"
    outcome, detail = _check(result, "No quarantined rows in the quarter")
    assert outcome == "FAIL" and "quarantined row(s) in the deliveries this return reads touch the quarter" in detail
    assert "case_system corepl-20261120 episode: 1" in detail and "evidence workbook's Quarantine sheet" in detail
    sheet = load_workbook(result.evidence)["Quarantine"]
    held = [dict(zip([c.value for c in sheet[1]], row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    episodes = [h for h in held if h["table_name"] == "episode"]
    assert [(h["file_name"], h["line_number"]) for h in episodes] == [("YJ_Episodes.csv", lines["in_quarter"])]
    assert all(h["reason"] and h["rules"] for h in held)
