"""Disclosure control (issue 13): hand-built tables where small-cells-only suppression gives a
count away, checked by the independent attacker in tests/attacker.py."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from tests.attacker import attributes_disclosed, determined
from transforms.custody.briefing import ONE_GROUP, shared_monthly_figures
from transforms.privacy import DisclosureControl


def _published(control: DisclosureControl) -> dict[str, str]:
    control.protect()
    return {k: control.text(k, html=False) for k in control.values}


def _remand_chart(secondary: bool) -> DisclosureControl:
    # The example: a table shows "<5" and "5" beside a chart labelled 7.
    control = DisclosureControl(5, secondary=secondary)
    for key, value in (("remands", 7), ("yda", 5), ("la", 2)):
        control.cell(key, value)
    control.relation("remands", ["yda", "la"])
    return control


def test_small_cells_only_gives_the_remand_away_and_secondary_suppression_does_not():
    relations = [("remands", ["yda", "la"])]
    assert determined(_published(_remand_chart(secondary=False)), relations) == {"la": 2}
    published = _published(_remand_chart(secondary=True))
    assert published["la"] == "<5" and published["yda"] == "withheld" and published["remands"] == "7"
    assert determined(published, relations) == {}


def test_boys_and_girls_against_the_stage_total_and_the_ethnic_groups():
    control = DisclosureControl(5)
    stage = {"White": 20, "Black": 3, "Asian": 0, "Mixed": 6, "Other": 0, "Not known": 1}
    for g, n in stage.items():
        control.cell(f"eth|{g}", n)
    control.cell("total", sum(stage.values()))
    control.cell("sex|M", 28)
    control.cell("sex|F", 2)
    relations = [("total", [f"eth|{g}" for g in stage]), ("total", ["sex|M", "sex|F"])]
    for total, parts in relations:
        control.relation(total, parts)
    published = _published(control)
    assert published["sex|F"] == "<5" and published["eth|Black"] == "<5" and published["eth|Not known"] == "<5"
    assert published["eth|Asian"] == "0"  # a true zero discloses nothing and is shown
    assert determined(published, relations) == {}


def test_a_relation_that_does_not_hold_is_a_bug_not_a_table():
    control = DisclosureControl(5)
    control.cell("a", 3), control.cell("b", 4), control.cell("t", 8)
    with pytest.raises(ValueError, match="does not hold"):
        control.relation("t", ["a", "b"])


def test_no_data_is_not_zero_and_drops_its_relations():
    control = DisclosureControl(5)
    control.cell("q1", None), control.cell("q2", 3), control.cell("year", None)
    control.relation("year", ["q1", "q2"])
    control.protect()
    assert control.text("q1") == "no data" and control.text("q2") == "&lt;5" and control.relations == []


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=5), min_size=1, max_size=4), st.integers(3, 6))
def test_any_two_way_table_with_margins_leaves_no_hidden_cell_determined(grid, threshold):
    """Rows of counts with row totals, column totals and a grand total (a crosstab with margins)."""
    width = max(len(r) for r in grid)
    grid = [r + [0] * (width - len(r)) for r in grid]
    control = DisclosureControl(threshold)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            control.cell(f"{i},{j}", v)
        control.cell(f"{i},T", sum(row))
    for j in range(width):
        control.cell(f"T,{j}", sum(r[j] for r in grid))
    control.cell("T,T", sum(map(sum, grid)))
    relations = [(f"{i},T", [f"{i},{j}" for j in range(width)]) for i in range(len(grid))]
    relations += [(f"T,{j}", [f"{i},{j}" for i in range(len(grid))]) for j in range(width)]
    relations += [("T,T", [f"{i},T" for i in range(len(grid))]), ("T,T", [f"T,{j}" for j in range(width)])]
    for total, parts in relations:
        control.relation(total, parts)
    published = _published(control)
    assert determined(published, relations) == {}
    for key, value in control.values.items():  # every count 1 to threshold - 1 is hidden
        if 0 < value < threshold:
            assert published[key] in (f"<{threshold}", "not published")


def test_a_table_of_small_counts_that_pins_itself_is_not_published():
    """1 + 1 = "<3": with every cell small the total's label alone gives both ones away, and
    there is no shown cell left to withhold, so the cells are not published at all."""
    control = DisclosureControl(3)
    for key, value in (("a", 1), ("b", 1), ("total", 2)):
        control.cell(key, value)
    control.relation("total", ["a", "b"])
    published = _published(control)
    assert set(published.values()) == {"not published"}
    assert determined(published, [("total", ["a", "b"])]) == {}


def test_shared_remand_figures_band_ages_and_hold_against_the_totals():
    rows = [("detentions", "TOTAL", "TOTAL", 7), ("detentions", "sex", "M", 5), ("detentions", "sex", "F", 2),
            ("detentions", "age", "11", 1), ("detentions", "age", "15", 3), ("detentions", "age", "16", 3),
            ("detentions", "ethnic_group", "White", 7)]
    figures = pd.DataFrame([{"month": "2026-11", "measure": m, "breakdown": b, "value": v, "count": n} for m, b, v, n in rows])
    shared = shared_monthly_figures(figures, 5)
    ages = shared[shared["breakdown"] == "age"].set_index("value")["count"].to_dict()
    assert "11" not in ages and ages["10 to 13"] == "<5"  # the one 11-year-old is merged, then hidden
    published = {f"{r.breakdown}|{r.value}": str(r.count) for r in shared.itertuples()}
    relations = [("TOTAL|TOTAL", [k for k in published if k.startswith(f"{kind}|")]) for kind in ("sex", "age", "ethnic_group")]
    assert determined(published, relations) == {}
    assert published["sex|F"] == "<5" and published["sex|M"] == "withheld"


def test_a_breakdown_with_every_child_in_one_group_is_not_published():
    """The issue's custody stage: a total "<5" beside zeros in every other group says that every
    child counted is a White boy not looked after. The attacker's attribute check finds that
    with small-cells-only suppression; with group disclosure controlled it finds nothing, and
    a breakdown split across groups is published as before."""
    stage = {"eth|White": 3, "eth|Black": 0, "eth|Asian": 0, "eth|Not known": 0, "sex|M": 3, "sex|F": 0,
             "lac|Y": 0, "lac|N": 3, "total": 3}
    relations = [("total", ["eth|White", "eth|Black", "eth|Asian", "eth|Not known"]), ("total", ["sex|M", "sex|F"]),
                 ("total", ["lac|Y", "lac|N"])]

    def published(merge: bool) -> dict[str, str]:
        control = DisclosureControl(5, groups=merge)  # groups=False: small cells and secondary suppression only
        for k, v in stage.items():
            control.cell(k, v)
        for total, parts in relations:
            control.relation(total, parts)
        return _published(control)

    naive = published(merge=False)
    assert sorted(p for _, p in attributes_disclosed(naive, relations)) == ["eth|White", "lac|N", "sex|M"]
    safe = published(merge=True)
    assert attributes_disclosed(safe, relations) == [] and determined(safe, relations) == {}
    assert safe["total"] == "<5" and {safe[k] for k in stage if k != "total"} == {"not published"}

    split = DisclosureControl(5)
    for k, v in {"t": 30, "a": 20, "b": 10, "c": 0}.items():
        split.cell(k, v)
    split.relation("t", ["a", "b", "c"])
    assert _published(split) == {"t": "30", "a": "20", "b": "10", "c": "0"}


def test_shared_remand_transfers_all_of_one_group_are_merged():
    """The shared remand workbook listed only the groups present: transfers of three White boys
    aged 14 to 15 gave each one's ethnicity, sex and age band away."""
    rows = [("transfer_requested", "TOTAL", "TOTAL", 3), ("transfer_requested", "sex", "M", 3),
            ("transfer_requested", "age", "14", 2), ("transfer_requested", "age", "15", 1),
            ("transfer_requested", "ethnic_group", "White", 3),
            ("detentions", "TOTAL", "TOTAL", 9), ("detentions", "sex", "M", 6), ("detentions", "sex", "F", 3)]
    figures = pd.DataFrame([{"month": "2026-11", "measure": m, "breakdown": b, "value": v, "count": n} for m, b, v, n in rows])
    shared = shared_monthly_figures(figures, 5)
    transfers = shared[shared["measure"] == "transfer_requested"]
    assert set(transfers["value"]) == {"TOTAL", ONE_GROUP}
    assert not {"White", "M", "14 to 15"} & set(transfers["value"])
    published = {f"{r.measure}|{r.breakdown}|{r.value}": str(r.count) for r in shared.itertuples()}
    relations = [(f"{m}|TOTAL|TOTAL", [k for k in published if k.startswith(f"{m}|{kind}|")])
                 for m in ("transfer_requested", "detentions") for kind in ("sex", "age", "ethnic_group")]
    relations = [(t, parts) for t, parts in relations if parts]
    # A breakdown listing one group is read as all of that group; the merged row names none.
    listed_only = tuple((t, parts) for t, parts in relations if len(parts) == 1 and not parts[0].endswith(ONE_GROUP))
    assert attributes_disclosed(published, relations, listed_only) == []
    assert determined(published, relations) == {}
    # Boys and girls among the detentions: a split, published as the counts allow.
    assert published["detentions|sex|F"] == "<5"
