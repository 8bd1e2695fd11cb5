"""Each source's people in one shape, cleaned the same way, ready to compare.

Matching compares the case system's children with the records of every other source
(pupils, CCIS post-16 records and police detentions). Each record becomes one row of
``COLUMNS``. Names go through ``standardise.split_name`` (folded, split into given and family
names, naming conventions applied) and identifiers through their canonical forms in
``transforms.identifiers``; a typo stays a typo for the model to weigh.
"""
from __future__ import annotations

import csv
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.identifiers import (
    canonical_pnc, canonical_upn, normalise_postcode, pnc_is_valid, postcode_district, upns_valid,
)
from transforms.matching.standardise import fold, split_name
from transforms.settings import REFERENCE_DIR

CASE_SYSTEM = "case_system"
# Every other source: its core table, its record key and how its columns are named.
SOURCES = {
    "education": {"table": "core_pupil", "id": "upn", "forename": "forename", "surname": "surname",
                  "postcode": "postcode", "sex": "sex", "upn": "upn", "former_upn": "former_upn"},
    "ccis": {"table": "core_ccis_activity", "id": "ccis_id", "forename": "forename", "surname": "surname",
             "upn": "upn"},
    "custody": {"table": "core_custody_detention", "id": "custody_ref", "forename": "forenames",
                "surname": "surname", "postcode": "postcode", "sex": "sex", "pnc_id": "pnc_id"},
}
# Each value as its system recorded it, for the reviewer (the workbook shows "Yusuf Singh", not
# the folded "YUSUF" the model compares); never given to the model.
RECORDED = ["recorded_forename", "recorded_surname", "recorded_postcode", "recorded_upn", "recorded_pnc_id"]
# The surnames a case child's records in the other sources carry, each source's left out in
# turn (filled in by ``with_known_surnames``; every other record holds an empty list).
KNOWN_SURNAMES = ["surnames_not_education", "surnames_not_ccis", "surnames_not_custody"]
COLUMNS = ["unique_id", "source_dataset", "forename", "surname", "forename_group", "forename_variants", "given_names",
           "given_groups", "family_names", "name_markers", "forename_initial", "surname_initial", *KNOWN_SURNAMES, "dob", "postcode",
           "postcode_district", "sex", "upn", "upn_valid", "former_upn", "pnc_id", "pnc_valid", *RECORDED]


@lru_cache(maxsize=1)
def name_groups() -> dict[str, str]:
    """Each forename in ``name_variants.csv`` mapped to one representative of the names it is
    interchangeable with (Tom, Tommy and Thomas become one group; Sam joins Samuel and Samantha,
    which the sex comparison keeps apart)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    with open(REFERENCE_DIR / "name_variants.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            a, b = root(row["name"].strip().upper()), root(row["variant"].strip().upper())
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {name: root(name) for name in parent}


@lru_cache(maxsize=1)
def nickname_pairs() -> dict[str, frozenset[str]]:
    """Each forename -> the names it is directly a known form of: a nickname or the full name,
    from the maintained list ``nicknames.csv`` (the ``nicknames`` package's data, cited in its
    header) and the project's ``name_variants.csv``, both ways, never chained."""
    related: dict[str, set[str]] = {}

    def add(a: str, b: str) -> None:
        a, b = fold(a), fold(b)
        if a and b and a != b:
            related.setdefault(a, set()).add(b)
            related.setdefault(b, set()).add(a)

    with open(REFERENCE_DIR / "nicknames.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            add(row["name1"], row["name2"])
    with open(REFERENCE_DIR / "name_variants.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            add(row["name"], row["variant"])
    return {name: frozenset(names) for name, names in related.items()}


_NAME_COLUMNS = ("forename", "surname", "forename_group", "forename_variants", "given_names", "given_groups", "family_names",
                 "name_markers", "forename_initial", "surname_initial")


def _name_values(forenames: object, surname: object) -> tuple:
    """One record's values of ``_NAME_COLUMNS``."""
    groups = name_groups()
    name = split_name(forenames, surname)
    forename, family_name = name.forename, name.surname
    variants = sorted(nickname_pairs().get(forename, ())) if forename else []
    return (forename, family_name, groups.get(forename, forename) if forename else None, variants or [""],
            list(name.given) or None,
            [groups.get(g, g) for g in name.given] or None, list(name.family) or None, " ".join(name.markers) or None,
            forename[0] if forename else None, family_name[0] if family_name else None)


def _name_columns(forenames: pd.Series, surnames: pd.Series) -> dict[str, list]:
    """The name columns of ``COLUMNS`` from each record's forename(s) and surname; each
    distinct name is worked out once (a county's records repeat the same names)."""
    seen: dict[tuple, tuple] = {}
    rows = []
    for key in zip(forenames.tolist(), surnames.tolist()):
        values = seen.get(key)
        if values is None:
            values = seen[key] = _name_values(*key)
        rows.append(values)
    columns = list(zip(*rows)) if rows else [()] * len(_NAME_COLUMNS)
    return {name: list(values) for name, values in zip(_NAME_COLUMNS, columns)}


def standardise(frame: pd.DataFrame, source: str, columns: dict[str, str]) -> pd.DataFrame:
    """One source's records in the shape the model compares."""
    out = pd.DataFrame({"unique_id": frame[columns["id"]].astype(str).to_numpy(), "source_dataset": source})
    for name, values in _name_columns(frame[columns["forename"]], frame[columns["surname"]]).items():
        out[name] = pd.Series(values, dtype=object).to_numpy()
    out["dob"] = pd.to_datetime(frame["date_of_birth"], errors="coerce").dt.strftime("%Y-%m-%d").to_numpy()
    postcode = frame[columns["postcode"]] if "postcode" in columns else pd.Series(None, index=frame.index)
    out["postcode"] = [normalise_postcode(p) if isinstance(p, str) and p.strip() else None for p in postcode.tolist()]
    out["postcode_district"] = [postcode_district(p) if p else None for p in out["postcode"]]
    sex = frame[columns["sex"]] if "sex" in columns else pd.Series(None, index=frame.index)
    out["sex"] = sex.where(sex.isin(["M", "F"]), None).to_numpy()
    for key, canonical in (("upn", canonical_upn), ("former_upn", canonical_upn), ("pnc_id", canonical_pnc_or_text)):
        values = frame[columns[key]] if key in columns else pd.Series(None, index=frame.index)
        out[key] = [canonical(v) if isinstance(v, str) else None for v in values.tolist()]
    out["upn_valid"] = upns_valid(out["upn"])
    out["pnc_valid"] = [pnc_is_valid(p) for p in out["pnc_id"]]
    for key in ("forename", "surname", "postcode", "upn", "pnc_id"):
        values = frame[columns[key]] if key in columns else pd.Series(None, index=frame.index)
        out[f"recorded_{key}"] = [v.strip() if isinstance(v, str) and v.strip() else None for v in values.tolist()]
    for column in KNOWN_SURNAMES:
        out[column] = pd.Series([[""]] * len(out), dtype=object).to_numpy()
    lists = ["given_names", "given_groups", "family_names", "forename_variants", *KNOWN_SURNAMES]
    plain = [c for c in out.columns if c not in lists]
    out[plain] = out[plain].astype(object).where(out[plain].notna(), None)
    return out[COLUMNS]


def canonical_pnc_or_text(raw: str | None) -> str | None:
    """The canonical PNC id; text that is no PNC id at all is kept (upper case, trimmed) so
    that two copies of the same odd value still agree."""
    if raw is None or not str(raw).strip():
        return None
    return canonical_pnc(raw) or str(raw).strip().upper()


CASE_COLUMNS = {"id": "child_id", "forename": "first_name", "surname": "last_name", "postcode": "postcode",
                "sex": "sex", "upn": "upn", "pnc_id": "pnc_id"}


def read_people(engine: Engine, standardised: bool = True) -> dict[str, pd.DataFrame]:
    """The case system's children and every other source's records, standardised (or, with
    ``standardised=False``, as stored: the benchmark's baseline). A source not loaded yet
    gives an empty frame."""
    existing = set(inspect(engine).get_table_names())
    wanted = {CASE_SYSTEM: ("core_child", CASE_COLUMNS), **{s: (c["table"], c) for s, c in SOURCES.items()}}
    out = {}
    with engine.connect() as conn:
        for source, (table, columns) in wanted.items():
            if table not in existing:
                out[source] = pd.DataFrame(columns=COLUMNS)
                continue
            names = sorted({v for k, v in columns.items() if k != "table"} | {"date_of_birth"})
            frame = pd.read_sql_query(text(f"SELECT {', '.join(names)} FROM {table}"), conn)
            out[source] = standardise(frame, source, columns) if standardised else frame
    return out


def with_known_surnames(case: pd.DataFrame, people: dict[str, pd.DataFrame], proven: pd.DataFrame) -> pd.DataFrame:
    """The case children with the surnames their proven records (UPN, former UPN, PNC id) carry
    in each other source: a step-parent's or birth surname seen for the same child elsewhere.
    ``surnames_not_<source>`` leaves that source's records out, so a record is never compared
    with a surname taken from itself (which would teach the model that every proven pair
    agrees)."""
    if case.empty:
        return case
    rows = []
    for source, frame in people.items():
        if source == CASE_SYSTEM or frame.empty:
            continue
        mine = proven[proven["source"] == source]
        surname = frame.set_index("unique_id")["surname"]
        rows.append(pd.DataFrame({"child_id": mine["child_id"].to_numpy(), "source": source,
                                  "surname": mine["record_id"].map(surname).to_numpy()}))
    known = pd.concat(rows, ignore_index=True).dropna(subset=["surname"]) if rows else pd.DataFrame(
        columns=["child_id", "source", "surname"])
    out = case.copy()
    for column in KNOWN_SURNAMES:
        left_out = column.removeprefix("surnames_not_")
        by_child = known[known["source"] != left_out].groupby("child_id")["surname"].agg(lambda s: sorted(set(s)))
        out[column] = [by_child.get(c, None) or [""] for c in out["unique_id"]]
    return out
