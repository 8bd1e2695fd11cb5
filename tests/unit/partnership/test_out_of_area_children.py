"""Issue 16, "children from anywhere": a child living outside the service's authorities (placed
out of area) is a child the service works with. The KPI rules count them; only the residence
measures (first-time entrants and rates, per kpis.md) leave them out. Hand-built cohort, quarter
2025-26 Q2 (1 July to 30 September 2025). The load's side (such a child loads with its
authority's code and is counted): tests/integration/test_out_of_area_children.py."""
from tests.unit.kpi_builders import D, children, figures_by, make_inputs
from transforms.kpis import ni_national
from transforms.kpis.common import kpi_cohort
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter

Q = Quarter.parse("2025Q2")


def test_out_of_area_child_counted_in_the_kpis_but_not_in_first_time_entrants():
    kids = children("HOME", "AWAY", AWAY={"local_authority": "NOTTINGHAM"})
    episodes = [
        {"episode_id": "E1", "child_id": "HOME", "episode_type": "REFERRAL_ORDER", "start_date": D("2025-03-01"), "end_date": D("2025-08-01")},
        {"episode_id": "E2", "child_id": "AWAY", "episode_type": "REFERRAL_ORDER", "start_date": D("2025-03-01"), "end_date": D("2025-08-01")},
    ]
    outcomes = [  # both first outcomes in the 12 months to 30 September 2025; both custodial
        {"outcome_id": "O1", "child_id": "HOME", "outcome_date": D("2025-02-01"), "outcome_type": "DTO"},
        {"outcome_id": "O2", "child_id": "AWAY", "outcome_date": D("2025-02-01"), "outcome_type": "DTO"},
    ]
    inputs = make_inputs(child=kids, episode=episodes, outcome=outcomes)
    assert sorted(kpi_cohort(inputs, Q, KpiRules())["child_id"]) == ["AWAY", "HOME"]
    figures = figures_by(ni_national.compute(inputs, Q, KpiRules()))
    assert figures[("ni.custody.count", "TOTAL")] == 2  # every child the service works with
    assert figures[("ni.fte.count", "TOTAL")] == 1  # residents only
