"""Excel outputs that look made with care: real tables, set widths, frozen headers, and text
that starts with = + - or @ written as text, never as a formula (CSV/formula injection)."""
from __future__ import annotations

import re

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@")


def write_table(ws: Worksheet, frame: pd.DataFrame, table_name: str, *, start_row: int = 1,
                percent_columns: tuple[str, ...] = (), max_width: int = 60) -> None:
    """Write ``frame`` as an Excel table with a frozen header row."""
    headers = [str(c) for c in frame.columns]
    ws.append(headers) if start_row == 1 else None
    for record in frame.itertuples(index=False, name=None):
        ws.append([_cell_value(v) for v in record])
    last_row = start_row + max(len(frame), 1)
    for r in range(start_row + 1, start_row + 1 + len(frame)):
        for c, value in enumerate(frame.iloc[r - start_row - 1], start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cell.value = value
                cell.data_type = "s"  # stored as text: Excel will not evaluate it
    for c, name in enumerate(headers, start=1):
        letter = get_column_letter(c)
        if name in percent_columns:
            for r in range(start_row + 1, last_row + 1):
                ws[f"{letter}{r}"].number_format = "0.0"
        width = max([len(name)] + [len(str(v)) for v in frame.iloc[:, c - 1].head(500).tolist()]) + 2
        ws.column_dimensions[letter].width = min(max(width, 8), max_width)
    if len(frame):
        ref = f"A{start_row}:{get_column_letter(len(headers))}{last_row}"
        table = Table(displayName=re.sub(r"\W", "_", table_name), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)


def _cell_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    return value
