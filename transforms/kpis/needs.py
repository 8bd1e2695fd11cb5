"""KPIs 4 and 5 share one shape: screened or identified needs in a domain, interventions
planned, interventions attended, for the counted episode."""
from transforms.kpis.common import count_by_group, kpi_cohort, ratio_figures


def need_figures(kpi: str, domain: str, inputs, quarter, rules):
    cohort = kpi_cohort(inputs, quarter, rules)
    need = inputs.need[inputs.need["domain"] == domain]
    flags = need.groupby("episode_id")[["need_identified", "intervention_planned", "intervention_attended"]].any()
    on = cohort[["episode_id"]].merge(flags, left_on="episode_id", right_index=True, how="left").fillna(False)
    on.index = cohort.index
    identified = on["need_identified"].astype(bool)
    planned = identified & on["intervention_planned"].astype(bool)
    attended = planned & on["intervention_attended"].astype(bool)
    total = count_by_group(kpi, f"{kpi}.cohort", cohort)
    ident = count_by_group(kpi, f"{kpi}.need_identified", cohort, identified)
    went = count_by_group(kpi, f"{kpi}.intervention_attended", cohort, attended)
    return (total + ident + count_by_group(kpi, f"{kpi}.intervention_planned", cohort, planned) + went
            + ratio_figures(kpi, f"{kpi}.need_identified_pct", ident, total)
            + ratio_figures(kpi, f"{kpi}.intervention_attended_pct", went, ident))
