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
    counts = {SHEET_TABLE[s.lower()]: len(r) for s, (h, r) in grid.items() if s.lower() in SHEET_TABLE}
    counts.update(rows_override or {})
    man = manifest_bytes(did, "childview", extracted, [(CV_BOOK, b, counts)])
    if manifest_edit:
        doc = json.loads(man)
        res = manifest_edit(doc)
        man = res if isinstance(res, bytes) else (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    files = {CV_BOOK: b, "manifest.json": man}
    rows_given = {CV_BOOK: sum(len(r) for s, (h, r) in grid.items() if s in SHEET_TABLE or s.lower() in SHEET_TABLE)}
    if after:
        after(files, rows_given)
    base = f"case_system/{did}/"
    return {base + k: v for k, v in files.items()}, {base + k: v for k, v in rows_given.items()}


def cs_before_delivery(layout):
    """Last night's good delivery: (files, rows_given)."""
    if layout == "corepl":
        return corepl_delivery(before_cohort(), did="corepl-20261120-0205", extracted=dt.datetime(2026, 11, 20, 2, 5))
    return childview_delivery(before_cohort(), did="childview-20261120-0212", extracted=dt.datetime(2026, 11, 20, 2, 12))


def cs_before(layout):
    return cs_before_delivery(layout)[0]


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
    text = csv_text(header, rows, eol=eol, raw_rows=raw_rows, delim=delim)
    return {path: text.encode(encoding, errors="replace")}, {path: len(rows)}


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


def tables_with(fn):
    t = cohort()
    fn(t)
    return t


def kid(t, child_id):
    return next(c for c in t["child"] if c["child_id"] == child_id)


def folder(layout):
    return "case_system/" + ("corepl-20261121-0210" if layout == "corepl" else "childview-20261121-0215") + "/"


def target(layout, corepl_file="YJ_Offences.csv"):
    return folder(layout) + (corepl_file if layout == "corepl" else CV_BOOK)


def cs_generic_cases():
    """Classes that make sense in both supplier layouts."""
    out = []
    for L in ("corepl", "childview"):
        before = cs_before(L)
        base_pii = pii_children(FIRST_KIDS)
        other = "childview" if L == "corepl" else "corepl"
        tf = "YJ_Offences.csv" if L == "corepl" else CV_BOOK
        what = "the offences file" if L == "corepl" else "the workbook"

        def C(cid, cls, desc, outcome, fr, **kw):
            kw.setdefault("before", before)
            kw.setdefault("pii", base_pii)
            out.append(Case(f"cs-{L}-{cid}", "case_system", L, cls, desc, outcome, fr[0], fr[1], **kw))

        # ---- file-level problems: the delivery is rejected whole
        def drop(files, rows, name=("YJ_Needs.csv" if L == "corepl" else CV_BOOK)):
            del files[name]
            rows.pop(name, None)
        C("missing-file", "missing-file",
          f"The transfer job copied the manifest but not {'YJ_Needs.csv' if L == 'corepl' else 'the workbook'}, "
          "which the manifest lists.", "REJECTED", delivery(L, after=drop))

        def empty(files, rows):
            files[tf] = b""
            rows[tf] = 0
        C("empty-file", "empty-file", f"The transfer job left {what} as a zero-byte file after the manifest "
          "(with the real file's SHA-256) was written.", "REJECTED", delivery(L, after=empty))

        def as_dir(files, rows):
            files[tf] = Dir()
            rows.pop(tf)
        C("directory-not-file", "directory-not-file", f"A directory named like {what} sits where the file should be "
          "(a failed copy created the folder).", "REJECTED", delivery(L, after=as_dir))

        def as_link(files, rows):
            files[tf] = Symlink("../../../staging/" + tf + ".part")
            rows.pop(tf)
        C("broken-symlink", "broken-symlink", f"{what.capitalize()} is a symlink to a staging file that was "
          "already cleaned up.", "REJECTED", delivery(L, after=as_link))

        def truncate(files, rows):
            b = files[tf]
            if L == "corepl":
                cut = b.index(b"\n", len(b) // 2) + 12  # part-way into a row
                files[tf] = b[:cut]
                rows[tf] = files[tf].count(b"\n") + 1 - 1  # complete rows plus the cut one, minus the header
            else:
                files[tf] = b[: len(b) * 3 // 5]
                rows[tf] = 0
        cut_pii = base_pii
        C("truncated-sha-mismatch", "truncated", f"The copy of {what} was cut off part-way (mid-row) and no "
          "longer matches the manifest's SHA-256.", "REJECTED", delivery(L, after=truncate), pii=cut_pii)

        def no_manifest(files, rows):
            del files["manifest.json"]
        C("no-manifest", "no-manifest", "The delivery folder holds the data but the manifest has not arrived "
          "(the job is still running or died before writing it).", "NOT_A_DELIVERY", delivery(L, after=no_manifest))

        def bad_json(files, rows):
            m = files["manifest.json"]
            files["manifest.json"] = m[: len(m) // 2]
        C("manifest-invalid-json", "manifest-invalid-json", "The manifest was cut off half-way and is not valid "
          "JSON.", "REJECTED", delivery(L, after=bad_json))

        def set_ext(v):
            def f(doc):
                doc["extracted_at"] = v
            return f
        C("manifest-extracted-at-dmy", "manifest-non-iso-datetime", "The supplier's job wrote extracted_at as "
          "'21/11/2026 02:10' instead of an ISO datetime; the spec does not say whether that rejects the "
          "delivery, but it must never be read as a US date.", "LOADED_OR_REJECTED",
          delivery(L, manifest_edit=set_ext("21/11/2026 02:10")))
        C("manifest-future", "manifest-future", "The manifest's extracted_at is in 2062 (digits swapped); the "
          "spec does not say whether a delivery from the future is refused.", "LOADED_OR_REJECTED",
          delivery(L, manifest_edit=set_ext("2062-11-21T02:10:00")))
        C("manifest-tz", "manifest-tz-offset", "extracted_at carries a UTC designator ('Z' / '+00:00'), still "
          "an ISO datetime.", "LOADED",
          delivery(L, manifest_edit=set_ext("2026-11-21T02:10:00Z" if L == "corepl" else "2026-11-21T02:10:00+00:00")),
          previous_stays_live=False)

        def rows_plus_one(doc):
            doc["files"][0]["rows"]["child"] = doc["files"][0]["rows"].get("child", 0) + 1
        C("manifest-rows-mismatch", "manifest-rows-mismatch", "The manifest says one more child than the "
          "file holds (a record was deleted between counting and writing).", "REJECTED",
          delivery(L, manifest_edit=rows_plus_one))

        def sha_upper(doc):
            for e in doc["files"]:
                e["sha256"] = e["sha256"].upper()
        C("manifest-sha-uppercase", "manifest-sha-uppercase", "The supplier wrote the SHA-256 values in upper-"
          "case hex; the spec only says hex, so matching case-insensitively (load) or strictly (reject) are "
          "both defensible.", "LOADED_OR_REJECTED", delivery(L, manifest_edit=sha_upper))

        def wrong_supplier(doc):
            doc["supplier"] = other
        C("manifest-wrong-supplier", "manifest-wrong-supplier", f"The manifest says supplier '{other}' but the "
          f"files are in the {L} layout (a copied job configuration).", "REJECTED",
          delivery(L, manifest_edit=wrong_supplier))

        def other_id(doc):
            doc["delivery_id"] = doc["delivery_id"].replace("20261121", "20261122")
        C("manifest-id-mismatch", "manifest-id-mismatch", "The manifest's delivery_id differs from the name of "
          "the folder it was delivered in; the spec does not say which wins.", "LOADED_OR_REJECTED",
          delivery(L, manifest_edit=other_id))

        if L == "corepl":
            def unlist(doc):
                doc["files"] = [e for e in doc["files"] if e["name"] != "YJ_Victims.csv"]
            C("file-not-in-manifest", "file-not-in-manifest", "YJ_Victims.csv was delivered but the manifest "
              "omits it, so the delivery does not match its manifest.", "REJECTED", delivery(L, manifest_edit=unlist))
        else:
            def renamed(files, rows):
                files["childview_extract (1).xlsx"] = files.pop(CV_BOOK)
                rows["childview_extract (1).xlsx"] = rows.pop(CV_BOOK)
            C("file-renamed", "file-not-in-manifest", "The workbook arrived as 'childview_extract (1).xlsx' (a "
              "download renamed it), so the file the manifest lists is missing and the one present is not listed.",
              "REJECTED", delivery(L, after=renamed))

        def stray(files, rows):
            files["Thumbs.db"] = bytes(range(256)) * 4
            files["notes.txt"] = "Re-run after the 01:00 failure. Ring the service desk if counts look low.\n".encode()
        C("stray-files", "stray-file", "Thumbs.db and a notes.txt written by an operator sit in the delivery "
          "folder next to a correct delivery; the spec does not say whether unlisted files reject it.",
          "LOADED_OR_REJECTED", delivery(L, after=stray))

        # ---- re-sent and out-of-order deliveries
        did = "corepl-20261121-0210" if L == "corepl" else "childview-20261121-0215"
        C("resent-identical", "resent-identical", "The supplier re-sent the same delivery id with identical "
          "bytes; loading it again must not duplicate anything.", "LOADED", delivery(L),
          before=delivery(L)[0], previous_stays_live=False)

        def corrected(t):
            kid(t, "C100110")["postcode"] = "LE3 8RX"
            ep = t["episode"][3]
            ep["end_date"] = ep["end_reason"] = None
            for name in ("ete_status", "accommodation"):
                t[name] = [r for r in t[name] if not (r["episode_id"] == ep["episode_id"] and r["recorded_at"] == "END")]
        C("resent-different-bytes", "resent-different-bytes", "The supplier re-sent the same delivery id with "
          "corrected data (a postcode and a wrongly closed episode); the spec does not say whether a re-used "
          "delivery id is a correction to load or a conflict to refuse.", "LOADED_OR_REJECTED",
          delivery(L, tables=tables_with(corrected)), before=delivery(L)[0], pii=base_pii + pii_child("C100110"))
        C("older-delivery-late", "late-older-delivery", "Last night's delivery (20 November) arrived after "
          "tonight's (21 November) had loaded; it must not replace the newer snapshot (load it as history or "
          "refuse it).", "LOADED_OR_REJECTED", cs_before_delivery(L), before=delivery(L)[0], previous_stays_live=True)

        # ---- row-level problems
        def dup(t):
            c = copy.deepcopy(kid(t, "C100112"))
            c["first_name"], c["last_name"], c["date_of_birth"] = "Kian", "Fernandes", D(2011, 7, 19)
            t["child"].append(c)
        C("duplicate-key", "duplicate-key", "Two children share child_id C100112 with different names (a merge "
          "in the case system went wrong).", "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(dup)),
          min_quarantined=1, pii=pii_child("C100112") + ["Kian", "Fernandes", "19/07/2011", "2011-07-19"],
          previous_stays_live=False)

        def dup_row(t):
            t["episode"].insert(5, copy.deepcopy(t["episode"][4]))
        C("duplicate-row-exact", "duplicate-row", "One episode row appears twice, byte for byte; de-duplicating "
          "it or quarantining the copy are both defensible.", "LOADED_OR_REJECTED",
          delivery(L, tables=tables_with(dup_row)))

        def orphan(t):
            t["episode"].append(dict(t["episode"][0], episode_id="E599991", child_id="C199999", outcome_id=None))
            t["offence"].append(dict(t["offence"][0], offence_id="F399991", child_id="C199998", outcome_id="O799999"))
        C("orphan-rows", "orphan-rows", "An episode and an offence refer to children (C199999, C199998) who are "
          "not in the child table (deleted between table exports).", "LOADED_WITH_QUARANTINE",
          delivery(L, tables=tables_with(orphan)), min_quarantined=2, previous_stays_live=False)

        def all_bad(t):
            for o in t["offence"]:
                o["gravity_score"] = Raw("High", "high")
        C("all-rows-bad", "all-rows-bad", "A supplier upgrade wrote the gravity score as a word ('High') on "
          "every offence row, so the whole table would be quarantined.", "REJECTED",
          delivery(L, tables=tables_with(all_bad)))

        def impossible(t):
            t["offence"][2]["offence_date"] = Raw("31/02/2026", "2026-02-31")
            t["outcome"][5]["outcome_date"] = Raw("29/02/2025", "2025-02-29")
        imp_pii = base_pii + pii_children([COHORT["offence"][2]["child_id"], COHORT["outcome"][5]["child_id"]])
        C("impossible-dates", "impossible-date", "A person typed 31 February 2026 as an offence date and 29 "
          "February 2025 as an outcome date.", "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(impossible)),
          min_quarantined=2, pii=imp_pii, previous_stays_live=False)

        def us_date(t):
            t["offence"][6]["offence_date"] = Raw("11/21/2025")
        C("us-date-one-row", "us-date", "One offence date was typed month-first (11/21/2025).",
          "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(us_date)), min_quarantined=1,
          pii=base_pii + pii_child(COHORT["offence"][6]["child_id"]), previous_stays_live=False)

        def serial(t):
            kid(t, "C100107")["date_of_birth"] = Raw("40521")
        C("excel-serial-as-text", "excel-serial-date", "A date of birth arrived as the text of an Excel serial "
          "number (40521) after someone pasted values.", "LOADED_WITH_QUARANTINE",
          delivery(L, tables=tables_with(serial)), min_quarantined=1, pii=base_pii + pii_child("C100107") + ["40521"],
          previous_stays_live=False)

        def null_opt(t):
            kid(t, "C100104")["postcode"] = Raw("NULL")
            kid(t, "C100105")["upn"] = Raw("N/A")
            kid(t, "C100106")["pnc_id"] = Raw("-")
            kid(t, "C100109")["postcode"] = Raw(" ")
        C("null-markers-optional", "null-markers", "Optional postcode, UPN and PNC id hold 'NULL', 'N/A', '-' and "
          "a single space instead of being empty; treating them as empty or quarantining the rows are both "
          "defensible, losing them is not.", "LOADED_OR_REJECTED", delivery(L, tables=tables_with(null_opt)),
          pii=base_pii + pii_children(["C100104", "C100105", "C100106", "C100109"]))

        def null_req(t):
            kid(t, "C100111")["date_of_birth"] = Raw("NULL")
        C("null-marker-required", "null-markers", "A child's date of birth is the text 'NULL'.",
          "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(null_req)), min_quarantined=1,
          pii=base_pii + pii_child("C100111"), previous_stays_live=False)

        def formula(t):
            k = kid(t, "C100121")
            k["first_name"] = '=HYPERLINK("http://example.invalid/x","Liam")'
            k["last_name"] = "@SUM(A1:A9)"
        C("formula-like-text", "formula-text", "A first name and surname begin with '=' and '@' (pasted from a "
          "spreadsheet); they must be stored as text and never evaluated; the spec does not say whether such "
          "names are quarantined.", "LOADED_OR_REJECTED", delivery(L, tables=tables_with(formula)),
          pii=base_pii + pii_child("C100121") + ['=HYPERLINK("http://example.invalid/x","Liam")', "@SUM(A1:A9)"])

        long_name = "Abdirahman-" + "Warsame" * 700
        def very_long(t):
            kid(t, "C100124")["last_name"] = long_name
        C("very-long-field", "very-long-field", "A surname field holds 4,911 characters (a paste gone wrong); the "
          "spec sets no length limit.", "LOADED_OR_REJECTED", delivery(L, tables=tables_with(very_long)),
          pii=base_pii + pii_child("C100124") + [long_name])

        def typo(t):
            t["episode"][7]["episode_type"] = Raw("Referal Order", "REFERAL_ORDER")
        C("unknown-code", "unknown-code", "One episode type is misspelt ('Referal Order' / 'REFERAL_ORDER').",
          "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(typo)), min_quarantined=1,
          previous_stays_live=False)

        def bad_bool(t):
            t["need"][3]["need_identified"] = Raw("Maybe", 2)
        C("bad-bool", "bad-bool", "One need row has need_identified 'Maybe' / 2.", "LOADED_WITH_QUARANTINE",
          delivery(L, tables=tables_with(bad_bool)), min_quarantined=1, previous_stays_live=False)

        def grav(t):
            t["offence"][4]["gravity_score"] = 9
            t["offence"][8]["gravity_score"] = 0
        C("gravity-out-of-range", "out-of-range", "Two offences have gravity scores 9 and 0 (valid range 1 to 8).",
          "LOADED_WITH_QUARANTINE", delivery(L, tables=tables_with(grav)), min_quarantined=2,
          previous_stays_live=False)

        def ooa(t):
            k = kid(t, "C100118")
            k["local_authority"], k["postcode"] = "NOTTINGHAMSHIRE", "NG10 4HL"
            k2 = kid(t, "C100126")
            k2["local_authority"], k2["postcode"] = "POWYS", "SY21 7AB"
        C("out-of-area-la", "out-of-area", "Two children live out of area (Nottinghamshire, Powys), local "
          "authorities not in codes.csv; the spec says any English or Welsh LA can occur and they are still the "
          "service's children.", "LOADED", delivery(L, tables=tables_with(ooa)), previous_stays_live=False)

        def pcs(t):
            kid(t, "C100101")["postcode"] = "le113qf"
            kid(t, "C100102")["postcode"] = "LE10  1RL"
            kid(t, "C100103")["postcode"] = " le18 4pd "
        C("postcode-spacing", "postcode-format", "Postcodes typed in lower case, without a space and with extra "
          "spaces (the spec allows any spacing and case).", "LOADED", delivery(L, tables=tables_with(pcs)),
          previous_stays_live=False)

        def transition(t):
            kid(t, "C100131")["date_of_birth"] = D(2008, 2, 11)
        C("child-aged-18", "age-transition", "A child turned 18 during the order (older ages occur for "
          "transitions).", "LOADED", delivery(L, tables=tables_with(transition)), previous_stays_live=False)

        def no_victims(t):
            t["victim"] = []
        C("empty-table", "header-only", "The victims table has a header and no rows (the manifest agrees: 0); "
          "a full snapshot with no victims would wipe the victims data, so loading or refusing are both "
          "defensible.", "LOADED_OR_REJECTED", delivery(L, tables=tables_with(no_victims)))

        # ---- header problems
        ch = "YJ_Children.csv" if L == "corepl" else "persons"

        def hdr(fn):
            def m(grid):
                h, rows = grid[ch][0], grid[ch][1]
                fn(grid, h, rows)
            return m

        def hdr_case(grid, h, rows):
            grid[ch][0] = [(" " + x.upper() + " ") if i % 2 else x.lower() for i, x in enumerate(h)]
        C("header-case-spaces", "header-format", "The child table's headers arrived in different case with "
          "stray spaces; the spec does not say whether headers match exactly.", "LOADED_OR_REJECTED",
          delivery(L, mutate=hdr(hdr_case)))

        dob_h = "Date of Birth" if L == "corepl" else "dob"

        def hdr_rename(grid, h, rows):
            h[h.index(dob_h)] = "DOB" if L == "corepl" else "date_of_birth"
        C("column-renamed", "column-renamed", f"A supplier upgrade renamed the '{dob_h}' column.", "REJECTED",
          delivery(L, mutate=hdr(hdr_rename)))

        def drop_col(name):
            def f(grid, h, rows):
                i = h.index(name)
                del h[i]
                for r in rows:
                    del r[i]
            return f
        C("column-missing-required", "column-missing", f"The child table arrived without its '{dob_h}' column.",
          "REJECTED", delivery(L, mutate=hdr(drop_col(dob_h))))
        pnc_h = "PNC ID" if L == "corepl" else "pnc"
        C("column-missing-optional", "column-missing", f"The child table arrived without its optional "
          f"'{pnc_h}' column; loading with the column empty or refusing are both defensible.",
          "LOADED_OR_REJECTED", delivery(L, mutate=hdr(drop_col(pnc_h))))

        prev = ["Smith", "Begum", "Nowak", "Thompson"]

        def extra(grid, h, rows):
            h.append("Previous Surname" if L == "corepl" else "previous_surname")
            for k, r in enumerate(rows):
                r.append(prev[k % 4] if k % 3 == 0 else ("" if L == "corepl" else None))
        C("column-extra", "column-extra", "A supplier upgrade added a 'previous surname' column (more personal "
          "data) to the child table; ignoring it or refusing are both defensible, echoing its values is not.",
          "LOADED_OR_REJECTED", delivery(L, mutate=hdr(extra)), pii=base_pii + prev)

        def reorder(grid, h, rows):
            order = list(range(len(h)))[::-1]
            grid[ch][0] = [h[i] for i in order]
            grid[ch][1][:] = [[r[i] for i in order] for r in rows]
        C("columns-reordered", "columns-reordered", "The child table's columns arrived in reverse order with the "
          "right headers.", "LOADED", delivery(L, mutate=hdr(reorder)), previous_stays_live=False)
    return out


def cs_corepl_cases():
    """Text-file problems that only the corepl (CSV) layout can have."""
    L = "corepl"
    out = []
    before = cs_before(L)
    base_pii = pii_children(FIRST_KIDS)
    fo = folder(L)

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", base_pii)
        out.append(Case(f"cs-corepl-{cid}", "case_system", L, cls, desc, outcome, fr[0], fr[1], **kw))

    accented = ["C100108", "C100117", "C100122", "C100127"]  # Wiśniewska, Ștefan, Zoë, Horváth

    def enc_for(target_file, codec):
        def enc(n, text):
            if n != target_file:
                return text.encode("utf-8-sig")
            return text.encode(codec, errors="replace")
        return enc
    C("cp1252", "non-utf8", "The supplier's export wrote YJ_Children.csv in Windows-1252 (characters it cannot "
      "hold became '?'), and the manifest was computed over those bytes; decoding it as Windows-1252, "
      "quarantining the undecodable rows or refusing the delivery are all defensible, mojibake is not.",
      "LOADED_OR_REJECTED", corepl_delivery(encode=enc_for("YJ_Children.csv", "cp1252")),
      pii=base_pii + pii_children(accented) + ["Wi?niewska", "?tefan"])
    C("utf16", "non-utf8", "YJ_Episodes.csv was saved as UTF-16 ('Unicode text'), with a UTF-16 BOM; the spec "
      "fixes UTF-8, so reading it or refusing are both defensible.", "LOADED_OR_REJECTED",
      corepl_delivery(encode=enc_for("YJ_Episodes.csv", "utf-16")))
    C("no-bom", "no-bom", "Every file is UTF-8 without the byte-order mark the layout describes; the "
      "headers are otherwise exact.", "LOADED", corepl_delivery(encode=lambda n, t: t.encode("utf-8")),
      previous_stays_live=False)

    def bom_middle(n, text):
        if n != "YJ_Children.csv":
            return text.encode("utf-8-sig")
        lines = text.split("\r\n")
        head, body = lines[0], lines[1:-1]
        half = len(body) // 2
        part1 = "\r\n".join([head] + body[:half]) + "\r\n"
        part2 = "\r\n".join([head] + body[half:]) + "\r\n"
        return part1.encode("utf-8-sig") + part2.encode("utf-8-sig")
    C("bom-in-middle", "bom-in-middle", "The export job wrote YJ_Children.csv in two chunks and concatenated "
      "them, so a BOM and a second header line sit in the middle of the file (the manifest counts 33 children, "
      "which is right); skipping the repeated header or refusing are both defensible, a child with "
      "child_id 'Child ID' is not.", "LOADED_OR_REJECTED", corepl_delivery(encode=bom_middle))

    def eol(kind):
        def enc(n, text):
            if kind == "lf":
                text = text.replace("\r\n", "\n")
            else:
                parts = text.split("\r\n")
                text = "".join(p + ("\n" if i % 3 == 1 else "\r\n") for i, p in enumerate(parts[:-1]))
            return text.encode("utf-8-sig")
        return enc
    C("lf-line-endings", "line-endings", "Every file has LF line endings (the supplier's job moved to Linux).",
      "LOADED", corepl_delivery(encode=eol("lf")), previous_stays_live=False)
    C("mixed-line-endings", "line-endings", "The files mix CRLF and LF line endings (rows appended by a "
      "second process).", "LOADED", corepl_delivery(encode=eol("mixed")), previous_stays_live=False)
    C("trailing-blank-lines", "trailing-blank-lines", "Every file ends with three blank lines.", "LOADED",
      corepl_delivery(encode=lambda n, t: (t + "\r\n\r\n\r\n").encode("utf-8-sig")), previous_stays_live=False)
    C("quote-all", "quoting", "Every field is quoted, including the header (a different CSV writer setting).",
      "LOADED", _quote_all_delivery(), previous_stays_live=False)

    def unquoted(grid):
        h, rows, raw = grid["YJ_Children.csv"]
        i = next(k for k, r in enumerate(rows) if r[0] == "C100105")
        rows[i][1] = "Yusuf, Ahmed"
        raw.add(i)
    C("unquoted-delimiter", "unquoted-delimiter", "A first name was entered as 'Yusuf, Ahmed' and the export "
      "does not quote it, so the row has an extra field and the surname 'Bhayat' lands in the Date of Birth "
      "column (and the date of birth in Sex).", "LOADED_WITH_QUARANTINE", corepl_delivery(mutate=unquoted),
      min_quarantined=1, pii=base_pii + pii_child("C100105") + ["Ahmed", "Yusuf, Ahmed"], previous_stays_live=False)

    def unquoted_labels(grid):
        h, rows, raw = grid["YJ_Children.csv"]
        for k, r in enumerate(rows):
            if r[5].startswith("White: English"):
                raw.add(k)
    w1 = [c["child_id"] for c in COHORT["child"] if c["ethnicity"] == "W1"]
    C("unquoted-code-label", "unquoted-delimiter", "The export stopped quoting fields, so every White British "
      "child's ethnicity label ('White: English, Welsh, Scottish, Northern Irish or British') splits into four "
      "fields and the postcode, UPN and PNC id shift right.", "LOADED_WITH_QUARANTINE",
      corepl_delivery(mutate=unquoted_labels), min_quarantined=len(w1), pii=base_pii + pii_children(w1),
      previous_stays_live=False)

    def newline(grid):
        h, rows, raw = grid["YJ_Children.csv"]
        rows[9][6] = rows[9][6] + "\n"
        rows[10][1] = "Ruby-Mae\n"
    C("embedded-newline", "embedded-newline", "Two quoted fields (a postcode and a first name) end with a line "
      "break pasted in from an e-mail; the CSV is valid and each record is still one row.", "LOADED",
      corepl_delivery(mutate=newline), previous_stays_live=False)

    def resave(fmt, fname, desc, cls):
        def m(grid):
            h, rows, raw = grid[fname]
            for r in rows:
                for j, v in enumerate(r):
                    if len(v) == 10 and v[2] == "/" and v[5] == "/":
                        d = dt.date(int(v[6:]), int(v[3:5]), int(v[:2]))
                        r[j] = fmt(d)
        C(cls, "excel-resaved-dates", desc, "LOADED_OR_REJECTED", corepl_delivery(mutate=m))
    resave(lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}", "YJ_Offences.csv",
           "Someone opened YJ_Offences.csv in Excel and saved it, so dates became d/m/yy (two-digit years); "
           "the spec fixes dd/mm/yyyy, so reading them or refusing are both defensible.", "excel-dmyy")
    resave(lambda d: d.strftime("%Y-%m-%d 00:00:00"), "YJ_Episodes.csv",
           "YJ_Episodes.csv was re-saved by a tool that wrote every date as 'yyyy-mm-dd hh:mm:ss'.",
           "excel-datetime")
    resave(lambda d: f"{d.month}/{d.day}/{d.year}", "YJ_Outcomes.csv",
           "YJ_Outcomes.csv was re-saved on a US-locale machine, so dates are m/d/yyyy: some cannot be "
           "read as d/m and the rest would be silently wrong; refusing it or quarantining is expected, "
           "but loading it as day-first is wrong.", "us-dates-file")

    def yn(grid):
        h, rows, raw = grid["YJ_Needs.csv"]
        for k, r in enumerate(rows):
            for j in (5, 6, 7):
                r[j] = {"Yes": ["Y", "TRUE", "yes"][k % 3], "No": ["N", "FALSE", "no"][k % 3]}[r[j]]
    C("bool-variants", "bool-format", "YJ_Needs.csv has booleans as Y/N, TRUE/FALSE and yes/no instead of "
      "Yes/No; accepting the variants or refusing are both defensible.", "LOADED_OR_REJECTED",
      corepl_delivery(mutate=yn))

    def codes_not_labels(grid):
        h, rows, raw = grid["YJ_Children.csv"]
        for r, c in zip(rows, COHORT["child"]):
            r[4], r[5] = c["sex"], c["ethnicity"]
    C("codes-instead-of-labels", "code-format", "The child table has canonical codes (M, A1) where the corepl "
      "layout has labels (Male, Asian or Asian British: Indian).", "LOADED_OR_REJECTED",
      corepl_delivery(mutate=codes_not_labels))

    def semicolon(n, text):
        if n != "YJ_Outcomes.csv":
            return text.encode("utf-8-sig")
        rows = corepl_grid(COHORT)["YJ_Outcomes.csv"]
        return csv_text(rows[0], rows[1], delim=";").encode("utf-8-sig")
    C("semicolon", "delimiter", "YJ_Outcomes.csv was re-exported with semicolons (a European-locale Excel); "
      "the layout says comma-separated.", "LOADED_OR_REJECTED", corepl_delivery(encode=semicolon))
    return out


def _quote_all_delivery():
    grid = corepl_grid(COHORT)

    def enc(n, text):
        h, rows = grid[n]
        return csv_text(h, rows, quote_all=True).encode("utf-8-sig")
    return corepl_delivery(encode=enc)


def cs_childview_cases():
    """Workbook problems that only the childview (xlsx) layout can have."""
    from .xlsx import Formula
    L = "childview"
    out = []
    before = cs_before(L)
    base_pii = pii_children(FIRST_KIDS)
    bk = folder(L) + CV_BOOK

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", base_pii)
        out.append(Case(f"cs-childview-{cid}", "case_system", L, cls, desc, outcome, fr[0], fr[1], **kw))

    def book_is(content):
        def after(files, rows):
            files[CV_BOOK] = content
            rows[CV_BOOK] = 0
        return after
    html = (b"<!DOCTYPE html><html><head><title>Session expired</title></head><body><h1>Your session has "
            b"expired</h1><p>Please sign in again to download the extract.</p></body></html>\n")
    C("not-a-zip-html", "not-a-zip", "The transfer job saved the supplier portal's 'session expired' HTML page "
      "as childview_extract.xlsx, and the manifest's SHA-256 matches that page.", "REJECTED",
      childview_delivery(book=html, after=book_is(html)))
    grid = childview_grid(COHORT)
    csv_body = csv_text(*grid["persons"][:1], [[("" if v is None else (v.date().isoformat() if hasattr(v, "date") else v))
                                                for v in r] for r in grid["persons"][1]]).encode("utf-8")
    C("csv-named-xlsx", "not-a-zip", "The persons sheet was exported as CSV text but saved with the .xlsx name "
      "(manifest matches those bytes).", "REJECTED", childview_delivery(book=csv_body, after=book_is(csv_body)),
      pii=base_pii + pii_children([c["child_id"] for c in COHORT["child"][:6]]))
    good_book = childview_delivery()[0][bk]
    cut = good_book[: len(good_book) * 3 // 5]
    C("truncated-sha-matches", "truncated", "The supplier's job wrote a truncated workbook (not a valid zip) "
      "and computed the manifest over it, so the SHA-256 matches.", "REJECTED",
      childview_delivery(book=cut, after=book_is(cut)))

    def drop_sheet(grid):
        del grid["victims"]
    C("missing-sheet", "missing-sheet", "The workbook has no 'victims' sheet (the module was switched off in "
      "the export) and the manifest does not mention it either.", "REJECTED", childview_delivery(mutate=drop_sheet))

    def rename_sheet(grid):
        items = list(grid.items())
        grid.clear()
        for k, v in items:
            grid["Persons" if k == "persons" else k] = v
    C("sheet-name-case", "sheet-renamed", "The persons sheet is called 'Persons'; matching sheet names without "
      "regard to case or refusing are both defensible.", "LOADED_OR_REJECTED", childview_delivery(mutate=rename_sheet))

    def extra_sheet(grid):
        grid["export_info"] = [["key", "value"], [["exported_by", "svc_childview"], ["run", "nightly"]]]
    C("extra-sheet", "extra-sheet", "The workbook has an extra 'export_info' sheet not in the layout.",
      "LOADED_OR_REJECTED", childview_delivery(mutate=extra_sheet))
    C("all-date-cells", "date-cells", "Every date in every sheet is a real Excel date cell.", "LOADED",
      childview_delivery(date_cells=tuple(CHILDVIEW_SHEET.values())), previous_stays_live=False)
    C("all-iso-text", "date-text", "Every date in every sheet is ISO text, persons included.", "LOADED",
      childview_delivery(date_cells=()), previous_stays_live=False)

    def date_fmt(fn):
        def m(grid):
            for sheet, (h, rows) in grid.items():
                for r in rows:
                    for j, v in enumerate(r):
                        if isinstance(v, dt.datetime) or (isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-"):
                            r[j] = fn(v)
        return m
    C("datetime-text", "excel-resaved-dates", "Dates are text 'yyyy-mm-dd 00:00:00' (a datetime column in the "
      "supplier's database exported as text).", "LOADED_OR_REJECTED",
      childview_delivery(mutate=date_fmt(lambda v: (v.date().isoformat() if isinstance(v, dt.datetime) else v) + " 00:00:00")))

    def as_serial(v):
        d = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v)
        return (d - dt.datetime(1899, 12, 30)).days
    C("serial-numbers", "excel-serial-date", "Every date is a plain number cell (the Excel serial with the date "
      "format lost, e.g. 41923); reading it as a serial date or refusing are both defensible.",
      "LOADED_OR_REJECTED", childview_delivery(mutate=date_fmt(as_serial)))

    def bools(fn):
        def m(grid):
            for sheet, (h, rows) in grid.items():
                for j, name in enumerate(h):
                    if name.endswith("_flag"):
                        for r in rows:
                            if r[j] in (0, 1):
                                r[j] = fn(r[j])
        return m
    C("bool-cells", "bool-format", "Flags are Excel TRUE/FALSE cells instead of 1/0.", "LOADED_OR_REJECTED",
      childview_delivery(mutate=bools(lambda v: bool(v))))
    C("bool-text", "bool-format", "Flags are the text '1'/'0' instead of numbers.", "LOADED",
      childview_delivery(mutate=bools(lambda v: str(v))), previous_stays_live=False)

    def floats(grid):
        for sheet, (h, rows) in grid.items():
            for r in rows:
                for j, v in enumerate(r):
                    if isinstance(v, int) and not isinstance(v, bool) and h[j] in ("gravity", "hrs_offered", "hrs_attended"):
                        r[j] = float(v)
    C("ints-as-floats", "number-format", "Integer columns (gravity, hours) are stored as 3.0, 25.0, as Excel "
      "does for numbers that passed through a formula.", "LOADED", childview_delivery(mutate=floats),
      previous_stays_live=False)

    def labels(grid):
        h, rows = grid["persons"]
        j = h.index("ethnic_code")
        from .base import LABELS
        for r in rows:
            if r[j]:
                r[j] = LABELS["ethnicity"][r[j]]
    C("labels-not-codes", "code-format", "The persons sheet has corepl-style labels ('Asian or Asian British: "
      "Indian') in ethnic_code instead of canonical codes.", "LOADED_OR_REJECTED", childview_delivery(mutate=labels))
    C("title-row", "title-row", "Each sheet has a title row ('Extract 21/11/2026 02:10') above the header.",
      "LOADED_OR_REJECTED", childview_delivery(xlsx_kw={"title_rows": {s: [["Extract 21/11/2026 02:10"]]
                                                                           for s in CHILDVIEW_SHEET.values()}}))
    C("trailing-blank-rows", "trailing-blank-rows", "Each sheet has 40 formatted but empty rows after the data "
      "(they are not records).", "LOADED",
      childview_delivery(xlsx_kw={"blank_styled_rows": {s: 40 for s in CHILDVIEW_SHEET.values()}}),
      previous_stays_live=False)

    def formula(grid):
        h, rows = grid["persons"]
        rows[20][h.index("forename")] = Formula('=PROPER("liam")')
        rows[21][h.index("post_code")] = Formula('=HYPERLINK("http://example.invalid/","LE12 6LL")')
    C("formula-cells", "formula-cell", "Two cells are formulas with no cached value (=PROPER(\"liam\"), "
      "=HYPERLINK(...)); a reader sees an empty value or the formula text; the spec does not say which.",
      "LOADED_OR_REJECTED", childview_delivery(mutate=formula), pii=base_pii + pii_children(["C100121", "C100122"]))

    def lock(files, rows):
        files["~$childview_extract.xlsx"] = b"\x0bsvc_extract" + b"\x20" * 40 + b"\x00" * 110
    C("lock-file", "lock-file", "An Office lock file ~$childview_extract.xlsx sits beside a correct workbook "
      "(someone had it open when the job copied the folder).", "LOADED_OR_REJECTED", childview_delivery(after=lock))

    def id_spaces(grid):
        h, rows = grid["interventions"]
        for r in rows[:5]:
            r[1] = " " + r[1] + " "
    C("id-stray-spaces", "stray-spaces", "Five interventions have person_ref with stray leading/trailing "
      "spaces; trimming them or quarantining the rows as orphans are both defensible.", "LOADED_OR_REJECTED",
      childview_delivery(mutate=id_spaces))
    return out


def custody_cases():
    out = []
    before = custody_before()
    P = "police_custody/" + custody_name(T0700)
    recs = CUSTODY
    base_pii = pii_custody(recs[:2])

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", base_pii)
        out.append(Case(f"custody-{cid}", "police_custody", None, cls, desc, outcome, fr[0], fr[1], **kw))

    def text_of(rs=None, eol="\n", header=CUSTODY_HEADER, raw=()):
        rs = recs if rs is None else rs
        return csv_text(header, [[r.get(h, "") for h in header] for r in rs], eol=eol, raw_rows=raw)

    def one(content, rows, path=P):
        return {path: content}, ({path: rows} if rows is not None else {})

    def with_rec(k, **changes):
        rs = copy.deepcopy(recs)
        rs[k].update(changes)
        return rs

    C("empty-file", "empty-file", "The police transfer job created the 07:00 file but wrote nothing to it "
      "(zero bytes).", "REJECTED", one(b"", 0))
    C("header-only", "header-only", "The 07:00 file has a header and no rows (no child was in custody in the "
      "last 48 hours), which is a valid file.", "LOADED", one(text_of([]).encode(), 0), previous_stays_live=False)
    C("directory-not-file", "directory-not-file", "A directory named custody_20261121_0700.csv sits where the "
      "file should be.", "REJECTED", one(Dir(), None))
    C("broken-symlink", "broken-symlink", "custody_20261121_0700.csv is a symlink to a file on a share that "
      "was unmounted.", "REJECTED", one(Symlink("/mnt/police_share/out/custody_20261121_0700.csv"), None))
    full = text_of().encode()
    last_line_start = full.rstrip(b"\n").rfind(b"\n") + 1
    cut_at = full.index(recs[-1]["surname"].encode(), last_line_start) + len(recs[-1]["surname"])
    C("truncated-mid-row", "truncated", "The transfer was cut off part-way through the last row, just after the "
      "surname.", "LOADED_WITH_QUARANTINE", one(full[:cut_at], len(recs)), min_quarantined=1,
      pii=base_pii + pii_custody(recs[-1:]), previous_stays_live=False)

    acc = with_rec(2, surname="Horváth", forenames="Dominik", date_of_birth=CHILD["C100127"]["date_of_birth"].isoformat(),
                   pnc_id=CHILD["C100127"]["pnc_id"])
    acc[5].update(surname="Szabó", forenames="Réka", date_of_birth="2012-03-28", pnc_id="")
    C("cp1252", "non-utf8", "The custody file arrived in Windows-1252 (Horváth, Szabó); decoding it correctly, "
      "quarantining the undecodable rows or refusing are all defensible, mojibake is not.", "LOADED_OR_REJECTED",
      one(text_of(acc).encode("cp1252"), len(acc)), pii=base_pii + pii_custody([acc[2], acc[5]]))
    C("utf16", "non-utf8", "The custody file arrived as UTF-16 with a BOM; the spec says UTF-8.",
      "LOADED_OR_REJECTED", one(text_of().encode("utf-16"), len(recs)))
    C("utf8-bom", "bom", "The custody file starts with a UTF-8 byte-order mark.", "LOADED",
      one(text_of().encode("utf-8-sig"), len(recs)), previous_stays_live=False)
    prev = custody_records(COHORT, T0700_PREV)
    C("bom-in-middle", "bom-in-middle", "The police job appended the 07:00 extract (with its BOM and header) "
      "to the previous file instead of replacing it, so a BOM and a second header sit mid-file; skipping the "
      "repeated header or refusing are both defensible, a detention with custody_ref 'custody_ref' is not.",
      "LOADED_OR_REJECTED", one(text_of(prev).encode("utf-8-sig") + text_of().encode("utf-8-sig"), len(prev) + len(recs)))
    C("crlf", "line-endings", "The custody file has CRLF line endings.", "LOADED",
      one(text_of(eol="\r\n").encode(), len(recs)), previous_stays_live=False)
    mixed = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(text_of().split("\n")[:-1]))
    C("mixed-line-endings", "line-endings", "The custody file mixes CRLF and LF line endings.", "LOADED",
      one(mixed.encode(), len(recs)), previous_stays_live=False)
    C("trailing-blank-lines", "trailing-blank-lines", "The custody file ends with blank lines and a line of "
      "commas (an Excel export of empty rows).", "LOADED",
      one((text_of() + "\n\n" + "," * (len(CUSTODY_HEADER) - 1) + "\n").encode(), len(recs)),
      previous_stays_live=False)
    k = 4
    shifted = with_rec(k, custody_suite="Euston Street, Leicester, LE1 3QL")
    C("unquoted-delimiter", "unquoted-delimiter", "The suite was written 'Euston Street, Leicester, LE1 3QL' "
      "without quotes, so the row gains two fields and the surname lands in date_of_birth and the forenames "
      "in sex.", "LOADED_WITH_QUARANTINE", one(text_of(shifted, raw={k}).encode(), len(recs)), min_quarantined=1,
      pii=base_pii + pii_custody([recs[k]]), previous_stays_live=False)
    nl = with_rec(3, reason_not_transferred="No secure bed available.\nLA contacted 02:40, no placement.\r\nEDT informed.")
    C("embedded-newline", "embedded-newline", "A quoted reason_not_transferred holds line breaks (typed in a "
      "multi-line box); each record is still one row.", "LOADED", one(text_of(nl).encode(), len(recs)),
      previous_stays_live=False)

    # ---- time zones and the clock change (29 March 2026, 01:00 GMT -> 02:00 BST)
    tdst = dt.datetime(2026, 3, 29, 7, 0)
    pdst = "police_custody/" + custody_name(tdst)
    def dst_recs(fmt):
        rs = custody_records(COHORT, T0700, count=4)
        arrivals = [("2026-03-28T23:40:00", "+00:00"), ("2026-03-29T00:50:00", "+00:00"),
                    ("2026-03-29T01:30:00", "+01:00"), ("2026-03-29T03:15:00", "+01:00")]
        for r, (a, off) in zip(rs, arrivals):
            for col in ("arrest_datetime", "arrival_datetime", "detention_authorised_datetime", "release_datetime",
                        "appropriate_adult_requested", "appropriate_adult_arrived"):
                r[col] = ""
            r["arrival_datetime"] = fmt(a, off)
            r["outcome"], r["pace_transfer_requested"], r["pace_transfer_type"], r["pace_transfer_achieved"], \
                r["reason_not_transferred"] = "", "", "", "", ""
        return rs
    rs = dst_recs(lambda a, off: a + off)
    C("tz-offset", "tz-offset", "The police system started writing UTC offsets (including "
      "'2026-03-29T01:30:00+01:00', which is 00:30 GMT, on the night the clocks went forward); converting to "
      "local time or refusing are both defensible, dropping the offset silently is not.", "LOADED_OR_REJECTED",
      one(text_of(rs).encode(), len(rs), pdst), before=None, pii=pii_custody(rs))
    rs = dst_recs(lambda a, off: (dt.datetime.fromisoformat(a + off).astimezone(dt.timezone.utc)
                                  .strftime("%Y-%m-%dT%H:%M:%SZ")))
    C("tz-utc-z", "tz-offset", "Every datetime is UTC with a 'Z' suffix (a system upgrade); the pipeline holds "
      "local time, so converting or refusing are both defensible.", "LOADED_OR_REJECTED",
      one(text_of(rs).encode(), len(rs), pdst), before=None, pii=pii_custody(rs))
    rs = dst_recs(lambda a, off: a)
    C("nonexistent-local-time", "dst-gap", "An arrival at 2026-03-29T01:30:00 local time, a time that did not "
      "exist (clocks went from 01:00 to 02:00); the spec does not say how to treat it.", "LOADED_OR_REJECTED",
      one(text_of(rs).encode(), len(rs), pdst), before=None, pii=pii_custody(rs))

    def excel(r):
        r = dict(r)
        for col in r:
            v = r[col]
            if len(v) == 19 and v[10] == "T":
                d = dt.datetime.fromisoformat(v)
                r[col] = d.strftime("%d/%m/%Y %H:%M")
            elif col == "date_of_birth":
                r[col] = dt.date.fromisoformat(v).strftime("%d/%m/%Y")
        return r
    ex = [excel(r) for r in recs]
    C("excel-resaved", "excel-resaved-dates", "A duty officer opened the file in Excel and saved it: datetimes "
      "became '21/11/2026 07:14' and dates of birth dd/mm/yyyy; reading them day-first or refusing are both "
      "defensible, reading them month-first is not.", "LOADED_OR_REJECTED", one(text_of(ex).encode(), len(ex)),
      pii=pii_custody(ex))
    bad = with_rec(6, date_of_birth="2010-02-29")
    C("impossible-dob", "impossible-date", "One date of birth is 29 February 2010 (not a leap year).",
      "LOADED_WITH_QUARANTINE", one(text_of(bad).encode(), len(bad)), min_quarantined=1,
      pii=base_pii + pii_custody([bad[6]]), previous_stays_live=False)
    dup = copy.deepcopy(recs)
    d2 = dict(dup[1], release_datetime="2026-11-20T04:40:00", outcome="NFA")
    dup.insert(2, d2)
    C("duplicate-ref-conflict", "duplicate-key", "The same custody_ref appears twice in one file with "
      "different release times and outcomes, so no version is the latest; quarantining or picking one are both "
      "defensible, losing both is not.", "LOADED_OR_REJECTED", one(text_of(dup).encode(), len(dup)),
      pii=base_pii)
    allbad = [dict(r, arrival_datetime="") for r in recs]
    C("all-rows-bad", "all-rows-bad", "Every row lacks arrival_datetime (a field mapping broke), so every row "
      "would be quarantined.", "REJECTED", one(text_of(allbad).encode(), len(allbad)))
    h2 = [(x.upper() if i % 3 == 0 else " " + x.replace("_", " ").title() + " ") for i, x in enumerate(CUSTODY_HEADER)]
    C("header-case-spaces", "header-format", "The headers arrived in mixed case, with spaces for underscores "
      "and stray spaces; the spec does not say whether headers match exactly.", "LOADED_OR_REJECTED",
      one(("\n".join([",".join(h2)] + text_of().split("\n")[1:])).encode(), len(recs)))
    h3 = [("last_name" if x == "surname" else x) for x in CUSTODY_HEADER]
    C("column-renamed", "column-renamed", "The police renamed 'surname' to 'last_name'.", "REJECTED",
      one(("\n".join([",".join(h3)] + text_of().split("\n")[1:])).encode(), len(recs)))
    C("column-missing-required", "column-missing", "The file arrived without the arrival_datetime column.",
      "REJECTED", one(text_of(header=[h for h in CUSTODY_HEADER if h != "arrival_datetime"]).encode(), len(recs)))
    C("column-missing-optional", "column-missing", "The file arrived without the optional pace_transfer_type "
      "column; loading with it empty or refusing are both defensible.", "LOADED_OR_REJECTED",
      one(text_of(header=[h for h in CUSTODY_HEADER if h != "pace_transfer_type"]).encode(), len(recs)))
    officers = ["PC 2291 Hollingworth", "PS 1043 Kaur", "PC 3310 Adebayo"]
    ext = [dict(r, custody_officer=officers[i % 3]) for i, r in enumerate(recs)]
    C("column-extra", "column-extra", "The police added a custody_officer column (names of officers); ignoring "
      "it or refusing are both defensible.", "LOADED_OR_REJECTED",
      one(text_of(ext, header=CUSTODY_HEADER + ["custody_officer"]).encode(), len(recs)), pii=base_pii + officers)
    C("columns-reordered", "columns-reordered", "The columns arrived in a different order (alphabetical) with "
      "the right headers.", "LOADED", one(text_of(header=sorted(CUSTODY_HEADER)).encode(), len(recs)),
      previous_stays_live=False)
    nm = copy.deepcopy(recs)
    nm[0]["postcode"], nm[1]["pnc_id"], nm[2]["self_defined_ethnicity"], nm[3]["strip_search"] = "NULL", "N/A", "-", " "
    C("null-markers-optional", "null-markers", "Optional fields hold 'NULL', 'N/A', '-' and a space; treating "
      "them as empty or quarantining are both defensible.", "LOADED_OR_REJECTED", one(text_of(nm).encode(), len(nm)),
      pii=pii_custody(nm[:4]))
    nr = with_rec(5, arrival_datetime="NULL")
    C("null-marker-required", "null-markers", "One row's arrival_datetime is the text 'NULL'.",
      "LOADED_WITH_QUARANTINE", one(text_of(nr).encode(), len(nr)), min_quarantined=1,
      pii=base_pii + pii_custody([nr[5]]), previous_stays_live=False)
    fm = copy.deepcopy(recs)
    fm[0]["offence_description"] = '=HYPERLINK("http://example.invalid/","Assault")'
    fm[3]["reason_not_transferred"] = "+44 116 496 0321 rang, no bed"
    fm[5]["offence_description"] = "@SUM(1+1) criminal damage"
    fm[6]["offence_description"] = "-possession of cannabis"
    C("formula-like-text", "formula-text", "Free-text fields begin with '=', '+', '@' and '-'; they are text, "
      "must be loaded as text and never evaluated (exports must neutralise them).", "LOADED",
      one(text_of(fm).encode(), len(fm)), previous_stays_live=False)
    lg = with_rec(3, reason_not_transferred=("Secure bed requested from the national placement team; " * 180).strip())
    C("very-long-field", "very-long-field", "reason_not_transferred holds about 10,000 characters (a pasted "
      "e-mail thread); it is free text.", "LOADED", one(text_of(lg).encode(), len(lg)), previous_stays_live=False)
    body = text_of().encode()
    for cid, name, cls in (("name-case", "Custody_20261121_0700.CSV", "file-name-case"),
                           ("name-separators", "custody-20261121-0700.csv", "file-name-separators"),
                           ("name-no-time", "custody_20261121.csv", "file-name-format"),
                           ("name-bad-date", "custody_20261321_0700.csv", "file-name-format")):
        C(cid, cls, f"The file arrived as '{name}' instead of custody_<YYYYMMDD>_<HHMM>.csv; accepting it or "
          "flagging it as a rejected file are both defensible, ignoring it silently (losing the detentions) "
          "is not.", "LOADED_OR_REJECTED", one(body, len(recs), "police_custody/" + name))
    C("stray-notes", "stray-file", "Only a notes.txt left by an operator is in the custody folder.",
      "NOT_A_DELIVERY", one(b"07:00 file late - police IT aware, ref INC0041876\n", None, "police_custody/notes.txt"),
      pii=[])
    C("stray-os-files", "stray-file", "Only .DS_Store and Thumbs.db are in the custody folder.", "NOT_A_DELIVERY",
      ({"police_custody/.DS_Store": b"\x00\x00\x00\x01Bud1" + b"\x00" * 60,
        "police_custody/Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 120}, {}), pii=[])

    # ---- windows, order and re-sends
    newer = [r for r in custody_records(COHORT, T1500, count=9)
             if not r["release_datetime"] or r["release_datetime"] > (T1500 - dt.timedelta(hours=48)).isoformat()]
    newer_files = custody_file(newer, t=T1500)[0]
    older_only = [r["custody_ref"] for r in recs if r["custody_ref"] not in {n["custody_ref"] for n in newer}]
    assert older_only, "the older file must hold a record the newer one does not"
    C("late-older-file", "late-older-file", "The 07:00 file arrived after the 15:00 file had loaded; its "
      f"record {older_only[0]} (not in the 15:00 window) must be loaded, but its older versions of records "
      "must not overwrite the 15:00 versions.", "LOADED", custody_file(), before=newer_files,
      previous_stays_live=True, pii=pii_custody(recs[:3]))
    f1, r1 = custody_file()
    t2 = "police_custody/" + custody_name(T0700 + dt.timedelta(minutes=5))
    C("identical-two-names", "duplicate-file", "The police job sent the same bytes twice, as "
      "custody_20261121_0700.csv and custody_20261121_0705.csv; nothing may be counted twice.", "LOADED",
      ({**f1, t2: f1[P]}, {**r1, t2: len(recs)}), previous_stays_live=False)
    fixed = with_rec(1, date_of_birth="2009-10-19", release_datetime=recs[1]["release_datetime"] or "2026-11-21T06:10:00")
    C("corrected-same-name", "resent-different-bytes", "A corrected 07:00 file (one date of birth fixed) was "
      "re-sent under the same name after the first had loaded; the spec does not say whether a same-named "
      "file replaces the first.", "LOADED_OR_REJECTED", one(text_of(fixed).encode(), len(fixed)),
      before=custody_file()[0], pii=base_pii + pii_custody([fixed[1]]))
    bad1 = with_rec(7, sex="X")
    bb = text_of(bad1).encode()
    C("identical-with-bad-row", "duplicate-file", "The same file, with one row whose sex is 'X', arrived twice "
      "under two names; the bad row is quarantined (once or twice) and the good rows are not duplicated.",
      "LOADED_WITH_QUARANTINE", ({P: bb, t2: bb}, {P: len(recs), t2: len(recs)}), min_quarantined=1,
      pii=base_pii + pii_custody([bad1[7]]), previous_stays_live=False)
    old_eth = copy.deepcopy(recs)
    old_eth[1]["self_defined_ethnicity"], old_eth[3]["self_defined_ethnicity"] = "O1", "W1"
    C("ethnicity-16plus1", "old-code-list", "An older record uses the 16+1 ethnicity code O1 (Chinese), which "
      "the spec says may occur.", "LOADED", one(text_of(old_eth).encode(), len(old_eth)), previous_stays_live=False)
    unk = with_rec(2, self_defined_ethnicity="Z7")
    C("unknown-ethnicity", "unknown-code", "One optional self-defined ethnicity is 'Z7', in no code list; "
      "mapping it to not known or quarantining the row are both defensible.", "LOADED_OR_REJECTED",
      one(text_of(unk).encode(), len(unk)), pii=base_pii + pii_custody([unk[2]]))
    return out


def education_cases():
    out = []
    before = education_before()
    base_pii = pii_pupil(PUPILS[0]) + pii_pupil(PUPILS[1])
    PP, SP, AP = EDU_DIR + "pupils.csv", EDU_DIR + "suspensions.csv", EDU_DIR + "attendance.csv"

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", base_pii)
        out.append(Case(f"edu-{cid}", "education", None, cls, desc, outcome, fr[0], fr[1], **kw))

    def pupils_with(k, **ch):
        rows = copy.deepcopy(PUPILS)
        for col, v in ch.items():
            rows[k][PUPILS_HEADER.index(col)] = v
        return rows

    def replace(fr, path, content, rows=None):
        files, rg = fr
        files = dict(files)
        files[path] = content
        rg = dict(rg)
        if rows is None:
            rg.pop(path, None)
        else:
            rg[path] = rows
        return files, rg

    C("semicolon", "delimiter", "The education system's export switched to semicolon-separated files; the "
      "spec does not name the separator for education files.", "LOADED_OR_REJECTED", education_files(delim=";"))
    C("tab", "delimiter", "The three files arrived tab-separated (an 'export as text' setting).",
      "LOADED_OR_REJECTED", education_files(delim="\t"))
    C("empty-pupils", "empty-file", "pupils.csv arrived as a zero-byte file; suspensions and attendance are "
      "fine.", "REJECTED", replace(education_files(), PP, b"", 0))
    C("missing-suspensions", "missing-file", "The night's folder has pupils.csv and attendance.csv but no "
      "suspensions.csv; the spec does not say whether the three files form one delivery.",
      "LOADED_OR_REJECTED", education_files(only=("pupils.csv", "attendance.csv")))
    C("directory-not-file", "directory-not-file", "attendance.csv is a directory.", "REJECTED",
      replace(education_files(), AP, Dir()))
    acc = [PUPILS.index(r) for r in PUPILS if any(ch in r[2] + r[3] for ch in "áéëśșŞȘóõ")]
    C("cp1252", "non-utf8", "pupils.csv arrived in Windows-1252 (accented names such as Szabó, Réka, Zoë); "
      "decoding it correctly, quarantining the undecodable rows or refusing are all defensible, mojibake is not.",
      "LOADED_OR_REJECTED", replace(education_files(), PP, csv_text(PUPILS_HEADER, PUPILS, eol="\n")
                                    .encode("cp1252", errors="replace"), len(PUPILS)),
      pii=base_pii + sum((pii_pupil(PUPILS[i]) for i in acc), []))
    C("utf8-bom-crlf", "line-endings", "All three files have a UTF-8 BOM and CRLF line endings.", "LOADED",
      education_files(encoding="utf-8-sig", eol="\r\n"), previous_stays_live=False)
    tb = education_files()
    tb = replace(tb, PP, tb[0][PP] + b"\n\n\n", len(PUPILS))
    C("trailing-blank-lines", "trailing-blank-lines", "pupils.csv ends with three blank lines.", "LOADED", tb,
      previous_stays_live=False)
    bad_upn = PUPILS[3][0][:-1]
    C("upn-wrong-length", "invalid-id", f"One UPN lost its last digit ({bad_upn}, 12 characters).",
      "LOADED_WITH_QUARANTINE", education_files(pupils_with(3, upn=bad_upn)), min_quarantined=1,
      pii=base_pii + pii_pupil(PUPILS[3]) + [bad_upn], previous_stays_live=False)
    bad_chk = ("A" if PUPILS[4][0][0] != "A" else "B") + PUPILS[4][0][1:]
    C("upn-bad-check-letter", "invalid-id", f"One UPN has a wrong check letter ({bad_chk}); the spec does not "
      "say whether the check letter is verified.", "LOADED_OR_REJECTED", education_files(pupils_with(4, upn=bad_chk)),
      pii=base_pii + pii_pupil(PUPILS[4]) + [bad_chk])
    dp = copy.deepcopy(PUPILS)
    dp.insert(7, list(dp[6]))
    dp[7][2], dp[7][3] = "Patel", "Anjali"
    C("duplicate-upn", "duplicate-key", "Two pupils share one UPN with different names.",
      "LOADED_WITH_QUARANTINE", education_files(dp), min_quarantined=1,
      pii=base_pii + pii_pupil(PUPILS[6]) + ["Anjali"], previous_stays_live=False)
    sp = copy.deepcopy(SUSP)
    sp[0][2] = "2026-02-29"
    sp[1][2] = "2026-09-31"
    C("impossible-dates", "impossible-date", "Two suspension start dates are 29 February 2026 and 31 "
      "September 2026.", "LOADED_WITH_QUARANTINE", education_files(susp=sp), min_quarantined=2,
      pii=base_pii + [SUSP[0][0], SUSP[1][0]], previous_stays_live=False)
    dm = copy.deepcopy(PUPILS)
    for r in dm:
        for j in (4, 12, 13, 15):
            if r[j]:
                d = dt.date.fromisoformat(r[j])
                r[j] = f"{d.day:02d}/{d.month:02d}/{d.year}"
    C("dates-dmy", "excel-resaved-dates", "pupils.csv was re-saved in Excel so every date is dd/mm/yyyy; the "
      "spec gives no date format for education files, so reading them day-first or refusing are both "
      "defensible.", "LOADED_OR_REJECTED", education_files(dm), pii=sum((pii_pupil(r) for r in PUPILS[:4]), []) +
      [r[4] for r in dm[:4]])
    C("bad-sen-code", "unknown-code", "One pupil's sen_provision is 'S' (an old SEN code), not E, K or N.",
      "LOADED_WITH_QUARANTINE", education_files(pupils_with(2, sen_provision="S")), min_quarantined=1,
      pii=base_pii + pii_pupil(PUPILS[2]), previous_stays_live=False)
    at = [list(r) for r in ATT]
    for r in at:
        r[3] = "n/a"
    C("all-rows-bad", "all-rows-bad", "Every attendance row has possible_sessions 'n/a'.", "REJECTED",
      education_files(att=at), pii=base_pii + [r[0] for r in ATT[:3]])
    hc = [h.upper() if i % 2 else " " + h + " " for i, h in enumerate(PUPILS_HEADER)]
    C("header-case-spaces", "header-format", "pupils.csv headers arrived in upper case with stray spaces.",
      "LOADED_OR_REJECTED", education_files(headers=(hc, SUSP_HEADER, ATT_HEADER)))
    hr = ["dob" if h == "date_of_birth" else h for h in PUPILS_HEADER]
    C("column-renamed", "column-renamed", "pupils.csv renamed date_of_birth to dob.", "REJECTED",
      education_files(headers=(hr, SUSP_HEADER, ATT_HEADER)))
    j = PUPILS_HEADER.index("sen_provision")
    C("column-missing", "column-missing", "pupils.csv arrived without the sen_provision column.", "REJECTED",
      education_files([r[:j] + r[j + 1:] for r in PUPILS],
                      headers=(PUPILS_HEADER[:j] + PUPILS_HEADER[j + 1:], SUSP_HEADER, ATT_HEADER)))
    C("column-extra", "column-extra", "pupils.csv gained a free_school_meals column at the end.",
      "LOADED_OR_REJECTED", education_files([r + ["Y" if k % 3 == 0 else "N"] for k, r in enumerate(PUPILS)],
                                            headers=(PUPILS_HEADER + ["free_school_meals"], SUSP_HEADER, ATT_HEADER)))
    order = sorted(range(len(ATT_HEADER)), key=lambda i: ATT_HEADER[i])
    C("columns-reordered", "columns-reordered", "attendance.csv columns arrived in alphabetical order with the "
      "right headers.", "LOADED", education_files(att=[[r[i] for i in order] for r in ATT],
                                                  headers=(PUPILS_HEADER, SUSP_HEADER, [ATT_HEADER[i] for i in order])),
      previous_stays_live=False)
    k = 5
    sh = pupils_with(k, surname=PUPILS[k][2] + ", " + PUPILS[k][3].split()[0])
    C("unquoted-delimiter", "unquoted-delimiter", "A surname was typed 'Surname, Forename' and written without "
      "quotes, so the row gains a field: the forename lands in forename's place, the forename in date_of_birth "
      "and the date of birth in sex.", "LOADED_WITH_QUARANTINE", education_files(sh, raw={"pupils.csv": {k}}),
      min_quarantined=1, pii=base_pii + pii_pupil(PUPILS[k]), previous_stays_live=False)
    nl = pupils_with(1, school_name="Castle Rock High School\n(Coalville site)")
    C("embedded-newline", "embedded-newline", "A quoted school_name contains a line break.", "LOADED",
      education_files(nl), previous_stays_live=False)
    nm = copy.deepcopy(PUPILS)
    nm[0][PUPILS_HEADER.index("postcode")] = "NULL"
    nm[1][PUPILS_HEADER.index("school_urn")] = "N/A"
    nm[2][PUPILS_HEADER.index("nc_year")] = "-"
    C("null-markers-optional", "null-markers", "Optional postcode, school_urn and nc_year hold 'NULL', 'N/A' "
      "and '-'; treating them as empty or quarantining are both defensible.", "LOADED_OR_REJECTED",
      education_files(nm), pii=base_pii + pii_pupil(PUPILS[2]))
    C("null-marker-required", "null-markers", "One pupil's date_of_birth is 'N/A'.", "LOADED_WITH_QUARANTINE",
      education_files(pupils_with(8, date_of_birth="N/A")), min_quarantined=1,
      pii=base_pii + pii_pupil(PUPILS[8]), previous_stays_live=False)
    C("formula-like-text", "formula-text", "A school_name begins with '=' (=HYPERLINK(...)); it is text.",
      "LOADED", education_files(pupils_with(0, school_name='=HYPERLINK("http://example.invalid/","Rawlins Academy")')),
      previous_stays_live=False)
    C("bool-variants", "bool-format", "ehe, cme and part_time_timetable hold Yes/No and TRUE/FALSE instead of "
      "Y/N.", "LOADED_OR_REJECTED", education_files([[{"Y": ["Yes", "TRUE"][k % 2], "N": ["No", "FALSE"][k % 2]}.get(v, v)
                                                      if j in (14, 16, 17) else v for j, v in enumerate(r)]
                                                     for k, r in enumerate(PUPILS)]))
    C("folder-not-a-date", "folder-name-format", "The night's files arrived in education/2026-11-21/ instead "
      "of education/20261121/; accepting it or flagging it are both defensible, ignoring it silently is not.",
      "LOADED_OR_REJECTED", education_files(folder="education/2026-11-21/"))
    st = education_files()
    st[0][EDU_DIR + "Thumbs.db"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200
    C("stray-file", "stray-file", "A Thumbs.db sits beside the three good files.", "LOADED", st,
      previous_stays_live=False)
    pb = education_files()[0][PP]
    last = pb.rstrip(b"\n").rfind(b"\n") + 1
    C("truncated-mid-row", "truncated", "pupils.csv was cut off part-way through its last row (after the "
      "surname).", "LOADED_WITH_QUARANTINE",
      replace(education_files(), PP, pb[: pb.index(PUPILS[-1][2].encode(), last) + len(PUPILS[-1][2].encode())],
              len(PUPILS)), min_quarantined=1, pii=base_pii + pii_pupil(PUPILS[-1]), previous_stays_live=False)
    C("utf16", "non-utf8", "All three files arrived as UTF-16 with a BOM.", "LOADED_OR_REJECTED",
      education_files(encoding="utf-16"))
    C("only-stray-file", "stray-file", "The night's folder holds only a .DS_Store.", "NOT_A_DELIVERY",
      ({EDU_DIR + ".DS_Store": b"\x00\x00\x00\x01Bud1" + b"\x00" * 60}, {}), pii=[])
    return out


def ccis_cases():
    out = []
    before = ccis_before()
    base_pii = pii_ccis(CCIS[0]) + pii_ccis(CCIS[1])

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", base_pii)
        out.append(Case(f"ccis-{cid}", "ccis", None, cls, desc, outcome, fr[0], fr[1], **kw))

    def with_row(k, **ch):
        rows = copy.deepcopy(CCIS)
        for col, v in ch.items():
            rows[k][CCIS_HEADER.index(col)] = v
        return rows

    C("empty-file", "empty-file", "The weekly CCIS file arrived with zero bytes.", "REJECTED",
      ({CCIS_PATH: b""}, {CCIS_PATH: 0}))
    k = 2
    C("unquoted-delimiter", "unquoted-delimiter", "A surname was typed 'Surname, Forename' and written unquoted, "
      "so the forename lands in date_of_birth and the date of birth in activity_code.", "LOADED_WITH_QUARANTINE",
      ccis_file(with_row(k, surname=CCIS[k][2] + ", " + CCIS[k][3]), raw_rows={k}), min_quarantined=1,
      pii=base_pii + pii_ccis(CCIS[k]), previous_stays_live=False)
    C("cp1252", "non-utf8", "The CCIS file arrived in Windows-1252; decoding it correctly, quarantining the "
      "undecodable rows or refusing are all defensible.", "LOADED_OR_REJECTED",
      ccis_file(with_row(4, surname="Horváth", forename="Dominik"), encoding="cp1252"),
      pii=base_pii + pii_ccis(CCIS[4]) + ["Horváth", "Dominik"])
    C("utf16", "non-utf8", "The CCIS file arrived as UTF-16.", "LOADED_OR_REJECTED", ccis_file(encoding="utf-16"))
    dm = copy.deepcopy(CCIS)
    for r in dm:
        for j in (4, 6):
            d = dt.date.fromisoformat(r[j])
            r[j] = f"{d.day}/{d.month}/{d.year % 100:02d}"
    C("excel-dmyy", "excel-resaved-dates", "The CCIS file was re-saved in Excel, so dates are d/m/yy; reading "
      "them day-first or refusing are both defensible.", "LOADED_OR_REJECTED", ccis_file(dm),
      pii=base_pii + [r[4] for r in dm[:3]])
    C("impossible-date", "impossible-date", "One activity_start_date is 2026-06-31.", "LOADED_WITH_QUARANTINE",
      ccis_file(with_row(3, activity_start_date="2026-06-31")), min_quarantined=1, pii=base_pii + pii_ccis(CCIS[3]),
      previous_stays_live=False)
    dup = copy.deepcopy(CCIS)
    dup.append(list(dup[5]))
    dup[-1][5], dup[-1][6] = "540", "2026-11-02"
    C("duplicate-id", "duplicate-key", "One ccis_id appears twice with different activities.",
      "LOADED_WITH_QUARANTINE", ccis_file(dup), min_quarantined=1, pii=base_pii + pii_ccis(CCIS[5]),
      previous_stays_live=False)
    C("all-rows-bad", "all-rows-bad", "Every row's date_of_birth is empty (a broken export).", "REJECTED",
      ccis_file([r[:4] + [""] + r[5:] for r in CCIS]))
    C("column-missing", "column-missing", "The file arrived without the activity_code column.", "REJECTED",
      ccis_file([r[:5] + r[6:] for r in CCIS], header=CCIS_HEADER[:5] + CCIS_HEADER[6:]))
    C("header-case-spaces", "header-format", "Headers arrived in Title Case with spaces ('Date Of Birth').",
      "LOADED_OR_REJECTED", ccis_file(header=[h.replace("_", " ").title() for h in CCIS_HEADER]))
    C("null-marker-required", "null-markers", "One date_of_birth is 'N/A'.", "LOADED_WITH_QUARANTINE",
      ccis_file(with_row(6, date_of_birth="N/A")), min_quarantined=1, pii=base_pii + pii_ccis(CCIS[6]),
      previous_stays_live=False)
    C("unknown-activity-code", "unknown-code", "One activity_code is '999', which is in no CCIS code list; the "
      "spec leaves the code list to a mapping file.", "LOADED_OR_REJECTED", ccis_file(with_row(1, activity_code="999")),
      pii=base_pii)
    C("name-without-date", "file-name-format", "The file arrived as ccis/ccis_activity.csv (the name in the "
      "spec's table) rather than ccis_activity_<YYYYMMDD>.csv (the name in its folder layout).",
      "LOADED_OR_REJECTED", ccis_file(path="ccis/ccis_activity.csv"))
    C("name-case", "file-name-case", "The file arrived as CCIS_Activity_20261121.CSV.", "LOADED_OR_REJECTED",
      ccis_file(path="ccis/CCIS_Activity_20261121.CSV"))
    cb = ccis_file()[0][CCIS_PATH]
    C("truncated-mid-row", "truncated", "The CCIS file was cut off part-way through its last row.",
      "LOADED_WITH_QUARANTINE", ({CCIS_PATH: cb[: cb.rstrip(b"\n").rfind(b"\n") + 1 + 20]}, {CCIS_PATH: len(CCIS)}),
      min_quarantined=1, pii=base_pii + pii_ccis(CCIS[-1]) + [cb[: cb.rstrip(b"\n").rfind(b"\n") + 21].decode().split(",")[-1]],
      previous_stays_live=False)
    C("broken-symlink", "broken-symlink", "The CCIS file is a symlink to a file that no longer exists.",
      "REJECTED", ({CCIS_PATH: Symlink("/mnt/ccis_export/latest.csv")}, {}))
    C("only-stray-file", "stray-file", "The ccis folder holds only a Thumbs.db.", "NOT_A_DELIVERY",
      ({"ccis/Thumbs.db": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 120}, {}), pii=[])
    C("semicolon", "delimiter", "The CCIS file arrived semicolon-separated.", "LOADED_OR_REJECTED",
      ccis_file(delim=";"))
    C("crlf-trailing-blank", "line-endings", "CRLF line endings and trailing blank lines.", "LOADED",
      ({CCIS_PATH: ccis_file(eol="\r\n")[0][CCIS_PATH] + b"\r\n\r\n"}, {CCIS_PATH: len(CCIS)}),
      previous_stays_live=False)
    C("upn-blank", "optional-empty", "Several young people have no UPN (upn is optional).", "LOADED",
      ccis_file([[r[0], "" if k % 2 else r[1]] + r[2:] for k, r in enumerate(CCIS)]), previous_stays_live=False)
    return out


def board_cases():
    out = []
    before = board_before()
    NP = len(set(r[1] for r in BOARD))

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", [])
        out.append(Case(f"board-{cid}", "board", None, cls, desc, outcome, fr[0], fr[1], **kw))

    def rows_with(fn):
        rows = [list(r) for r in BOARD]
        fn(rows)
        return rows

    def merged(rows):
        for k, r in enumerate(rows):
            if k % NP:
                r[0] = None
    merges = {"Attendance": [f"A{2 + m * NP}:A{1 + (m + 1) * NP}" for m in range(len(BOARD) // NP)]}
    C("merged-cells", "merged-cells", "The administrator merged each meeting's date cell down across its "
      "partner rows, so only the first row of each meeting holds the date (the spec says to expect merged "
      "cells).", "LOADED", board_file(rows_with(merged), merges=merges), previous_stays_live=False)
    C("trailing-blank-rows", "trailing-blank-rows", "The sheet has 60 formatted but empty rows after the "
      "register.", "LOADED", board_file(blank_styled_rows={"Attendance": 60}), previous_stays_live=False)
    text_dates = ["04/12/2025", "12 March 2026", "11/06/2026", "17/09/2026"]

    def as_text(rows):
        for k, r in enumerate(rows):
            r[0] = text_dates[k // NP]
    C("dates-as-text", "dates-as-text", "Meeting dates were typed as text ('04/12/2025', '12 March 2026'), as "
      "the spec says to expect.", "LOADED", board_file(rows_with(as_text)), previous_stays_live=False)

    def spaces(rows):
        for k, r in enumerate(rows):
            if k % 3 == 0:
                r[1], r[3] = " " + r[1] + " ", r[3] + " "
            if k % 4 == 1:
                r[4] = " " + r[4]
    C("stray-spaces", "stray-spaces", "Partner names and Y/N values carry stray leading and trailing spaces.",
      "LOADED", board_file(rows_with(spaces)), previous_stays_live=False)

    def dup(rows):
        rows.insert(3, list(rows[2]))
    C("duplicate-rows", "duplicate-row", "One partner's row for the December meeting was pasted twice; "
      "de-duplicating or quarantining the copy are both defensible, counting the partner twice is not.",
      "LOADED_OR_REJECTED", board_file(rows_with(dup)))

    def missing_att(rows):
        rows[9][3] = None
    C("missing-attended", "missing-value", "One row has no attended value.", "LOADED_WITH_QUARANTINE",
      board_file(rows_with(missing_att)), min_quarantined=1, previous_stays_live=False)

    def all_missing(rows):
        for r in rows:
            r[3] = None
    C("all-attended-missing", "all-rows-bad", "The attended column is empty on every row (the administrator "
      "cleared it by mistake).", "REJECTED", board_file(rows_with(all_missing)))
    good = board_file()
    C("lock-file-alongside", "lock-file", "An Office lock file ~$board_attendance.xlsx sits beside a good "
      "register (the administrator still has it open).", "LOADED",
      ({**good[0], "board/~$board_attendance.xlsx": b"\x0aJ.Pickering" + b"\x20" * 43 + b"\x00" * 110}, good[1]),
      previous_stays_live=False, pii=["J.Pickering"])
    C("lock-file-only", "lock-file", "Only the lock file ~$board_attendance.xlsx is in the board folder.",
      "NOT_A_DELIVERY", ({"board/~$board_attendance.xlsx": b"\x0aJ.Pickering" + b"\x20" * 43 + b"\x00" * 110}, {}),
      pii=["J.Pickering"])
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    C("old-xls-renamed", "not-a-zip", "The register was saved in the old .xls format and renamed to .xlsx.",
      "REJECTED", ({BOARD_PATH: ole}, {BOARD_PATH: 0}))
    C("zero-byte", "empty-file", "The register was copied as a zero-byte file (the sync client failed).",
      "REJECTED", ({BOARD_PATH: b""}, {BOARD_PATH: 0}))
    gb = good[0][BOARD_PATH]
    C("truncated", "truncated", "The register was cut off part-way through the copy (not a valid zip).",
      "REJECTED", ({BOARD_PATH: gb[: len(gb) // 2]}, {BOARD_PATH: 0}))
    notes = ("Notes", ["note"], [["Apologies: J. Pickering (Police) sent deputy"], ["Quorum reached"]])
    C("extra-sheet", "extra-sheet", "The administrator added a 'Notes' sheet with free-text notes naming "
      "members; the register sheet is unchanged.", "LOADED_OR_REJECTED", board_file(extra_sheets=[notes]),
      pii=["J. Pickering"])
    C("sheet-name", "sheet-renamed", "The register's sheet is still called 'Sheet1' (the spec names no sheet).",
      "LOADED", board_file(sheet="Sheet1"), previous_stays_live=False)
    C("header-case-spaces", "header-format", "Headers were typed as 'Meeting Date', 'Partner ', 'Member Role', "
      "'Attended?', 'Senior'.", "LOADED_OR_REJECTED",
      board_file(header=["Meeting Date", "Partner ", "Member Role", "Attended?", "Senior"]))
    C("column-missing", "column-missing", "The register has no senior column.", "REJECTED",
      board_file([r[:4] for r in BOARD], header=BOARD_HEADER[:4]))

    def named(rows):
        for r in rows:
            r[1] = {"POLICE": "police", "HEALTH": "Health ", "EDUCATION": "Education"}.get(r[1], r[1])
    C("partner-case", "code-format", "Partner codes typed in other cases ('police', 'Health '), beside named "
      "partners such as 'Leicestershire Fire and Rescue Service'.", "LOADED", board_file(rows_with(named)),
      previous_stays_live=False)

    def yes_no(rows):
        for k, r in enumerate(rows):
            r[3] = {"Y": ["Yes", True, "y"][k % 3], "N": ["No", False, "n"][k % 3]}[r[3]]
    C("attended-variants", "bool-format", "attended holds Yes/No, TRUE/FALSE cells and lower-case y/n instead "
      "of Y/N; the spec does not say which variants are accepted.", "LOADED_OR_REJECTED", board_file(rows_with(yes_no)))
    C("title-row", "title-row", "A title row 'YJ Management Board attendance 2025-26' sits above the header.",
      "LOADED_OR_REJECTED", board_file(title_rows={"Attendance": [["YJ Management Board attendance 2025-26"], []]}))

    def serial_text(rows):
        for r in rows:
            if isinstance(r[0], dt.datetime):
                r[0] = str((r[0] - dt.datetime(1899, 12, 30)).days)
    C("serial-as-text", "excel-serial-date", "Meeting dates are the text of Excel serial numbers ('46360') "
      "after a paste-values.", "LOADED_OR_REJECTED", board_file(rows_with(serial_text)))

    def impossible(rows):
        rows[NP * 2][0] = "31/06/2026"
    C("impossible-date", "impossible-date", "One meeting date was typed as '31/06/2026'.", "LOADED_WITH_QUARANTINE",
      board_file(rows_with(impossible)), min_quarantined=1, previous_stays_live=False)
    reps = ["Ch Insp Sarah Pickering", "Mark Oduya", "Dr Helen Rao", "Gurjit Bains", "Anna Kowal", "Dave Hurst",
            "Rachel Moore"]
    C("extra-column-names", "column-extra", "The administrator added a 'representative' column with the "
      "names of the people who attended; ignoring it or refusing are both defensible, echoing it is not.",
      "LOADED_OR_REJECTED", board_file([r + [reps[k % len(reps)]] for k, r in enumerate(BOARD)],
                                       header=BOARD_HEADER + ["representative"]), pii=reps)
    C("file-name", "file-name-format", "The register was saved as 'Board Attendance.xlsx'; accepting it or "
      "flagging it are both defensible, ignoring it silently is not.", "LOADED_OR_REJECTED",
      board_file(path="board/Board Attendance.xlsx"))

    def handkept(rows):
        merged(rows)
        for k, r in enumerate(rows):
            if r[0] is not None:
                r[0] = text_dates[k // NP] if k // NP in (1, 3) else r[0]
            if k % 3 == 0:
                r[1] = " " + r[1] + " "
    C("hand-kept", "hand-kept", "The realistic register: merged date cells, two meetings' dates typed as "
      "text, stray spaces and 25 formatted empty rows.", "LOADED",
      board_file(rows_with(handkept), merges=merges, blank_styled_rows={"Attendance": 25}), previous_stays_live=False)
    return out


def population_cases():
    out = []
    before = pop_before()

    def C(cid, cls, desc, outcome, fr, **kw):
        kw.setdefault("before", before)
        kw.setdefault("pii", [])
        out.append(Case(f"pop-{cid}", "population", None, cls, desc, outcome, fr[0], fr[1], **kw))

    def rows_with(fn):
        rows = [list(r) for r in POP]
        fn(rows)
        return rows

    def setv(k, j, v):
        def f(rows):
            rows[k][j] = v
        return f
    C("negative", "out-of-range", "One population figure is -412 (a sign typed by mistake).",
      "LOADED_WITH_QUARANTINE", pop_file(rows_with(setv(7, 5, "-412"))), min_quarantined=1, previous_stays_live=False)
    C("missing-value", "missing-value", "One population figure is empty.", "LOADED_WITH_QUARANTINE",
      pop_file(rows_with(setv(12, 5, ""))), min_quarantined=1, previous_stays_live=False)
    C("null-marker", "null-markers", "One population figure is 'NULL'.", "LOADED_WITH_QUARANTINE",
      pop_file(rows_with(setv(21, 5, "NULL"))), min_quarantined=1, previous_stays_live=False)

    def dup_conflict(rows):
        r = list(rows[30])
        r[5] = str(int(r[5]) + 57)
        rows.insert(31, r)
    C("duplicate-conflict", "duplicate-key", "One area/year/age/sex/group appears twice with different "
      "figures.", "LOADED_WITH_QUARANTINE", pop_file(rows_with(dup_conflict)), min_quarantined=1,
      previous_stays_live=False)

    def dup_exact(rows):
        rows.insert(41, list(rows[40]))
    C("duplicate-exact", "duplicate-row", "One row appears twice, identical; de-duplicating or quarantining "
      "are both defensible, doubling the figure is not.", "LOADED_OR_REJECTED", pop_file(rows_with(dup_exact)))

    def ages(rows):
        for age in ("9", "18"):
            for g in ("White", "Asian"):
                rows.append(["LEICESTERSHIRE", "2025", age, "M", g, "3100" if g == "White" else "490",
                             "ONS mid-2025 estimates (synthetic)"])
    C("age-outside-range", "out-of-range", "The service pasted in rows for ages 9 and 18 from a full ONS table "
      "(the reference holds ages 10 to 17).", "LOADED_WITH_QUARANTINE", pop_file(rows_with(ages)), min_quarantined=4,
      previous_stays_live=False)
    C("empty-file", "empty-file", "population.csv was replaced by a zero-byte file.", "REJECTED",
      ({POP_PATH: b""}, {POP_PATH: 0}))
    C("header-only", "header-only", "population.csv has a header and no rows; loading an empty reference would "
      "blank every rate, so refusing is expected, but the spec does not say.", "LOADED_OR_REJECTED", pop_file([]))
    C("all-rows-bad", "all-rows-bad", "Every population figure is 'tbc'.", "REJECTED",
      pop_file([r[:5] + ["tbc"] + r[6:] for r in POP]))
    labels = {"White": "White", "Mixed": "Mixed or Multiple ethnic groups", "Asian": "Asian, Asian British or Asian Welsh",
              "Black": "Black, Black British, Black Welsh, Caribbean or African", "Other": "Other ethnic group"}
    C("group-labels", "code-format", "ethnic_group holds the ONS Census labels ('Asian, Asian British or Asian "
      "Welsh') instead of the five short names.", "LOADED_OR_REJECTED",
      pop_file([r[:4] + [labels[r[4]]] + r[5:] for r in POP]))
    C("thousands-quoted", "number-format", "Figures of 1,000 and over were written with a thousands separator "
      "and quoted ('3,184').", "LOADED_OR_REJECTED",
      pop_file([r[:5] + [f"{int(r[5]):,}"] + r[6:] for r in POP]))
    big = [k for k, r in enumerate(POP) if int(r[5]) >= 1000]
    C("thousands-unquoted", "unquoted-delimiter", "Figures of 1,000 and over were written with an unquoted "
      "thousands separator, so those rows gain a field and the source column shifts.", "LOADED_WITH_QUARANTINE",
      pop_file([r[:5] + [f"{int(r[5]):,}"] + r[6:] for r in POP], raw_rows=set(big)), min_quarantined=len(big),
      previous_stays_live=False)
    C("cp1252", "non-utf8", "The file was saved in Windows-1252 with '© Crown copyright' in the source column.",
      "LOADED_OR_REJECTED", pop_file([r[:6] + ["ONS mid-2025 estimates © Crown copyright"] for r in POP],
                                     encoding="cp1252"))
    C("semicolon", "delimiter", "The file was saved semicolon-separated.", "LOADED_OR_REJECTED", pop_file(delim=";"))
    C("header-case-spaces", "header-format", "Headers arrived as 'Area', 'Year', 'Age', 'Sex', 'Ethnic Group', "
      "'Population', 'Source'.", "LOADED_OR_REJECTED",
      pop_file(header=[h.replace("_", " ").title() for h in POP_HEADER]))
    C("column-missing", "column-missing", "The file has no ethnic_group column (totals by age and sex only).",
      "REJECTED", pop_file([r[:4] + r[5:] for r in POP if r[4] == "White"], header=POP_HEADER[:4] + POP_HEADER[5:]))
    C("float-figures", "number-format", "Figures were written as 3184.0 (exported from a data frame).",
      "LOADED_OR_REJECTED", pop_file([r[:5] + [r[5] + ".0"] + r[6:] for r in POP]))
    pb = pop_file()[0][POP_PATH]
    C("truncated-mid-row", "truncated", "population.csv was cut off part-way through its last row (the figure "
      "and source are missing).", "LOADED_WITH_QUARANTINE",
      ({POP_PATH: pb[: pb.rstrip(b"\n").rfind(b"\n") + 1 + 24]}, {POP_PATH: len(POP)}), min_quarantined=1,
      previous_stays_live=False)
    C("directory-not-file", "directory-not-file", "population.csv is a directory (an unzip went wrong).",
      "REJECTED", ({POP_PATH: Dir()}, {}))
    C("trailing-blank-lines", "trailing-blank-lines", "The file ends with blank lines and lines of commas "
      "(empty rows saved from Excel).", "LOADED",
      ({POP_PATH: pb + b"\n" + b",,,,,,\n" * 3}, {POP_PATH: len(POP)}), previous_stays_live=False)
    C("bom-crlf", "line-endings", "UTF-8 BOM and CRLF line endings (saved from Excel as 'CSV UTF-8').", "LOADED",
      pop_file(encoding="utf-8-sig", eol="\r\n"), previous_stays_live=False)
    C("sex-labels", "code-format", "sex holds 'Male'/'Female' instead of M/F.", "LOADED_OR_REJECTED",
      pop_file([r[:3] + [{"M": "Male", "F": "Female"}[r[3]]] + r[4:] for r in POP]))
    return out


CASE_GROUPS = [baseline_cases, cs_generic_cases, cs_corepl_cases, cs_childview_cases, custody_cases,
               education_cases, ccis_cases, board_cases, population_cases]


_MADE: set = set()


def _write(path: pathlib.Path, content):
    if path.parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(path.parent)
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
    _MADE.clear()
    expects = []
    outcomes = {"LOADED", "LOADED_WITH_QUARANTINE", "REJECTED", "NOT_A_DELIVERY", "LOADED_OR_REJECTED"}
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
        assert exp["outcome"] in outcomes, case.case_id
        assert exp["outcome"] != "LOADED_WITH_QUARANTINE" or exp.get("min_quarantined"), case.case_id
        for rel in exp["rows_given"]:
            assert (cdir / "landing" / rel).is_file(), (case.case_id, rel)
        (cdir / "expect.json").write_text(json.dumps(exp, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        expects.append(exp)
    return expects


WHY = {
    "LOADED": "Valid under the contract, or a harmless variation the spec says to expect: every row loads.",
    "LOADED_WITH_QUARANTINE": "A row-level fault: the bad rows are quarantined with a readable reason and the "
                              "rest load; no row is lost.",
    "REJECTED": "The file cannot be read as the contract's table, a case-system file is missing or does not match "
                "the manifest (rejected whole), or every row would be quarantined (treated as a rejection); the "
                "previous data stays live.",
    "NOT_A_DELIVERY": "Nothing in the folder is a delivery (no manifest yet, or only stray files): nothing is "
                      "loaded and nothing live changes.",
    "LOADED_OR_REJECTED": "The spec leaves this open (see the description): loading, loading with quarantine or "
                          "rejecting are all acceptable, provided no row is lost silently, no wrong value is "
                          "loaded, and no personal data reaches a message.",
}

README_HEAD = """# Independent corpus of good and malformed deliveries

Built **from the specification only** (`sources.md`, `layouts.csv`, `codes.csv`, with `kpis.md` for
context), without reading the project's code, so that the loaders are tested against data that was not
shaped by them. Everything is synthetic: invented Leicestershire / Rutland names of mixed heritage (some
with accents, hyphens and apostrophes), children aged 12 to 17 on 21 November 2026, plausible LE / PE
postcodes, UPNs with valid DfE check letters (`base.upn`) and PNC ids `YY/NNNNNNNL` with valid check
characters (`base.pnc`).

## Building

    make setup                                  # once: the worktree's .venv
    .venv/bin/python -m tests.corpus.build OUT_DIR

or from Python: `from tests.corpus.build import build_corpus; expects = build_corpus(pathlib.Path(out))`.
Deterministic (byte-for-byte; workbooks are written by the stdlib writer in `xlsx.py` with fixed zip
timestamps) and fast (about 1 s of CPU for the whole corpus). Needs only the standard library;
openpyxl is used only to check the workbooks read back. Regenerate this README with
`.venv/bin/python -m tests.corpus.build --readme`.

## Layout of a case

    OUT_DIR/<case_id>/landing/...          the delivery under test, in the spec's landing layout
    OUT_DIR/<case_id>/before/landing/...   (most cases) a good, earlier delivery of the same source,
                                           loaded first
    OUT_DIR/<case_id>/expect.json

`expect.json`: `case`, `source`, `layout` (corepl | childview | null), `class`, `description`,
`rows_given` ({path under landing/: records a person would count in that file}; a childview workbook
counts the data rows of all its sheets; files that cannot be opened count 0; directories, symlinks,
manifests and stray non-data files are not listed), `outcome`, `min_quarantined` (with
LOADED_WITH_QUARANTINE), `previous_stays_live`, `pii`.

Conventions:
- `previous_stays_live: true` means: whatever happens to the case's delivery, the before/ data must
  still be what is live afterwards wherever the case's delivery was not accepted (for REJECTED,
  NOT_A_DELIVERY and, when rejected, LOADED_OR_REJECTED); for `custody-late-older-file` and
  `cs-*-older-delivery-late` it means the newer before/ versions must win over the late, older data.
- `pii` lists the personal values (names, dates of birth in both dd/mm/yyyy and ISO form, UPNs, PNC ids)
  of the rows most likely to be quarantined or quoted in errors, plus the first rows of the affected
  file. None may appear in an error message, audit row, report or log.
- LOADED_OR_REJECTED is used only where the spec leaves the outcome open; the description says why.
- The case-system deliveries of 21 November 2026 are `corepl-20261121-0210` / `childview-20261121-0215`;
  the before/ deliveries are 20 November (`corepl-20261120-0205` / `childview-20261120-0212`) and lack
  one child (C100133) that tonight's has, and child C100101's postcode differs, so a harness can tell
  which snapshot is live. Custody: before/ is the 20 November 15:00 file, the case the 21 November
  07:00 file.

## Spec ambiguities found while building this

1. Education files: no separator, encoding or date format is stated (custody and corepl say
   comma-separated UTF-8); education dates here are ISO and booleans Y/N (the spec's general rule).
2. CCIS file name: the landing layout says `ccis/ccis_activity_<YYYYMMDD>.csv`, the table in section 3
   says `ccis_activity.csv`. The CCIS activity code list "lives in a mapping file" that the spec does not
   give; the corpus uses NCCIS-style numeric codes (110, 120, 210, 320, 410, 540, 550, 619, 810).
3. PNC id format: the spec's example `22/123456A` has 6 digits; real ids (and the brief) have 7
   (`YY/NNNNNNNL`). The corpus uses 7 digits with the standard mod-23 check character.
4. `local_authority` code list in codes.csv has only LEICESTERSHIRE and RUTLAND, but the spec says any
   English or Welsh LA can occur and those children are still the service's; the corpus writes other LAs
   in corepl as their name in title case ("Nottinghamshire") and in childview as upper case
   ("NOTTINGHAMSHIRE") and expects them LOADED.
5. What an education delivery is: is a night's folder with only some of the three files a delivery, and
   are the three files loaded together or one by one? Is the education folder date `YYYYMMDD` only?
6. Re-used case-system delivery id with different bytes; manifest delivery_id differing from its folder
   name; extracted_at in the future, without ISO form, or with a time-zone designator; upper-case hex in
   sha256; unlisted stray files inside a delivery folder: the spec is silent on all of these.
7. A late, older case-system delivery: the spec only says an older custody file must not overwrite newer
   data; the same must surely hold for nightly snapshots, but it is not written.
8. Custody datetimes are "local time, Europe/London": no rule for values with an offset or `Z`, for the
   non-existent hour on the night the clocks go forward, or for the repeated hour in October. Also no rule
   for two versions of one custody_ref in the same file, nor for a corrected file re-sent under the same
   name ("latest" by file-name time or by arrival?).
9. Header matching: exact or normalised (case, spaces, underscores)? Extra columns: ignore or reject?
   Missing optional columns? The spec says files may arrive "with extra or missing columns" but not what
   to do.
10. Null markers (`NULL`, `N/A`, `-`, a space) in optional fields: empty or invalid?
11. childview: "dates as ISO text or Excel date cells" - are date cells that lost their format (plain
    numbers), datetime text `yyyy-mm-dd 00:00:00`, booleans as TRUE/FALSE cells, or sheet names in other
    case acceptable? Formula cells without cached values?
12. Board register: which Y/N variants are accepted (Yes/No, TRUE/FALSE, y/n)? Is the sheet name fixed
    (the spec names none)? How are duplicate rows treated?
13. Population: ages outside 10-17 in a service's own ONS table: quarantine or ignore? Are the five broad
    groups written as short names or the ONS labels? Is an empty (header-only) reference acceptable?
14. An exact duplicate row (case system, population, board): de-duplicate silently or quarantine the copy?
15. A table delivered with zero rows in a full snapshot (e.g. no victims): valid, or a sign of a broken
    export?

## Cases
"""


def short_why(e) -> str:
    o = e["outcome"]
    if o == "LOADED":
        return "valid, or a variation the spec expects" if e["class"] != "late-older-file" else \
            "load its own records; newer versions win"
    if o == "LOADED_WITH_QUARANTINE":
        return "row-level fault: quarantine those rows with a reason, load the rest"
    if o == "NOT_A_DELIVERY":
        return "no manifest yet / no data file in the folder"
    if o == "LOADED_OR_REJECTED":
        return "spec leaves it open (see description)"
    if e["class"] == "all-rows-bad":
        return "every row bad = all-quarantined table = rejection"
    if e["source"] == "case_system":
        return "missing, unreadable or mismatching file: delivery rejected whole"
    return "file cannot be read as the contract's table"


def readme_text(expects) -> str:
    import collections
    by_src = collections.Counter(e["source"] for e in expects)
    by_out = collections.Counter(e["outcome"] for e in expects)
    lines = [README_HEAD, f"{len(expects)} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(by_src.items()))
             + ".  Outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(by_out.items())) + ".", "",
             "Why each expected outcome:", ""]
    lines += [f"- **{k}**: {v}" for k, v in WHY.items()]
    lines += ["", "| id | class | what happened to the file | expected outcome | why |", "|---|---|---|---|---|"]
    for e in expects:
        out = e["outcome"] + (f" (>= {e['min_quarantined']} quarantined)" if e.get("min_quarantined") else "")
        if e["previous_stays_live"]:
            out += "; previous stays live"
        why = short_why(e)
        lines.append(f"| `{e['case']}` | {e['class']} | {e['description'].replace('|', '/')} | {out} | {why} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--readme"]:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            expects = build_corpus(pathlib.Path(tmp))
        (pathlib.Path(__file__).parent / "README.md").write_text(readme_text(expects), encoding="utf-8")
        return 0
    if len(argv) != 1:
        print("usage: python -m tests.corpus.build OUT_DIR", file=sys.stderr)
        return 2
    expects = build_corpus(pathlib.Path(argv[0]))
    print(f"{len(expects)} cases written to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
