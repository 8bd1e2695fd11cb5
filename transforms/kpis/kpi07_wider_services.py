"""KPI 7 Links to wider services (kpis.md): statuses active on the counted episode's end date."""
import numpy as np

from transforms.kpis.common import count_by_group, kpi_cohort
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule

STATUSES = {"EARLY_HELP": "early_help", "CHILD_IN_NEED": "child_in_need", "CHILD_PROTECTION": "child_protection",
            "LOOKED_AFTER": "looked_after", "CARE_LEAVER": "care_leaver"}


def compute(inputs, quarter, rules):
    cohort = kpi_cohort(inputs, quarter, rules)
    ws = cohort[["child_id", "end_date"]].reset_index().merge(inputs.wider_services, on="child_id", how="inner")
    active = ws[(ws["start_date"] <= ws["end_date_x"]) & (ws["end_date_y"].isna() | (ws["end_date_y"] >= ws["end_date_x"]))]
    out = count_by_group("kpi7", "kpi7.cohort", cohort)
    for status, name in STATUSES.items():
        rows = set(active.loc[active["status"] == status, "index"])
        out += count_by_group("kpi7", f"kpi7.{name}", cohort, np.isin(cohort.index, list(rows)))
    out += count_by_group("kpi7", "kpi7.any", cohort, np.isin(cohort.index, list(set(active["index"]))))
    return out


RULE = REGISTRY.register(Rule("kpi7", "KPI 7 Links to wider services", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("episode", "wider_services"), compute,
                              "Children open to early help or children's social care on the episode's end date."))
