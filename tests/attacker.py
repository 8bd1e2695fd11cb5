"""An attacker, written apart from ``transforms/privacy.py`` on purpose: given only what an
output prints (numbers, "<n", "withheld") and the relations any reader knows between the
figures (totals, margins, group sums), it works out the least and greatest value every hidden
cell can take with a linear programme. A hidden cell whose least and greatest values are the
same has been given away.

It assumes the strongest reader it can: a withheld cell is not small (small ones print as
"<n"), falling back to "0 or more" only when that assumption contradicts what is printed."""
from __future__ import annotations

import re

import numpy as np
from scipy.optimize import linprog

SMALL = re.compile(r"^(?:<|&lt;)(\d+)$")


def parse(text: str):
    """('shown', n) | ('small', threshold) | ('withheld', None) | ('none', None)."""
    t = str(text).strip().replace(",", "")
    if m := SMALL.match(t):
        return "small", int(m.group(1))
    if t.lower() == "withheld":
        return "withheld", None
    if re.fullmatch(r"\d+", t):
        return "shown", int(t)
    return "none", None


def bounds(published: dict[str, str], relations: list[tuple[str, list[str]]]) -> dict[str, tuple[float, float]]:
    cells = {k: parse(v) for k, v in published.items()}
    hidden = [k for k, (kind, _) in cells.items() if kind in ("small", "withheld")]
    if not hidden:
        return {}
    thresholds = [t for kind, t in cells.values() if kind == "small"]
    floor = max(thresholds) if thresholds else 1
    idx = {k: i for i, k in enumerate(hidden)}
    rows, rhs = [], []
    for total, parts in relations:
        keys = [total, *parts]
        if any(cells.get(k, ("none", None))[0] == "none" for k in keys):
            continue  # a relation with a cell not printed tells the reader nothing
        row, const = np.zeros(len(hidden)), 0.0
        for k, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            kind, v = cells[k]
            if kind == "shown":
                const -= sign * v
            else:
                row[idx[k]] += sign
        if row.any():
            rows.append(row)
            rhs.append(const)
    out = {}
    for strong in (True, False):
        var_bounds = [(1, cells[k][1] - 1) if cells[k][0] == "small" else (floor if strong else 0, None) for k in hidden]
        a_eq = np.array(rows) if rows else None
        b_eq = np.array(rhs) if rows else None
        probe = linprog(np.zeros(len(hidden)), A_eq=a_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
        if probe.status != 0:
            continue
        for k, i in idx.items():
            c = np.zeros(len(hidden))
            c[i] = 1
            low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
            high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
            out[k] = (low.fun, float("inf") if high.status == 3 else -high.fun)
        return out
    raise AssertionError("what is printed is inconsistent with the relations")


def determined(published: dict[str, str], relations: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Hidden cells the reader can pin to one value, with that value."""
    return {k: lo for k, (lo, hi) in bounds(published, relations).items() if hi - lo < 1 - 1e-9}


def attributes_disclosed(published: dict[str, str], relations: list[tuple[str, list[str]]],
                         listed_only: tuple[tuple[str, list[str]], ...] = ()) -> list[tuple[str, str]]:
    """Group (attribute) disclosure: (total, part) for every breakdown (a total with two or more
    parts, or one of ``listed_only``, a breakdown that lists only the categories present) in
    which the reader can tell that every child counted falls in one part, because the total
    is at least 1 and every other part is at most 0. A part not printed ("not published", "no
    data") may hold anyone; if it is the only part that can, it is disclosed all the same."""
    b = bounds(published, relations)

    def low(k):
        kind, v = parse(published.get(k, ""))
        return v if kind == "shown" else b[k][0] if k in b else 1 if kind == "small" else 0

    def high(k):
        kind, v = parse(published.get(k, ""))
        return v if kind == "shown" else b[k][1] if k in b else float("inf")

    out = []
    for total, parts in [*relations, *listed_only]:
        if total not in published or (len(parts) < 2 and (total, parts) not in listed_only):
            continue
        if low(total) < 1 - 1e-9:
            continue
        possible = [p for p in parts if high(p) > 1e-9]
        if len(possible) == 1:
            out.append((total, possible[0]))
    return out
