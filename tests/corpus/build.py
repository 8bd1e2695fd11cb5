"""Build the independent corpus of good and malformed deliveries.

    python -m tests.corpus.build OUT_DIR

Built from the specification only (sources.md, layouts.csv, codes.csv). Deterministic.
Each case is OUT_DIR/<case_id>/ with landing/, optionally before/landing/, and expect.json.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import pathlib
import shutil
import sys

from .base import (ATT_HEADER, BOARD_HEADER, CCIS_HEADER, CHILDVIEW_SHEET, COREPL_FILE, CUSTODY_HEADER, D,
                   EXTRACTED, POP_HEADER, PUPILS_HEADER, SUSP_HEADER, TABLES, Raw, board_rows, build_cohort,
                   ccis_rows, childview_grid, corepl_grid, csv_text, custody_name, custody_records, custody_rows,
                   education_rows, manifest_bytes, population_rows, sha256, upn, xlsx_bytes)

FILE_TABLE = {v: k for k, v in COREPL_FILE.items()}
SHEET_TABLE = {v: k for k, v in CHILDVIEW_SHEET.items()}
CV_BOOK = "childview_extract.xlsx"


class Dir:
    """A directory where a file should be."""


class Symlink:
    def __init__(self, target):
        self.target = target


class Case:
    def __init__(self, case_id, source, layout, cls, description, outcome, files, rows_given, *,
                 before=None, min_quarantined=None, previous_stays_live=None, pii=()):
        self.case_id, self.source, self.layout, self.cls = case_id, source, layout, cls
        self.description, self.outcome, self.files, self.rows_given = description, outcome, files, rows_given
        self.before, self.min_quarantined = before, min_quarantined
        if previous_stays_live is None:
            previous_stays_live = before is not None and outcome in ("REJECTED", "NOT_A_DELIVERY", "LOADED_OR_REJECTED")
        self.previous_stays_live = previous_stays_live
        self.pii = list(dict.fromkeys(p for p in pii if p))

    def expect(self):
        d = {"case": self.case_id, "source": self.source, "layout": self.layout, "class": self.cls,
             "description": self.description, "rows_given": self.rows_given, "outcome": self.outcome,
             "previous_stays_live": self.previous_stays_live, "pii": self.pii}
        if self.min_quarantined is not None:
            d["min_quarantined"] = self.min_quarantined
        return d


# --------------------------------------------------------------------------- shared data

COHORT = build_cohort()
CHILD = {c["child_id"]: c for c in COHORT["child"]}


def cohort():
    return copy.deepcopy(COHORT)


def before_cohort():
    """Last night's snapshot: the newest child was not yet on the system, one postcode differed."""
    t = cohort()
    gone = t["child"][-1]["child_id"]
    offs = {o["offence_id"] for o in t["offence"] if o["child_id"] == gone}
    for name in TABLES:
        if name == "victim":
            t[name] = [r for r in t[name] if r["offence_id"] not in offs]
        else:
            t[name] = [r for r in t[name] if r.get("child_id") != gone]
    t["child"][0]["postcode"] = "LE11 2AB"
    return t


def pii_child(c):
    if isinstance(c, str):
        c = CHILD[c]
    dob = c["date_of_birth"]
    return [c["first_name"], c["last_name"], dob.strftime("%d/%m/%Y"), dob.isoformat(), c["upn"], c["pnc_id"]]


def pii_children(ids):
    out = []
    for i in ids:
        out += pii_child(i)
    return out


FIRST_KIDS = [c["child_id"] for c in COHORT["child"][:3]]


# --------------------------------------------------------------------------- case-system deliveries

def corepl_delivery(tables=None, *, did="corepl-20261121-0210", extracted=EXTRACTED, mutate=None,
                    encode=None, rows_override=None, manifest_edit=None, after=None, supplier="corepl"):
    """Returns (files {relpath under landing/: content}, rows_given).

    mutate(grid): grid is {file name: [header, rows, raw_row_indexes]}, change in place.
    encode(name, text) -> bytes, default UTF-8 with BOM.
    manifest_edit(doc) edits the manifest dict; after(files) tampers after the manifest was written."""
    grid = {n: [h, r, set()] for n, (h, r) in corepl_grid(tables or COHORT).items()}
    if mutate:
        mutate(grid)
    enc = encode or (lambda n, text: text.encode("utf-8-sig"))
    data, counts = {}, {}
    for n, (h, rows, raw) in grid.items():
        data[n] = enc(n, csv_text(h, rows, raw_rows=raw))
        counts[n] = len(rows)
    entries = [(n, b, {FILE_TABLE.get(n, n): (rows_override or {}).get(n, counts[n])}) for n, b in data.items()]
    man = manifest_bytes(did, supplier, extracted, entries)
    if manifest_edit:
        doc = json.loads(man)
        res = manifest_edit(doc)
        man = res if isinstance(res, bytes) else (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    files = {n: b for n, b in data.items()}
    files["manifest.json"] = man
    rows_given = dict(counts)
    if after:
        after(files, rows_given)
    base = f"case_system/{did}/"
    return {base + k: v for k, v in files.items()}, {base + k: v for k, v in rows_given.items()}


def childview_delivery(tables=None, *, did="childview-20261121-0215", extracted=EXTRACTED, mutate=None,
                       book=None, rows_override=None, manifest_edit=None, after=None, xlsx_kw=None,
                       date_cells=("persons",)):
    """As corepl_delivery; mutate(grid) gets {sheet: [header, rows]} (an ordered dict of sheets)."""
    grid = {s: [h, r] for s, (h, r) in childview_grid(tables or COHORT, date_cells=date_cells).items()}
    if mutate:
        mutate(grid)
    b = book if book is not None else xlsx_bytes([(s, h, r) for s, (h, r) in grid.items()], **(xlsx_kw or {}))
    counts = {SHEET_TABLE.get(s, s): len(r) for s, (h, r) in grid.items()}
    counts.update(rows_override or {})
    man = manifest_bytes(did, "childview", extracted, [(CV_BOOK, b, counts)])
    if manifest_edit:
        doc = json.loads(man)
        res = manifest_edit(doc)
        man = res if isinstance(res, bytes) else (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    files = {CV_BOOK: b, "manifest.json": man}
    rows_given = {CV_BOOK: sum(len(r) for h, r in grid.values())}
    if after:
        after(files, rows_given)
    base = f"case_system/{did}/"
    return {base + k: v for k, v in files.items()}, {base + k: v for k, v in rows_given.items()}


def cs_before(layout):
    if layout == "corepl":
        return corepl_delivery(before_cohort(), did="corepl-20261120-0205", extracted=dt.datetime(2026, 11, 20, 2, 5))[0]
    return childview_delivery(before_cohort(), did="childview-20261120-0212", extracted=dt.datetime(2026, 11, 20, 2, 12))[0]


def delivery(layout, **kw):
    return (corepl_delivery if layout == "corepl" else childview_delivery)(**kw)


# --------------------------------------------------------------------------- other sources

T0700 = dt.datetime(2026, 11, 21, 7, 0)
T1500 = dt.datetime(2026, 11, 21, 15, 0)
T0700_PREV = dt.datetime(2026, 11, 20, 15, 0)
CUSTODY = custody_records(COHORT, T0700)


def custody_file(recs=None, *, t=T0700, header=CUSTODY_HEADER, text_fn=None, encoding="utf-8", eol="\n",
                 raw_rows=()):
    recs = CUSTODY if recs is None else recs
    text = csv_text(header, custody_rows(recs, header) if header == CUSTODY_HEADER or all(h in CUSTODY_HEADER for h in header)
                    else [[r.get(h, "") for h in header] for r in recs], eol=eol, raw_rows=raw_rows)
    if text_fn:
        text = text_fn(text)
    path = "police_custody/" + custody_name(t)
    return {path: text.encode(encoding)}, {path: len(recs)}


def custody_before():
    recs = custody_records(COHORT, T0700_PREV)
    return custody_file(recs, t=T0700_PREV)[0]


def pii_custody(recs):
    out = []
    for r in recs:
        out += [r["surname"], r["forenames"], r["date_of_birth"], r["pnc_id"]]
    return out


EDU_DIR = "education/20261121/"
PUPILS, SUSP, ATT = education_rows(COHORT)


def education_files(pupils=None, susp=None, att=None, *, folder=EDU_DIR, delim=",", eol="\n", encoding="utf-8",
                    headers=(PUPILS_HEADER, SUSP_HEADER, ATT_HEADER), raw=None, only=None):
    pupils = PUPILS if pupils is None else pupils
    susp = SUSP if susp is None else susp
    att = ATT if att is None else att
    files, rows = {}, {}
    for (name, h, r) in (("pupils.csv", headers[0], pupils), ("suspensions.csv", headers[1], susp),
                         ("attendance.csv", headers[2], att)):
        if only and name not in only:
            continue
        files[folder + name] = csv_text(h, r, delim=delim, eol=eol, raw_rows=(raw or {}).get(name, ())).encode(encoding)
        rows[folder + name] = len(r)
    return files, rows


def education_before():
    return education_files(folder="education/20261120/")[0]


def pii_pupil(row):
    return [row[2], row[3], row[4], row[0]]


CCIS = ccis_rows(COHORT)
CCIS_PATH = "ccis/ccis_activity_20261121.csv"


def ccis_file(rows=None, *, path=CCIS_PATH, header=CCIS_HEADER, encoding="utf-8", eol="\n", raw_rows=(), delim=","):
    rows = CCIS if rows is None else rows
    return {path: csv_text(header, rows, eol=eol, raw_rows=raw_rows, delim=delim).encode(encoding)}, {path: len(rows)}


def ccis_before():
    return ccis_file(path="ccis/ccis_activity_20261114.csv")[0]


def pii_ccis(row):
    return [row[1], row[2], row[3], row[4]]


BOARD_PATH = "board/board_attendance.xlsx"
BOARD = board_rows()


def board_file(rows=None, *, header=BOARD_HEADER, sheet="Attendance", extra_sheets=(), path=BOARD_PATH, **kw):
    rows = BOARD if rows is None else rows
    b = xlsx_bytes([(sheet, header, rows)] + list(extra_sheets), **kw)
    return {path: b}, {path: len(rows)}


def board_before():
    return board_file(BOARD[:-len(set(r[1] for r in BOARD))])[0]  # before the September meeting was added


POP_PATH = "reference/population.csv"
POP = population_rows()


def pop_file(rows=None, *, header=POP_HEADER, encoding="utf-8", delim=",", eol="\n", raw_rows=()):
    rows = POP if rows is None else rows
    return {POP_PATH: csv_text(header, rows, delim=delim, eol=eol, raw_rows=raw_rows).encode(encoding)}, {POP_PATH: len(rows)}


def pop_before():
    rows = [r[:1] + ["2024"] + r[2:5] + [str(int(r[5]) - 11)] + r[6:] for r in POP]
    return pop_file(rows)[0]


# --------------------------------------------------------------------------- cases

def baseline_cases():
    out = []
    f, r = corepl_delivery()
    out.append(Case("cs-corepl-good", "case_system", "corepl", "good-baseline",
                    "The corepl supplier's nightly job delivered all ten tables as UTF-8 CSVs with a BOM and a "
                    "correct manifest.", "LOADED", f, r, before=cs_before("corepl"), previous_stays_live=False))
    f, r = childview_delivery()
    out.append(Case("cs-childview-good", "case_system", "childview", "good-baseline",
                    "The childview supplier's nightly job delivered one workbook with ten sheets (persons' dates as "
                    "Excel date cells, other dates as ISO text) and a correct manifest.", "LOADED", f, r,
                    before=cs_before("childview"), previous_stays_live=False))
    f, r = custody_file()
    out.append(Case("custody-good", "police_custody", None, "good-baseline",
                    "The police transfer job delivered the 07:00 custody file.", "LOADED", f, r,
                    before=custody_before(), previous_stays_live=False))
    f1, r1 = custody_file(custody_records(COHORT, T0700_PREV), t=T0700_PREV)
    f2, r2 = custody_file()
    out.append(Case("custody-good-overlapping-windows", "police_custody", None, "good-overlap",
                    "Two consecutive custody files whose 48-hour windows overlap, the later one updating release "
                    "times and outcomes of records in the earlier one.", "LOADED", {**f1, **f2}, {**r1, **r2}))
    f, r = education_files()
    out.append(Case("edu-good", "education", None, "good-baseline",
                    "The education system's nightly job delivered pupils, suspensions and attendance.", "LOADED",
                    f, r, before=education_before(), previous_stays_live=False))
    f, r = ccis_file()
    out.append(Case("ccis-good", "ccis", None, "good-baseline", "The weekly CCIS activity file arrived.",
                    "LOADED", f, r, before=ccis_before(), previous_stays_live=False))
    f, r = board_file()
    out.append(Case("board-good", "board", None, "good-baseline",
                    "The board administrator saved the register after the September meeting (dates as date cells).",
                    "LOADED", f, r, before=board_before(), previous_stays_live=False))
    f, r = pop_file()
    out.append(Case("pop-good", "population", None, "good-baseline",
                    "The service replaced the population reference with its 2025 figures.", "LOADED", f, r,
                    before=pop_before(), previous_stays_live=False))
    return out


CASE_GROUPS = [baseline_cases]


def _write(path: pathlib.Path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Dir):
        path.mkdir(parents=True, exist_ok=True)
    elif isinstance(content, Symlink):
        os.symlink(content.target, path)
    else:
        path.write_bytes(content)


def all_cases() -> list[Case]:
    cases = []
    for group in CASE_GROUPS:
        cases += group()
    ids = [c.case_id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, dupes
    return cases


def build_corpus(root: pathlib.Path) -> list[dict]:
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    expects = []
    for case in all_cases():
        cdir = root / case.case_id
        if cdir.exists() or cdir.is_symlink():
            shutil.rmtree(cdir)
        for rel, content in case.files.items():
            _write(cdir / "landing" / rel, content)
        (cdir / "landing").mkdir(parents=True, exist_ok=True)
        for rel, content in (case.before or {}).items():
            _write(cdir / "before" / "landing" / rel, content)
        exp = case.expect()
        (cdir / "expect.json").write_text(json.dumps(exp, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        expects.append(exp)
    return expects


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tests.corpus.build OUT_DIR", file=sys.stderr)
        return 2
    expects = build_corpus(pathlib.Path(argv[0]))
    print(f"{len(expects)} cases written to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
