"""The review list: pairs the model is unsure of, for a person to decide in one sitting.

One workbook per matching run, under a name no other run takes (``run.review_workbook_path``),
holding every source's pairs. Pairs are grouped: the pairs that share a child or a record
(a child with a pupil and a detention to confirm; a record with two plausible children) sit
together, each group numbered and shaded, so a reviewer settles one child at a time and sees
every rival candidate side by side. Names, dates of birth, postcodes and identifiers are shown
as each system recorded them, not as the model folded them.

A reviewer picks "Same child" or "Not the same" in the Decision column (a drop-down that
refuses anything else) and saves the workbook into ``landing/match_review/``; the next
matching run imports every decision there into ``match_decision``, which no load clears, and
a decision overrides the model from then on. A decision the pipeline cannot read (typed in
another program, pasted) is skipped on its own: every other decision is applied, and the next
workbook shows the pair again with the problem on its row. The workbook holds names, dates of
birth and identifiers: it is INTERNAL and marked OFFICIAL-SENSITIVE on every printed page.
"""
from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine, delete, tuple_

from transforms.excel import set_print_layout, write_table
from transforms.matching.records import CASE_SYSTEM
from transforms.warehouse.db import bulk_insert, ensure_schema
from transforms.warehouse.schema import match_decision

DECISIONS = {"Same child": "same", "Not the same": "not_same"}
HEADER_FIRST_CELL = "pair_ref"  # the column that names the pair; the header row is the row holding it
HEADER_ROW = 4
MARKING = "OFFICIAL-SENSITIVE"
SOURCE_WORDS = {"education": "Education (pupil)", "ccis": "CCIS (post-16)", "custody": "Police custody",
                CASE_SYSTEM: "Case system"}
SIDES = (("Case system", "case"), ("Other record", "other"))
PERSON_FIELDS = ("id", "forenames", "surname", "date of birth", "sex", "postcode", "identifiers")
# Widths (Excel character units) that fit the printed columns on an A4 landscape page at a
# readable size; long text wraps within its column instead of widening the page.
WIDTHS = {"Group": 6, "Source": 9, "Why review": 22, "Score": 8, "case: id": 10, "case: forenames": 11,
          "case: surname": 11, "case: date of birth": 10.5, "case: sex": 4.5, "case: postcode": 9, "case: identifiers": 14,
          "other: id": 14, "other: forenames": 11, "other: surname": 11, "other: date of birth": 10.5, "other: sex": 4.5,
          "other: postcode": 9, "other: identifiers": 14, "Decision": 12, "Reviewer": 10, "Date decided": 10,
          "Notes": 20, "Model's reasons": 28, HEADER_FIRST_CELL: 40}
GROUP_FILL = PatternFill("solid", fgColor="DDEBF7")
CHECK_FILL = PatternFill("solid", fgColor="F8CBAD")
DECISION_COLUMNS = ("Decision", "Reviewer", "Date decided")


class BadReviewWorkbook(ValueError):
    """A workbook the pipeline cannot read at all (no review table): the file is named, no pair."""


@dataclass
class DecisionImport:
    imported: int = 0
    # One row per decision that could not be read: file, excel_row, typed, and the pair's
    # source, record_id and child_id when its reference could be read.
    unreadable: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNREADABLE_COLUMNS))


UNREADABLE_NOTE = "Your decision"
UNREADABLE_COLUMNS = ["file", "excel_row", "typed", "source", "record_id", "child_id"]


def pair_ref(source: str, record_id: str, child_id: str) -> str:
    return f"{source}|{record_id}|{child_id}"


def review_groups(review: pd.DataFrame) -> pd.Series:
    """A group number for each pair: pairs sharing a child or a record are one group (a
    record's rival children; a child's pupil and detention), numbered from the group holding
    the strongest pair down, so the likeliest matches come first."""
    parent: dict[tuple, tuple] = {}

    def root(node: tuple) -> tuple:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for s, r, c in zip(review["source"], review["record_id"], review["child_id"]):
        a, b = root(("child", c)), root(("record", s, r))
        if a != b:
            parent[b] = a
    roots = pd.Series([root(("child", c)) for c in review["child_id"]], index=review.index)
    best = review["match_probability"].astype(float).groupby(roots).transform("max")
    first_seen = pd.DataFrame({"root": roots, "best": best}).sort_values("best", ascending=False, kind="stable")
    number = {key: n for n, key in enumerate(dict.fromkeys(first_seen["root"]), start=1)}
    return roots.map(number)


def order_for_review(review: pd.DataFrame) -> pd.DataFrame:
    """Pairs grouped (``review_groups``), the group with the strongest evidence first, and
    within a group its strongest pair first: a reviewer settles one child at a time."""
    if review.empty:
        return review.assign(group=pd.Series(dtype=int))
    review = review.assign(group=review_groups(review))
    return review.sort_values(["group", "match_probability", "source", "record_id", "child_id"],
                              ascending=[True, False, True, True, True])


def _as_recorded(person: pd.Series, source: str) -> dict[str, object]:
    """A record's details as its system recorded them (the folded form only where a record
    carries no recorded value, as older frames do)."""
    def value(name: str):
        raw = person.get(f"recorded_{name}")
        return raw if isinstance(raw, str) and raw else person.get(name)

    dob = person.get("dob")
    identifiers = [f"{word} {value(key)}" for word, key in (("UPN", "upn"), ("PNC", "pnc_id")) if value(key)]
    former = person.get("former_upn")
    if isinstance(former, str) and former:
        identifiers.append(f"former UPN {former}")
    return {"id": person.name, "forenames": value("forename"), "surname": value("surname"),
            "date of birth": dt.date.fromisoformat(dob).strftime("%d/%m/%Y") if isinstance(dob, str) and dob else None,
            "sex": person.get("sex"), "postcode": value("postcode"), "identifiers": ", ".join(identifiers) or None}


def _checks(review: pd.DataFrame, unreadable: pd.DataFrame) -> list[str | None]:
    said = {}
    for u in unreadable.itertuples(index=False):
        if isinstance(u.source, str):
            said.setdefault((u.source, u.record_id, u.child_id), []).append(
                f"{UNREADABLE_NOTE} {str(u.typed)!r} ({u.file}, row {u.excel_row}) is not one of the listed values: "
                "choose again from the list")
    return ["; ".join(said[k]) if k in said else None
            for k in zip(review["source"], review["record_id"], review["child_id"])]


def review_frame(review: pd.DataFrame, people: dict[str, pd.DataFrame],
                 unreadable: pd.DataFrame | None = None) -> pd.DataFrame:
    """The review table as the reviewer sees it, one row per pair, grouped."""
    unreadable = unreadable if unreadable is not None else pd.DataFrame(columns=UNREADABLE_COLUMNS)
    case = people[CASE_SYSTEM].set_index("unique_id")
    # Each source indexed once: indexing it again for every pair made the workbook's time
    # grow with the review list times the records (minutes at 100,000 children).
    indexed = {source: people[source].set_index("unique_id") for source in set(review["source"])}
    ordered = order_for_review(review)
    checks = _checks(ordered, unreadable)
    rows = []
    for r, check in zip(ordered.itertuples(index=False), checks):
        probability = getattr(r, "match_probability", None)
        row = {"Group": int(r.group), "Source": SOURCE_WORDS.get(r.source, r.source), "Why review": r.why_review,
               "Score": round(float(probability), 4) if probability is not None and probability == probability else None}
        for (_, side), person in zip(SIDES, (case.loc[r.child_id], indexed[r.source].loc[r.record_id])):
            row.update({f"{side}: {k}": v for k, v in _as_recorded(person, r.source).items()})
        previous = getattr(r, "previous_decisions", None)
        notes = "; ".join(n for n in (check, f"Earlier: {previous}" if isinstance(previous, str) and previous else None) if n)
        row.update({"Decision": None, "Reviewer": None, "Date decided": None, "Notes": notes or None,
                    "Model's reasons": r.reasons,
                    HEADER_FIRST_CELL: pair_ref(r.source, r.record_id, r.child_id)})
        rows.append(row)
    columns = ["Group", "Source", "Why review", "Score", *[f"{side}: {k}" for _, side in SIDES for k in PERSON_FIELDS],
               *DECISION_COLUMNS, "Notes", "Model's reasons", HEADER_FIRST_CELL]
    return pd.DataFrame(rows, columns=columns)


def with_unreadable_pairs(review: pd.DataFrame, unreadable: pd.DataFrame, people: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The review list plus every pair whose decision could not be read and which is not on
    it already (the model may since have linked it or let it go): the reviewer decides again."""
    if unreadable.empty:
        return review
    known = {s: set(f["unique_id"]) for s, f in people.items()}
    listed = set(zip(review["source"], review["record_id"], review["child_id"]))
    extra = [{"source": s, "record_id": r, "child_id": c, "match_probability": None, "match_weight": None, "reasons": None,
              "why_review": "Your earlier decision on this pair could not be read"}
             for s, r, c in dict.fromkeys(zip(unreadable["source"], unreadable["record_id"], unreadable["child_id"]))
             if isinstance(s, str) and (s, r, c) not in listed and r in known.get(s, ()) and c in known[CASE_SYSTEM]]
    return pd.concat([review, pd.DataFrame(extra)], ignore_index=True) if extra else review


def write_review_workbook(review: pd.DataFrame, people: dict[str, pd.DataFrame], path: Path, produced: dt.datetime,
                          unreadable: pd.DataFrame | None = None) -> Path:
    """The review workbook at ``path``: title, instructions, then the review table (header on
    row ``HEADER_ROW``), frozen header, printable on landscape pages with the marking."""
    unreadable = unreadable if unreadable is not None else pd.DataFrame(columns=UNREADABLE_COLUMNS)
    frame = review_frame(with_unreadable_pairs(review, unreadable, people), people, unreadable)
    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    groups = frame["Group"].nunique()
    ws["A1"] = (f"{MARKING}. Possible matches to review: {len(frame)} pair(s) for {groups} group(s), produced "
                f"{produced:%d/%m/%Y %H:%M:%S}. INTERNAL: holds names, dates of birth and identifiers.")
    ws["A1"].font = Font(name="Calibri", size=12, bold=True)
    ws["A2"] = ("Rows with the same Group number share a child or a record: decide them together. For each row choose "
                "Decision from the list ('Same child' or 'Not the same'), add your name, and save the workbook into "
                "landing/match_review/. Decisions are kept across reloads and override the model.")
    orphans = unreadable[~unreadable["source"].map(lambda s: isinstance(s, str))] if len(unreadable) else unreadable
    if len(orphans):
        ws["A3"] = ("Decisions that could not be read and name no pair: "
                    + "; ".join(f"{u.file} row {u.excel_row}" for u in orphans.itertuples(index=False)))
        ws["A3"].fill = CHECK_FILL
    write_table(ws, frame, "ReviewPairs", start_row=HEADER_ROW)
    if len(frame):
        ws.tables["ReviewPairs"].tableStyleInfo.showRowStripes = False
    _lay_out(ws, frame, [isinstance(n, str) and n.startswith(UNREADABLE_NOTE) for n in frame["Notes"]])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


LINE_HEIGHT = 15  # points per line of 11-point text


def _lines(values, widths) -> int:
    """How many lines the tallest wrapped cell of a row takes (Excel's width unit is about one
    character of the default font)."""
    # A width unit holds about 1.2 characters of ordinary text (it is the widest digit's width).
    return max([1] + [len(textwrap.wrap(str(v), max(int(w * 1.2) - 1, 1))) for v, w in zip(values, widths) if v is not None])


def _lay_out(ws, frame: pd.DataFrame, flagged: list[bool]) -> None:
    letters = {name: get_column_letter(i) for i, name in enumerate(frame.columns, start=1)}
    for name, width in WIDTHS.items():
        ws.column_dimensions[letters[name]].width = width
    last_printed = letters["Model's reasons"]
    for cell in ("A1", "A2", "A3"):  # title and instructions wrap across the printed width
        ws.merge_cells(f"{cell}:{last_printed}{cell[1:]}")
        ws[cell].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 30
    top = Alignment(wrap_text=True, vertical="top")
    for c in range(1, len(frame.columns) + 1):
        ws.cell(row=HEADER_ROW, column=c).alignment = top
    # Row heights set here: a spreadsheet does not grow a row for wrapped text it did not type.
    widths = [WIDTHS[name] for name in frame.columns]
    ws.row_dimensions[HEADER_ROW].height = LINE_HEIGHT * _lines(frame.columns, widths)
    for offset, values in enumerate(frame.itertuples(index=False, name=None)):
        ws.row_dimensions[HEADER_ROW + 1 + offset].height = LINE_HEIGHT * _lines(values[:-1], widths[:-1])
    for offset, (group, bad) in enumerate(zip(frame["Group"], flagged)):
        excel_row = HEADER_ROW + 1 + offset
        for c in range(1, len(frame.columns) + 1):
            cell = ws.cell(row=excel_row, column=c)
            cell.alignment = top
            if group % 2 == 0:
                cell.fill = GROUP_FILL
        if bad:
            ws[f"{letters['Notes']}{excel_row}"].fill = CHECK_FILL
            ws[f"{letters['Decision']}{excel_row}"].fill = CHECK_FILL
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)  # header rows and the group number stay in view
    choice = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True,
                            showErrorMessage=True, errorStyle="stop", errorTitle="Not a decision",
                            error="Choose 'Same child' or 'Not the same' from the list.",
                            showInputMessage=True, promptTitle="Decision", prompt="Same child, or Not the same")
    ws.add_data_validation(choice)
    if len(frame):
        letter = letters["Decision"]
        choice.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + len(frame)}")
    set_print_layout(ws, header_row=HEADER_ROW, left="Possible matches to review", centre="INTERNAL", right=MARKING)
    for footer in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        footer.left.text = MARKING
    # The pair reference is for the pipeline, not the page.
    ws.print_area = f"A1:{last_printed}{HEADER_ROW + max(len(frame), 1)}"
    ws.page_margins.left = ws.page_margins.right = 0.25
    ws.page_margins.top = ws.page_margins.bottom = 0.75


def read_decisions_workbook(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decisions filled in on a review workbook, and the ones that cannot be read (a value
    not on the list, a damaged pair reference), each with its file and Excel row number. Rows
    without a decision are skipped."""
    ws = load_workbook(path, read_only=True, data_only=True)["Review"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next((i for i, row in enumerate(rows) if row and HEADER_FIRST_CELL in row), None)
    if header_at is None:
        raise BadReviewWorkbook(f"{path.name}: no 'Review' table with a '{HEADER_FIRST_CELL}' column")
    header = list(rows[header_at])
    at = {name: header.index(name) for name in (HEADER_FIRST_CELL, *DECISION_COLUMNS)}
    out, bad = [], []
    for excel_row, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        ref, decision = row[at[HEADER_FIRST_CELL]], row[at["Decision"]]
        if not ref or decision in (None, ""):
            continue
        parts = str(ref).split("|") if str(ref).count("|") == 2 else [None, None, None]
        if str(decision).strip() not in DECISIONS or parts[0] is None:
            bad.append({"file": path.name, "excel_row": excel_row, "typed": str(decision)[:40], "source": parts[0],
                        "record_id": parts[1], "child_id": parts[2]})
            continue
        source, record_id, child_id = parts
        decided = row[at["Date decided"]]
        out.append({"source": source, "record_id": record_id, "child_id": child_id,
                    "decision": DECISIONS[str(decision).strip()], "reviewer": row[at["Reviewer"]],
                    "decided_on": decided.date().isoformat() if isinstance(decided, dt.datetime) else (str(decided) if decided else None)})
    return (pd.DataFrame(out, columns=["source", "record_id", "child_id", "decision", "reviewer", "decided_on"]),
            pd.DataFrame(bad, columns=UNREADABLE_COLUMNS))


def import_decisions(engine: Engine, folder: Path, now: dt.datetime) -> DecisionImport:
    """Import every review workbook in ``folder``, oldest first, so a later decision on the
    same pair replaces an earlier one. Re-importing the same workbook changes nothing. A
    decision that cannot be read is returned, not raised: the others still count."""
    ensure_schema(engine)
    files = sorted(folder.glob("*.xlsx"), key=lambda p: (p.stat().st_mtime, p.name)) if folder.is_dir() else []
    result, unreadable = DecisionImport(), []
    for path in files:
        frame, bad = read_decisions_workbook(path)
        if len(bad):
            unreadable.append(bad)
        if frame.empty:
            continue
        frame = frame.drop_duplicates(["source", "record_id", "child_id"], keep="last")
        with engine.begin() as conn:
            keys = list(zip(frame["source"], frame["record_id"], frame["child_id"]))
            conn.execute(delete(match_decision).where(
                tuple_(match_decision.c.source, match_decision.c.record_id, match_decision.c.child_id).in_(keys)))
            bulk_insert(conn, match_decision, frame.assign(imported_from=path.name, imported_at=now))
        result.imported += len(frame)
    if unreadable:
        result.unreadable = pd.concat(unreadable, ignore_index=True)
    return result


def still_undecided(unreadable: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The unreadable decisions whose pair no readable decision (in any workbook) has settled."""
    if unreadable.empty or decisions.empty:
        return unreadable
    decided = set(zip(decisions["source"], decisions["record_id"], decisions["child_id"]))
    keep = [(s, r, c) not in decided for s, r, c in zip(unreadable["source"], unreadable["record_id"], unreadable["child_id"])]
    return unreadable[keep]
