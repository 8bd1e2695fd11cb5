"""Local national indicators (kpis.md): first time entrants, use of custody and the
reoffending tracker. Local figures from the case system, for early warning; the official
ones come from the Police National Computer and will differ. Each measure is defined once in
``transforms/measures/`` (the marts and the board pack use the same functions)."""
from transforms.kpis.common import population_10_17
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule
from transforms.measures.offending import custodial_sentences, first_time_entrants, rolling_year  # noqa: F401
from transforms.measures.reoffending import cohort_quarter as reoffending_cohort_quarter, reoffending_cohort


def compute(inputs, quarter, rules):
    report = quarter.end
    start, end = rolling_year(report)
    population, _ = population_10_17(inputs, report)
    child = inputs.child[["child_id", "child_key", "local_authority"]]
    fte = first_time_entrants(inputs.outcome, child, inputs.service_areas, start, end).merge(
        child[["child_id", "child_key"]], on="child_id", how="left")
    custody = custodial_sentences(inputs.outcome, start, end)
    reoffending = reoffending_cohort(inputs.outcome, inputs.offence, reoffending_cohort_quarter(report))
    key = dict(zip(child["child_id"], child["child_key"].astype(str)))
    entry, reoffenders, reoffences = reoffending.entries, reoffending.reoffenders, reoffending.reoffences

    def keys(frame):
        return tuple(sorted(frame["child_id"].map(key).astype(str)))

    n_fte, n_cust = float(len(fte)), float(len(custody))
    n_cohort, n_re, n_off = float(len(entry)), float(len(reoffenders)), float(len(reoffences))
    return [
        Figure("ni", "ni.fte.count", "TOTAL", n_fte, members=keys(fte)),
        Figure("ni", "ni.fte.rate_per_100000", "TOTAL", None if not population else 100000 * n_fte / population,
               n_fte, float(population), members=keys(fte)),
        Figure("ni", "ni.custody.count", "TOTAL", n_cust, members=tuple(sorted(custody["outcome_id"])), member_kind="outcome_id"),
        Figure("ni", "ni.custody.rate_per_1000", "TOTAL", None if not population else 1000 * n_cust / population,
               n_cust, float(population), members=tuple(sorted(custody["outcome_id"])), member_kind="outcome_id"),
        Figure("ni", "ni.reoffending.cohort", "TOTAL", n_cohort, members=keys(entry)),
        Figure("ni", "ni.reoffending.reoffenders", "TOTAL", n_re, members=keys(reoffenders)),
        Figure("ni", "ni.reoffending.reoffences", "TOTAL", n_off, members=tuple(sorted(reoffences["offence_id"])),
               member_kind="offence_id"),
        Figure("ni", "ni.reoffending.binary_rate", "TOTAL", reoffending.binary_rate, n_re, n_cohort, members=keys(reoffenders)),
        Figure("ni", "ni.reoffending.frequency", "TOTAL", reoffending.frequency, n_off, n_re, members=keys(reoffenders)),
    ]


RULE = REGISTRY.register(Rule("ni", "National indicators (local figures)", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("outcome", "offence", "child", "population"), compute,
                              "First time entrants, custodial sentences, and the reoffending of a past cohort."))
