"""KPI 10 Victims (kpis.md): victims of offences whose outcome is dated in the quarter."""
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule


def compute(inputs, quarter, rules):
    dated = inputs.offence.merge(inputs.outcome[["outcome_id", "outcome_date"]], on="outcome_id", how="inner")
    in_q = dated[(dated["outcome_date"] >= quarter.start) & (dated["outcome_date"] <= quarter.end)]
    victims = inputs.victim[inputs.victim["offence_id"].isin(in_q["offence_id"])]
    consented = victims[victims["contact_consent"] == True]  # noqa: E712

    def fig(measure, rows, numerator=None, denominator=None, value=None):
        v = float(len(rows)) if value is None else value
        return Figure("kpi10", measure, "TOTAL", v, numerator, denominator,
                      members=tuple(sorted(rows["victim_id"])), member_kind="victim_id")

    out = [fig("kpi10.victims", victims), fig("kpi10.consented", consented)]
    for flag in ("views_sought", "kept_informed", "rj_offered", "rj_participated"):
        out.append(fig(f"kpi10.{flag}", consented[consented[flag] == True]))  # noqa: E712
    took_part = consented[consented["rj_participated"] == True]  # noqa: E712
    n, d = float(len(took_part)), float(len(consented))
    out.append(fig("kpi10.rj_participated_pct", took_part, n, d, None if d == 0 else 100 * n / d))
    return out


RULE = REGISTRY.register(Rule("kpi10", "KPI 10 Victims", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("victim", "offence", "outcome"), compute,
                              "Victims, consent to contact, views sought, kept informed, restorative justice."))
