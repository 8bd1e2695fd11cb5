"""KPI 6 Out-of-court disposals (kpis.md): completion of diversion and out-of-court work."""
from transforms.kpis.common import GROUP_OF_TYPE, count_by_group, most_serious_of, ratio_figures
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule

BREAKDOWNS = ("TOTAL", "PREVENTION_DIVERSION", "OUT_OF_COURT")
NOT_DISPOSALS = ("PREVENTION", "TURNAROUND")  # prevention work, not a decision on an offence


def compute(inputs, quarter, rules):
    ep = inputs.episode
    ended = ep[ep["end_date"].notna()]
    ended = ended[(ended["end_date"] >= quarter.start) & (ended["end_date"] <= quarter.end)].copy()
    ended["group"] = ended["episode_type"].map(GROUP_OF_TYPE)
    ended = ended[ended["group"].isin(["PREVENTION_DIVERSION", "OUT_OF_COURT"]) & ~ended["episode_type"].isin(NOT_DISPOSALS)]
    cohort = most_serious_of(ended, ["OUT_OF_COURT", "PREVENTION_DIVERSION"], inputs.child)
    total = count_by_group("kpi6", "kpi6.ended", cohort, breakdowns=BREAKDOWNS)
    done = count_by_group("kpi6", "kpi6.completed", cohort, cohort["end_reason"] == "COMPLETED", breakdowns=BREAKDOWNS)
    return total + done + ratio_figures("kpi6", "kpi6.completed_pct", done, total)


RULE = REGISTRY.register(Rule("kpi6", "KPI 6 Out-of-court disposals", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("episode",), compute, "Diversion and out-of-court episodes ended and completed."))
