"""KPI 1 Accommodation (kpis.md): suitability at the start and end of the counted episode."""
from transforms.kpis.common import count_by_group, end_record, kpi_cohort, ratio_figures
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule
from transforms.measures.suitability import accommodation_suitability as suitability


def compute(inputs, quarter, rules):
    cohort = kpi_cohort(inputs, quarter, rules)
    end = suitability(end_record(inputs.accommodation, cohort, "END"), rules)
    start = suitability(end_record(inputs.accommodation, cohort, "START"), rules)
    k = "kpi1"
    total = count_by_group(k, "kpi1.cohort", cohort)
    suitable_end = count_by_group(k, "kpi1.suitable_end", cohort, end == True)  # noqa: E712
    return (total + suitable_end
            + count_by_group(k, "kpi1.suitable_start", cohort, start == True)  # noqa: E712
            + count_by_group(k, "kpi1.unsuitable_end", cohort, end == False)  # noqa: E712
            + count_by_group(k, "kpi1.unknown_end", cohort, end.isna())
            + ratio_figures(k, "kpi1.suitable_end_pct", suitable_end, total))


RULE = REGISTRY.register(Rule("kpi1", "KPI 1 Accommodation", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("episode", "accommodation", "child"), compute,
                              "Children in suitable accommodation at the end of the episode counted in the quarter."))
