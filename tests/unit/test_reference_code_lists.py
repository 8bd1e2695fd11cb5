"""The published code lists shipped as reference data: the DfE NCCIS activity codes for CCIS
and the DfE ethnicity codes (main and extended) for the education pupil table. Valid codes
that real extracts carry must validate; each file names its source in a header comment."""
from __future__ import annotations

import pytest

from transforms.canonical import code_lists, ethnicity_crosswalk, reference_rows
from transforms.settings import REFERENCE_DIR

GROUPS = {"EDUCATION", "EMPLOYMENT", "TRAINING", "NEET", "OTHER", "NOT_KNOWN"}


@pytest.mark.parametrize("file_name, source", [("ccis_activity_codes.csv", "NCCIS management information requirement"),
                                               ("dfe_ethnicity_codes.csv", "school census")])
def test_each_published_list_names_its_source_in_a_header_comment(file_name, source):
    head = (REFERENCE_DIR / file_name).read_text(encoding="utf-8").splitlines()[:4]
    assert head[0].startswith("#") and source in " ".join(head)


def test_the_nccis_activity_codes_are_the_full_list_each_in_one_group():
    rows = reference_rows("ccis_activity_codes.csv")
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    assert {r["activity_group"] for r in rows} == GROUPS
    # Codes CCIS extracts carry that a short list used to quarantine (410 work-based learning,
    # 550 work not for reward with study, 619 seeking EET), and each family's ends.
    for code in ("110", "150", "210", "290", "310", "381", "410", "460", "530", "540", "550", "610", "616", "619",
                 "680", "710", "720", "810", "830"):
        assert code in code_lists()["ccis_activity"], code
    groups = {r["code"]: r["activity_group"] for r in rows}
    assert groups["410"] == "TRAINING" and groups["550"] == "EMPLOYMENT"
    assert groups["540"] == groups["619"] == groups["680"] == "NEET"
    assert groups["810"] == groups["830"] == "NOT_KNOWN" and groups["710"] == "OTHER"
    assert "999" not in groups


def test_dfe_ethnicity_main_and_extended_codes_are_valid_and_map_to_18_plus_1():
    valid = code_lists()["dfe_ethnicity"]
    for code in ("WBRI", "WIRI", "WIRT", "WROM", "WOTH", "MWBC", "MOTH", "AIND", "APKN", "ABAN", "CHNE", "AOTH",
                 "BCRB", "BAFR", "BOTH", "OOTH", "REFU", "NOBT",  # main codes
                 "WENG", "WSCO", "WEEU", "WROG", "MWCH", "AMPK", "ANEP", "BSOM", "BNGN", "CHKC", "OKRD", "OARA"):
        assert code in valid, code
    rows = reference_rows("dfe_ethnicity_codes.csv")
    mains = {r["main_code"] for r in rows}
    assert all(m in valid and next(r for r in rows if r["code"] == m)["main_code"] == m for m in mains)
    to_18 = {r["source_code"]: r["code"] for r in ethnicity_crosswalk() if r["scheme"] == "DfE"}
    assert set(valid) <= set(to_18)
    assert to_18["WENG"] == to_18["WBRI"] == "W1" and to_18["BSOM"] == to_18["BAFR"] == "B2"
    assert to_18["OARA"] == "O2"  # its own row (Arab in 18+1) wins over its main code's
    assert to_18["REFU"] == "NS"


def test_codes_csv_no_longer_holds_a_second_copy_of_either_list():
    lists = {r["code_list"] for r in reference_rows("codes.csv")}
    assert not lists & {"ccis_activity", "dfe_ethnicity"}
