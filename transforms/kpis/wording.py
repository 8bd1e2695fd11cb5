"""What each measure means, in the words of kpis.md, shown beside its id on the KPI sheets
so the workbook reads like the hand-made return (and a reviewer can check one against the
other). A measure without wording here fails ``test_every_measure_has_its_wording``."""
from __future__ import annotations

_NEEDS = {
    "cohort": "children in the KPI cohort",
    "need_identified": "with a screened or identified need",
    "intervention_planned": "of those, with an intervention planned or offered",
    "intervention_attended": "of those with an intervention planned, attending it",
    "need_identified_pct": "% of the cohort with a need identified (need identified / cohort)",
    "intervention_attended_pct": "% of those with a need attending an intervention (attended / need identified)",
}

MEASURE_WORDING: dict[str, str] = {
    "kpi1.cohort": "children in the KPI cohort",
    "kpi1.suitable_end": "in suitable accommodation at the end of the episode",
    "kpi1.suitable_start": "in suitable accommodation at its start",
    "kpi1.unsuitable_end": "in unsuitable accommodation at the end",
    "kpi1.unknown_end": "no END accommodation record, or suitability unknown",
    "kpi1.suitable_end_pct": "% in suitable accommodation at the end (suitable at end / cohort)",
    "kpi2.cohort": "children in the KPI cohort",
    "kpi2.suitable_end": "in suitable ETE at the end",
    "kpi2.suitable_start": "in suitable ETE at the start",
    "kpi2.school_age.cohort": "cohort children of school age on the episode's end date",
    "kpi2.school_age.suitable_end": "of school age, in suitable ETE at the end",
    "kpi2.above_school_age.cohort": "cohort children above school age on the episode's end date",
    "kpi2.above_school_age.suitable_end": "above school age, in suitable ETE at the end",
    "kpi2.hours_offered_end": "weekly hours offered on END records (a sum of hours, not children)",
    "kpi2.hours_attended_end": "weekly hours attended on END records (a sum of hours, not children)",
    "kpi2.suitable_end_pct": "% in suitable ETE at the end (suitable at end / cohort)",
    "kpi3.send_identified": "cohort children with an identified SEND need",
    "kpi3.formal_plan": "of those, children with a formal plan (EHCP or SEN support)",
    "kpi3.formal_plan_and_suitable_ete": "of those, children also in suitable ETE at the end",
    "kpi3.formal_plan_pct": "% of children with SEND who have a formal plan (formal plan / SEND identified)",
    **{f"kpi4.{k}": v for k, v in _NEEDS.items()},
    **{f"kpi5.{k}": v for k, v in _NEEDS.items()},
    "kpi6.ended": "children whose out-of-court or diversion episode ended",
    "kpi6.completed": "of those, completed (end reason COMPLETED)",
    "kpi6.completed_pct": "% completed (completed / ended)",
    "kpi7.cohort": "children in the KPI cohort",
    "kpi7.early_help": "with early help active on the episode's end date",
    "kpi7.child_in_need": "with a child in need plan active",
    "kpi7.child_protection": "with a child protection plan active",
    "kpi7.looked_after": "looked after",
    "kpi7.care_leaver": "care leavers",
    "kpi7.any": "with at least one of these",
    "kpi8.meetings": "board meetings held in the quarter",
    "kpi8.attended": "meetings the partner attended with a senior representative",
    "kpi9.offences": "serious violence offences (an offence count)",
    "kpi9.children": "children with at least one",
    "kpi9.rate_per_10000": "offences per 10,000 children aged 10 to 17 in the area",
    "kpi10.victims": "victims of offences whose outcome is dated in the quarter (a victim count)",
    "kpi10.consented": "consented to contact",
    "kpi10.views_sought": "of those who consented, views sought",
    "kpi10.kept_informed": "of those who consented, kept informed",
    "kpi10.rj_offered": "of those who consented, offered restorative justice",
    "kpi10.rj_participated": "of those who consented, took part in restorative justice",
    "kpi10.rj_participated_pct": "% of victims who consented taking part in restorative justice (took part / consented)",
    "ni.fte.count": "first time entrants in the 12 months (local figure)",
    "ni.fte.rate_per_100000": "first time entrants per 100,000 children aged 10 to 17",
    "ni.custody.count": "custodial sentences in the 12 months",
    "ni.custody.rate_per_1000": "custodial sentences per 1,000 children aged 10 to 17",
    "ni.reoffending.cohort": "children whose substantive outcome fell in the reoffending cohort quarter",
    "ni.reoffending.reoffenders": "of those, children who reoffended within 12 months (proven within 18)",
    "ni.reoffending.reoffences": "those reoffences",
    "ni.reoffending.binary_rate": "% who reoffended (reoffenders / cohort)",
    "ni.reoffending.frequency": "reoffences per reoffender (reoffences / reoffenders)",
}

KPI_TITLES = {
    "kpi1": "KPI 1 Accommodation", "kpi2": "KPI 2 Education, training and employment",
    "kpi3": "KPI 3 Special educational needs and disabilities", "kpi4": "KPI 4 Mental health and emotional wellbeing",
    "kpi5": "KPI 5 Substance misuse", "kpi6": "KPI 6 Out-of-court disposals", "kpi7": "KPI 7 Links to wider services",
    "kpi8": "KPI 8 Management board attendance", "kpi9": "KPI 9 Serious violence", "kpi10": "KPI 10 Victims",
    "ni": "National indicators (local figures)",
}


def wording(measure: str) -> str:
    return MEASURE_WORDING.get(measure, "")
