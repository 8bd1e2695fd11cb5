"""START and END records in one supplier row (issue 17, item 1): the mapping keys are checked
like every key, and each row becomes one record per half, hand-written cases only."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from transforms.canonical import canonical_tables
from transforms.ingest.mapping import DEFAULT_MAPPINGS_DIR, MappingError, parse_mapping, to_canonical_text

WIDE_ETE = {
    "source": "YJ_ETE_Episodes.csv",
    "columns": {"child_id": "Child ID", "episode_id": "Episode ID"},
    "start_end_column": "recorded_at",
    "start_columns": {"ete_type": "ETE at Start", "hours_offered": "Hours Offered at Start",
                      "hours_attended": "Hours Attended at Start", "suitable": "Suitable at Start"},
    "end_columns": {"ete_type": "ETE at End", "hours_offered": "Hours Offered at End",
                    "hours_attended": "Hours Attended at End", "suitable": "Suitable at End"},
}


def _wide_corepl(tmp_path, change=lambda table: None):
    raw = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "corepl.yaml").read_text())
    table = yaml.safe_load(yaml.safe_dump(WIDE_ETE))
    change(table)
    raw["tables"]["ete_status"] = table
    path = tmp_path / "corepl.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda t: t.pop("end_columns"), "key 'tables.ete_status.start_end_column' needs tables.ete_status.end_columns"),
    (lambda t: t.update(start_end_column="stage"), "key 'tables.ete_status.start_end_column': the table has no column 'stage'"),
    (lambda t: t.update(start_end_column="ete_type"), "'ete_type' is not a START/END column"),
    (lambda t: t["end_columns"].pop("suitable"), "key 'tables.ete_status.end_columns' must map the same canonical columns"),
    (lambda t: t["columns"].update(ete_type="ETE"), "key 'tables.ete_status.start_columns.ete_type' is also in columns"),
    (lambda t: t["columns"].update(recorded_at="Stage"), "'recorded_at' is filled with START or END"),
    (lambda t: t["start_columns"].pop("suitable") and t["end_columns"].pop("suitable"),
     "key 'tables.ete_status.columns' does not map suitable"),
    (lambda t: t.update(start_columns=["ETE at Start"]), "key 'tables.ete_status.start_columns' must be a dict"),
    (lambda t: t.update(start_end="recorded_at"), "unknown key 'tables.ete_status.start_end'"),
    (lambda t: t["end_columns"].update(suitable=True), "key 'tables.ete_status.end_columns.suitable' must be a supplier header"),
])
def test_a_mistake_in_the_start_end_keys_is_a_clear_error_naming_the_key(tmp_path, change, message):
    with pytest.raises(MappingError, match="mapping file corepl.yaml: .*" + message.replace("(", r"\(")):
        parse_mapping(_wide_corepl(tmp_path, change))


def test_each_row_becomes_one_record_per_half_under_its_row_number(tmp_path):
    mapping = parse_mapping(_wide_corepl(tmp_path))
    assert mapping.tables["ete_status"].start_end_in_one_row
    header = ["Child ID", "Episode ID", "ETE at Start", "Hours Offered at Start", "Hours Attended at Start",
              "Suitable at Start", "ETE at End", "Hours Offered at End", "Hours Attended at End", "Suitable at End"]
    rows = {
        2: ["C1", "E1", "Training", "20", "18", "Yes", "Employment", "30", "30", "No"],  # closed: both records
        3: ["C2", "E2", "Pupil Referral Unit", "25", "", "Yes", "", "", "N/A", "-"],  # open: END all empty
        4: ["C3", "E3", "", "", "", "", "Apprenticeship", "30", "29", "Yes"],  # START not recorded
        5: ["C4", "E4", "", "NULL", "", "", "", "", "", ""],  # nothing: its START record, to be quarantined
    }
    raw = pd.DataFrame(list(rows.values()), columns=header, index=list(rows))
    text = to_canonical_text(raw, canonical_tables()["ete_status"], mapping)
    assert list(text.index) == [2, 2, 3, 4, 5]
    assert text.to_dict("records") == [
        {"child_id": "C1", "episode_id": "E1", "recorded_at": "START", "ete_type": "TRAINING",
         "hours_offered": "20", "hours_attended": "18", "suitable": "true"},
        {"child_id": "C1", "episode_id": "E1", "recorded_at": "END", "ete_type": "EMPLOYMENT",
         "hours_offered": "30", "hours_attended": "30", "suitable": "false"},
        {"child_id": "C2", "episode_id": "E2", "recorded_at": "START", "ete_type": "PRU",
         "hours_offered": "25", "hours_attended": None, "suitable": "true"},
        {"child_id": "C3", "episode_id": "E3", "recorded_at": "END", "ete_type": "APPRENTICESHIP",
         "hours_offered": "30", "hours_attended": "29", "suitable": "true"},
        {"child_id": "C4", "episode_id": "E4", "recorded_at": "START", "ete_type": None,
         "hours_offered": None, "hours_attended": None, "suitable": None},
    ]
    # A fault is reported against both headers of a split column.
    assert mapping.tables["ete_status"].headers["ete_type"] == "ETE at Start / ETE at End"


def test_a_file_lacking_one_half_of_a_column_leaves_that_column_out(tmp_path):
    mapping = parse_mapping(_wide_corepl(tmp_path))
    raw = pd.DataFrame([["C1", "E1", "Training", "20", "18", "Yes", "30", "30", "No"]], index=[2],
                       columns=["Child ID", "Episode ID", "ETE at Start", "Hours Offered at Start",
                                "Hours Attended at Start", "Suitable at Start", "Hours Offered at End",
                                "Hours Attended at End", "Suitable at End"])
    text = to_canonical_text(raw, canonical_tables()["ete_status"], mapping)
    assert "ete_type" not in text.columns  # for the table-level expectation to report as missing
    assert list(text["recorded_at"]) == ["START", "END"]
