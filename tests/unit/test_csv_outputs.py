"""Every CSV the project writes for people goes through one function, ``transforms.excel.write_csv``,
which keeps formula-like text from being evaluated by a spreadsheet (issue 17 item 6): the
property (Hypothesis, any text), the real mart extracts, and a scan of the code for any other
CSV writer."""
from __future__ import annotations

import ast
import csv
import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.excel import FORMULA_START, write_csv
from transforms.settings import PROJECT_ROOT

_NUMBER_TEXT = st.from_regex(r"\A[+-]?\d{1,6}(\.\d{1,3})?\Z")
_CELL = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(FORMULA_START).flatmap(
    lambda start: st.text(max_size=10).map(lambda rest: start + rest)), _NUMBER_TEXT)


def _read_back(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _is_plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and not any(c.isalpha() for c in text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=8))
def test_no_cell_a_spreadsheet_would_evaluate_and_nothing_lost(tmp_path_factory, rows):
    frame = pd.DataFrame(rows, columns=["free_text", "other"], dtype=object)
    path = write_csv(frame, tmp_path_factory.mktemp("csv") / "out.csv")
    header, *written = _read_back(path)
    assert header == ["free_text", "other"] and len(written) == len(rows)
    for given_row, row in zip(rows, written):
        for given_value, cell in zip(given_row, row):
            if cell.startswith(FORMULA_START):
                assert _is_plain_number(cell), cell  # "-5" is a number to a spreadsheet, not a formula
            expected = "" if given_value is None else given_value
            # Nothing is lost: the cell is the value, or the value behind one apostrophe.
            assert cell == expected or (cell == "'" + expected and expected.startswith(FORMULA_START)), (given_value, cell)


def test_numbers_and_dates_are_written_as_pandas_writes_them(tmp_path):
    frame = pd.DataFrame({"n": [-1, 2], "rate": [-0.5, 12.25], "day": [dt.date(2026, 1, 2), None],
                          "text": ["=1+1", "@SUM(A1)"]})
    header, *rows = _read_back(write_csv(frame, tmp_path / "f.csv"))
    assert rows == [["-1", "-0.5", "2026-01-02", "'=1+1"], ["2", "12.25", "", "'@SUM(A1)"]]


def test_mart_extracts_and_dictionary_neutralise_formula_like_text(tmp_path):
    """The real extract writer (CSV and Tableau .hyper) on mart frames whose text columns hold
    what a person pasting from a spreadsheet might leave there."""
    from transforms.marts.build import conform, write_extracts
    from transforms.marts.definitions import MARTS

    payloads = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tTAB"]
    marts = {}
    for name, mart in list(MARTS.items())[:3]:
        text_columns = [c.name for c in mart.columns if c.type == "str"]
        row = {c.name: None for c in mart.columns}
        for i, column in enumerate(text_columns):
            row[column] = payloads[i % len(payloads)]
        marts[name] = conform(mart, pd.DataFrame([row]))
    written = write_extracts(marts, tmp_path)
    csvs = [p for p in written if p.suffix == ".csv"]
    assert len(csvs) == 4  # three marts and the data dictionary
    for path in csvs:
        for row in _read_back(path)[1:]:
            risky = [cell for cell in row if cell.startswith(FORMULA_START)]
            assert not risky, (path.name, risky)
    mart_csv = tmp_path / f"{next(iter(MARTS.values())).table}.csv"
    assert any(cell.startswith("'=HYPERLINK") for row in _read_back(mart_csv) for cell in row)


# Code that may write CSV without ``write_csv``, and why: these files are inputs, not outputs for
# people, and must keep the bytes a supplier would send.
RAW_CSV_WRITERS = {
    "transforms/excel.py": "the one writer",
    "transforms/sample/landing.py": "the sample generator writes supplier-shaped test deliveries",
    "transforms/sample/writers.py": "the sample generator writes supplier-shaped test deliveries",
    "transforms/sample/defects.py": "the sample generator writes supplier-shaped test deliveries",
    "transforms/partnership/sample.py": "the sample generator writes supplier-shaped test deliveries",
    "transforms/partnership/routing.py": "a service's share of the police feed, loaded as the police sent it",
    "transforms/partnership/postcodes.py": "the postcode reference, built from the ONS directory",
    "transforms/rights/files.py": "erasure rewrites a kept file without one child's rows, every other cell as it was "
                                  "(an archived delivery must stay as the supplier sent it; an output was already "
                                  "neutralised when first written)",
}


def test_no_other_code_writes_csv():
    """A scan of transforms/, plugins/ and dags/: any ``to_csv`` call or ``csv.writer`` /
    ``csv.DictWriter`` outside ``write_csv`` is a CSV a person could open unprotected."""
    offenders = []
    for folder in ("transforms", "plugins", "dags"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in RAW_CSV_WRITERS:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("to_csv", "writer", "DictWriter"):
                    if node.attr == "to_csv" or (isinstance(node.value, ast.Name) and node.value.id == "csv"):
                        offenders.append(f"{relative}:{node.lineno} {node.attr}")
    assert not offenders, offenders
    for relative in RAW_CSV_WRITERS:
        assert (PROJECT_ROOT / relative).is_file(), relative  # an exemption for a file that is gone is stale
