"""Each source's people in one shape, cleaned the same way, ready to compare.

Matching compares the case system's children with the records of every other source
(pupils, CCIS post-16 records and police detentions). Each record becomes one row of
``unique_id, source_dataset, forename, surname, forename_group, dob, postcode,
postcode_district, sex, upn, former_upn, pnc_id``. Cleaning is deliberately light: upper
case, letters, spaces and hyphens only, so that a typo stays a typo for the model to weigh.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.identifiers import normalise_postcode, postcode_district
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
COLUMNS = ["unique_id", "source_dataset", "forename", "surname", "forename_group", "dob", "postcode",
           "postcode_district", "sex", "upn", "former_upn", "pnc_id"]
_NOT_LETTERS = re.compile(r"[^A-Z\- ]")


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


def clean_name(values: pd.Series) -> pd.Series:
    cleaned = values.astype("string").str.upper().str.replace(_NOT_LETTERS, "", regex=True).str.strip()
    cleaned = cleaned.str.replace(r"\s*-\s*", "-", regex=True).str.replace(r"\s+", " ", regex=True)
    return cleaned.where(cleaned.fillna("") != "", None)


def first_forename(values: pd.Series) -> pd.Series:
    """Police records carry all forenames; the other sources one."""
    return values.str.split(" ").str[0]


def standardise(frame: pd.DataFrame, source: str, columns: dict[str, str]) -> pd.DataFrame:
    """One source's records in the shape the model compares."""
    out = pd.DataFrame({"unique_id": frame[columns["id"]].astype(str).to_numpy(), "source_dataset": source})
    out["forename"] = first_forename(clean_name(frame[columns["forename"]])).to_numpy()
    out["surname"] = clean_name(frame[columns["surname"]]).to_numpy()
    groups = name_groups()
    out["forename_group"] = out["forename"].map(lambda f: groups.get(f, f) if isinstance(f, str) else None)
    out["dob"] = pd.to_datetime(frame["date_of_birth"], errors="coerce").dt.strftime("%Y-%m-%d").to_numpy()
    postcode = frame[columns["postcode"]] if "postcode" in columns else pd.Series(None, index=frame.index)
    out["postcode"] = [normalise_postcode(p) if isinstance(p, str) and p.strip() else None for p in postcode]
    out["postcode_district"] = [postcode_district(p) if p else None for p in out["postcode"]]
    sex = frame[columns["sex"]] if "sex" in columns else pd.Series(None, index=frame.index)
    out["sex"] = sex.where(sex.isin(["M", "F"]), None).to_numpy()
    for key in ("upn", "former_upn", "pnc_id"):
        values = frame[columns[key]] if key in columns else pd.Series(None, index=frame.index)
        values = values.astype("string").str.strip().str.upper()
        out[key] = values.where(values.fillna("") != "", None).to_numpy()
    out = out.astype(object).where(out.notna(), None)
    return out[COLUMNS]


CASE_COLUMNS = {"id": "child_id", "forename": "first_name", "surname": "last_name", "postcode": "postcode",
                "sex": "sex", "upn": "upn", "pnc_id": "pnc_id"}


def read_people(engine: Engine) -> dict[str, pd.DataFrame]:
    """The case system's children and every other source's records, standardised. A source
    not loaded yet gives an empty frame."""
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
            out[source] = standardise(frame, source, columns)
    return out
