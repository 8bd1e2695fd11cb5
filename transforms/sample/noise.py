"""Realistic disagreement between agencies' records of the same child.

Each function takes one value and the random generator and returns the value as another
agency might have typed it. Used only by the sample generator; the ground-truth file
records which records are really the same child.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from transforms.sample.names import NICKNAMES

_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "ry", "u": "yi", "v": "cb", "w": "qe", "y": "tu", "z": "x",
}


def typo(name: str, rng: np.random.Generator) -> str:
    """One keyboard slip: a dropped, doubled, swapped or neighbouring letter."""
    if len(name) < 4:
        return name
    i = int(rng.integers(1, len(name) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return name[:i] + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    if kind == 2:
        return name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]
    near = _KEYBOARD_NEIGHBOURS.get(name[i].lower())
    if not near:
        return name[:i] + name[i + 1:]
    return name[:i] + near[int(rng.integers(0, len(near)))] + name[i + 1:]


def nickname(first: str, rng: np.random.Generator) -> str:
    return NICKNAMES.get(first, first)


def hyphenate(last: str, other_surname: str) -> str:
    return f"{last}-{other_surname}"


def transpose_day_month(dob: dt.date) -> dt.date:
    """The US-style slip: 04/07 typed as 07/04. Only possible when the day is 12 or less."""
    if dob.day <= 12 and dob.day != dob.month:
        return dob.replace(day=dob.month, month=dob.day)
    return dob
