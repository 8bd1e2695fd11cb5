"""KPI 9 Serious violence (kpis.md)."""
from transforms.kpis.common import GROUP_OF_TYPE, SUBSTANTIVE_GROUPS, population_10_17
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule


def serious_violence(inputs, quarter, rules):
    off = inputs.offence.merge(inputs.outcome[["outcome_id", "outcome_date", "outcome_type"]], on="outcome_id", how="inner")
    substantive = off["outcome_type"].map(GROUP_OF_TYPE).isin(SUBSTANTIVE_GROUPS)
    dated = off[rules.serious_violence_dated_by]
    chosen = off[off["offence_category"].isin(rules.serious_violence_categories)
                 & (off["gravity_score"] >= rules.serious_violence_min_gravity) & substantive
                 & (dated >= quarter.start) & (dated <= quarter.end)]
    return chosen.merge(inputs.child[["child_id", "child_key"]], on="child_id", how="left")


def compute(inputs, quarter, rules):
    chosen = serious_violence(inputs, quarter, rules)
    population, _ = population_10_17(inputs, quarter.end)
    n = float(len(chosen))
    return [
        Figure("kpi9", "kpi9.offences", "TOTAL", n, members=tuple(sorted(chosen["offence_id"])), member_kind="offence_id"),
        Figure("kpi9", "kpi9.children", "TOTAL", float(chosen["child_key"].nunique()),
               members=tuple(sorted(set(chosen["child_key"].astype(str))))),
        Figure("kpi9", "kpi9.rate_per_10000", "TOTAL", None if population == 0 else 10000 * n / population, n,
               float(population), members=tuple(sorted(chosen["offence_id"])), member_kind="offence_id"),
    ]


RULE = REGISTRY.register(Rule("kpi9", "KPI 9 Serious violence", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("offence", "outcome", "population"), compute,
                              "Proven serious violence offences (gravity 5+, violence, robbery or drugs) and the rate."))
