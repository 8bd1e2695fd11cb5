"""Formats and check characters of the identifiers the sources share: one definition used by
the loads' suites, the sample generator and matching.

Agencies write the same identifier in different ways (a PNC id with a four-digit year and
leading zeros in one system, two digits and none in another; lower case; stray spaces).
Matching compares canonical forms, and a check character that fails says the identifier was
mistyped: it is then unreliable evidence, never proof that two records are different people.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

# DfE "Unique Pupil Numbers" guidance: the check letter is the weighted sum of characters
# 2 to 13 (weights 2 to 13) modulo 23, written with this alphabet (no I, O or S).
UPN_CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_PATTERN = r"^[A-HJ-NPQRT-Z][0-9]{11}[0-9A-HJ-NPQRT-Z]$"
PNC_PATTERN = r"^[0-9]{2}/[0-9]{1,7}[A-Z]$"  # the canonical form (the spec's 22/123456A)
# What a load accepts as a PNC id: every form ``canonical_pnc`` reads (4-digit year, leading
# zeros, lower case, spaces or dashes), so a long-form id is matched, not quarantined. The
# case-system suite (expectations/case_system.child.json) carries this same pattern; a unit
# test keeps the two equal.
PNC_ANY_FORM_PATTERN = r"^\s*(?:[0-9]{2}|(?:19|20)[0-9]{2})\s*[/ -]?\s*[0-9]{1,7}\s*-?\s*[A-Za-z]\s*$"
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
# PNC check character: the two-digit year followed by the seven-digit zero-padded serial,
# read as one number, modulo 23, written with this alphabet (as validated by the Ministry of
# Justice's person-record service, hmpps-person-record, PNCIdValidator).
PNC_CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
# Any way a PNC id is written: a 2- or 4-digit year (19xx or 20xx), a slash (or space or
# dash), a serial of 1 to 7 digits with or without leading zeros, then the check letter.
# Without a separator only the two unambiguous forms are read: 11 digits (4-digit year and
# 7-digit serial, the Police National Computer's own form) or 2 + up to 7 digits.
_PNC_SEPARATED = re.compile(r"^(\d{2}|(?:19|20)\d{2})\s*[/\-\s]\s*(\d{1,7})\s*-?\s*([A-Z])$")
_PNC_COMPACT = re.compile(r"^(?:((?:19|20)\d{2})(\d{7})|(\d{2})(\d{1,7}))([A-Z])$")


_UPN_CHAR_VALUE = {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate(UPN_CHECK_ALPHABET)}}


def upn_check_letter(body: str) -> str:
    """Check letter for the 12 characters after it (11 digits and a digit or letter)."""
    total = sum(weight * _UPN_CHAR_VALUE[char] for weight, char in enumerate(body, start=2))
    return UPN_CHECK_ALPHABET[total % 23]


_UPN_SHAPE = re.compile(UPN_PATTERN)
# Character code -> value in the weighted sum (digits and the check alphabet), for whole columns.
_UPN_VALUE_OF_CODE = np.zeros(128, dtype=np.int64)
for _char, _value in _UPN_CHAR_VALUE.items():
    _UPN_VALUE_OF_CODE[ord(_char)] = _value
_UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)
_UPN_ALPHABET_CODES = np.frombuffer(UPN_CHECK_ALPHABET.encode("ascii"), dtype=np.uint8)


def upns_valid(values: Iterable) -> np.ndarray:
    """For each value: a UPN of the right shape whose check letter is right (``upn_check_letter``'s
    sum, computed for the whole column at once; a load or matching checks tens of thousands)."""
    values = list(values)
    ok = np.zeros(len(values), dtype=bool)
    shaped = [i for i, v in enumerate(values) if isinstance(v, str) and _UPN_SHAPE.match(v)]
    if shaped:
        codes = np.frombuffer("".join(values[i] for i in shaped).encode("ascii"), dtype=np.uint8).reshape(-1, 13)
        total = (_UPN_VALUE_OF_CODE[codes[:, 1:]] * _UPN_WEIGHTS).sum(axis=1) % 23
        ok[shaped] = _UPN_ALPHABET_CODES[total] == codes[:, 0]
    return ok


def upn_is_valid(upn: str | None) -> bool:
    return bool(upns_valid([upn])[0])


def canonical_upn(raw: str | None) -> str | None:
    """Upper case without spaces; None when empty. A UPN failing its check letter keeps its
    text (it may still equal the other side's copy of the same mistake)."""
    if raw is None:
        return None
    compact = re.sub(r"\s+", "", str(raw)).upper()
    return compact or None


def pnc_check_letter(two_digit_year: str, serial: str) -> str:
    return PNC_CHECK_ALPHABET[int(two_digit_year + serial.zfill(7)) % 23]


def canonical_pnc(raw: str | None) -> str | None:
    """The PNC id as ``YY/serial`` + check letter, serial without leading zeros (the spec's
    ``22/123456A``), whatever the year's length, separator, padding or case; None when empty
    or not a PNC id at all."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().upper()
    separated = _PNC_SEPARATED.match(text)
    if separated:
        year, serial, letter = separated.groups()
    else:
        compact = _PNC_COMPACT.match(re.sub(r"\s+", "", text))
        if not compact:
            return None
        long_year, long_serial, short_year, short_serial, letter = compact.groups()
        year, serial = (long_year, long_serial) if long_year else (short_year, short_serial)
    return f"{year[-2:]}/{int(serial)}{letter}"


def pnc_is_valid(pnc: str | None) -> bool:
    """True when the (any-form) PNC id's check letter is right."""
    canonical = canonical_pnc(pnc)
    if canonical is None:
        return False
    year, rest = canonical.split("/")
    return pnc_check_letter(year, rest[:-1]) == rest[-1]


def identifiers_differ_by_one_character(a: str | None, b: str | None) -> bool:
    """Two identifiers of the same length with exactly one position different: what one
    mistyped digit leaves."""
    return bool(a) and bool(b) and len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def normalise_postcode(raw: str | None) -> str | None:
    """Upper case, one space before the inward code; None when empty."""
    if raw is None:
        return None
    compact = re.sub(r"\s+", "", str(raw)).upper()
    if not compact:
        return None
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_district(postcode: str | None) -> str | None:
    """The outward code (e.g. LE4): the finest geography marts may carry."""
    norm = normalise_postcode(postcode)
    return norm.split(" ")[0] if norm and " " in norm else None
