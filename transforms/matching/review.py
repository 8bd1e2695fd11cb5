"""The review list: pairs the model is unsure of, for a person to decide.

The workbook shows both records side by side with the score and the reasons (each field's
match weight). A reviewer picks "Same child" or "Not the same" in the Decision column and
saves the workbook into ``landing/match_review/``; the next matching run imports every
decision there into ``match_decision``, which no load clears, and a decision overrides the
model from then on. The workbook holds names and dates of birth: it is INTERNAL.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine, delete, tuple_

from transforms.excel import write_table
from transforms.matching.records import CASE_SYSTEM
from transforms.warehouse.db import bulk_insert, ensure_schema
from transforms.warehouse.schema import match_decision

DECISIONS = {"Same child": "same", "Not the same": "not_same"}
HEADER_FIRST_CELL = "pair_ref"
SHOWN = ("forename", "surname", "dob", "postcode", "sex", "upn", "pnc_id")
SOURCE_WORDS = {"education": "Education (pupil)", "ccis": "CCIS (post-16)", "custody": "Police custody"}


class BadReviewWorkbook(ValueError):
    pass


def pair_ref(source: str, record_id: str, child_id: str) -> str:
    return f"{source}|{record_id}|{child_id}"


def order_for_review(review: pd.DataFrame) -> pd.DataFrame:
    """Pairs grouped by child, the child with the strongest evidence first, and within a
    child its strongest pair first: a reviewer settles one child at a time."""
    if review.empty:
        return review
    best = review.groupby("child_id")["match_probability"].transform("max")
    return (review.assign(_best=best).sort_values(["_best", "child_id", "match_probability", "source", "record_id"],
                                                  ascending=[False, True, False, True, True]).drop(columns="_best"))


def write_review_workbook(review: pd.DataFrame, people: dict[str, pd.DataFrame], path: Path, produced: dt.datetime) -> Path:
    case = people[CASE_SYSTEM].set_index("unique_id")
    # Each source indexed once: indexing it again for every pair made the workbook's time
    # grow with the review list times the records (minutes at 100,000 children).
    indexed = {source: people[source].set_index("unique_id") for source in set(review["source"])}
    rows = []
    for r in order_for_review(review).itertuples(index=False):
        other = indexed[r.source].loc[r.record_id]
        child = case.loc[r.child_id]
        row = {HEADER_FIRST_CELL: pair_ref(r.source, r.record_id, r.child_id), "source": SOURCE_WORDS.get(r.source, r.source),
               "why_review": r.why_review, "match_probability": round(float(r.match_probability), 4),
               "reasons": r.reasons, "previous_decisions": getattr(r, "previous_decisions", None), "case_child_id": r.child_id}
        row.update({f"case_{f}": child[f] for f in SHOWN})
        row.update({f"other_{f}": other[f] for f in SHOWN})
        row.update({"Decision": None, "Reviewer": None, "Date decided": None})
        rows.append(row)
    columns = [HEADER_FIRST_CELL, "source", "why_review", "match_probability", "reasons", "previous_decisions", "case_child_id",
               *[f"case_{f}" for f in SHOWN], *[f"other_{f}" for f in SHOWN], "Decision", "Reviewer", "Date decided"]
    frame = pd.DataFrame(rows, columns=columns)

    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws["A1"] = f"Possible matches to review: {len(frame)} pair(s), produced {produced:%d/%m/%Y %H:%M}. INTERNAL: holds names and dates of birth."
    ws["A2"] = ("For each row choose Decision: 'Same child' or 'Not the same', add your name, save the workbook into "
                "landing/match_review/. Decisions are kept across reloads and override the model.")
    write_table(ws, frame, "ReviewPairs", start_row=4)
    decision_col = columns.index("Decision") + 1
    letter = ws.cell(row=4, column=decision_col).column_letter
    choice = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True)
    ws.add_data_validation(choice)
    if len(frame):
        choice.add(f"{letter}5:{letter}{4 + len(frame)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_decisions_workbook(path: Path) -> pd.DataFrame:
    """The decisions filled in on a review workbook. Rows without a decision are skipped; an
    unknown decision stops the import with the row numbers (never the people's details)."""
    ws = load_workbook(path, read_only=True, data_only=True)["Review"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next((i for i, row in enumerate(rows) if row and row[0] == HEADER_FIRST_CELL), None)
    if header_at is None:
        raise BadReviewWorkbook(f"{path.name}: no 'Review' table with a '{HEADER_FIRST_CELL}' column")
    header = list(rows[header_at])
    at = {name: header.index(name) for name in (HEADER_FIRST_CELL, "Decision", "Reviewer", "Date decided")}
    out, bad = [], []
    for excel_row, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        ref, decision = row[at[HEADER_FIRST_CELL]], row[at["Decision"]]
        if not ref or decision in (None, ""):
            continue
        if str(decision).strip() not in DECISIONS or str(ref).count("|") != 2:
            bad.append(excel_row)
            continue
        source, record_id, child_id = str(ref).split("|")
        decided = row[at["Date decided"]]
        out.append({"source": source, "record_id": record_id, "child_id": child_id,
                    "decision": DECISIONS[str(decision).strip()], "reviewer": row[at["Reviewer"]],
                    "decided_on": decided.date().isoformat() if isinstance(decided, dt.datetime) else (str(decided) if decided else None)})
    if bad:
        raise BadReviewWorkbook(f"{path.name}: rows {', '.join(map(str, bad))} have a Decision other than "
                                f"{' or '.join(repr(d) for d in DECISIONS)}")
    return pd.DataFrame(out, columns=["source", "record_id", "child_id", "decision", "reviewer", "decided_on"])


def import_decisions(engine: Engine, folder: Path, now: dt.datetime) -> int:
    """Import every review workbook in ``folder``, oldest first, so a later decision on the
    same pair replaces an earlier one. Re-importing the same workbook changes nothing."""
    ensure_schema(engine)
    files = sorted(folder.glob("*.xlsx"), key=lambda p: (p.stat().st_mtime, p.name)) if folder.is_dir() else []
    imported = 0
    for path in files:
        frame = read_decisions_workbook(path)
        if frame.empty:
            continue
        frame = frame.drop_duplicates(["source", "record_id", "child_id"], keep="last")
        with engine.begin() as conn:
            keys = list(zip(frame["source"], frame["record_id"], frame["child_id"]))
            conn.execute(delete(match_decision).where(
                tuple_(match_decision.c.source, match_decision.c.record_id, match_decision.c.child_id).in_(keys)))
            bulk_insert(conn, match_decision, frame.assign(imported_from=path.name, imported_at=now))
        imported += len(frame)
    return imported
