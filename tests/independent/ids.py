"""Identifier algorithms: DfE Unique Pupil Number and Police National Computer id.

UPN (DfE "Unique Pupil Numbers" guidance): 13 characters; character 1 is a check letter, then a
3-digit LA number, a 4-digit establishment number, 2 digits for the year of allocation and a
3-digit serial. A temporary UPN has a 2-digit serial followed by a letter. The check letter: weight
characters 2..13 by 2..13, letters counted A=0 .. Z=22 (I, O, S unused) and digits as their value,
sum modulo 23, result mapped to ABCDEFGHJKLMNPQRTUVWXYZ.

PNC id: year of first record (YY or YYYY), a serial of up to 7 digits and a check letter. The
check letter is int(YY + serial zero-padded to 7 digits) mod 23 mapped to ZABCDEFGHJKLMNPQRTUVWXY.
"""

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


def _upn_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return UPN_LETTERS.index(ch)


def upn_check_letter(body12: str) -> str:
    """Check letter for the 12 characters after it."""
    total = sum(w * _upn_value(c) for w, c in enumerate(body12, start=2))
    return UPN_LETTERS[total % 23]


def make_upn(la: int, estab: int, year2: int, serial: int) -> str:
    body = f"{la:03d}{estab:04d}{year2:02d}{serial:03d}"
    return upn_check_letter(body) + body


def make_temp_upn(la: int, estab: int, year2: int, serial2: int, letter: str) -> str:
    body = f"{la:03d}{estab:04d}{year2:02d}{serial2:02d}{letter}"
    return upn_check_letter(body) + body


def upn_is_valid(upn: str) -> bool:
    upn = upn.strip().upper()
    if len(upn) != 13 or upn[0] not in UPN_LETTERS or not upn[1:12].isdigit():
        return False
    if not (upn[12].isdigit() or upn[12] in UPN_LETTERS):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


def pnc_check_letter(year: int, serial: int) -> str:
    return PNC_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def pnc_short(year: int, serial: int) -> str:
    """Canonical short form as used by the case system, e.g. 22/123456A."""
    return f"{year % 100:02d}/{serial}{pnc_check_letter(year, serial)}"


def pnc_short_padded(year: int, serial: int) -> str:
    """YY/NNNNNNNL."""
    return f"{year % 100:02d}/{serial:07d}{pnc_check_letter(year, serial)}"


def pnc_long(year: int, serial: int) -> str:
    """YYYY/NNNNNNNL, as on the PNC itself and in police systems."""
    return f"{year:04d}/{serial:07d}{pnc_check_letter(year, serial)}"


def pnc_is_valid(pnc: str) -> bool:
    s = pnc.strip().upper()
    if "/" not in s:
        return False
    y, rest = s.split("/", 1)
    if not (y.isdigit() and len(y) in (2, 4) and len(rest) >= 2 and rest[:-1].isdigit()):
        return False
    return pnc_check_letter(int(y), int(rest[:-1])) == rest[-1]
