"""KPI 3 Special educational needs and disabilities (kpis.md).

SEND is identified from the counted episode's SEND need record, or from the child's pupil
record (sen_provision E or K) in the education snapshot, found through the person key
(``core_identity_link``), so a child the case system holds no UPN for still counts. Formal plans (EHCP or SEN support)
come only from education data: until the education load is in the warehouse (``core_pupil``)
they are 0 and the Checks sheet says so."""
import pandas as pd

from transforms.kpis.common import above_school_age, count_by_group, end_record, kpi_cohort, ratio_figures
from transforms.kpis.kpi02_ete import suitability as ete_suitability
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Rule


def compute(inputs, quarter, rules):
    cohort = kpi_cohort(inputs, quarter, rules)
    need = inputs.need
    send_need = need[(need["domain"] == "SEND") & (need["need_identified"] == True)]  # noqa: E712
    from_need = cohort["episode_id"].isin(send_need["episode_id"])
    provision = pd.Series(None, index=cohort.index, dtype=object)
    if inputs.pupil is not None and len(inputs.pupil):
        pupils = inputs.pupil.drop_duplicates("child_id", keep="last").set_index("child_id")["sen_provision"]
        provision = cohort["child_id"].map(pupils)
    from_pupil = provision.isin(["E", "K"])
    identified = from_need | from_pupil
    formal = identified & from_pupil
    above = pd.Series([above_school_age(d, e) for d, e in zip(cohort["date_of_birth"], cohort["end_date"])],
                      index=cohort.index, dtype=bool)
    suitable = ete_suitability(end_record(inputs.ete_status, cohort, "END"), above, rules)
    k = "kpi3"
    ident = count_by_group(k, "kpi3.send_identified", cohort, identified)
    plan = count_by_group(k, "kpi3.formal_plan", cohort, formal)
    return (ident + plan + count_by_group(k, "kpi3.formal_plan_and_suitable_ete", cohort, formal & suitable)
            + ratio_figures(k, "kpi3.formal_plan_pct", plan, ident))


RULE = REGISTRY.register(Rule("kpi3", "KPI 3 Special educational needs and disabilities", "kpis.md 2023-04",
                              KPIS_INTRODUCED, ("episode", "need", "ete_status", "pupil"), compute,
                              "Children with identified SEND, a formal plan, and suitable ETE."))
