"""Mapping files are checked when read, and the readers turn broken files into one-line
rejections: hand-written cases, each with the answer worked out by hand."""
from __future__ import annotations

import os
import re
import shutil

import pandas as pd
import pytest
import yaml

from transforms.canonical import canonical_tables
from transforms.ingest.delivery import parse_timestamp
from transforms.ingest.mapping import (
    DEFAULT_MAPPINGS_DIR, MappingError, load_mapping, parse_mapping, to_canonical_text,
)
from transforms.ingest.readers import check_is_readable_file, csv_chunks, detect_encoding, open_csv, read_sheet
from transforms.ingest.report import DeliveryRejected
from transforms.ingest.sources import normalise_name
from transforms.validation import shown_value


def _write_mapping(tmp_path, change):
    raw = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "corepl.yaml").read_text())
    change(raw)
    path = tmp_path / "corepl.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(delimeter="\t"), "unknown key 'delimeter'"),
    (lambda m: m.update(delimiter="::"), "key 'delimiter' must be one of"),
    (lambda m: m.update(format="json"), "key 'format' must be csv or xlsx"),
    (lambda m: m.update(encoding="utf-9"), "key 'encoding': 'utf-9' is not an encoding"),
    (lambda m: m.update(booleans={"Yes": "yes"}), "key 'booleans' must map each spelling to true or false"),
    (lambda m: m["tables"]["child"]["columns"].pop("sex"), "key 'tables.child.columns' does not map sex"),
    (lambda m: m["tables"]["child"]["columns"].update(shoe_size="Shoe"), "the table has no column 'shoe_size'"),
    (lambda m: m["tables"]["child"].update(sheet="x"), "unknown key 'tables.child.sheet'"),
    (lambda m: m["tables"].update(pets={"source": "p.csv", "columns": {}}), "has no table 'pets'"),
    (lambda m: m.pop("tables"), "key 'tables' is missing"),
    (lambda m: m.update(date_formats="%d/%m/%Y"), "key 'date_formats' must be a list"),
])
def test_a_mistake_in_a_mapping_file_is_a_clear_error_naming_the_key(tmp_path, change, message):
    with pytest.raises(MappingError, match="mapping file corepl.yaml: .*" + message.replace("(", r"\(")):
        parse_mapping(_write_mapping(tmp_path, change))


def test_mappings_are_read_from_the_configured_folder(tmp_path):
    shutil.copy(DEFAULT_MAPPINGS_DIR / "corepl.yaml", tmp_path / "corepl.yaml")
    raw = yaml.safe_load((tmp_path / "corepl.yaml").read_text())
    raw["delimiter"] = "|"
    (tmp_path / "corepl.yaml").write_text(yaml.safe_dump(raw))
    assert load_mapping("corepl", tmp_path).delimiter == "|"
    assert load_mapping("corepl").delimiter == ","


def test_code_values_of_any_type_and_datetimes_with_a_zone(tmp_path):
    # YAML reads 1 and false as a number and a boolean; the supplier wrote text.
    mapping = parse_mapping(_write_mapping(tmp_path, lambda m: m["codes"].update(sex={1: "M", 2: "F", False: "U"})))
    table = canonical_tables()["child"]
    frame = pd.DataFrame({"Sex": ["1", "2", "false", "9"]}, index=[2, 3, 4, 5])
    assert to_canonical_text(frame, table, mapping, only=("sex",))["sex"].tolist() == ["M", "F", "U", "9"]
    custody = load_mapping("police_custody")
    from transforms.canonical import load_model

    model = load_model("custody_model.yaml")["custody_detention"]
    times = pd.DataFrame({"arrival_datetime": ["2026-07-01T10:00:00+00:00", "2026-12-01T10:00Z", "2026-02-30T10:00",
                                               "2026-11-20 07:30"]}, index=[2, 3, 4, 5])
    out = to_canonical_text(times, model, custody, only=("arrival_datetime",))["arrival_datetime"].tolist()
    # 10:00 UTC in July is 11:00 in London (BST); in December it is 10:00; 30 February is no date.
    assert out == ["2026-07-01T11:00:00", "2026-12-01T10:00:00", "!2026-02-30T10:00", "2026-11-20T07:30:00"]


def test_manifest_times_are_parsed_not_compared_as_text():
    assert parse_timestamp("21/11/2026 02:10") > parse_timestamp("2026-11-20T23:59:00")
    assert parse_timestamp("2026-11-21T02:10:00Z") == parse_timestamp("2026-11-21T02:10:00+00:00")
    with pytest.raises(ValueError):
        parse_timestamp("last night")


def test_names_that_differ_only_in_case_or_separators():
    assert normalise_name("CCIS-Activity 20261120.CSV") == "ccis_activity_20261120.csv"
    assert normalise_name("Custody_20261120-0700.csv") == "custody_20261120_0700.csv"
    assert normalise_name("pupils.csv") == "pupils.csv"


def test_what_transfer_jobs_leave_where_a_file_should_be(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "folder.csv").mkdir()
    os.symlink(tmp_path / "gone.csv", tmp_path / "link.csv")
    for name, words in (("empty.csv", "is empty (0 bytes)"), ("folder.csv", "is a folder, not a file"),
                        ("link.csv", "is a link to a file that is not there"), ("absent.csv", "is missing")):
        with pytest.raises(DeliveryRejected, match=re.escape(words)):
            check_is_readable_file(tmp_path / name)
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DeliveryRejected, match="not a valid Excel workbook"):
        read_sheet(tmp_path / "book.xlsx", "persons")


def test_encoding_is_detected_and_reported(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("name\nZoë\n".encode("cp1252"))
    assert detect_encoding(path, "utf-8-sig", "cp1252") == ("cp1252", "f.csv was read as cp1252, not utf-8-sig")
    path.write_bytes("name\nZoë\n".encode("utf-16"))
    encoding, note = detect_encoding(path, "utf-8-sig", "cp1252")
    assert encoding == "utf-16" and "byte-order mark" in note
    path.write_bytes(b"name\n\x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(DeliveryRejected, match="is not utf-8-sig text"):
        detect_encoding(path, "utf-8-sig", "cp1252")


def test_an_unquoted_delimiter_makes_one_malformed_row_not_a_failed_file(tmp_path):
    mapping = load_mapping("ccis")
    path = tmp_path / "ccis_activity.csv"
    path.write_text("ccis_id,surname\nA1,Smith\nA2,Smith, Jones\nA3,Brown\n\nA4,Khan\n", encoding="utf-8")
    source = open_csv(path, mapping)
    chunks = list(csv_chunks(path, source, mapping, 2))
    frame = pd.concat(chunks)
    malformed = {k: v for c in chunks for k, v in c.attrs["malformed_rows"].items()}
    assert frame.index.tolist() == [2, 3, 4, 6]  # line 5 is blank: not a record
    assert list(malformed) == [3] and malformed[3] == ["A2", "Smith", " Jones"]


def test_only_values_that_cannot_be_personal_are_echoed():
    assert shown_value("Referral Order") == "Referral Order"  # a corepl label
    assert shown_value("W1") == "W1" and shown_value("999") == "999" and shown_value("S") == "S"
    for personal in ("Smith", "2010-03-04", "04/03/2010", "K801200112345", "22/1234567A", "WBRT"):
        assert shown_value(personal) is None
    # Local authorities are a code list but place names are surnames too: a shifted row's
    # surname Sutton or Bolton is not echoed.
    for surname in ("Sutton", "BOLTON", "Kent"):
        assert shown_value(surname) is None
