"""KPI 4 Mental health and emotional wellbeing (kpis.md)."""
from transforms.kpis.needs import need_figures
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule


def compute(inputs, quarter, rules):
    return need_figures("kpi4", "MENTAL_HEALTH", inputs, quarter, rules)


RULE = REGISTRY.register(Rule("kpi4", "KPI 4 Mental health and emotional wellbeing", "kpis.md 2023-04",
                              KPIS_INTRODUCED, ("episode", "need"), compute,
                              "Mental health needs identified, interventions planned and attended."))
