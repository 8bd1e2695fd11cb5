"""The board register and the population reference (sources.md, section 5): read, cleaned
and loaded as a whole, replacing the previous copy in one transaction."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, insert

from transforms.warehouse.schema import core_board_attendance, ref_looked_after, ref_population

BOARD_COLUMNS = ["meeting_date", "partner", "member_role", "attended", "senior"]


class ReferenceFileError(ValueError):
    pass


def read_board_register(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The hand-kept register: finds the header row under any title rows (merged cells),
    drops blank rows, accepts dates typed as text, trims spaces and case in partner names.
    Returns the clean rows and a note per row that could not be read (never silently)."""
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise ReferenceFileError(f"no board register at {path}")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    header_at = next((i for i, r in enumerate(rows) if [str(c).strip().lower() for c in r[:5]] == BOARD_COLUMNS), None)
    if header_at is None:
        raise ReferenceFileError(f"{path.name}: no header row with {', '.join(BOARD_COLUMNS)}")
    records, problems = [], []
    for excel_row, r in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [c.strip() if isinstance(c, str) else c for c in (list(r) + [""] * 5)[:5]]
        if all(c in ("", None) for c in cells):
            continue
        date = _as_date(cells[0])
        attended, senior = (str(c).strip().upper()[:1] for c in cells[3:5])
        partner = str(cells[1]).strip().upper().replace(" ", "_")
        if date is None or not partner or attended not in ("Y", "N") or senior not in ("Y", "N"):
            problems.append(f"{path.name} row {excel_row}: not a complete register line; left out")
            continue
        records.append({"meeting_date": date, "partner": partner, "member_role": str(cells[2] or "").strip(),
                         "attended": attended == "Y", "senior": senior == "Y"})
    frame = pd.DataFrame(records, columns=BOARD_COLUMNS).drop_duplicates(["meeting_date", "partner", "member_role"])
    return frame, problems


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_population(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ReferenceFileError(f"no population reference at {path}")
    frame = pd.read_csv(path, dtype={"area": str, "sex": str, "ethnic_group": str, "source": str})
    missing = {"area", "year", "age", "sex", "ethnic_group", "population"} - set(frame.columns)
    if missing:
        raise ReferenceFileError(f"{path.name} lacks column(s) {', '.join(sorted(missing))}")
    frame["area"] = frame["area"].str.strip().str.upper()
    return frame


def read_looked_after(path: Path) -> pd.DataFrame:
    """Children aged 10 to 17 looked after, by area and year (optional: without it the
    looked-after dimension of disproportionality is not assessed)."""
    if not path.exists():
        return pd.DataFrame(columns=["area", "year", "looked_after", "source"])
    frame = pd.read_csv(path, dtype={"area": str, "source": str})
    missing = {"area", "year", "looked_after"} - set(frame.columns)
    if missing:
        raise ReferenceFileError(f"{path.name} lacks column(s) {', '.join(sorted(missing))}")
    frame["area"] = frame["area"].str.strip().str.upper()
    return frame


def load_reference_sources(engine: Engine, landing: Path) -> dict:
    board, problems = read_board_register(landing / "board" / "board_attendance.xlsx")
    population = read_population(landing / "reference" / "population.csv")
    looked_after = read_looked_after(landing / "reference" / "looked_after.csv")
    with engine.begin() as conn:
        conn.execute(delete(core_board_attendance))
        if len(board):
            conn.execute(insert(core_board_attendance), board.to_dict(orient="records"))
        conn.execute(delete(ref_population))
        conn.execute(insert(ref_population), population.astype(object).where(population.notna(), None).to_dict(orient="records"))
        conn.execute(delete(ref_looked_after))
        if len(looked_after):
            conn.execute(insert(ref_looked_after), looked_after.astype(object).where(looked_after.notna(), None).to_dict(orient="records"))
    return {"board_rows": len(board), "board_problems": problems, "population_rows": len(population),
            "looked_after_rows": len(looked_after)}
