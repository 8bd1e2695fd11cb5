"""Rebuild every mart from the core, publish them together, and write the extracts and the
data dictionary.

Each mart is checked against its definition (exactly the documented columns, in order)
before anything is published; the marts are replaced in one transaction, so a failed
rebuild leaves the previous marts in place. Extracts: a Tableau ``.hyper`` file (pantab,
which bundles Tableau's Hyper engine) and a CSV per mart, each with the dictionary beside it.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Boolean, Column, Date, Engine, Float, Integer, MetaData, Table, Text

from transforms.excel import write_csv
from transforms.marts.core import read_core
from transforms.marts.definitions import MARTS, Mart
from transforms.warehouse.db import bulk_insert, ensure_schema

SQL_TYPES = {"str": Text, "int": Integer, "float": Float, "date": Date, "bool": Boolean}
mart_metadata = MetaData()
MART_TABLES = {m.name: Table(m.table, mart_metadata, *[Column(c.name, SQL_TYPES[c.type], comment=c.meaning) for c in m.columns],
                             comment=f"{m.title}: {m.grain}") for m in MARTS.values()}


class MartDrift(Exception):
    pass


@dataclass(frozen=True)
class MartsReport:
    rows: dict[str, int]
    outputs: list[Path]
    seconds: float

    def summary(self) -> str:
        return f"{len(self.rows)} marts rebuilt ({sum(self.rows.values()):,} rows) with extracts in {self.seconds:.1f}s"


def conform(mart: Mart, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in the mart's documented columns and types; a missing or extra column is a
    bug in the builder and stops the rebuild."""
    expected = [c.name for c in mart.columns]
    if list(frame.columns) != expected:
        raise MartDrift(f"{mart.table}: built columns {list(frame.columns)} differ from the definition {expected}")
    out = frame.copy()
    for c in mart.columns:
        if c.type == "date":
            out[c.name] = pd.to_datetime(out[c.name], errors="coerce").dt.date
        elif c.type == "int":
            out[c.name] = pd.array(pd.to_numeric(out[c.name], errors="coerce"), dtype="Int64")
        elif c.type == "float":
            out[c.name] = pd.to_numeric(out[c.name], errors="coerce").astype("Float64")
        elif c.type == "bool":
            out[c.name] = out[c.name].astype("boolean")
        else:
            out[c.name] = out[c.name].astype("string")
    return out.reset_index(drop=True)


def build_marts(engine: Engine, as_of: dt.date, service_areas: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    core = read_core(engine, as_of, service_areas)
    return {name: conform(m, m.build(core)) for name, m in MARTS.items()}


def publish_marts(engine: Engine, marts: dict[str, pd.DataFrame]) -> None:
    ensure_schema(engine)
    mart_metadata.create_all(engine)
    with engine.begin() as conn:
        for name, frame in marts.items():
            conn.execute(MART_TABLES[name].delete())
            bulk_insert(conn, MART_TABLES[name], frame.astype(object).where(frame.notna(), None))


def dictionary_frame(mart: Mart | None = None) -> pd.DataFrame:
    marts = [mart] if mart else list(MARTS.values())
    return pd.DataFrame([{"mart": m.table, "column": c.name, "type": c.type, "meaning": c.meaning, "source": c.source,
                          "derivation": c.derivation} for m in marts for c in m.columns])


def dictionary_markdown() -> str:
    lines = ["# Data dictionary: reporting marts", "",
             "Generated from `transforms/marts/definitions.py` by every rebuild; do not edit by hand.",
             "Marts never carry names, dates of birth, full postcodes, UPNs or PNC ids.", ""]
    for m in MARTS.values():
        lines += [f"## `{m.table}`: {m.title}", "", f"Grain: {m.grain}. {m.questions}", "",
                  "| column | type | meaning | source | derivation |", "|---|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type} | {c.meaning} | {c.source} | {c.derivation} |" for c in m.columns]
        lines.append("")
    from transforms.rights.inventory import inventory_markdown  # the core's personal data, beside the marts'

    return "\n".join(lines) + "\n" + inventory_markdown()


def write_extracts(marts: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    import pantab

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in marts.items():
        mart = MARTS[name]
        csv = folder / f"{mart.table}.csv"
        write_csv(frame, csv)
        hyper = folder / f"{mart.table}.hyper"
        hyper.unlink(missing_ok=True)
        pantab.frames_to_hyper({mart.table: _for_hyper(frame, mart), "data_dictionary": dictionary_frame(mart)}, hyper)
        written += [csv, hyper]
    dictionary = folder / "data_dictionary.md"
    dictionary.write_text(dictionary_markdown(), encoding="utf-8")
    write_csv(dictionary_frame(), folder / "data_dictionary.csv")
    return written + [dictionary, folder / "data_dictionary.csv"]


def _for_hyper(frame: pd.DataFrame, mart: Mart) -> pd.DataFrame:
    """Date columns as Arrow dates, so Tableau sees DATE (not a timestamp at midnight)."""
    import pyarrow as pa

    out = frame.copy()
    for c in mart.columns:
        if c.type == "date":
            out[c.name] = pd.to_datetime(out[c.name], errors="coerce").astype(pd.ArrowDtype(pa.date32()))
    return out


def rebuild_marts(engine: Engine, out_dir: Path, as_of: dt.date, service_areas: tuple[str, ...]) -> MartsReport:
    started = time.perf_counter()
    marts = build_marts(engine, as_of, service_areas)
    publish_marts(engine, marts)
    outputs = write_extracts(marts, out_dir)
    return MartsReport({n: len(f) for n, f in marts.items()}, outputs, time.perf_counter() - started)
