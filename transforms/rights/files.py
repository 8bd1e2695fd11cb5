"""Removing one child's rows from files the platform keeps (archived deliveries, written
outputs) without touching anyone else's: CSV rows, workbook rows (the Excel table around them
shrinks with them) and HTML table rows. A file whose bytes hold none of the child's
identifiers is not opened."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Callable

from transforms.rights.find import Subject, _needles, _row_match  # one matcher for finding and removing

RowTest = Callable[[list[str]], bool]


def subject_test(s: Subject) -> RowTest:
    values, _ = _needles(s)
    return lambda cells: _row_match(cells, s, values) is not None


def remove_rows(path: Path, names_child: RowTest) -> int:
    """Rewrite ``path`` without the rows ``names_child`` picks; the number removed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(path, names_child)
    if suffix == ".xlsx":
        return _xlsx(path, names_child)
    if suffix == ".html":
        return _html(path, names_child)
    if suffix in (".json", ".md"):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        kept = [line for line in lines if not names_child(re.split(r'[",:\[\]{}]+', line) if suffix == ".json" else [line])]
        if len(kept) != len(lines):
            path.write_text("".join(kept), encoding="utf-8")
        return len(lines) - len(kept)
    return 0


def _csv(path: Path, names_child: RowTest) -> int:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig", errors="replace")
    newline = "\r\n" if "\r\n" in text[:10_000] else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    kept = [rows[0]] + [r for r in rows[1:] if not names_child(r)] if rows else []
    removed = len(rows) - len(kept)
    if removed:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator=newline).writerows(kept)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return removed


def _xlsx(path: Path, names_child: RowTest) -> int:
    import datetime as dt

    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries, get_column_letter

    wb = load_workbook(path)
    removed = 0
    for ws in wb.worksheets:
        doomed = []
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = ["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v)) for v in row]
            if names_child(cells):
                doomed.append(i)
        for i in reversed(doomed):
            ws.delete_rows(i)
            for name in list(ws.tables):
                table = ws.tables[name]
                min_col, min_row, max_col, max_row = range_boundaries(table.ref)
                if min_row < i <= max_row:
                    if max_row - 1 <= min_row:  # only the header left: no table, just the header row
                        del ws.tables[name]
                    else:
                        table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row - 1}"
                        if table.autoFilter is not None:
                            table.autoFilter.ref = table.ref
                elif i < min_row:
                    table.ref = f"{get_column_letter(min_col)}{min_row - 1}:{get_column_letter(max_col)}{max_row - 1}"
                    if table.autoFilter is not None:
                        table.autoFilter.ref = table.ref
        removed += len(doomed)
    if removed:
        wb.save(path)
    return removed


def _html(path: Path, names_child: RowTest) -> int:
    text = path.read_text(encoding="utf-8", errors="replace")
    removed = 0

    def drop(m):
        nonlocal removed
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>.*?</t[dh]>", m.group(0), flags=re.S | re.I)]
        if names_child(cells):
            removed += 1
            return ""
        return m.group(0)

    new = re.sub(r"<tr.*?</tr>", drop, text, flags=re.S | re.I)
    if removed:
        path.write_text(new, encoding="utf-8")
    return removed
