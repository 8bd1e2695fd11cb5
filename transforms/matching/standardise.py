"""Names and identifiers put in one form before they are compared.

Each rule is a small function, and the naming conventions of the communities the service
works with are data (``reference/name_conventions.csv``, documented with sources in
``docs/reference/naming-conventions.md``):

- names are folded: upper case, accents removed (Zoë = ZOE), apostrophes dropped
  (O'Brien = OBRIEN), other punctuation read as a space, spaces collapsed;
- a name splits into given names and family names, so that any given name can match any
  (a middle name used as the first name, given names in another order);
- honorific given names (Mohammed, Syed) are set aside when the child has another given
  name, because the child may be recorded by that other name alone;
- title-like second names (Begum, Bibi, Khatun, Kaur, Singh, Kumar, Devi) are set aside from
  the family names: they say nothing about which family, and another agency may hold the
  real family name, or none;
- Gujarati honorific suffixes (-bhai, -ben) are taken off given names;
- a given name is mapped to its nickname group (Tom, Tommy, Thomas) from
  ``reference/name_variants.csv``.

What is set aside is kept (``name_markers``) but never counts as agreement: two Kaurs share
no family by being Kaurs.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from transforms.settings import REFERENCE_DIR

_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NOT_LETTER_OR_SPACE = re.compile(r"[^A-Z\s]")
_SPACES = re.compile(r"\s+")
SUFFIX_MIN_STEM = 3  # RAKESHBHAI -> RAKESH, but ABHAI stays (no 3-letter stem)


@dataclass(frozen=True)
class Name:
    given: tuple[str, ...]        # given names that count, in order
    family: tuple[str, ...]       # family names that count
    markers: tuple[str, ...]      # honorifics and title-like names set aside

    @property
    def forename(self) -> str | None:
        return self.given[0] if self.given else None

    @property
    def surname(self) -> str | None:
        """Family names written together (SMITH JONES and SMITH-JONES are one surname)."""
        return "".join(self.family) or None


def fold(raw: object) -> str:
    """Upper case, no accents, no apostrophes, other punctuation as a space, single spaces."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    text = unicodedata.normalize("NFKD", str(raw))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = text.replace("ß", "SS").replace("Ø", "O").replace("Ł", "L").replace("Æ", "AE")
    text = _APOSTROPHES.sub("", text)
    text = _NOT_LETTER_OR_SPACE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokens(raw: object) -> list[str]:
    folded = fold(raw)
    return folded.split(" ") if folded else []


@lru_cache(maxsize=1)
def conventions() -> dict[str, str]:
    """Name -> role (honorific_given, title_family, honorific_suffix)."""
    with open(REFERENCE_DIR / "name_conventions.csv", newline="", encoding="utf-8") as handle:
        return {row["name"].strip().upper(): row["role"].strip() for row in csv.DictReader(handle)}


@lru_cache(maxsize=None)
def _roles(role: str) -> frozenset[str]:
    return frozenset(n for n, r in conventions().items() if r == role)


@lru_cache(maxsize=1)
def _suffixes_longest_first() -> tuple[str, ...]:
    return tuple(sorted(_roles("honorific_suffix"), key=len, reverse=True))


def strip_honorific_suffix(given: str) -> str:
    """RAKESHBHAI -> RAKESH, PRIYABEN -> PRIYA (Gujarati); a name that merely ends in the
    letters keeps them when too little would be left (ABHAI) or the stem is not a name-like
    length."""
    for suffix in _suffixes_longest_first():
        if given.endswith(suffix) and len(given) - len(suffix) >= SUFFIX_MIN_STEM and given != suffix:
            return given[: -len(suffix)]
    return given


def split_name(forenames: object, surname: object) -> Name:
    """Given and family names of a record, conventions applied.

    A title-like name anywhere (KAUR in the forenames or the surname) is set aside; an
    honorific given name is set aside only when another given name remains."""
    return _split_name(forenames if isinstance(forenames, str) else None, surname if isinstance(surname, str) else None)


@lru_cache(maxsize=200_000)
def _split_name(forenames: str | None, surname: str | None) -> Name:
    # Cached: a county's records repeat the same names many times.
    honorific, titles = _roles("honorific_given"), _roles("title_family")
    given_raw, family_raw = tokens(forenames), tokens(surname)
    markers = [t for t in given_raw + family_raw if t in titles]
    given = [strip_honorific_suffix(t) for t in given_raw if t not in titles]
    family = [t for t in family_raw if t not in titles]
    kept = [t for t in given if t not in honorific]
    if kept and len(kept) < len(given):
        markers += [t for t in given if t in honorific]
        given = kept
    return Name(tuple(given), tuple(family), tuple(markers))
