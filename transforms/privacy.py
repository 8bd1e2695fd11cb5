"""Small-number suppression for anything shared beyond the BI team, in one place: the
shared remand figures and the board pack both use it. ``DisclosureControl`` (below) adds the
secondary suppression that stops a hidden count being worked out from totals and margins
(ADR 0040), and the control of group (attribute) disclosure: a breakdown in which every child
counted falls in one category is not published (ADR 0086)."""
from __future__ import annotations

import numbers

import pandas as pd

SUPPRESSION_THRESHOLD = 5  # counts from 1 to 4 are shown as "<5" (settings.suppression_threshold)


def is_small_count(n, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """A count that could identify a child: above 0 and below ``threshold``. A true zero
    discloses nothing about anyone, so it is shown."""
    return isinstance(n, numbers.Real) and not isinstance(n, bool) and not pd.isna(n) and 0 < n < threshold


# --- Disclosure control for outputs with linked figures (issue 13, ADR 0040) -------------

SHOWN, SMALL, WITHHELD, NO_DATA = "SHOWN", "SMALL", "WITHHELD", "NO_DATA"
# The last resort: cells printed as "not published", so every relation through them tells a
# reader nothing (e.g. a table whose counts are all small: 1 + 1 = "<3" pins both ones).
NOT_PUBLISHED = "NOT_PUBLISHED"
HIDDEN = (SMALL, WITHHELD, NOT_PUBLISHED)


class DisclosureControl:
    """Primary and secondary suppression for every count one output publishes.

    Register each published count with ``cell`` (``None`` = the source does not cover it,
    which is not a zero) and each relation a reader knows between them with ``relation``
    (a total and its parts: a table's margin, boys + girls, the remand chart's point and the
    table rows it adds up). ``protect`` then hides:

    - primarily, every count from 1 to ``threshold - 1`` (published as "<threshold", so a
      reader knows it is in that range);
    - secondarily, as few other cells as it can (smallest first, shown as "withheld") until no
      hidden count can be worked out from what is left: for every hidden cell the smallest and
      largest values consistent with all published numbers and relations (a linear programme,
      as an attacker would solve it) must differ by at least ``min_range``.

    Protects against subtraction and differencing, the attack a small-cells-only rule leaves
    open (a total of 7 beside a "5" and a "<5" gives the 2 away). It does not protect against
    facts outside the output (a reader who knows a child was detained).

    Group (attribute) disclosure, first: a breakdown (a relation with two or more parts, or
    one registered with ``breakdown``) whose children all fall in one part tells the reader
    something about every one of them, however small or hidden the total ("<5" beside zeros in
    every other ethnic group says each child is White). Following the ONS guidance for
    published tables (suppress or merge the revealing zeros), the parts of such a breakdown are
    not published at all: its total stays, the split is merged away (``merged`` lists them).
    """

    def __init__(self, threshold: int = SUPPRESSION_THRESHOLD, min_range: float = 1.0, secondary: bool = True,
                 groups: bool = True):
        self.threshold = threshold
        self.min_range = min_range
        self.secondary = secondary
        self.groups = groups  # group disclosure controlled (False: small cells only, to show what that leaves)
        self.values: dict[str, int | None] = {}
        self.relations: list[tuple[str, tuple[str, ...]]] = []
        self.breakdowns: set[tuple[str, tuple[str, ...]]] = set()  # one-part relations that are breakdowns too
        self.merged: list[tuple[str, tuple[str, ...]]] = []
        self.status: dict[str, str] = {}

    def cell(self, key: str, value) -> str:
        if key in self.values and self.values[key] != _as_count(value):
            raise ValueError(f"cell {key} registered twice with different values")
        self.values[key] = _as_count(value)
        return key

    def relation(self, total: str, parts: list[str] | tuple[str, ...]) -> None:
        """``total`` = sum of ``parts`` (all registered cells). A relation touching a cell with
        no data is dropped: nothing is published to relate."""
        keys = (total, *parts)
        missing = [k for k in keys if k not in self.values]
        if missing:
            raise KeyError(f"relation names unregistered cell(s): {missing}")
        if any(self.values[k] is None for k in keys):
            return
        if self.values[total] != sum(self.values[p] for p in parts):
            raise ValueError(f"relation {total} = {' + '.join(parts)} does not hold: {self.values[total]} != "
                             f"{sum(self.values[p] for p in parts)}")
        self.relations.append((total, tuple(parts)))

    def breakdown(self, total: str, parts: list[str] | tuple[str, ...]) -> None:
        """A relation that splits ``total`` by a characteristic even when only one category is
        listed (a list of the categories present: the others are zeros a reader can infer)."""
        self.relation(total, parts)
        if self.relations and self.relations[-1] == (total, tuple(parts)):
            self.breakdowns.add((total, tuple(parts)))

    def one_group(self, total: str, parts: tuple[str, ...]) -> bool:
        """Whether every child counted by ``total`` falls in one of ``parts`` (group disclosure)."""
        if not self.groups or (len(parts) < 2 and (total, parts) not in self.breakdowns):
            return False
        return bool(self.values[total]) and sum(1 for p in parts if self.values[p]) == 1

    def protect(self) -> dict[str, str]:
        status = {k: NO_DATA if v is None else SMALL if is_small_count(v, self.threshold) else SHOWN
                  for k, v in self.values.items()}
        self.merged = [(total, parts) for total, parts in self.relations if self.one_group(total, parts)]
        for _, parts in self.merged:
            for p in parts:
                status[p] = NOT_PUBLISHED
        while self.secondary:
            exposed = self.exposed(status)
            if not exposed:
                break
            added = False
            for key in exposed:
                complement = self._complement(key, status)
                if complement is not None:
                    status[complement] = WITHHELD
                    added = True
            if not added:
                # Nothing shown is left to withhold around these cells: publish none of the
                # hidden cells related to them, which cuts every relation that pinned them.
                for key in exposed:
                    for total, parts in self.relations:
                        if key in (total, *parts):
                            for k in (total, *parts):
                                if status[k] in (SMALL, WITHHELD):
                                    status[k] = NOT_PUBLISHED
        self.status = status
        return status

    def exposed(self, status: dict[str, str]) -> list[str]:
        """Hidden cells whose value an attacker can narrow to less than ``min_range``."""
        bounds = attacker_bounds(self.values, status, self.relations, self.threshold)
        # A "<2" can only be 1: with so low a threshold the label alone pins it, and no second
        # suppression can widen that.
        needed = {k: min(self.min_range, self.threshold - 2) if status[k] == SMALL else self.min_range for k in bounds}
        return sorted(k for k, (low, high) in bounds.items() if high - low < needed[k] - 1e-9)

    def _complement(self, key: str, status: dict[str, str]) -> str | None:
        candidates = {k for total, parts in self.relations if key in (total, *parts)
                      for k in (total, *parts) if status[k] == SHOWN}
        if not candidates:
            return None
        # Smallest first loses least information. A zero only when nothing else is left: a
        # reader may assume a withheld cell is not small (small ones print as "<5"), so hiding
        # a zero protects less than hiding a count of 5 or more.
        return min(candidates, key=lambda k: (self.values[k] == 0, self.values[k], k))

    def text(self, key: str, html: bool = True) -> str:
        """What the output prints for the cell."""
        s = self.status[key]
        if s == NO_DATA:
            return "no data"
        if s == SMALL:
            return f"&lt;{self.threshold}" if html else f"<{self.threshold}"
        if s == WITHHELD:
            return "withheld"
        if s == NOT_PUBLISHED:
            return "not published"
        return f"{self.values[key]:,}"

    def shown(self, key: str) -> bool:
        return self.status.get(key) == SHOWN

    def value(self, key: str) -> int | None:
        """The value when it is published, else None."""
        return self.values[key] if self.shown(key) else None

    @property
    def hidden(self) -> int:
        return sum(s in HIDDEN for s in self.status.values())


def _as_count(value) -> int | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if float(value) != int(value) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return int(value)


def attacker_bounds(values: dict[str, int | None], status: dict[str, str], relations, threshold: int) -> dict[str, tuple[float, float]]:
    """For every hidden cell, the least and greatest value consistent with everything published:
    shown cells at their values, "<threshold" cells between 1 and threshold - 1, withheld cells
    at least ``threshold`` (a reader knows small counts print as "<threshold", so a withheld one
    is not small; a withheld zero, chosen only as a last resort, 0 or more), every relation
    holding. Solved per connected group of relations with a linear
    programme (scipy's HiGHS): the integer-relaxed bounds, at least as wide as the integer ones."""
    import numpy as np
    from scipy.optimize import linprog

    hidden = [k for k, s in status.items() if s in (SMALL, WITHHELD)]
    bounds_of = {k: (1, threshold - 1) if status[k] == SMALL else (threshold if values[k] else 0, None) for k in hidden}
    out = {k: (float(bounds_of[k][0]), float("inf") if bounds_of[k][1] is None else float(bounds_of[k][1])) for k in hidden}
    # Union the hidden cells that share a relation; each group is one small programme.
    parent = {k: k for k in hidden}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    touching = []
    for total, parts in relations:
        if any(status.get(k) == NOT_PUBLISHED for k in (total, *parts)):
            continue  # a relation through a cell not printed tells the reader nothing
        cells = [k for k in (total, *parts) if k in parent]
        if cells:
            touching.append((total, parts))
            for other in cells[1:]:
                parent[find(other)] = find(cells[0])
    groups: dict[str, list[str]] = {}
    for k in hidden:
        groups.setdefault(find(k), []).append(k)
    for members in groups.values():
        index = {k: i for i, k in enumerate(members)}
        rows, rhs = [], []
        for total, parts in touching:
            if not any(k in index for k in (total, *parts)):
                continue
            row, const = np.zeros(len(members)), 0.0
            for k, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if k in index:
                    row[index[k]] += sign
                else:
                    const -= sign * values[k]
            rows.append(row)
            rhs.append(const)
        if not rows:
            continue
        a_eq, b_eq = np.array(rows), np.array(rhs)
        var_bounds = [bounds_of[k] for k in members]
        for k, i in index.items():
            c = np.zeros(len(members))
            c[i] = 1.0
            low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
            high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=var_bounds, method="highs")
            lo = low.fun if low.status == 0 else out[k][0]
            hi = -high.fun if high.status == 0 else float("inf")
            out[k] = (float(lo), float(hi))
    return out
