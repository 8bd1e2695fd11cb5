"""The board pack as at each of its quarters: every recomputed trend point reads the education
snapshot and the counting rules in force at that point's report date (``inputs_as_at``, the one
definition the return uses), so it equals the return for its quarter; a point with no data in
force says so; the pack's "data as at" is the newest extract time of the deliveries it read.
On the embedded warehouse and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import delete

from tests.integration.kpi_fixtures import build_warehouse
from transforms.kpis.common import load_inputs
from transforms.kpis.produce import compute_figures, produce_return
from transforms.kpis.rules_config import KpiRules
from transforms.marts.board_pack import plan_board_pack, write_board_pack
from transforms.marts.build import rebuild_marts
from transforms.periods import Quarter
from transforms.warehouse.schema import HISTORY_TABLES

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 25)
Q3 = Quarter.parse("2025Q3")  # October to December 2025: the pack's quarter
# From 2025-26 Q3 the service counts ETE as suitable only from 40 hours a week.
LATER_RULE = [{"valid_from": "2025Q3", "ete_hours_school_age": 40, "ete_hours_above_school_age": 40}]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_trend_point_is_the_return_for_its_quarter(tmp_path, backend, request, monkeypatch):
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    # Snapshots of 15 and 30 September (every pupil with an EHCP on the 30th) and 15 October.
    settings, engine = build_warehouse(tmp_path, "corepl", warehouse_url=url)
    # The newest snapshot is removed from the history (the core, which alerts read, still holds
    # it): at 31 December the snapshot in force is the one of 30 September.
    with engine.begin() as conn:
        for table in HISTORY_TABLES.values():
            conn.execute(delete(table).where(table.c.snapshot_delivery_id == "education-20251015"))
    monkeypatch.setenv("YJ_KPI_RULES", json.dumps(LATER_RULE))
    rebuild_marts(engine, tmp_path / "marts", TODAY, settings.service_areas)

    planned = plan_board_pack(engine, Q3, settings.service_areas, 5, TODAY)
    trend = {p.quarter: p for p in planned.trend}
    assert all(p.recomputed for p in trend.values())

    # Today's inputs and rules (what the pack used to read) would give other answers.
    today_inputs = load_inputs(engine, settings.service_areas)
    q2 = Quarter.parse("2025Q2")
    todays = {(f.measure, f.breakdown): f.value for f in compute_figures(today_inputs, q2, KpiRules.from_env())[0]}
    assert todays[("kpi2.suitable_end", "TOTAL")] != trend[q2].figures[("kpi2.suitable_end", "TOTAL")][0]
    todays_q3 = {(f.measure, f.breakdown): f.value for f in compute_figures(today_inputs, Q3, KpiRules.from_env(Q3))[0]}
    assert todays_q3[("kpi3.formal_plan", "TOTAL")] == 0 < trend[Q3].figures[("kpi3.formal_plan", "TOTAL")][0]

    for quarter, point in trend.items():
        returned = produce_return(settings, quarter, engine)
        in_force = "education" in returned.sources
        assert not point.no_data if in_force else point.no_data == (
            f"no education snapshot in force at {quarter.end:%d/%m/%Y}: KPI 3 has no data",)
        for f in returned.figures:
            shown = point.figures[(f.measure, f.breakdown)]
            if f.kpi == "kpi3" and not in_force:
                assert shown == (None, None, None), (quarter.label, f.measure)  # no data, not zero plans
            else:
                assert shown == (f.value, f.numerator, f.denominator), (quarter.label, f.measure, f.breakdown)
    assert [q.code for q, p in trend.items() if not p.no_data] == ["2025Q2", "2025Q3"]

    pack = write_board_pack(engine, Q3, tmp_path / "pack", "Leicestershire", settings.service_areas, 5,
                            produced=dt.datetime(2026, 11, 25, 9, 0))
    page = pack.path.read_text(encoding="utf-8")
    # The case-system delivery (extracted 20 November 2026) is the newest extract read; the
    # board register and population files carry only the time they were saved.
    assert "Data as at 20/11/2026 01:30, the newest extract time of the deliveries read" in page
    assert "Trend points with no data in force: 2023-24 Q4: no education snapshot in force at 31/03/2024: KPI 3 has no data" in page


def test_the_county_scale_pack_gives_no_count_and_no_group_away(tmp_path):
    """The attacker, counts and groups, on a county-scale pack (15,000 children over five
    years, the scale the benchmarks call a county)."""
    from tests.attacker import attributes_disclosed, determined
    from tests.conftest import make_settings
    from tests.pack_reader import known_relations, printed_cells
    from transforms.ingest.sources import load_case_system, load_reference_sources
    from transforms.marts.board_pack import write_board_pack as write
    from transforms.sample.landing import generate_landing
    from transforms.warehouse.db import ensure_schema, make_engine

    generate_landing(tmp_path, children=15000, years=5, seed=3)
    settings = make_settings(tmp_path, tmp_path / "landing")
    assert load_case_system(settings).outcome == "LOADED"
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    load_reference_sources(settings, engine)
    quarter = Quarter.parse("2026Q2")
    produce_return(settings, quarter, engine)
    rebuild_marts(engine, tmp_path / "marts", TODAY, settings.service_areas)
    cells = printed_cells(write(engine, quarter, tmp_path / "pack", "Leicestershire", settings.service_areas, 5,
                                produced=dt.datetime(2026, 11, 25, 9, 0)).path)
    relations = known_relations(cells)
    assert len(cells) > 80 and relations
    assert determined(cells, relations) == {}
    assert attributes_disclosed(cells, relations) == []
