"""A child's home local authority from their postcode, through the editable reference
``transforms/reference/partnership/postcode_local_authority.csv`` (postcode sector, else district,
to upper-tier authority; its source and date in the file's header).

Postcode districts cross local authority boundaries (LE4 is both Leicester and Birstall in
Leicestershire), so the lookup tries the sector first and falls back to the district only when
the reference says the whole district lies in one authority. A split district (or sector)
records the authorities it touches (``split_between``), so the router can still place a child
whose district lies only in authorities of one service (LE15: Rutland and Leicestershire, both
the county's). Anything else is "area unknown": a wrong authority would send a child's
detention to the wrong service, an unknown one goes to a person who can resolve it. So is a
pseudo-postcode (ZZ99 3VZ, the NHS code for no fixed abode): it has a postcode's shape but no
place.

``python -m transforms.partnership.postcodes build ONSPD.csv OUT.csv --areas LE,PE9,NG,DE,CV,NN``
regenerates the reference from the ONS Postcode Directory."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from transforms.identifiers import normalise_postcode
from transforms.local_authorities import (
    LocalAuthorities, ReferenceDataError, local_authorities, read_csv_with_header_comments,
)
from transforms.settings import REFERENCE_DIR

POSTCODE_REFERENCE_FILE = REFERENCE_DIR / "partnership" / "postcode_local_authority.csv"
_COLUMNS = ["postcode_prefix", "la_code", "note", "split_between"]
_OPTIONAL = ("split_between",)  # an older file without it still loads: its split districts touch "unknown"
# The UK's outward code (area letters, district number, optional letter) and inward code
# (sector digit, two unit letters): the Royal Mail format, which also covers GIR 0AA's shape.
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_INWARD = re.compile(r"^[0-9][A-Z]{2}$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])$")
# ONSPD writes these pseudo-codes where a postcode has no county (unitary areas) or no LA.
_NO_COUNTY = {"", "E99999999", "W99999999"}

AREA_UNKNOWN_NO_POSTCODE = "no usable postcode"
AREA_UNKNOWN_SPLIT_DISTRICT = "postcode district split between local authorities, sector not in the reference"
AREA_UNKNOWN_NOT_IN_REFERENCE = "postcode not in the reference"
AREA_UNKNOWN_SPLIT_SECTOR = "postcode sector split between local authorities"
AREA_UNKNOWN_PSEUDO = "a pseudo-postcode (no fixed abode or address not known), not a place"
# Postcode areas that are no place: ZZ99 is the NHS pseudo-postcode area (ZZ99 3VZ no fixed
# abode, ZZ99 3WZ address not known, ZZ99 3CZ England not otherwise specified; NHS Data
# Dictionary, "Postcode of usual address"). No Royal Mail postcode area is ZZ.
PSEUDO_POSTCODE_AREAS = frozenset({"ZZ"})


def is_pseudo_postcode(raw: str | None) -> bool:
    parts = parse_postcode(raw)
    return parts is not None and re.match(r"^[A-Z]+", parts.district).group(0) in PSEUDO_POSTCODE_AREAS


@dataclass(frozen=True)
class PostcodeParts:
    district: str  # outward code, e.g. LE4
    sector: str | None  # district and the inward digit, e.g. LE4 3; None when only a district was given


def parse_postcode(raw: str | None) -> PostcodeParts | None:
    """The district and sector of a full postcode (``le43ab``, `` LE4  3AB``) or of a partial one
    (``LE4 3``, ``LE4``, as police systems sometimes hold it). None when it is not a postcode
    (``N/A``, ``NFA``, ``UNKNOWN``, a house name): the caller's "no usable postcode"."""
    if raw is None:
        return None
    spaced = re.sub(r"\s+", " ", str(raw).strip().upper())
    compact = spaced.replace(" ", "")
    if not compact:
        return None
    sector = _SECTOR.match(spaced)
    if sector:  # "LE4 3": a sector written without its unit letters
        return PostcodeParts(sector.group(1), spaced)
    if _OUTWARD.match(compact):
        return PostcodeParts(compact, None)
    if len(compact) >= 5 and _INWARD.match(compact[-3:]) and _OUTWARD.match(compact[:-3]):
        district, inward = normalise_postcode(compact).split(" ")
        return PostcodeParts(district, f"{district} {inward[0]}")
    return None


@dataclass(frozen=True)
class AreaLookup:
    local_authority: str | None  # canonical code (LEICESTER) or None
    matched_on: str | None  # "sector" or "district" when found
    reason: str | None = None  # why not found, for the duty manager (never the postcode itself)
    # When the authority is not known: the authorities the postcode's split sector or district
    # touches, when the reference lists them (empty: not known).
    candidates: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PostcodeReference:
    sectors: dict[str, str]  # "LE4 3" -> LEICESTERSHIRE
    whole_districts: dict[str, str]  # "LE1" -> LEICESTER
    split_districts: frozenset[str]
    # A split district or split sector -> every authority it touches ("LE15" -> LEICESTERSHIRE,
    # RUTLAND); only where the reference lists them.
    touches: dict[str, frozenset[str]] = field(default_factory=dict)

    def lookup(self, postcode: str | None) -> AreaLookup:
        parts = parse_postcode(postcode)
        if parts is None:
            return AreaLookup(None, None, AREA_UNKNOWN_NO_POSTCODE)
        if is_pseudo_postcode(postcode):
            return AreaLookup(None, None, AREA_UNKNOWN_PSEUDO)
        if parts.sector and parts.sector in self.sectors:
            return AreaLookup(self.sectors[parts.sector], "sector")
        if parts.district in self.whole_districts:
            return AreaLookup(self.whole_districts[parts.district], "district")
        if parts.district in self.split_districts or any(s.split(" ")[0] == parts.district for s in self.sectors):
            # The sector's own list is the narrower one; else the district's.
            if parts.sector in self.touches:
                return AreaLookup(None, None, AREA_UNKNOWN_SPLIT_SECTOR, self.touches[parts.sector])
            return AreaLookup(None, None, AREA_UNKNOWN_SPLIT_DISTRICT, self.touches.get(parts.district, frozenset()))
        return AreaLookup(None, None, AREA_UNKNOWN_NOT_IN_REFERENCE)


def read_postcode_reference(path: Path = POSTCODE_REFERENCE_FILE,
                            authorities: LocalAuthorities | None = None) -> PostcodeReference:
    """Read and check the reference: every prefix a district or a sector, every authority in the
    local authority reference, no prefix twice, and no sector contradicting its whole district."""
    authorities = authorities or local_authorities()
    sectors: dict[str, str] = {}
    whole: dict[str, str] = {}
    split: set[str] = set()
    seen: dict[str, int] = {}
    sector_lines: dict[str, int] = {}
    touches: dict[str, frozenset[str]] = {}
    for line, row in read_csv_with_header_comments(path, _COLUMNS, _OPTIONAL):
        where = f"{path.name} line {line}"
        prefix = re.sub(r"\s+", " ", row["postcode_prefix"].upper())
        if prefix in seen:
            raise ReferenceDataError(f"{where}: postcode_prefix {prefix} is already on line {seen[prefix]}")
        seen[prefix] = line
        authority = authorities.resolve(row["la_code"]) if row["la_code"] else None
        if row["la_code"] and authority is None:
            raise ReferenceDataError(f"{where}: la_code {row['la_code']!r} is not in local_authorities.csv")
        touched = _split_between(row["split_between"], authorities, where)
        if touched and authority is not None:
            raise ReferenceDataError(f"{where}: {prefix} has an la_code and a split_between; a split one has no la_code")
        if touched:
            touches[prefix] = touched
        if _SECTOR.match(prefix):
            if authority is None and not touched:
                raise ReferenceDataError(f"{where}: sector {prefix} needs an la_code, or the split_between of a split sector "
                                         "(leave a sector out when unsure)")
            if authority is not None:
                sectors[prefix] = authority.code
                sector_lines[prefix] = line
        elif _OUTWARD.match(prefix):
            if authority is None:
                split.add(prefix)
            else:
                whole[prefix] = authority.code
        else:
            raise ReferenceDataError(f"{where}: postcode_prefix {row['postcode_prefix']!r} is neither a district (LE4) nor a sector (LE4 3)")
    for sector, code in sectors.items():
        district = sector.split(" ")[0]
        if district in whole and whole[district] != code:
            raise ReferenceDataError(
                f"{path.name} line {sector_lines[sector]}: sector {sector} is in {code} but district {district} is listed "
                f"as wholly in {whole[district]} (line {seen[district]}); mark the district split (empty la_code)")
    for sector, code in sectors.items():
        district = sector.split(" ")[0]
        if district in touches and code not in touches[district]:
            raise ReferenceDataError(f"{path.name} line {sector_lines[sector]}: sector {sector} is in {code}, which is not in "
                                     f"the split_between of district {district} (line {seen[district]})")
    for prefix, touched in touches.items():
        district = prefix.split(" ")[0]
        if prefix == district:
            continue
        if district in whole or (district in touches and not touched <= touches[district]):
            raise ReferenceDataError(f"{path.name} line {seen[prefix]}: split sector {prefix} touches authorities its "
                                     f"district {district} does not (line {seen.get(district, '?')})")
        split.add(district)
    return PostcodeReference(sectors, whole, frozenset(split), touches)


def _split_between(raw: str, authorities: LocalAuthorities, where: str) -> frozenset[str]:
    """The authorities a split district or sector touches, ``;``-separated codes."""
    codes = set()
    for value in (v for v in raw.split(";") if v.strip()):
        authority = authorities.resolve(value)
        if authority is None:
            raise ReferenceDataError(f"{where}: split_between names {value.strip()!r}, which is not in local_authorities.csv")
        codes.add(authority.code)
    if len(codes) == 1:
        raise ReferenceDataError(f"{where}: split_between names one authority; put it in la_code instead")
    return frozenset(codes)


@lru_cache(maxsize=4)
def postcode_reference(path: Path = POSTCODE_REFERENCE_FILE) -> PostcodeReference:
    return read_postcode_reference(path)


def lookup_local_authority(postcode: str | None, reference: PostcodeReference | None = None) -> AreaLookup:
    """The home local authority of ``postcode`` (sector first, district only when the whole
    district is in one authority), or why it is unknown."""
    return (reference or postcode_reference()).lookup(postcode)


# --- Regenerating the reference from the ONS Postcode Directory ---------------------------------

def upper_tier_gss(oslaua: str, oscty: str) -> str:
    """ONSPD gives every postcode its district (``oslaua``) and, in two-tier areas, its county
    (``oscty``); the upper tier is the county where there is one, else the unitary district."""
    oscty = (oscty or "").strip()
    return (oslaua or "").strip() if oscty in _NO_COUNTY else oscty


def build_postcode_reference(onspd_rows, areas: list[str], authorities: LocalAuthorities | None = None) -> list[dict[str, str]]:
    """Reference rows from ONSPD rows (dicts with pcds, oslaua, oscty and optionally doterm) for
    postcodes whose district is in ``areas`` (an area's letters, ``LE``, or a district, ``PE9``).
    Terminated postcodes are left out. A district is listed with its authority when every live
    postcode in it has the same one; otherwise it is marked split and each sector whose postcodes
    share one authority is listed (a sector that is itself split is left out: "area unknown")."""
    authorities = authorities or local_authorities()
    by_sector: dict[str, set[str]] = defaultdict(set)
    by_district: dict[str, set[str]] = defaultdict(set)
    wanted = [a.strip().upper() for a in areas if a.strip()]
    for row in onspd_rows:
        if (row.get("doterm") or "").strip():
            continue
        parts = parse_postcode(row.get("pcds"))
        if parts is None or parts.sector is None:
            continue
        letters = re.match(r"^[A-Z]+", parts.district).group(0)
        if wanted and parts.district not in wanted and letters not in wanted:
            continue
        gss = upper_tier_gss(row.get("oslaua", ""), row.get("oscty", ""))
        authority = authorities.resolve(gss)
        code = authority.code if authority else f"not England or Wales ({gss or 'no code'})"
        by_sector[parts.sector].add(code)
        by_district[parts.district].add(code)
    rows = []
    for district in sorted(by_district, key=_postcode_sort_key):
        codes = by_district[district]
        if len(codes) == 1 and authorities.resolve(next(iter(codes))):
            rows.append({"postcode_prefix": district, "la_code": next(iter(codes)), "note": "", "split_between": ""})
            continue
        rows.append({"postcode_prefix": district, "la_code": "", "note": "split: " + ", ".join(sorted(codes)),
                     "split_between": _touches_text(codes, authorities)})
        for sector in sorted((s for s in by_sector if s.split(" ")[0] == district), key=_postcode_sort_key):
            if len(by_sector[sector]) == 1 and authorities.resolve(next(iter(by_sector[sector]))):
                rows.append({"postcode_prefix": sector, "la_code": next(iter(by_sector[sector])), "note": "", "split_between": ""})
            elif _touches_text(by_sector[sector], authorities):
                # A sector split itself: its authorities still say which service, when they share one.
                rows.append({"postcode_prefix": sector, "la_code": "", "note": "split sector",
                             "split_between": _touches_text(by_sector[sector], authorities)})
    return rows


def _touches_text(codes: set[str], authorities: LocalAuthorities) -> str:
    """``split_between`` for a split district or sector: every authority it touches, or empty
    when one is outside England and Wales (the list would be incomplete)."""
    if len(codes) < 2 or not all(authorities.resolve(c) for c in codes):
        return ""
    return ";".join(sorted(codes))


def _postcode_sort_key(prefix: str):
    district, _, sector = prefix.partition(" ")
    letters = re.match(r"^[A-Z]+", district).group(0)
    return letters, int(re.match(r"\d+", district[len(letters):]).group(0)), district, sector


def write_postcode_reference(rows: list[dict[str, str]], out: Path, source: str) -> None:
    header = (f"# Postcode district and sector -> upper-tier local authority (see postcodes.py).\n"
              f"# Source: {source}, Office for National Statistics, Open Government Licence v3.0;\n"
              f"#   generated {dt.date.today():%d %B %Y} by transforms.partnership.postcodes build. An empty la_code on a\n"
              f"#   district means it is split between authorities: only its listed sectors are resolved;\n"
              f"#   split_between lists every authority a split district or sector touches.\n")
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        writer = csv.DictWriter(handle, fieldnames=_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m transforms.partnership.postcodes")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="regenerate the postcode reference from an ONSPD CSV")
    build.add_argument("onspd", type=Path)
    build.add_argument("out", type=Path)
    build.add_argument("--areas", required=True, help="postcode areas or districts, comma-separated (LE,PE9)")
    args = parser.parse_args(argv)
    try:
        with args.onspd.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"pcds", "oslaua", "oscty"} - set(reader.fieldnames or [])
            if missing:
                print(f"{args.onspd.name}: not an ONSPD file (no column {', '.join(sorted(missing))})", file=sys.stderr)
                return 2
            rows = build_postcode_reference(reader, args.areas.split(","))
    except OSError as exc:
        print(f"{args.onspd}: cannot be read ({exc.strerror})", file=sys.stderr)
        return 2
    write_postcode_reference(rows, args.out, args.onspd.name)
    read_postcode_reference(args.out)  # what we write must load
    print(f"{len(rows)} lines written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
