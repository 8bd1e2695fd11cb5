"""Issue 16, "children from anywhere", through the real case-system load: a child living outside
the service's authorities (placed out of area, moved away), typed as the supplier types any
authority (a name in any case, a GSS code), loads with the authority's code and is counted by the
KPIs, but not as a first-time entrant (a residence measure, kpis.md). Only a value that is no
English or Welsh authority is quarantined. The rules' side on hand-built inputs:
tests/unit/partnership/test_out_of_area_children.py."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tests.integration.kpi_fixtures import edit_corepl_table
from tests.unit.kpi_builders import figures_by
from transforms.ingest.sources import load_case_system
from transforms.kpis import ni_national
from transforms.kpis.common import kpi_cohort, load_inputs
from transforms.kpis.rules_config import KpiRules
from transforms.measures.offending import first_time_entrants, rolling_year
from transforms.periods import Quarter
from transforms.sample.landing import generate_landing
from transforms.warehouse.db import make_engine

pytestmark = pytest.mark.integration

Q = Quarter.parse("2026Q2")  # the sample's extract date is 20 November 2026


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("ooa")
    generate_landing(root, children=250, years=4, layout="corepl", seed=5)
    return root


def _load(root, landing):
    settings = make_settings(root, landing)
    report = load_case_system(settings)
    engine = make_engine(settings.warehouse_url)
    return settings, report, engine, load_inputs(engine, settings.service_areas, report_date=Q.end)


def test_an_out_of_area_child_loads_and_counts_except_as_a_first_time_entrant(sample, tmp_path):
    settings, report, engine, inputs = _load(tmp_path / "before", shutil.copytree(sample / "landing", tmp_path / "l1"))
    assert report.outcome == "LOADED"
    start, end = rolling_year(Q.end)
    entrants = first_time_entrants(inputs.outcome, inputs.child, settings.service_areas, start, end)
    assert len(entrants) >= 2, "the sample needs first-time entrants in the year to 2026Q2"
    moved, placed = sorted(entrants["child_id"])[:2]
    cohort_before = sorted(kpi_cohort(inputs, Q, KpiRules())["child_id"])
    before = figures_by(ni_national.compute(inputs, Q, KpiRules()))

    landing = shutil.copytree(sample / "landing", tmp_path / "l2")

    def elsewhere(header, rows):
        id_col, la_col = header.index("Child ID"), header.index("Local Authority")
        for row in rows[1:]:
            if row[id_col] == moved:
                row[la_col] = "Nottingham"  # moved away: the name as the case system shows it
            elif row[id_col] == placed:
                row[la_col] = "E06000043"  # placed in Brighton and Hove: its GSS code

    edit_corepl_table(next((landing / "case_system").iterdir()), "YJ_Children.csv", elsewhere)
    settings, report, engine, inputs = _load(tmp_path / "after", landing)
    assert report.outcome == "LOADED"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM quarantine WHERE table_name = 'child'")).scalar() == 0
        authorities = dict(conn.execute(text("SELECT child_id, local_authority FROM core_child WHERE child_id IN (:a, :b)"),
                                        {"a": moved, "b": placed}).all())
    assert authorities == {moved: "NOTTINGHAM", placed: "BRIGHTON_AND_HOVE"}
    after = figures_by(ni_national.compute(inputs, Q, KpiRules()))
    assert sorted(kpi_cohort(inputs, Q, KpiRules())["child_id"]) == cohort_before  # still the service's children
    assert after[("ni.fte.count", "TOTAL")] == before[("ni.fte.count", "TOTAL")] - 2  # residents only
    assert after[("ni.custody.count", "TOTAL")] == before[("ni.custody.count", "TOTAL")]
    assert {k: v for k, v in after.items() if not k[0].startswith("ni.fte")} == \
        {k: v for k, v in before.items() if not k[0].startswith("ni.fte")}


def test_a_value_that_is_no_authority_is_quarantined_with_a_reason_and_nothing_lost(sample, tmp_path):
    landing = shutil.copytree(sample / "landing", tmp_path / "landing")

    def nowhere(header, rows):
        rows[1][header.index("Local Authority")] = "Narnia"

    edit_corepl_table(next((landing / "case_system").iterdir()), "YJ_Children.csv", nowhere)
    settings, report, engine, _ = _load(tmp_path, landing)
    with engine.connect() as conn:
        reasons = conn.execute(text("SELECT reason FROM quarantine WHERE table_name = 'child'")).scalars().all()
        loaded = conn.execute(text("SELECT count(*) FROM core_child")).scalar()
    assert reasons == ["YJ_Children.csv row 2: column J (Local Authority): Local Authority is not an English or Welsh "
                       "local authority (reference/partnership/local_authorities.csv) [CHD-12]"]
    count = report.counts["child"]
    assert count.read == loaded + count.quarantined and count.quarantined == 1
