"""The canonical case-system model, read from ``reference/canonical_model.yaml``.

Everything that needs to know the shape of the core layer (the warehouse tables, the
supplier mappings, the validation frames) asks this module, so a column is defined once.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import yaml

from transforms.settings import REFERENCE_DIR


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    description: str
    code_list: str | None = None
    pii: bool = False
    min: int | None = None
    max: int | None = None
    normalise: str | None = None  # upper, upper_snake ("Childrens social care" -> CHILDRENS_SOCIAL_CARE) or local_authority


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: dict[str, str]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@lru_cache(maxsize=1)
def canonical_tables() -> dict[str, Table]:
    """The canonical case-system tables in load order (parents first)."""
    return load_model("canonical_model.yaml")


@lru_cache(maxsize=None)
def load_model(file_name: str) -> dict[str, Table]:
    """Tables of a source model file in ``reference/`` (same format as the canonical model)."""
    raw = yaml.safe_load((REFERENCE_DIR / file_name).read_text())
    tables = {}
    for name, spec in raw["tables"].items():
        key = spec["key"]
        tables[name] = Table(
            name=name,
            description=spec["description"],
            key=tuple(key if isinstance(key, list) else [key]),
            columns=tuple(Column(name=c, **cs) for c, cs in spec["columns"].items()),
            references=dict(spec.get("references", {})),
        )
    return tables


def reference_rows(file_name: str) -> list[dict[str, str]]:
    """A CSV in ``reference/`` as rows; lines starting with ``#`` (the header comment naming
    where a published code list comes from) are skipped."""
    with open(REFERENCE_DIR / file_name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@lru_cache(maxsize=1)
def code_lists() -> dict[str, dict[str, str]]:
    """Canonical code lists: list name -> {code: label}, from ``reference/codes.csv``, plus the
    published lists shipped in files of their own: the CCIS activity codes
    (``ccis_activity_codes.csv``), the DfE ethnicity codes (``dfe_ethnicity_codes.csv``) and every
    English and Welsh local authority (``partnership/local_authorities.csv``: a child placed or
    living out of area is still the service's child, sources.md)."""
    from transforms.local_authorities import local_authorities

    lists: dict[str, dict[str, str]] = {}
    for row in reference_rows("codes.csv"):
        lists.setdefault(row["code_list"], {})[row["code"]] = row["corepl_label"]
    lists["ccis_activity"] = {r["code"]: f"{r['description']} ({r['activity_group']})"
                              for r in reference_rows("ccis_activity_codes.csv")}
    lists["dfe_ethnicity"] = {r["code"]: r["label"] for r in reference_rows("dfe_ethnicity_codes.csv")}
    lists["local_authority"] = {la.code: la.name for la in local_authorities().by_code.values()}
    return lists


@lru_cache(maxsize=1)
def ethnicity_crosswalk() -> list[dict[str, str]]:
    """Rows of ``ethnicity_crosswalk.csv``; a DfE extended code with no row of its own takes
    the row of the main code it rolls up to (``dfe_ethnicity_codes.csv``)."""
    rows = reference_rows("ethnicity_crosswalk.csv")
    dfe = {r["source_code"]: r for r in rows if r["scheme"] == "DfE"}
    for r in reference_rows("dfe_ethnicity_codes.csv"):
        main = dfe.get(r["main_code"])
        if r["code"] not in dfe and main is not None:
            rows.append({**main, "source_code": r["code"], "note": f"extended code of {r['main_code']}"})
    return rows


def ethnic_group_of(code: str | None) -> str:
    """Five broad groups plus Not known, for an 18+1 code."""
    groups = {r["code"]: r["ethnic_group"] for r in ethnicity_crosswalk() if r["scheme"] == "18+1"}
    return groups.get(code or "", "Not known")
