"""KPI 5 Substance misuse (kpis.md)."""
from transforms.kpis.needs import need_figures
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule


def compute(inputs, quarter, rules):
    return need_figures("kpi5", "SUBSTANCE_MISUSE", inputs, quarter, rules)


RULE = REGISTRY.register(Rule("kpi5", "KPI 5 Substance misuse", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("episode", "need"), compute,
                              "Substance misuse needs identified, interventions planned and attended."))
