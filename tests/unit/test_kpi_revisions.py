"""Revisions explained per figure, and the fingerprint of a return's figures, on tiny frames."""
from __future__ import annotations

import pandas as pd

from transforms.kpis.catalogue import REGISTRY
from transforms.kpis.provenance import figure_sources, rule_sources
from transforms.kpis.rules_config import KpiRules
from transforms.kpis.submission import figures_fingerprint, revisions
from transforms.periods import Quarter

COLUMNS = ["kpi", "measure", "breakdown", "value", "numerator", "denominator"]


def _frame(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


def test_a_rule_change_explains_only_the_figures_it_feeds():
    q = Quarter.parse("2025Q2")
    in_force = REGISTRY.in_force(q)
    by_kpi = {r.kpi: r for r in in_force}
    before = {"case_system": ("corepl-1", "2026-11-20"), **rule_sources(in_force, KpiRules())}
    after = {"case_system": ("corepl-1", "2026-11-20"),
             **rule_sources(in_force, KpiRules().with_changes({"ete_hours_school_age": 20}))}
    submitted = _frame([("kpi2", "kpi2.suitable_end", "TOTAL", 10, None, None),
                        ("kpi1", "kpi1.suitable_end", "TOTAL", 10, None, None)])
    now = _frame([("kpi2", "kpi2.suitable_end", "TOTAL", 12, None, None),
                  ("kpi1", "kpi1.suitable_end", "TOTAL", 9, None, None)])
    rows = revisions(now, submitted, {k: list(v) for k, v in before.items()}, after,
                     feeds=lambda kpi, measure: figure_sources(by_kpi[kpi], measure)).set_index("kpi")
    assert rows.loc["kpi2", "explained_by"] == "counting rules for kpi2: ete_hours_school_age 25 -> 20"
    assert rows.loc["kpi1", "explained_by"].startswith("no delivery or counting rule feeding this figure changed")


def test_population_feeds_only_rates():
    kpi9 = next(r for r in REGISTRY.in_force(Quarter.parse("2025Q2")) if r.kpi == "kpi9")
    assert "population" in figure_sources(kpi9, "kpi9.rate_per_10000")
    assert "population" not in figure_sources(kpi9, "kpi9.offences")


def test_the_fingerprint_of_figures_is_the_same_from_a_workbook_and_from_the_warehouse():
    stored = _frame([("kpi1", "kpi1.suitable_pct", "TOTAL", 100 * 2 / 3, 2.0, 3.0), ("kpi1", "kpi1.cohort", "TOTAL", 3.0, None, None)])
    in_workbook = _frame([("kpi1", "kpi1.cohort", "TOTAL", 3, None, None), ("kpi1", "kpi1.suitable_pct", "TOTAL", 66.666667, 2, 3)])
    assert figures_fingerprint(stored) == figures_fingerprint(in_workbook)
    changed = in_workbook.assign(value=[4, 66.666667])
    assert figures_fingerprint(changed) != figures_fingerprint(stored)
