"""Read a delivery's tables as raw text frames, in chunks, indexed by the row number a person
sees when opening the file in Excel (the header is row 1)."""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from transforms.casesystem.delivery import Delivery, DeliveryRejected


@dataclass
class TableSource:
    file_name: str
    headers: list[str]
    encoding: str | None = None

    def column_letter(self, header: str) -> str:
        if header not in self.headers:
            return "?"
        n = self.headers.index(header) + 1
        letters = ""
        while n:
            n, rem = divmod(n - 1, 26)
            letters = chr(65 + rem) + letters
        return letters


def _decodes_as(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, read in 1 MB blocks so memory stays bounded."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def _detect_encoding(path: Path, preferred: str, fallback: str | None) -> str:
    """The supplier's declared encoding when the whole file decodes in it, else the fallback
    (Windows-1252 exports are common after a desktop tool has touched a file)."""
    if _decodes_as(path, preferred):
        return preferred
    if fallback and _decodes_as(path, fallback):
        return fallback
    raise DeliveryRejected(f"{path.name} is not valid {preferred} text")


def read_table_chunks(delivery: Delivery, table: str, chunk_rows: int) -> tuple[TableSource, Iterator[pd.DataFrame]]:
    mapping = delivery.mapping
    source_name = mapping.tables[table].source
    if mapping.format == "csv":
        path = delivery.folder / source_name
        encoding = _detect_encoding(path, mapping.encoding, mapping.fallback_encoding)
        if encoding != mapping.encoding:
            delivery.notes.append(f"{source_name} was read as {encoding}, not {mapping.encoding}")
        with open(path, encoding=encoding, newline="") as f:
            headers = next(csv.reader(f), [])
        source = TableSource(file_name=source_name, headers=[h.strip() for h in headers], encoding=encoding)
        return source, _csv_chunks(path, encoding, chunk_rows, source.headers)
    path = delivery.folder / mapping.workbook
    # A workbook is parsed once per delivery; each sheet is read when first asked for.
    if source_name not in delivery.sheet_cache:
        delivery.sheet_cache[source_name] = _read_sheet(path, source_name)
    frame = delivery.sheet_cache[source_name]
    source = TableSource(file_name=f"{mapping.workbook} [{source_name}]", headers=list(frame.columns))
    return source, iter([frame])


def _csv_chunks(path: Path, encoding: str, chunk_rows: int, headers: list[str]) -> Iterator[pd.DataFrame]:
    reader = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding,
                         chunksize=chunk_rows, skip_blank_lines=False, header=0, names=headers,
                         on_bad_lines="error", engine="c")
    first_line = 2
    try:
        for chunk in reader:
            chunk.index = pd.RangeIndex(first_line, first_line + len(chunk))
            first_line += len(chunk)
            yield chunk
    except pd.errors.ParserError as exc:
        raise DeliveryRejected(f"{path.name} cannot be parsed as CSV ({str(exc)[:160]}); a row has the wrong "
                               f"number of fields or the file is cut off") from exc


def _read_sheet(path: Path, sheet: str) -> pd.DataFrame:
    """A childview sheet as raw cell values (dates stay dates, numbers stay numbers)."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    if sheet not in workbook.sheet_names:
        raise DeliveryRejected(f"{path.name} has no sheet '{sheet}'")
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not rows:
        return pd.DataFrame()
    headers = [str(h).strip() for h in rows[0]]
    body = [list(r) + [""] * (len(headers) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=headers, dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame.replace({"": None})
