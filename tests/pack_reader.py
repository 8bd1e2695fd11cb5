"""Read a board pack the way a reader (or an attacker) does: every number it prints with the
key of the figure it belongs to (``data-cell``), and the relations any reader knows between
them from the page's own structure (a TOTAL and its parts, per dimension)."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

CELL = re.compile(r"""data-cell=(['"])(?P<key>[^'"]+)\1>(?P<text>[^<]*)<""")


def printed_cells(page: Path | str) -> dict[str, str]:
    """key -> printed text; the same figure printed twice (a table and a chart label) must
    print the same thing."""
    html = Path(page).read_text(encoding="utf-8") if isinstance(page, Path) else page
    cells: dict[str, str] = {}
    for m in CELL.finditer(html):
        key, value = m.group("key"), m.group("text").strip().replace("&lt;", "<")
        assert cells.setdefault(key, value) == value, f"{key} printed as {cells[key]!r} and {value!r}"
    return cells


# What kpis.md says about the return's figures, which a reader of the pack can look up:
# KPI 2's cohort and suitable ETE split by school age, and one KPI cohort behind KPIs 1, 2, 4, 5.
RETURN_RELATIONS = [
    ("kpi2.cohort", ["kpi2.school_age.cohort", "kpi2.above_school_age.cohort"]),
    ("kpi2.suitable_end", ["kpi2.school_age.suitable_end", "kpi2.above_school_age.suitable_end"]),
    ("kpi1.cohort", ["kpi2.cohort"]), ("kpi2.cohort", ["kpi4.cohort"]), ("kpi4.cohort", ["kpi5.cohort"]),
    ("kpi1.cohort", ["kpi4.cohort"]), ("kpi1.cohort", ["kpi5.cohort"]), ("kpi2.cohort", ["kpi5.cohort"]),
]


def known_relations(cells: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Every ``P|TOTAL`` equals the sum of the ``P|...`` figures of each dimension under it:
    ``P|<dimension>|<group>`` (ethnic groups, sexes, looked after) or ``P|<part>``; and the
    return's own relations (``RETURN_RELATIONS``) between figures ``fig|<measure>|<quarter>``."""
    relations = []
    quarters = {k.split("|")[2] for k in cells if k.startswith("fig|")}
    for q in quarters:
        for total, parts in RETURN_RELATIONS:
            keys = [f"fig|{m}|{q}" for m in (total, *parts)]
            if all(k in cells for k in keys):
                relations.append((keys[0], keys[1:]))
    for total in (k for k in cells if k.endswith("|TOTAL")):
        prefix = total[: -len("|TOTAL")]
        groups: dict[str, list[str]] = defaultdict(list)
        for k in cells:
            if k.startswith(prefix + "|") and k != total:
                rest = k[len(prefix) + 1:].split("|")
                groups[rest[0] if len(rest) > 1 else ""].append(k)
        relations += [(total, parts) for parts in groups.values()]
    return relations
