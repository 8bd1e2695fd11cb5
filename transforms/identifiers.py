"""Formats and check characters of the identifiers the sources share."""
from __future__ import annotations

import re

# DfE "Unique Pupil Numbers" guidance: the check letter is the weighted sum of characters
# 2 to 13 (weights 2 to 13) modulo 23, written with this alphabet (no I, O or S).
UPN_CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_PATTERN = r"^[A-HJ-NPQRT-Z][0-9]{11}[0-9A-HJ-NPQRT-Z]$"
PNC_PATTERN = r"^[0-9]{2}/[0-9]{1,7}[A-Z]$"
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"


def upn_check_letter(body: str) -> str:
    """Check letter for the 12 characters after it (11 digits and a digit or letter)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else UPN_CHECK_ALPHABET.index(char))
    return UPN_CHECK_ALPHABET[total % 23]


def upn_is_valid(upn: str | None) -> bool:
    if not upn or not re.match(UPN_PATTERN, upn):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


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
