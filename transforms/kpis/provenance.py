"""What a figure is made from: the source deliveries and the counting rules that feed it, so a
revised figure is explained by what changed among its own inputs only (a corrected board
register explains KPI 8, never the case system's cohort).

A return records every delivery it read (``kpi_return_source``) and, as ``rules:<kpi>``
pseudo-sources, the version of each KPI's rule module and the counting rules that feed it
(``rules_config.RULE_FEEDS``). A figure is fed by the sources of its rule's input tables
(``common.INPUT_SOURCE``: education for the pupil snapshot, the board register, the
population), the population only for a rate per head of population, and its KPI's rules."""
from __future__ import annotations

from transforms.kpis.common import INPUT_SOURCE
from transforms.kpis.registry import Rule
from transforms.kpis.rules_config import KpiRules, rules_feeding

RULES_PREFIX = "rules:"


def rule_sources(in_force: list[Rule], rules: KpiRules) -> dict[str, tuple[str, str]]:
    """``rules:<kpi>`` -> (the rule module's spec version and the counting rules that feed it, "")."""
    out = {}
    for rule in in_force:
        feeding = rules_feeding(rules, rule.kpi)
        out[f"{RULES_PREFIX}{rule.kpi}"] = (f"{rule.spec_version}" + (f"; {feeding}" if feeding else ""), "")
    return out


def figure_sources(rule: Rule, measure: str) -> tuple[str, ...]:
    """The sources (and rules pseudo-source) that feed one figure of ``rule``."""
    sources = {INPUT_SOURCE.get(table, "case_system") for table in rule.inputs}
    if "rate_per_" not in measure:
        sources.discard("population")
    return tuple(sorted(sources)) + (f"{RULES_PREFIX}{rule.kpi}",)


def is_delivery(source: str) -> bool:
    return not source.startswith(RULES_PREFIX)


# Sources a KPI cannot be counted without: KPI 3 reads the education snapshot in force at the
# report date; without one it has no data, not zero formal plans (the board pack prints "no
# data"; the change check does not compare it).
NEEDS_SOURCE = {"kpi3": ("education", "no education snapshot in force at {end}: KPI 3 has no data")}


def kpis_without_data(sources) -> list[str]:
    """The KPIs whose indispensable source was not read."""
    return [kpi for kpi, (source, _) in NEEDS_SOURCE.items() if source not in sources]
