"""KPI 2 Education, training and employment (kpis.md)."""
import pandas as pd

from transforms.kpis.common import above_school_age, count_by_group, end_record, kpi_cohort, ratio_figures, sum_by_group
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule
from transforms.measures.suitability import ete_suitability as suitability


def compute(inputs, quarter, rules):
    cohort = kpi_cohort(inputs, quarter, rules)
    above_end = pd.Series([above_school_age(d, e) for d, e in zip(cohort["date_of_birth"], cohort["end_date"])],
                          index=cohort.index, dtype=bool)
    above_start = pd.Series([above_school_age(d, s) for d, s in zip(cohort["date_of_birth"], cohort["start_date"])],
                            index=cohort.index, dtype=bool)
    end = end_record(inputs.ete_status, cohort, "END")
    start = end_record(inputs.ete_status, cohort, "START")
    suitable_end = suitability(end, above_end, rules)
    suitable_start = suitability(start, above_start, rules)
    k = "kpi2"
    total = count_by_group(k, "kpi2.cohort", cohort)
    good = count_by_group(k, "kpi2.suitable_end", cohort, suitable_end)
    with_hours = cohort.assign(hours_offered=pd.to_numeric(end["hours_offered"]), hours_attended=pd.to_numeric(end["hours_attended"]))
    return (total + good
            + count_by_group(k, "kpi2.suitable_start", cohort, suitable_start)
            + count_by_group(k, "kpi2.school_age.cohort", cohort, ~above_end)
            + count_by_group(k, "kpi2.school_age.suitable_end", cohort, ~above_end & suitable_end)
            + count_by_group(k, "kpi2.above_school_age.cohort", cohort, above_end)
            + count_by_group(k, "kpi2.above_school_age.suitable_end", cohort, above_end & suitable_end)
            + sum_by_group(k, "kpi2.hours_offered_end", with_hours, "hours_offered")
            + sum_by_group(k, "kpi2.hours_attended_end", with_hours, "hours_attended")
            + ratio_figures(k, "kpi2.suitable_end_pct", good, total))


RULE = REGISTRY.register(Rule("kpi2", "KPI 2 Education, training and employment", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("episode", "ete_status", "child"), compute,
                              "Children in suitable ETE at the end of the episode, by school age on the end date."))
