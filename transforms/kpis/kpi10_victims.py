"""KPI 10 Victims (kpis.md): victims of offences whose outcome is dated in the quarter."""
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule
from transforms.measures.victims import CONTACT_MEASURES, consented as consented_victims, victims_of_outcomes_in, with_contact


def compute(inputs, quarter, rules):
    victims = victims_of_outcomes_in(inputs.victim, inputs.offence, inputs.outcome, quarter.start, quarter.end)
    consented = consented_victims(victims)

    def fig(measure, rows, numerator=None, denominator=None, value=None):
        v = float(len(rows)) if value is None else value
        return Figure("kpi10", measure, "TOTAL", v, numerator, denominator,
                      members=tuple(sorted(rows["victim_id"])), member_kind="victim_id")

    out = [fig("kpi10.victims", victims), fig("kpi10.consented", consented)]
    for flag in CONTACT_MEASURES:
        out.append(fig(f"kpi10.{flag}", with_contact(victims, flag)))
    took_part = with_contact(victims, "rj_participated")
    n, d = float(len(took_part)), float(len(consented))
    out.append(fig("kpi10.rj_participated_pct", took_part, n, d, None if d == 0 else 100 * n / d))
    return out


RULE = REGISTRY.register(Rule("kpi10", "KPI 10 Victims", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("victim", "offence", "outcome"), compute,
                              "Victims, consent to contact, views sought, kept informed, restorative justice."))
