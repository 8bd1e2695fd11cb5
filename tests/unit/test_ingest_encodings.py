"""Encodings told by a byte-order mark, with hand-made bytes: the mark wins over the mapping's
encoding and over the fallback, the encoding read is reported, and the whole file loads."""
from __future__ import annotations

import codecs

import pandas as pd
import pytest

from transforms.ingest.mapping import load_mapping
from transforms.ingest.readers import csv_chunks, detect_encoding, open_csv
from transforms.ingest.report import DeliveryRejected

TEXT = "ccis_id,surname,forename\r\nA1,Szabó,Zoë\r\nA2,Ó Briain,Réka\r\n"

# (BOM, the body's codec without a BOM of its own, how it is reported)
MARKED = [
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
]


@pytest.mark.parametrize("bom, body_codec, name", MARKED, ids=[m[2] for m in MARKED])
def test_a_byte_order_mark_is_read_and_reported_and_every_row_loads(tmp_path, bom, body_codec, name):
    path = tmp_path / "ccis_activity_20261121.csv"
    path.write_bytes(bom + TEXT.encode(body_codec))
    mapping = load_mapping("ccis")  # declares utf-8-sig with a cp1252 fallback: the mark must win
    source = open_csv(path, mapping)
    assert source.headers == ["ccis_id", "surname", "forename"]
    assert source.notes == [f"{path.name} was read as {name} (its byte-order mark says so), not utf-8-sig"]
    frame = pd.concat(csv_chunks(path, source, mapping, 10))
    assert frame.to_dict("records") == [{"ccis_id": "A1", "surname": "Szabó", "forename": "Zoë"},
                                        {"ccis_id": "A2", "surname": "Ó Briain", "forename": "Réka"}]
    assert frame.index.tolist() == [2, 3]


def test_utf32_le_is_not_taken_for_utf16_le(tmp_path):
    # FF FE 00 00 starts with the UTF-16 LE mark FF FE; read as UTF-16 every other character is NUL.
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF32_LE + "a,b\n1,2\n".encode("utf-32-le"))
    encoding, note = detect_encoding(path, "utf-8-sig", "cp1252")
    assert encoding == "utf-32" and "UTF-32 LE" in note
    assert path.read_bytes().decode(encoding) == "a,b\n1,2\n"


def test_a_utf8_mark_is_the_declared_encoding_and_needs_no_note(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF8 + "name\nZoë\n".encode("utf-8"))
    assert detect_encoding(path, "utf-8-sig", "cp1252") == ("utf-8-sig", None)


def test_the_mark_is_checked_before_the_fallback(tmp_path):
    # Every byte sequence decodes as cp1252, so a fallback tried first would turn a UTF-16 file
    # into mojibake and quarantine every row.
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "name\nZoë\n".encode("utf-16-le"))
    assert detect_encoding(path, "utf-8-sig", "cp1252")[0] == "utf-16"


def test_a_mark_over_text_that_is_not_in_its_encoding_is_refused_in_one_line(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "name\nZoë\n".encode("utf-16-le")[:-1])  # cut off mid-character
    wanted = "starts with a UTF-16 LE byte-order mark but is not UTF-16 LE text"
    with pytest.raises(DeliveryRejected, match=wanted) as exc:
        detect_encoding(path, "utf-8-sig", "cp1252")
    assert "\n" not in str(exc.value)


def test_a_utf8_mark_over_windows_1252_text_is_refused_not_guessed(tmp_path):
    # The mark says UTF-8, the bytes after it are not: the fallback is not tried behind the mark.
    path = tmp_path / "f.csv"
    path.write_bytes(codecs.BOM_UTF8 + "name\nZoë\n".encode("cp1252"))
    with pytest.raises(DeliveryRejected, match="starts with a UTF-8 byte-order mark but is not UTF-8 text"):
        detect_encoding(path, "utf-8-sig", "cp1252")
