"""Write canonical tables as a supplier's delivery, using the same mapping files the loader
reads, so the generator and the loader agree on each layout by construction."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from transforms.canonical import canonical_tables
from transforms.ingest.delivery import file_sha256
from transforms.ingest.mapping import SupplierMapping, load_mapping
from transforms.excel import FORMULA_START


def _supplier_values(df: pd.DataFrame, table: str, mapping: SupplierMapping, date_style: str) -> pd.DataFrame:
    """Canonical values as the supplier writes them (labels, booleans, date text)."""
    spec = canonical_tables()[table]
    out = pd.DataFrame(index=df.index)
    true_text, false_text = mapping.boolean_text()
    for col in spec.columns:
        values = df[col.name]
        if col.type == "date":
            stamp = pd.to_datetime(values)
            out[col.name] = stamp.dt.strftime(date_style).where(stamp.notna(), "") if date_style != "cell" else values
        elif col.type == "bool":
            out[col.name] = values.map({True: true_text, False: false_text}).where(values.notna(), "")
        elif col.type == "int":
            out[col.name] = values.astype("Int64").astype(str).where(values.notna(), "")
        elif col.code_list and mapping.codes.get(col.code_list):
            labels = {code: label for label, code in mapping.codes[col.code_list].items()}
            out[col.name] = values.map(lambda v: labels.get(v, v) if v is not None else "")
        else:
            out[col.name] = values.where(values.notna(), "")
    return out


def _xlsx_cell(ws, value):
    """Empty cells for missing values; text that starts like a formula stays text."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_delivery(tables: dict[str, pd.DataFrame], folder: Path, supplier: str, delivery_id: str,
                   extracted_at: dt.datetime, corrupt=None) -> Path:
    """Write a complete delivery (files, then ``manifest.json`` last). ``corrupt`` may change
    the supplier-shaped frames before they are written (used to add realistic defects)."""
    mapping = load_mapping(supplier)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    if mapping.format == "csv":
        for table, df in tables.items():
            frame = _supplier_values(df, table, mapping, mapping.date_formats[0])
            frame = frame.rename(columns=mapping.tables[table].columns)
            frame.attrs["layout"] = "csv"
            if corrupt:
                frame = corrupt(table, frame)
            target = folder / mapping.tables[table].source
            encoding = frame.attrs.get("encoding", mapping.encoding)
            frame.to_csv(target, index=False, encoding=encoding, lineterminator="\r\n", sep=mapping.delimiter)
            files.append({"name": target.name, "sha256": file_sha256(target), "rows": {table: len(frame)}})
    else:
        target = folder / mapping.workbook
        wb = Workbook(write_only=True)
        rows = {}
        for table, df in tables.items():
            # childview writes most dates as Excel date cells, the date of birth as ISO text.
            frame = _supplier_values(df, table, mapping, "cell")
            for col in canonical_tables()[table].columns:
                if col.type == "date" and col.name == "date_of_birth":
                    frame[col.name] = pd.to_datetime(df[col.name]).dt.strftime("%Y-%m-%d").where(df[col.name].notna(), "")
                if col.type == "bool":
                    frame[col.name] = df[col.name].map({True: 1, False: 0}).astype(object).where(df[col.name].notna(), None)
            frame = frame.rename(columns=mapping.tables[table].columns)
            frame.attrs["layout"] = "xlsx"
            if corrupt:
                frame = corrupt(table, frame)
            ws = wb.create_sheet(mapping.tables[table].source)
            ws.append(list(frame.columns))
            for record in frame.itertuples(index=False, name=None):
                ws.append([_xlsx_cell(ws, v) for v in record])
            rows[table] = len(frame)
        wb.save(target)
        files.append({"name": target.name, "sha256": file_sha256(target), "rows": rows})
    manifest = {"delivery_id": delivery_id, "supplier": supplier,
                "extracted_at": extracted_at.isoformat(timespec="seconds"), "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder
