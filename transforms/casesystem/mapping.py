"""Supplier mappings: a YAML file per case-management system says where each canonical
column is, how dates and booleans are written and what each code is called. A new supplier
is a new file in ``reference/mappings/``, not new code."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import yaml

from transforms.canonical import Table
from transforms.identifiers import normalise_postcode
from transforms.settings import REFERENCE_DIR

MAPPINGS_DIR = REFERENCE_DIR / "mappings"
# Excel's day zero for the 1900 date system (it counts a 29 February 1900 that never was).
EXCEL_EPOCH = dt.date(1899, 12, 30)
UNPARSED_DATE_MARK = "!"


@dataclass(frozen=True)
class TableMapping:
    source: str  # file name (csv) or sheet name (xlsx)
    columns: dict[str, str]  # canonical column -> supplier header


@dataclass(frozen=True)
class SupplierMapping:
    supplier: str
    description: str
    format: str
    date_formats: tuple[str, ...]
    booleans: dict[str, bool]
    null_markers: tuple[str, ...]
    codes: dict[str, dict[str, str]]
    tables: dict[str, TableMapping]
    workbook: str | None = None
    encoding: str = "utf-8-sig"
    fallback_encoding: str | None = None

    def boolean_text(self) -> tuple[str, str]:
        """How this supplier writes True and False (the first spelling of each)."""
        true_text = next(k for k, v in self.booleans.items() if v)
        false_text = next(k for k, v in self.booleans.items() if not v)
        return true_text, false_text

    def date_format_hint(self) -> str:
        hints = {"%d/%m/%Y": "dd/mm/yyyy", "%Y-%m-%d": "yyyy-mm-dd", "excel": "an Excel date"}
        return " or ".join(hints.get(f, f) for f in self.date_formats)


@lru_cache(maxsize=None)
def load_mapping(supplier: str) -> SupplierMapping:
    path = MAPPINGS_DIR / f"{supplier}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml")))
        raise ValueError(f"unknown supplier layout '{supplier}' (known: {known})")
    raw = yaml.safe_load(path.read_text())
    return SupplierMapping(
        supplier=raw["supplier"], description=raw["description"], format=raw["format"],
        date_formats=tuple(raw["date_formats"]), booleans={str(k): v for k, v in raw["booleans"].items()},
        null_markers=tuple(raw["null_markers"]), codes=raw.get("codes") or {},
        tables={t: TableMapping(source=v["source"], columns=v["columns"]) for t, v in raw["tables"].items()},
        workbook=raw.get("workbook"), encoding=raw.get("encoding", "utf-8-sig"),
        fallback_encoding=raw.get("fallback_encoding"),
    )


def known_suppliers() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def _as_text(value) -> str | None:
    """A supplier cell as text, whatever the reader returned (Excel cells may be numbers or dates)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """ISO ``yyyy-mm-dd`` text where a value parses in one of the supplier's formats; the
    original text otherwise, so validation can say which value is not a date."""
    result = pd.Series(pd.NA, index=values.index, dtype="object")
    for fmt in formats:
        todo = result.isna() & values.notna()
        if not todo.any():
            break
        if fmt == "excel":
            serial = pd.to_numeric(values[todo], errors="coerce")
            ok = serial.notna() & (serial > 0) & (serial < 2_958_466)
            parsed = pd.to_datetime(EXCEL_EPOCH) + pd.to_timedelta(serial[ok], unit="D")
            result[parsed.index] = parsed.dt.strftime("%Y-%m-%d")
            continue
        # Exact format match only: 2024-03-05 is not accepted as dd/mm/yyyy.
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        good = parsed.notna()
        result[parsed[good].index] = parsed[good].dt.strftime("%Y-%m-%d")
    still = result.isna() & values.notna()
    # Kept with a marker so that text which merely looks canonical (2024-03-05 from a
    # dd/mm/yyyy supplier) still fails the date check; validation strips it when reporting.
    result[still] = UNPARSED_DATE_MARK + values[still].astype(str)
    return result


def to_canonical_text(raw: pd.DataFrame, table: Table, mapping: SupplierMapping,
                      only: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rename a supplier frame to canonical columns and normalise every value to canonical
    text: codes translated, booleans as ``true``/``false``, dates ISO, empty markers as null.
    Values that cannot be translated are kept as they are so validation can name them.
    Columns the file lacks are left out, for the table-level expectation to report;
    ``only`` limits the work to some canonical columns (e.g. the key)."""
    headers = mapping.tables[table.name].columns
    out = pd.DataFrame(index=raw.index)
    markers = [m.strip().upper() for m in mapping.null_markers]
    bool_map = {k.upper(): ("true" if v else "false") for k, v in mapping.booleans.items()}
    for col in table.columns:
        header = headers[col.name]
        if header not in raw.columns or (only is not None and col.name not in only):
            continue
        values = raw[header]
        if mapping.format != "csv":  # spreadsheet cells may be numbers or dates
            values = values.map(_as_text)
        text = values.astype("object").where(values.notna(), None)
        text = pd.Series(text, index=raw.index, dtype="object")
        present = text.notna()
        stripped = text[present].astype(str).str.strip()
        upper = stripped.str.upper()
        stripped = stripped.where(~upper.isin(markers), None)
        if col.type == "date":
            stripped = _normalise_dates(stripped, mapping.date_formats)
        elif col.type == "bool":
            stripped = upper.map(bool_map).where(lambda s: s.notna(), stripped).where(stripped.notna(), None)
        elif col.code_list and mapping.codes.get(col.code_list):
            labels = {k.strip().upper(): c for k, c in mapping.codes[col.code_list].items()}
            stripped = upper.map(labels).where(lambda s: s.notna(), stripped).where(stripped.notna(), None)
        if col.name == "postcode":
            stripped = stripped.map(lambda v: normalise_postcode(v) if isinstance(v, str) else v)
        elif col.name in ("upn", "pnc_id"):
            stripped = stripped.str.replace(r"\s+", "", regex=True).str.upper().where(stripped.notna(), None)
        column = pd.Series(None, index=raw.index, dtype="object")
        column[stripped.index] = stripped.astype("object").where(stripped.notna(), None)
        out[col.name] = column
    return out


def to_canonical_types(text: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Validated canonical text to typed values for the warehouse."""
    out = pd.DataFrame(index=text.index)
    for col in table.columns:
        values = text[col.name]
        if col.type == "date":
            out[col.name] = pd.to_datetime(values, format="%Y-%m-%d").dt.date.astype(object).where(values.notna(), None)
        elif col.type == "int":
            out[col.name] = pd.array(pd.to_numeric(values), dtype="Int64")
        elif col.type == "bool":
            out[col.name] = values.map({"true": True, "false": False}).astype(object).where(values.notna(), None)
        else:
            out[col.name] = values.astype(object).where(values.notna(), None)
    return out
