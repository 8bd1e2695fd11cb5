"""Excel and CSV outputs that look made with care: real tables, set widths, frozen headers, and
text that a spreadsheet could take for a formula (it starts with = + - @, a tab or a carriage
return) kept as text, never evaluated: in a workbook by storing the cell as text, in every CSV
the project writes (``write_csv``) by an apostrophe in front, which Excel shows as text and
LibreOffice drops on import (the OWASP advice for CSV injection)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def starts_like_formula(value) -> bool:
    """Text a spreadsheet would evaluate: the one test for every workbook and CSV we write."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralised(value):
    """``value`` as a CSV cell: formula-like text behind an apostrophe; a number written as text
    ("-5", "+44") is not a formula and stays as it is."""
    if starts_like_formula(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path, **to_csv_options) -> Path:
    """Every CSV the project writes for people (mart extracts, the data dictionary, the KPI
    figures): UTF-8, no index, CRLF, formula-like text neutralised. Only text columns are looked at, so
    numbers and dates are written exactly as pandas writes them."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if text_columns:
        frame = frame.copy()
        for c in text_columns:
            values = frame[c].tolist()  # plain Python values whatever the backing (object, Arrow)
            if any(neutralised(v) is not v for v in values):
                frame[c] = pd.Series([neutralised(v) for v in values], index=frame.index, dtype=object)
    # CRLF row ends (RFC 4180): a field holding a lone carriage return is then quoted; with "\n"
    # it is written bare and a reader splits the row there.
    options = {"index": False, "encoding": "utf-8", "lineterminator": "\r\n"} | to_csv_options
    frame.to_csv(path, **options)
    return path


def unique_path(path: Path) -> Path:
    """``path``, or ``name_2.ext``, ``name_3.ext``... : the first name nobody has taken, reserved
    at once (created empty), so two runs in the same minute never overwrite each other's file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        candidate = path if n == 1 else path.with_name(f"{path.stem}_{n}{path.suffix}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for {path.name}")


def write_table(ws: Worksheet, frame: pd.DataFrame, table_name: str, *, start_row: int = 1,
                percent_columns: tuple[str, ...] = (), value_formats: dict[str, str] | None = None,
                max_width: int = 60) -> None:
    """Write ``frame`` as an Excel table whose header is on ``start_row``.

    ``percent_columns`` get a one-decimal number format; ``value_formats`` maps a value of the
    first column to a number format for the rest of that row (rates on a pivoted sheet)."""
    headers = [str(c) for c in frame.columns]
    for c, name in enumerate(headers, start=1):
        ws.cell(row=start_row, column=c, value=_cell_value(name))
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=start_row + 1):
        row_format = (value_formats or {}).get(record[0]) if record else None
        for c, value in enumerate(record, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(value))
            if starts_like_formula(value):
                cell.data_type = "s"  # stored as text: Excel will not evaluate it
            if headers[c - 1] in percent_columns:
                cell.number_format = "0.0"
            elif row_format and c > 1 and isinstance(value, (int, float)):
                cell.number_format = row_format
    last_row = start_row + max(len(frame), 1)
    for c, name in enumerate(headers, start=1):
        letter = get_column_letter(c)
        width = max([len(name)] + [len(str(v)) for v in frame.iloc[:, c - 1].head(500).tolist()]) + 2
        current = ws.column_dimensions[letter].width or 0
        ws.column_dimensions[letter].width = min(max(width, 8, current), max_width)
    if len(frame):
        ref = f"A{start_row}:{get_column_letter(len(headers))}{last_row}"
        table = Table(displayName=re.sub(r"\W", "_", table_name), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    if start_row == 1:
        ws.freeze_panes = ws.cell(row=2, column=1)
    # Printed (or turned into PDF) a sheet fits the page width instead of splitting its columns.
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _cell_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str):
        # Control characters (a UTF-16 file read as bytes, a NUL from a transfer) cannot be
        # stored in a workbook: each is shown as U+FFFD, so the cell still says something was there.
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def set_print_layout(ws: Worksheet, *, header_row: int, left: str, centre: str, right: str) -> None:
    """Printed pages: landscape, fitted to the page width, the table's header row repeated on
    every page, and a header naming the document (``left``, ``centre``) and its marking
    (``right``) with "Page X of Y" in the footer, so a loose page still says what it is."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{header_row}:{header_row}"
    for header in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        header.left.text, header.center.text, header.right.text = _escape(left), _escape(centre), _escape(right)
    for footer in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        footer.center.text = "Page &P of &N"


def _escape(text: str) -> str:
    return text.replace("&", "&&")  # a lone & starts a header/footer code
