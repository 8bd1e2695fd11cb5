"""Read a source's tables as raw text frames, in chunks, indexed by the row number a person
sees when opening the file in Excel (the header is row 1).

Every data fault becomes a ``DeliveryRejected`` with a one-line reason (an empty file, a
folder or a broken link where a file should be, a workbook that is not a valid archive, text
in no known encoding) or a malformed row to quarantine (a row with more fields than the
header, e.g. an unquoted delimiter in free text). Tracebacks are for bugs."""
from __future__ import annotations

import codecs
import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from transforms.ingest.mapping import SupplierMapping
from transforms.ingest.report import DeliveryRejected

# A file with these first bytes says its own encoding; the mapping's is then overruled. The
# UTF-32 LE mark begins with the UTF-16 LE one, so it is tried first. The codec named reads the
# mark and drops it; the third field is how the encoding is reported.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE"),
         (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"))
MALFORMED_ATTR = "malformed_rows"


def column_letter(position: int) -> str:
    """Excel's column letters for a 1-based position (1 -> A, 27 -> AA)."""
    letters = ""
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class TableSource:
    file_name: str
    headers: list[str]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    def column_letter(self, header: str) -> str:
        if header not in self.headers:
            return "?"
        return column_letter(self.headers.index(header) + 1)


def check_is_readable_file(path: Path) -> None:
    """A one-line rejection for what transfer jobs leave where a file should be."""
    name = path.name
    if path.is_symlink() and not path.exists():
        raise DeliveryRejected(f"{name} is a link to a file that is not there")
    if not path.exists():
        raise DeliveryRejected(f"{name} is missing")
    if path.is_dir():
        raise DeliveryRejected(f"{name} is a folder, not a file")
    if not path.is_file():
        raise DeliveryRejected(f"{name} is not a regular file")
    if not os.access(path, os.R_OK):
        raise DeliveryRejected(f"{name} cannot be opened (no permission to read it)")
    if path.stat().st_size == 0:
        raise DeliveryRejected(f"{name} is empty (0 bytes)")


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


def bom_encoding(path: Path) -> tuple[str, str] | None:
    """The codec and the name of the encoding a file's byte-order mark declares, if it has one."""
    with open(path, "rb") as f:
        start = f.read(4)
    return next(((codec, name) for bom, codec, name in _BOMS if start.startswith(bom)), None)


def detect_encoding(path: Path, preferred: str, fallback: str | None) -> tuple[str, str | None]:
    """The encoding to read with and a note when it is not the declared one: a byte-order mark
    wins, before any fallback (a file that has one but does not decode in it is refused);
    else the supplier's declared encoding when the whole file decodes in it, else the fallback
    (Windows-1252 exports are common after a desktop tool has touched a file)."""
    declared = bom_encoding(path)
    if declared:
        codec, name = declared
        if codec.replace("-sig", "") == preferred.replace("-sig", "") and _decodes_as(path, preferred):
            return preferred, None
        if _decodes_as(path, codec):
            return codec, f"{path.name} was read as {name} (its byte-order mark says so), not {preferred}"
        raise DeliveryRejected(f"{path.name} starts with a {name} byte-order mark but is not {name} text "
                               f"(cut off, or re-encoded); ask the supplier to re-export it")
    if _decodes_as(path, preferred):
        return preferred, None
    if fallback and _decodes_as(path, fallback):
        return fallback, f"{path.name} was read as {fallback}, not {preferred}"
    raise DeliveryRejected(f"{path.name} is not {preferred} text"
                           + (f" (nor {fallback})" if fallback else "") + "; ask the supplier to re-export it")


def open_csv(path: Path, mapping: SupplierMapping) -> TableSource:
    """Check the file, find its encoding and read its header row."""
    check_is_readable_file(path)
    encoding, note = detect_encoding(path, mapping.encoding, mapping.fallback_encoding)
    try:
        with open(path, encoding=encoding, newline="") as f:
            headers = next(csv.reader(f, delimiter=mapping.delimiter, quotechar=mapping.quotechar), [])
    except csv.Error as exc:
        raise DeliveryRejected(f"{path.name}: the header row cannot be read as CSV ({exc})") from exc
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if not any(headers):
        raise DeliveryRejected(f"{path.name} has no header row (the first line is blank)")
    if len(headers) == 1 and mapping.delimiter not in headers[0] and len(headers[0]) > 40:
        other = next((d for d in (",", "\t", "|", ";") if d != mapping.delimiter and d in headers[0]), None)
        if other:
            raise DeliveryRejected(f"{path.name}: the header row is not split by the expected delimiter "
                                   f"{mapping.delimiter!r} (it looks {other!r}-separated)")
    return TableSource(file_name=path.name, headers=_unique(headers), encoding=encoding, notes=[note] if note else [])


def malformed_reason(fields: int, header: int) -> str:
    """Why a row whose fields do not match the header is quarantined (never its values)."""
    if fields < header:
        return (f"the last row has {fields} of the header's {header} fields: the file looks cut off part way "
                "through it (send the file again)")
    return f"the row has {fields} fields but the header has {header} (a delimiter inside unquoted text?)"


def csv_chunks(path: Path, source: TableSource, mapping: SupplierMapping, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of raw text, index = Excel row number. The fast C parser reads well-formed
    files; at the first row it cannot split, the rest is read with Python's csv module, which
    hands rows with more fields than the header back as malformed (``frame.attrs``) instead of
    stopping: they are quarantined, the other rows load. A last row with fewer fields than the
    header (a file cut off part way through a row) is malformed too."""
    short = _short_last_record(path, source, mapping)
    held = None
    for chunk in _csv_chunks(path, source, mapping, chunk_rows):
        if held is not None:
            yield held
        held = chunk
    if held is not None:
        if short is not None and len(held):
            held.attrs[MALFORMED_ATTR][held.index.max()] = short
        yield held


def _short_last_record(path: Path, source: TableSource, mapping: SupplierMapping, tail_bytes: int = 65_536):
    """The file's last record when it has fewer fields than the header (else None), read from
    the end of the file only."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - tail_bytes))
        tail = f.read()
    text = tail.decode(source.encoding, errors="replace")
    lines = [line for line in text.splitlines() if line.strip(" \t" + mapping.delimiter)]
    if len(lines) < (1 if size > tail_bytes else 2):  # the header alone: no data row
        return None
    try:
        record = next(csv.reader([lines[-1]], delimiter=mapping.delimiter, quotechar=mapping.quotechar, strict=False))
    except (csv.Error, StopIteration):
        return None
    return record if 0 < len(record) < len(source.headers) else None


def _csv_chunks(path: Path, source: TableSource, mapping: SupplierMapping, chunk_rows: int) -> Iterator[pd.DataFrame]:
    headers = source.headers
    # pandas takes a first data row longer than the header as an index column (and drops
    # data); such a file goes straight to the careful reader.
    with open(path, encoding=source.encoding, newline="") as f:
        rows = csv.reader(f, delimiter=mapping.delimiter, quotechar=mapping.quotechar, strict=False)
        next(rows, None)
        first = next(rows, [])
    if len(first) > len(headers):
        yield from _python_csv_chunks(path, source, mapping, chunk_rows, skip=0)
        return
    reader = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding=source.encoding,
                         chunksize=chunk_rows, skip_blank_lines=False, header=0, names=headers, index_col=False,
                         on_bad_lines="error", engine="c", sep=mapping.delimiter, quotechar=mapping.quotechar)
    done = 0
    try:
        for chunk in reader:
            chunk.index = pd.RangeIndex(2 + done, 2 + done + len(chunk))
            done += len(chunk)
            chunk = _without_blank_lines(chunk)
            chunk.attrs[MALFORMED_ATTR] = {}
            yield chunk
        return
    except (pd.errors.ParserError, csv.Error, ValueError):
        pass
    finally:
        reader.close()
    yield from _python_csv_chunks(path, source, mapping, chunk_rows, skip=done)


def _python_csv_chunks(path: Path, source: TableSource, mapping: SupplierMapping, chunk_rows: int,
                       skip: int) -> Iterator[pd.DataFrame]:
    headers, width = source.headers, len(source.headers)
    with open(path, encoding=source.encoding, newline="") as f:
        rows = csv.reader(f, delimiter=mapping.delimiter, quotechar=mapping.quotechar, strict=False)
        try:
            next(rows, None)
            for _ in range(skip):
                next(rows, None)
            line = 2 + skip
            while True:
                body, index, malformed = [], [], {}
                for record in rows:
                    if len(record) > width:
                        # Even empty extra fields mean the values shifted (an unquoted delimiter
                        # moves the row's empty last field past the header).
                        malformed[line] = record
                        record = record[:width]
                    body.append(record + [""] * (width - len(record)))
                    index.append(line)
                    line += 1
                    if len(body) >= chunk_rows:
                        break
                if not body:
                    return
                chunk = pd.DataFrame(body, columns=headers, index=pd.Index(index), dtype=str)
                chunk = chunk[chunk.index.isin(list(malformed)) | ~_blank(chunk)]
                chunk.attrs[MALFORMED_ATTR] = malformed
                yield chunk
        except csv.Error as exc:
            raise DeliveryRejected(f"{path.name} cannot be read as CSV after row {line - 1} ({exc}); "
                                   f"the file is cut off or is not CSV") from exc


def _blank(chunk: pd.DataFrame) -> pd.Series:
    """Rows whose every field is empty or spaces (checked fully only where the first is)."""
    result = pd.Series(False, index=chunk.index)
    if chunk.empty or not len(chunk.columns):
        return result
    first = chunk.iloc[:, 0].fillna("").astype(str).str.strip() == ""
    if first.any():
        rest = chunk[first].fillna("").astype(str)
        result[first] = rest.apply(lambda c: c.str.strip() == "").all(axis=1)
    return result


def _without_blank_lines(chunk: pd.DataFrame) -> pd.DataFrame:
    """A wholly blank line (often trailing, left by an editor or a transfer) is not a record."""
    return chunk[~_blank(chunk)] if len(chunk) else chunk


def match_headers(source: TableSource, expected: list[str]) -> None:
    """Headers that differ from the mapping's only in case, spaces or punctuation are taken as
    the mapping's (noted); the file's own spelling stays in ``original_headers``."""
    wanted = {_header_key(h): h for h in expected}
    renamed = []
    for i, h in enumerate(source.headers):
        target = wanted.get(_header_key(h))
        if target and target != h and target not in source.headers:
            renamed.append(f"'{h[:30]}' as '{target}'")
            source.headers[i] = target
    if renamed:
        source.notes.append(f"{source.file_name}: header(s) read as the mapping's: " + ", ".join(renamed[:10]))


def read_sheet(path: Path, sheet: str, expected_headers: list[str] | None = None) -> pd.DataFrame:
    """A workbook sheet as raw cell values (dates stay dates, numbers stay numbers). ``sheet``
    ``*`` is the first sheet. The header row is the first of the top 20 rows holding every
    expected header (ignoring case and spaces), so title rows above a hand-kept table are
    skipped; row numbers stay the sheet's own."""
    from python_calamine import CalamineWorkbook

    check_is_readable_file(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
    except Exception as exc:  # calamine raises its own error types for a broken archive
        raise DeliveryRejected(f"{path.name} is not a valid Excel workbook (.xlsx archive); "
                               f"it may be cut off or another kind of file") from exc
    match = (names[0] if sheet == "*" and names else sheet if sheet in names
             else next((n for n in names if n.strip().lower() == sheet.lower()), None))
    if match is None:
        raise DeliveryRejected(f"{path.name} has no sheet '{sheet}' (sheets: {', '.join(names)})")
    try:
        rows = workbook.get_sheet_by_name(match).to_python(skip_empty_area=False)
    except Exception as exc:
        raise DeliveryRejected(f"{path.name}: sheet '{sheet}' cannot be read") from exc
    if not rows:
        return pd.DataFrame()
    at = 0
    if expected_headers:
        wanted = {_header_key(h) for h in expected_headers}
        at = next((i for i, r in enumerate(rows[:20])
                   if len(wanted & {_header_key(c) for c in r}) >= min(3, len(wanted))), 0)
        canonical = {_header_key(h): h for h in expected_headers}
        headers = [canonical.get(_header_key(h), str(h).strip()) for h in rows[at]]
    else:
        headers = [str(h).strip() for h in rows[at]]
    body = [list(r)[:len(headers)] + [""] * (len(headers) - len(r)) for r in rows[at + 1:]]
    frame = pd.DataFrame(body, columns=_unique(headers), dtype=object)
    frame.index = pd.RangeIndex(at + 2, at + 2 + len(frame))
    if expected_headers:
        # A hand-kept sheet: wholly blank lines between entries are not rows.
        blank = frame.map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
        frame = frame[~blank.all(axis=1)]
        # Merged cells (one meeting date over its partners' rows) hold their value only in the
        # first row: the first column is filled down, as a person reading the sheet would.
        first = frame.columns[0]
        empty = blank.loc[frame.index, first]
        if empty.any() and not empty.iloc[0]:
            frame[first] = frame[first].where(~empty).ffill()
    # Trailing blank rows a spreadsheet keeps after deleting data are not rows.
    while len(frame) and frame.iloc[-1].map(lambda v: v in ("", None)).all():
        frame = frame.iloc[:-1]
    frame.attrs[MALFORMED_ATTR] = {}
    return frame.replace({"": None})


def _header_key(value) -> str:
    """A header as a person means it: case, spaces, underscores and punctuation ignored."""
    import re

    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


def _unique(headers: list[str]) -> list[str]:
    """Blank or repeated headers get a suffix, so every column can be addressed."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        h = h or "unnamed"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h}.{seen[h]}")
    return out
