"""Unit tests of small transforms on tiny hand-built inputs."""
import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from transforms.canonical import canonical_tables, ethnic_group_of
from transforms.ingest.mapping import load_mapping, to_canonical_text, to_canonical_types
from transforms.excel import write_table
from transforms.identifiers import normalise_postcode, postcode_district, upn_check_letter, upn_is_valid
from transforms.periods import BadQuarter, Quarter, latest_complete_quarter, quarters_ending


@pytest.mark.parametrize("text,label,start,end", [
    ("2025Q2", "2025-26 Q2", dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    ("2025-26 Q2", "2025-26 Q2", dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    ("2024q4", "2024-25 Q4", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
    ("2023/24 Q1", "2023-24 Q1", dt.date(2023, 4, 1), dt.date(2023, 6, 30)),
])
def test_quarters_parse_to_financial_year_dates(text, label, start, end):
    q = Quarter.parse(text)
    assert (q.label, q.start, q.end) == (label, start, end)


@pytest.mark.parametrize("text", ["2025Q5", "Q2 2025", "2025-27 Q1", "", "1999Q1"])
def test_bad_quarters_are_refused_with_a_plain_message(text):
    with pytest.raises(BadQuarter, match="quarter|year|financial"):
        Quarter.parse(text)


def test_latest_complete_quarter_is_the_one_just_ended():
    assert latest_complete_quarter(today=dt.date(2026, 11, 22)).code == "2026Q2"
    assert latest_complete_quarter(today=dt.date(2026, 4, 1)).code == "2025Q4"


def test_upn_check_letter_round_trips_and_catches_a_changed_digit():
    body = "855094704172"
    upn = upn_check_letter(body) + body
    assert upn_is_valid(upn)
    assert not upn_is_valid(upn[0] + "955094704172")
    assert not upn_is_valid("I855094704172")


def test_postcodes_are_normalised_and_reduced_to_district():
    assert normalise_postcode(" le4  5ab ") == "LE4 5AB"
    assert postcode_district("le65 1aa") == "LE65"
    assert normalise_postcode("   ") is None


def test_ethnic_groups_from_codes():
    assert ethnic_group_of("A4") == "Asian"
    assert ethnic_group_of("NS") == "Not known"
    assert ethnic_group_of(None) == "Not known"


def _corepl_episode(**overrides):
    row = {"Episode ID": "EP1", "Child ID": "CH1", "Episode Type": "Referral Order", "Start Date": "05/03/2024",
           "Planned End Date": "", "End Date": "NULL", "End Reason": "  ", "Outcome ID": "-"}
    row.update(overrides)
    return pd.DataFrame([row], index=[2])


def test_corepl_values_become_canonical_text():
    table = canonical_tables()["episode"]
    text = to_canonical_text(_corepl_episode(), table, load_mapping("corepl"))
    assert text.loc[2].to_dict() == {"episode_id": "EP1", "child_id": "CH1", "episode_type": "REFERRAL_ORDER",
                                     "start_date": "2024-03-05", "planned_end_date": None, "end_date": None,
                                     "end_reason": None, "outcome_id": None}


def test_untranslatable_values_are_kept_for_validation_to_name():
    table = canonical_tables()["episode"]
    text = to_canonical_text(_corepl_episode(**{"Start Date": "31/02/2024", "Episode Type": "Refferal Order"}),
                             table, load_mapping("corepl"))
    assert text.loc[2, "start_date"] == "!31/02/2024"
    assert text.loc[2, "episode_type"] == "Refferal Order"
    # ISO text is not the corepl date format: it is not silently accepted.
    iso = to_canonical_text(_corepl_episode(**{"Start Date": "2024-03-05"}), table, load_mapping("corepl"))
    assert iso.loc[2, "start_date"] == "!2024-03-05"


def test_childview_cells_dates_and_booleans():
    table = canonical_tables()["need"]
    raw = pd.DataFrame([{"need_ref": "N1", "person_ref": "CH1", "intervention_ref": "EP1", "need_domain": "SLCN",
                         "screened_dt": dt.datetime(2024, 5, 6), "need_flag": 1, "planned_flag": 0.0,
                         "attended_flag": None}], index=[2])
    text = to_canonical_text(raw, table, load_mapping("childview"))
    assert text.loc[2, "screened_date"] == "2024-05-06"
    assert (text.loc[2, "need_identified"], text.loc[2, "intervention_planned"]) == ("true", "false")
    typed = to_canonical_types(text.assign(intervention_attended="false"), table)
    assert typed.loc[2, "screened_date"] == dt.date(2024, 5, 6)
    assert typed.loc[2, "need_identified"] is True


def test_excel_tables_never_turn_text_into_formulas(tmp_path):
    wb = Workbook()
    frame = pd.DataFrame({"name": ["=1+1", "+44 116", "@SUM(A1)", "-3", "plain"], "share": [0.5, 12.25, None, 1, 2]})
    write_table(wb.active, frame, "Names", percent_columns=("share",))
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert [ws.cell(row=r, column=1).data_type for r in range(2, 7)] == ["s"] * 5
    assert ws["A2"].value == "=1+1"
    assert ws.freeze_panes == "A2"
    assert list(ws.tables) == ["Names"]
    assert ws["B3"].number_format == "0.0"


def test_quarters_ending_steps_back_across_financial_years():
    assert Quarter(2025, 1).previous == Quarter(2024, 4) and Quarter(2025, 3).previous == Quarter(2025, 2)
    assert [q.code for q in quarters_ending(Quarter(2025, 2), 4)] == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]


def test_time_in_custody_reads_in_hours_and_minutes():
    from transforms.custody.briefing import hours_and_minutes

    assert hours_and_minutes(7 + 5 / 60) == "7 h 05 min"
    assert hours_and_minutes(19.0) == "19 h 00 min"
    assert hours_and_minutes(0.999) == "1 h 00 min"  # rounded to the minute, never "0 h 60 min"
    assert hours_and_minutes(25.5) == "25 h 30 min"
    assert hours_and_minutes(None) == "" and hours_and_minutes(float("nan")) == ""
