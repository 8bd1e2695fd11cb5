"""The submission workbook, ``figures.csv`` and the internal evidence workbook, laid out to read
like the hand-made return: a title row (KPI, quarter, status) on each KPI sheet, each measure's
wording beside its id, numerator and denominator under every percentage, and pages that print
with the service, quarter, status, the OFFICIAL-SENSITIVE marking and "Page X of Y"."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from transforms.excel import set_print_layout, write_csv, write_table
from transforms.kpis.registry import Figure
from transforms.kpis.wording import KPI_TITLES, wording

SHEETS = {"kpi1": "KPI1 Accommodation", "kpi2": "KPI2 ETE", "kpi3": "KPI3 SEND", "kpi4": "KPI4 Mental health",
          "kpi5": "KPI5 Substance misuse", "kpi6": "KPI6 Out-of-court", "kpi7": "KPI7 Wider services",
          "kpi8": "KPI8 Board attendance", "kpi9": "KPI9 Serious violence", "kpi10": "KPI10 Victims",
          "ni": "National indicators"}
FIGURE_COLUMNS = ["kpi", "measure", "breakdown", "value", "numerator", "denominator"]
MARKING = "OFFICIAL-SENSITIVE"
KPI_HEADER_ROW = 3  # title row, a note, then the table
PERCENT_FORMAT, RATE_FORMAT = '0.0"%"', "0.00"


def whole_or_rounded(v):
    """Counts as whole numbers (148, not 148.0); rates kept to six decimal places (well over
    the four significant figures kpis.md asks for); missing as None."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return int(v) if float(v).is_integer() else round(float(v), 6)


def figures_frame(figures: list[Figure]) -> pd.DataFrame:
    """The tidy Figures table. Object columns, so a count stays an int next to a rate."""
    rows = [[f.kpi, f.measure, f.breakdown, whole_or_rounded(f.value), whole_or_rounded(f.numerator),
             whole_or_rounded(f.denominator)] for f in figures]
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS, dtype=object)


def write_figures_csv(frame: pd.DataFrame, path: Path) -> None:
    """Exactly the Figures sheet: the same cells, counts as integers, blanks empty."""
    write_csv(frame.astype(object).where(frame.notna(), None), path)


def is_percentage(measure: str) -> bool:
    return measure.endswith(("_pct", "binary_rate"))


def is_rate(measure: str) -> bool:
    return "rate_per_" in measure or measure.endswith("frequency")


def kpi_sheet_table(part: pd.DataFrame) -> pd.DataFrame:
    """One row per measure (and a numerator and a denominator row under each ratio), the
    measure's wording beside its id, breakdowns across."""
    order = list(dict.fromkeys(part["breakdown"]))
    rows = []
    for measure, by in part.groupby("measure", sort=False):
        values = dict(zip(by["breakdown"], by.index))
        figures = ["value"] + (["numerator", "denominator"] if by["denominator"].notna().any() else [])
        for figure in figures:
            meaning = wording(measure) if figure == "value" else f"  {figure} of the line above"
            rows.append([measure, meaning, figure] + [part.at[values[b], figure] if b in values else None for b in order])
    return pd.DataFrame(rows, columns=["measure", "meaning", "figure"] + order, dtype=object)


def write_return_workbook(path: Path, *, service: str, quarter_label: str, status: str, cover: list[tuple[str, str]],
                          rule_rows: list[tuple[str, str]], frame: pd.DataFrame, checks: pd.DataFrame,
                          catalogue: pd.DataFrame, notes: dict[str, str], revisions: pd.DataFrame | None,
                          revisions_note: str = "") -> None:
    wb = Workbook()
    header = dict(left=f"YJB KPI return: {service}", centre=f"{quarter_label} {status}", right=MARKING)
    ws = wb.active
    ws.title = "Cover"
    _title(ws, f"YJB KPI return, {service}, {quarter_label}: {status}")
    ws["A2"] = f"{MARKING}. Figures only: no child-level data. The counting rules in force are listed below."
    write_table(ws, pd.DataFrame(cover, columns=["Field", "Value"]), "Cover", start_row=3, max_width=90)
    write_table(ws, pd.DataFrame(rule_rows, columns=["Counting rule", "Value in force"]), "CountingRules",
                start_row=3 + len(cover) + 2, max_width=90)
    _finish(ws, 3, **header)
    for kpi, title in SHEETS.items():
        part = frame[frame["kpi"] == kpi]
        sheet = wb.create_sheet(title)
        _title(sheet, f"{KPI_TITLES[kpi]}, {quarter_label}: {status}")
        sheet["A2"] = notes.get(kpi, "Children counted once, in the group of their most serious episode ending in the quarter.")
        if part.empty:
            sheet["A4"] = "No figures: this measure has no rule in force for the quarter."
            _finish(sheet, KPI_HEADER_ROW, **header)
            continue
        table = kpi_sheet_table(part)
        write_table(sheet, table, f"T_{kpi}", start_row=KPI_HEADER_ROW, max_width=100)
        for r, (measure, figure) in enumerate(zip(table["measure"], table["figure"]), start=KPI_HEADER_ROW + 1):
            fmt = (PERCENT_FORMAT if is_percentage(measure) else RATE_FORMAT if is_rate(measure) else None) \
                if figure == "value" else None
            if fmt:
                for c in range(4, table.shape[1] + 1):
                    sheet.cell(row=r, column=c).number_format = fmt
        _finish(sheet, KPI_HEADER_ROW, **header)
    for name, data in (("Checks", checks), ("Figures", frame), ("Rules", catalogue)):
        sheet = wb.create_sheet(name)
        write_table(sheet, data, name, max_width=110 if name == "Checks" else 60)
        _finish(sheet, 1, **header)
    if revisions is not None:
        sheet = wb.create_sheet("Revisions")
        if revisions.empty:
            sheet["A1"] = revisions_note or "No figure has changed since the return was submitted."
        else:
            write_table(sheet, revisions, "Revisions", max_width=90)
        _finish(sheet, 1, **header)
    wb.save(path)


def write_evidence_workbook(path: Path, *, service: str, quarter_label: str, status: str, figures: list[Figure],
                            quarantined: pd.DataFrame) -> None:
    rows = [{"kpi": f.kpi, "measure": f.measure, "breakdown": f.breakdown, "value": whole_or_rounded(f.value),
             "counted": f.member_kind, "key": m} for f in figures for m in f.members]
    header = dict(left=f"KPI evidence (INTERNAL): {service}", centre=f"{quarter_label} {status}",
                  right=f"{MARKING}: not for the YJB")
    wb = Workbook()
    ws = wb.active
    ws.title = "Evidence"
    write_table(ws, pd.DataFrame(rows, columns=["kpi", "measure", "breakdown", "value", "counted", "key"]), "Evidence",
                max_width=80)
    _finish(ws, 1, **header)
    held = wb.create_sheet("Quarantine")
    if quarantined.empty:
        held["A1"] = "No quarantined row in the deliveries this return reads touches the quarter."
    else:
        write_table(held, quarantined, "Quarantine", max_width=100)
    _finish(held, 1, **header)
    note = wb.create_sheet("Read me")
    lines = [
        f"INTERNAL: the pseudonymous keys behind every figure of the {quarter_label} return for {service}.",
        "Never send this workbook to the YJB: it is for the BI team to check a figure before the return is sent.",
        "Evidence: one row per key counted by a figure (a child_key, or a victim, offence or meeting key).",
        "Look a child_key up in the warehouse (core_child_key) to see the child.",
        "Quarantine: quarantined rows of the deliveries this return read that may change it, and why. "
        "Each has the delivery, file, Excel row and rule: fix the source and reload, then regenerate the return.",
    ]
    note.column_dimensions["A"].width = 100
    for r, line in enumerate(lines, start=1):
        note.cell(row=r, column=1, value=line).alignment = Alignment(wrap_text=True, vertical="top")
    _finish(note, 1, **header)
    note.print_title_rows = None
    wb.save(path)


def _title(ws, text: str) -> None:
    ws["A1"] = text
    ws["A1"].font = Font(bold=True, size=14)


def _finish(ws, header_row: int, **header) -> None:
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    set_print_layout(ws, header_row=header_row, **header)
