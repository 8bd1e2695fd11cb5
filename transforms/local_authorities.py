"""The reference of English and Welsh upper-tier local authorities
(``transforms/reference/partnership/local_authorities.csv``: code, GSS code, name, kind, with its
source and date in the file's header). Youth justice services are organised by upper-tier
authority, so this is the list a child's ``local_authority`` and a partnership file are checked
against."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from transforms.settings import REFERENCE_DIR

LOCAL_AUTHORITIES_FILE = REFERENCE_DIR / "partnership" / "local_authorities.csv"
GSS_CODE = re.compile(r"^[EW]\d{8}$")
_COLUMNS = ["code", "gss_code", "name", "kind", "country"]
_KINDS = {"county", "unitary", "metropolitan district", "London borough", "Welsh unitary"}


class ReferenceDataError(ValueError):
    """A reference file that cannot be used; the message names the file, the line and the column."""


@dataclass(frozen=True)
class LocalAuthority:
    code: str  # canonical value in the feeds, e.g. LEICESTERSHIRE
    gss_code: str  # ONS code, e.g. E10000018
    name: str
    kind: str
    country: str


@dataclass(frozen=True)
class LocalAuthorities:
    by_code: dict[str, LocalAuthority]
    by_gss: dict[str, LocalAuthority]

    def resolve(self, value: str | None) -> LocalAuthority | None:
        """The authority a feed or a partnership file means by ``value``: its code in any case and
        spacing (``Leicestershire``, ``rutland``), its GSS code, or its name. None when unknown."""
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        if GSS_CODE.match(text.upper()):
            return self.by_gss.get(text.upper())
        return self.by_code.get(canonical_code(text))

    def __len__(self) -> int:
        return len(self.by_code)


def canonical_code(name: str) -> str:
    """``Brighton and Hove`` -> ``BRIGHTON_AND_HOVE``; ``St. Helens`` -> ``ST_HELENS``."""
    return re.sub(r"[^A-Z0-9]+", "_", str(name).upper().replace(".", "")).strip("_")


def read_csv_with_header_comments(path: Path, columns: list[str],
                                  optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows of a reference CSV whose first lines are ``#`` comments (its source and date), each
    with its line number in the file; the header must be exactly ``columns``, of which the
    trailing ``optional`` ones may be left out by an older file (read as empty)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path.name}: cannot be read ({exc.__class__.__name__})") from exc
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if first is None:
        raise ReferenceDataError(f"{path.name}: no header line")
    if not any(line.startswith("#") for line in lines[:first]):
        raise ReferenceDataError(f"{path.name}: the header comment saying where the data comes from is missing")
    reader = csv.reader(lines[first:])
    header = next(reader)
    allowed = [columns[:len(columns) - n] for n in range(len(optional) + 1)]
    if header not in allowed:
        raise ReferenceDataError(f"{path.name} line {first + 1}: the columns must be {','.join(columns)}, not {','.join(header)}")
    rows = []
    for offset, values in enumerate(reader, start=first + 2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ReferenceDataError(f"{path.name} line {offset}: {len(values)} values, expected {len(header)}")
        row = {c: "" for c in columns}
        row.update({c: v.strip() for c, v in zip(header, values)})
        rows.append((offset, row))
    return rows


def read_local_authorities(path: Path = LOCAL_AUTHORITIES_FILE) -> LocalAuthorities:
    by_code: dict[str, LocalAuthority] = {}
    by_gss: dict[str, LocalAuthority] = {}
    for line, row in read_csv_with_header_comments(path, _COLUMNS):
        where = f"{path.name} line {line}"
        if row["code"] != canonical_code(row["code"]) or not row["code"]:
            raise ReferenceDataError(f"{where}: column code must be capitals, digits and underscores, not {row['code']!r}")
        if not GSS_CODE.match(row["gss_code"]):
            raise ReferenceDataError(f"{where}: column gss_code must be an English or Welsh GSS code (E10000018), not {row['gss_code']!r}")
        if row["kind"] not in _KINDS:
            raise ReferenceDataError(f"{where}: column kind must be one of {', '.join(sorted(_KINDS))}")
        expected_country = "Wales" if row["gss_code"].startswith("W") else "England"
        if row["country"] != expected_country:
            raise ReferenceDataError(f"{where}: column country is {row['country']!r} but the GSS code is {expected_country}'s")
        if row["code"] in by_code or row["gss_code"] in by_gss:
            raise ReferenceDataError(f"{where}: {row['code']} / {row['gss_code']} is listed twice")
        authority = LocalAuthority(**row)
        by_code[authority.code] = by_gss[authority.gss_code] = authority
    return LocalAuthorities(by_code, by_gss)


@lru_cache(maxsize=4)
def local_authorities(path: Path = LOCAL_AUTHORITIES_FILE) -> LocalAuthorities:
    """The shipped reference, read once per process."""
    return read_local_authorities(path)
