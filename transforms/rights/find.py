"""Find every record of one child in every place of the inventory.

A request names the child by any of: the case-system child id, a UPN, a PNC id, or name and
date of birth. From those the child is resolved (the case-system record or records they
point at, every record the matching linked to that child, and every record sharing a
pseudonymous person key with one of them), the identifiers are widened with what those records
hold (a pupil's former UPN, a custody record's PNC id), and then every table is searched by
case-system id, linked record, UPN, PNC id and exact name and date of birth. Records with the
same date of birth and one of the names the same are *near matches*: listed apart for a person
to confirm, never treated as the child's (and never erased)."""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, inspect, or_, select

from transforms.matching.standardise import fold
from transforms.rights.inventory import Inventory, Place, load_inventory
from transforms.warehouse.schema import audit_delivery, core_publication, metadata

NAME_LINKS = {"education": ("core_pupil", "upn"), "ccis": ("core_ccis_activity", "ccis_id"),
              "custody": ("core_custody_detention", "custody_ref"), "case_system": ("core_child", "child_id")}


def name_key(value) -> str:
    """A name as compared: folded (case, accents, apostrophes), spaces and hyphens ignored, so
    "O'Neill", "o neill" and "ONeill" are one name."""
    return fold(value).replace(" ", "")


def norm(value) -> str | None:
    """An identifier as compared: upper case, no spaces."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


def as_date(value) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)[:10]).date()
    except (ValueError, TypeError):
        return None


@dataclass
class Request:
    """What the requester gave. Any one identifier is enough; name needs a date of birth."""
    child_id: str | None = None
    upn: str | None = None
    pnc_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None

    def given(self) -> bool:
        return bool(self.child_id or self.upn or self.pnc_id or (self.first_name and self.last_name and self.date_of_birth))


@dataclass
class Subject:
    """Everything that identifies the child, widened from the records found."""
    child_ids: set[str] = field(default_factory=set)
    upns: set[str] = field(default_factory=set)
    pnc_ids: set[str] = field(default_factory=set)
    names: set[tuple[str, str, dt.date]] = field(default_factory=set)  # (forename, surname) folded, date of birth
    records: set[tuple[str, str]] = field(default_factory=set)  # (source, record_id) in core_identity_link
    child_keys: set[str] = field(default_factory=set)
    record_keys: set[str] = field(default_factory=set)  # episode, offence, outcome... ids: rows of the child in files

    def add_name(self, forename, surname, dob) -> None:
        d = as_date(dob)
        if forename and surname and d:
            self.names.add((name_key(forename), name_key(surname), d))

    @property
    def dates_of_birth(self) -> set[dt.date]:
        return {d for _, _, d in self.names}

    @property
    def dob_texts(self) -> set[str]:
        """The dates of birth as files write them (ISO, and dd/mm/yyyy as corepl does)."""
        return {d.isoformat() for d in self.dates_of_birth} | {d.strftime("%d/%m/%Y") for d in self.dates_of_birth}

    def exact_values(self) -> set[str]:
        """Identifier values that alone single out the child in a file or a JSON record."""
        return ({norm(v) for v in self.child_ids | self.upns | self.pnc_ids | self.child_keys | self.record_keys}
                | {norm(r) for s, r in self.records}) - {None}


@dataclass
class Found:
    subject: Subject
    records: dict[str, pd.DataFrame]  # place -> rows (the child's), with delivery and where held
    near: dict[str, pd.DataFrame]  # place -> rows that may be the child
    files: pd.DataFrame  # area, file, row, matched
    places_searched: list[str]
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {p: len(f) for p, f in self.records.items() if len(f)}
        for area, n in self.files.groupby("area").size().items() if len(self.files) else ():
            out[f"files:{area}"] = int(n)
        return out


def _table(name: str):
    return metadata.tables.get(name)


def _existing(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def resolve_subject(engine: Engine, request: Request) -> Subject:
    s = Subject()
    child = metadata.tables["core_child"]
    link = metadata.tables["core_identity_link"]
    with engine.connect() as conn:
        conds = []
        if request.child_id:
            conds.append(child.c.child_id == request.child_id.strip())
        if request.upn:
            conds.append(child.c.upn == norm(request.upn))
        if request.pnc_id:
            conds.append(child.c.pnc_id == request.pnc_id.strip().upper())
        if request.date_of_birth:
            conds.append(child.c.date_of_birth == request.date_of_birth)
        rows = pd.read_sql_query(select(child).where(or_(*conds)), conn) if conds else pd.DataFrame()
        if len(rows) and request.date_of_birth and not (request.child_id or request.upn or request.pnc_id):
            wanted = (name_key(request.first_name), name_key(request.last_name))
            rows = rows[[(name_key(f), name_key(l)) == wanted for f, l in zip(rows["first_name"], rows["last_name"])]]
        elif len(rows):
            keep = pd.Series(False, index=rows.index)
            if request.child_id:
                keep |= rows["child_id"] == request.child_id.strip()
            if request.upn:
                keep |= rows["upn"].map(norm) == norm(request.upn)
            if request.pnc_id:
                keep |= rows["pnc_id"].map(norm) == norm(request.pnc_id)
            if request.date_of_birth and request.first_name and request.last_name:
                wanted = (name_key(request.first_name), name_key(request.last_name))
                keep |= pd.Series([(name_key(f), name_key(l)) == wanted and as_date(d) == request.date_of_birth
                                   for f, l, d in zip(rows["first_name"], rows["last_name"], rows["date_of_birth"])],
                                  index=rows.index)
            rows = rows[keep]
        s.child_ids |= set(rows["child_id"]) if len(rows) else set()
        if request.child_id:
            s.child_ids.add(request.child_id.strip())
        if request.upn:
            s.upns.add(norm(request.upn))
            s.records.add(("education", norm(request.upn)))
        if request.pnc_id:
            s.pnc_ids.add(norm(request.pnc_id))
        s.add_name(request.first_name, request.last_name, request.date_of_birth)
        for r in rows.itertuples(index=False):
            s.upns |= {norm(r.upn)} - {None}
            s.pnc_ids |= {norm(r.pnc_id)} - {None}
            s.add_name(r.first_name, r.last_name, r.date_of_birth)
        if s.child_ids:
            links = pd.read_sql_query(select(link.c.source, link.c.record_id, link.c.person_key)
                                      .where(link.c.child_id.in_(sorted(s.child_ids))), conn)
            keys = set(links["person_key"])
            if keys:
                links = pd.concat([links, pd.read_sql_query(select(link.c.source, link.c.record_id, link.c.person_key)
                                                            .where(link.c.person_key.in_(sorted(keys))), conn)])
            s.records |= set(zip(links["source"], links["record_id"]))
            key = metadata.tables["core_child_key"]
            s.child_keys |= set(conn.execute(select(key.c.child_key).where(key.c.child_id.in_(sorted(s.child_ids)))).scalars())
    s.records |= {("case_system", c) for c in s.child_ids}
    _widen_from_records(engine, s)
    return s


def _widen_from_records(engine: Engine, s: Subject) -> None:
    """Identifiers the linked records hold: a pupil's UPN and former UPN, a custody record's
    PNC id, and each record's own name and date of birth."""
    by_source: dict[str, list[str]] = {}
    for source, record_id in s.records:
        by_source.setdefault(source, []).append(record_id)
    with engine.connect() as conn:
        for source, ids in by_source.items():
            if source not in NAME_LINKS or source == "case_system":
                continue
            table_name, key = NAME_LINKS[source]
            t = metadata.tables[table_name]
            rows = pd.read_sql_query(select(t).where(t.c[key].in_(sorted(ids))), conn)
            for r in rows.to_dict(orient="records"):
                for col in ("upn", "former_upn"):
                    if col in r:
                        s.upns |= {norm(r[col])} - {None}
                if "pnc_id" in r:
                    s.pnc_ids |= {norm(r["pnc_id"])} - {None}
                s.add_name(r.get("forename") or r.get("forenames"), r.get("surname"), r.get("date_of_birth"))
        if s.upns:
            s.records |= {("education", u) for u in s.upns}


def _live_delivery(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """source -> (live delivery id, extract time) for the core tables."""
    with engine.connect() as conn:
        live = {r.source: r.delivery_id for r in conn.execute(select(core_publication)).all()}
        extracted = {(r.source, r.delivery_id): r.extracted_at for r in conn.execute(
            select(audit_delivery.c.source, audit_delivery.c.delivery_id, audit_delivery.c.extracted_at)
            .where(audit_delivery.c.outcome == "LOADED")).all()}
    return {s: (d, extracted.get((s, d))) for s, d in live.items()}


def _where_for(place: Place, t, s: Subject, related: dict[str, set[str]]):
    find, conds = place.find, []
    if "child_id" in find and s.child_ids:
        conds.append(t.c[find["child_id"]].in_(sorted(s.child_ids)))
    if "link" in find:
        ids = sorted(r for src, r in s.records if src == find["link"])
        if ids:
            conds.append(t.c[find["key"]].in_(ids))
    if "upn" in find and s.upns:
        cols = find["upn"] if isinstance(find["upn"], list) else [find["upn"]]
        conds += [t.c[c].in_(sorted(s.upns)) for c in cols]
    if "pnc_id" in find and s.pnc_ids:
        conds.append(t.c[find["pnc_id"]].in_(sorted(s.pnc_ids)))
    if "records" in find and s.records:
        src_col, id_col = find["records"]
        for source in sorted({src for src, _ in s.records}):
            ids = sorted(r for src, r in s.records if src == source)
            conds.append((t.c[src_col] == source) & t.c[id_col].in_(ids))
    if "related" in find:
        ids = sorted(related.get(find["related"]["place"], set()))
        if ids:
            conds.append(t.c[find["related"]["column"]].in_(ids))
    return conds


def _name_rows(frame: pd.DataFrame, cols: list[str], s: Subject) -> tuple[pd.Series, pd.Series]:
    """(exact, near) masks: exact = forename, surname and date of birth all the child's;
    near = same date of birth and one of the names the same."""
    f, l, d = cols
    fn, ln = frame[f].map(name_key), frame[l].map(name_key)
    dob = frame[d].map(as_date)
    exact = pd.Series([(a, b, c) in s.names for a, b, c in zip(fn, ln, dob)], index=frame.index)
    pairs = {(a, c) for a, _, c in s.names} | {(b, c) for _, b, c in s.names}
    near = pd.Series([((a, c) in pairs or (b, c) in pairs) for a, b, c in zip(fn, ln, dob)], index=frame.index) & ~exact
    return exact, near


def record_subject(source: str, record_id: str) -> Subject:
    """One record alone (a detention, a pupil, a CCIS record), not the child it may be linked to:
    what an erasure of "a record that should never have been sent" removes. A pupil's UPN also
    finds its suspensions and attendance."""
    s = Subject(records={(source, record_id)})
    if source == "education":
        s.upns.add(norm(record_id))
    return s


def find_records(engine: Engine, request: Request | None, settings=None, inventory: Inventory | None = None,
                 with_files: bool = True, subject: Subject | None = None) -> Found:
    """Every record of the child in every place of the inventory (and, with ``settings``, every
    raw archive and output file that mentions the child). With ``subject`` instead of a request,
    exactly the records that subject names (``record_subject``)."""
    import time

    started = time.perf_counter()
    inventory = inventory or load_inventory()
    s = subject if subject is not None else resolve_subject(engine, request)
    existing = _existing(engine)
    live = _live_delivery(engine)
    records: dict[str, pd.DataFrame] = {}
    near: dict[str, pd.DataFrame] = {}
    related: dict[str, set[str]] = {}
    searched = []
    # Places reached through another place's rows (victims through offences) come after it.
    ordered = sorted(inventory.tables(), key=lambda p: "related" in p.find)
    with engine.connect() as conn:
        for place in ordered:
            t = _table(place.place)
            if t is None or place.place not in existing or not place.find:
                continue
            searched.append(place.place)
            if "json" in place.find:
                rows = _json_rows(conn, t, place.find["json"], s)
            else:
                conds = _where_for(place, t, s, related)
                name_cols = place.find.get("name")
                if name_cols and s.dates_of_birth:
                    conds.append(t.c[name_cols[2]].in_(sorted(s.dates_of_birth)))
                if not conds:
                    continue
                rows = pd.read_sql_query(select(t).where(or_(*conds)), conn)
                if name_cols and len(rows):
                    # Rows came by identifier or by date of birth: keep those an identifier or
                    # both names pick; the rest with one name the same are near matches.
                    exact, maybe = _name_rows(rows, name_cols, s)
                    by_identifier = _matches_without_name(rows, place, s)
                    near_rows = rows[maybe & ~by_identifier]
                    rows = rows[exact | by_identifier]
                    if len(near_rows):
                        near[place.place] = _describe(near_rows, place, live)
            if len(rows):
                if place.place == "core_offence":
                    related["core_offence"] = set(rows["offence_id"])
                if "child_id" in place.find and place.place != "core_child":
                    for col in ("episode_id", "offence_id", "outcome_id", "assessment_id", "need_id"):
                        if col in rows.columns:
                            s.record_keys |= set(rows[col].dropna().astype(str))
                if place.place == "core_victim":
                    s.record_keys |= set(rows["victim_id"].astype(str))
                records[place.place] = _describe(rows, place, live)
    files = scan_files(settings, s, inventory) if (with_files and settings is not None) else _no_files()
    return Found(s, records, near, files, searched, time.perf_counter() - started)


def _matches_without_name(rows: pd.DataFrame, place: Place, s: Subject) -> pd.Series:
    find = place.find
    m = pd.Series(False, index=rows.index)
    if "child_id" in find:
        m |= rows[find["child_id"]].isin(s.child_ids)
    if "link" in find:
        m |= rows[find["key"]].isin({r for src, r in s.records if src == find["link"]})
    if "upn" in find:
        for c in find["upn"] if isinstance(find["upn"], list) else [find["upn"]]:
            m |= rows[c].map(norm).isin(s.upns)
    if "pnc_id" in find:
        m |= rows[find["pnc_id"]].map(norm).isin(s.pnc_ids)
    return m


def _json_rows(conn, t, column: str, s: Subject) -> pd.DataFrame:
    """Rows whose JSON record holds one of the child's identifiers, or the child's name and
    date of birth together (a quarantined row is raw text: values compared as written)."""
    rows = pd.read_sql_query(select(t), conn)
    if rows.empty:
        return rows
    values = s.exact_values()
    dobs = {d.isoformat() for d in s.dates_of_birth} | {d.strftime("%d/%m/%Y") for d in s.dates_of_birth}
    names = {(f, l) for f, l, _ in s.names}
    keep = []
    for raw in rows[column]:
        record = raw if isinstance(raw, dict) else json.loads(raw or "{}")
        cells = [str(v) for v in record.values() if v not in (None, "")]
        normed = {norm(c) for c in cells}
        hit = bool(normed & values)
        if not hit and names:
            folded = {name_key(c) for c in cells}
            hit = any(d in cells or any(c.startswith(d) for c in cells) for d in dobs) and any(
                f in folded and l in folded for f, l in names)
        keep.append(hit)
    out = rows[keep].copy()
    out[column] = out[column].map(lambda r: r if isinstance(r, str) else json.dumps(r, default=str))
    return out


def _describe(rows: pd.DataFrame, place: Place, live) -> pd.DataFrame:
    """The rows with where they are held, the delivery they came from and its extract time."""
    out = rows.copy()
    if "snapshot_delivery_id" in out.columns:
        delivery, extracted = out["snapshot_delivery_id"], out["snapshot_extracted_at"].astype(str)
    elif "delivery_id" in out.columns:
        delivery, extracted = out["delivery_id"], pd.Series("", index=out.index)
    elif "file_name" in out.columns and "extract_time" in out.columns:
        delivery, extracted = out["file_name"], out["extract_time"].astype(str)
    else:
        source = {"case_system": "case_system", "education": "education", "ccis": "ccis",
                  "police_custody": "police_custody"}.get(place.source)
        d, x = live.get(source, ("", "")) if source else ("", "")
        delivery, extracted = pd.Series(d or "", index=out.index), pd.Series(x or "", index=out.index)
    out.insert(0, "held_in", f"warehouse table {place.place}")
    out.insert(1, "delivery", delivery.values)
    out.insert(2, "extracted_at", extracted.values)
    return out.reset_index(drop=True)


def _no_files() -> pd.DataFrame:
    return pd.DataFrame(columns=["area", "file", "place", "retention", "row", "matched"])


# --- Files: the raw archive and the outputs --------------------------------------------------

SCANNED_SUFFIXES = (".csv", ".xlsx", ".html", ".json", ".md")


def scan_files(settings, s: Subject, inventory: Inventory) -> pd.DataFrame:
    """Every row of every archived delivery and written output that names the child: by an
    identifier in a cell of its own, or by name and date of birth together in one row. Only
    where it is (file and row) is reported, never the row: the row may hold other children."""
    hits = []
    for area, root in (("archive", settings.raw_archive_dir), ("output", settings.output_dir),
                       ("landing", settings.landing_dir)):
        if not Path(root).exists():
            continue
        for path in sorted(Path(root).rglob("*")):
            if not path.is_file() or path.suffix.lower() not in SCANNED_SUFFIXES:
                continue
            relative = path.relative_to(root).as_posix()
            if area == "output" and relative.startswith("subject_access/"):
                continue  # earlier packs are the answer to a request, not a place the data lives
            place = inventory.file_place(area, relative)
            for row, matched in rows_naming(path, s):
                hits.append({"area": area, "file": relative, "place": place.place if place else "(not in inventory)",
                             "retention": place.retention if place else "", "row": row, "matched": matched})
    return pd.DataFrame(hits, columns=["area", "file", "place", "retention", "row", "matched"])


def _needles(s: Subject) -> tuple[set[str], list[bytes]]:
    values = s.exact_values()
    # A row names the child by an identifier, or by names *and* date of birth: a file holding
    # neither an identifier nor one of the dates of birth cannot name the child.
    dobs = {d.isoformat() for d in s.dates_of_birth} | {d.strftime("%d/%m/%Y") for d in s.dates_of_birth}
    quick = [v.lower().encode() for v in values] + [d.encode() for d in dobs]
    return values, quick


def rows_naming(path: Path, s: Subject) -> list[tuple[int, str]]:
    """(row number, what matched) for each row of ``path`` naming the child. In a text file only
    the lines holding one of the child's identifiers or dates of birth are parsed (one regular
    expression over the file, in C): at county scale nearly every file holds some date of birth
    of the child's, but a handful of lines."""
    values, quick = _needles(s)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json", ".md"):
        return _text_rows_naming(path, s, values, quick)
    if suffix != ".xlsx":
        data = path.read_bytes().lower()
        if not any(q in data for q in quick):
            return []
    return [(i, m) for i, cells in enumerate(_rows_of(path), start=1) if (m := _row_match(cells, s, values))]


def _text_rows_naming(path: Path, s: Subject, values: set[str], quick: list[bytes]) -> list[tuple[int, str]]:
    import bisect
    import csv

    if not quick:
        return []
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    low = data.lower()
    pattern = re.compile(b"|".join(re.escape(q) for q in sorted(set(quick), key=len, reverse=True)))
    starts = [m.start() for m in pattern.finditer(low)]
    if not starts:
        return []
    newlines = [m.start() for m in re.finditer(b"\n", data)]
    hits = []
    for line_no in sorted({bisect.bisect_left(newlines, pos) for pos in starts}):
        begin = newlines[line_no - 1] + 1 if line_no else 0
        end = newlines[line_no] if line_no < len(newlines) else len(data)
        line = data[begin:end].decode("utf-8", errors="replace").rstrip("\r")
        if path.suffix.lower() == ".csv":
            cells = next(csv.reader([line]), [])
        elif path.suffix.lower() == ".json":
            cells = re.split(r'[",:\[\]{}]+', line)
        else:
            cells = [line]
        matched = _row_match(cells, s, values)
        if matched:
            hits.append((line_no + 1, matched))
    return hits


def _rows_of(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            yield from csv.reader(f)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    yield ["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v)) for v in row]
        finally:
            wb.close()
    elif suffix == ".html":
        text = path.read_text(encoding="utf-8", errors="replace")
        for tr in re.findall(r"<tr.*?</tr>", text, flags=re.S | re.I):
            yield [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>.*?</t[dh]>", tr, flags=re.S | re.I)]
    else:  # json, md: one "row" per line
        yield from ([line] if suffix == ".md" else re.split(r'[",:\[\]{}]+', line)
                    for line in path.read_text(encoding="utf-8", errors="replace").splitlines())


def _row_match(cells: list[str], s: Subject, values: set[str]) -> str | None:
    """Whether a row names the child: one of its identifiers as a whole cell, or both names
    and the date of birth. Cheap tests first (every row of a county's archive passes here):
    string methods before ``norm``'s and ``fold``'s regular expressions."""
    if {c.replace(" ", "").upper() for c in cells if c} & values:
        return "identifier"
    if s.names:
        dobs = s.dob_texts
        if not any(c[:10] in dobs for c in cells if c):
            return None
        folded = {fold(c) for c in cells if c}
        # "Forename Surname" in one cell (a review workbook's name column) counts too.
        tokens = {t for c in folded for t in c.split()} | {c.replace(" ", "") for c in folded}
        for f, l, d in s.names:
            if f in tokens and l in tokens:
                return "name and date of birth"
    return None
