"""As-at history (issue 12): every education snapshot is kept, KPI 3 reads the latest one on
or before the report date, alerts and marts keep the newest, and each return records the
deliveries and snapshots it read."""
from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.integration.kpi_fixtures import SNAPSHOTS, build_warehouse
from transforms.ingest.sources import load_ccis, load_education
from transforms.kpis.produce import produce_return
from transforms.periods import Quarter
from transforms.warehouse.schema import EDUCATION_TABLES, HISTORY_TABLES, kpi_return_source

pytestmark = pytest.mark.integration


def _figure(result, measure, breakdown="TOTAL"):
    return next(f.value for f in result.figures if f.measure == measure and f.breakdown == breakdown)


@pytest.mark.parametrize("layout", ["corepl", "childview"])
def test_kpi3_reads_the_snapshot_in_force_at_the_report_date(tmp_path, layout):
    settings, engine = build_warehouse(tmp_path, layout)
    result = produce_return(settings, Quarter.parse("2025Q2"), engine)
    # The snapshot on the report date (every pupil with an EHCP) is read, not the one before
    # (none) nor the newer one (none): so every cohort child linked to a pupil has a plan.
    assert result.sources["education"] == ("education-20250930", "2025-09-30")
    linked_with_plan = _figure(result, "kpi3.formal_plan")
    assert linked_with_plan > 0
    assert _figure(result, "kpi3.formal_plan_pct") == pytest.approx(100 * linked_with_plan / _figure(result, "kpi3.send_identified"))
    check = result.checks.set_index("check").loc["Education snapshot for the report date"]
    assert check["result"] == "PASS" and "education-20250930" in check["detail"]
    # The next quarter reads the snapshot after it, where no pupil has a plan.
    later = produce_return(settings, Quarter.parse("2025Q3"), engine)
    assert later.sources["education"] == ("education-20251015", "2025-10-15") and _figure(later, "kpi3.formal_plan") == 0
    # Before any snapshot: none is read, and the return says so.
    early = produce_return(settings, Quarter.parse("2025Q1"), engine)
    assert "education" not in early.sources and _figure(early, "kpi3.formal_plan") == 0
    assert early.checks.set_index("check").loc["Education snapshot for the report date", "result"] == "FAIL"

    with engine.connect() as conn:
        # History keeps every snapshot; the core (alerts, marts) holds the newest only.
        per_snapshot = dict(conn.execute(select(HISTORY_TABLES["pupil"].c.snapshot_delivery_id, func.count())
                                         .group_by(HISTORY_TABLES["pupil"].c.snapshot_delivery_id)).all())
        core = pd.read_sql_query(select(EDUCATION_TABLES["pupil"].c.sen_provision), conn)
        recorded = pd.read_sql_query(select(kpi_return_source).where(kpi_return_source.c.quarter == "2025Q2"), conn)
        history_rows = {n: conn.execute(select(func.count()).select_from(t)).scalar_one() for n, t in HISTORY_TABLES.items()}
    assert set(per_snapshot) == {f"education-{s}" for s, _ in SNAPSHOTS}
    assert len(set(per_snapshot.values())) == 1 and set(core["sen_provision"]) == {"N"}
    assert len(core) == next(iter(per_snapshot.values()))
    files = {name: sum(len(pd.read_csv(settings.landing_dir / "education" / stamp / f"{name}s.csv")) for stamp, _ in SNAPSHOTS)
             for name in ("suspension",)}
    assert history_rows["attendance"] > 0 and history_rows["suspension"] == files["suspension"]
    deliveries = {s: d for s, d in zip(recorded["source"], recorded["delivery_id"]) if not s.startswith("rules:")}
    assert deliveries == {"case_system": result.sources["case_system"][0], "education": "education-20250930",
                          "board": result.sources["board"][0], "population": result.sources["population"][0]}
    # And the counting rules each KPI was computed with, to explain a later revision.
    rules = {s for s in recorded["source"] if s.startswith("rules:")}
    assert rules == {f"rules:kpi{n}" for n in range(1, 11)} | {"rules:ni"}
    cover = {r[0]: r[1] for r in load_workbook(result.workbook)["Cover"].iter_rows(min_row=4, max_col=2, values_only=True)
             if r[0]}
    assert "education: education-20250930 (extracted 2025-09-30)" in cover["Source deliveries"]

    # A rerun changes nothing: the snapshot is already loaded, its history is not doubled.
    assert load_education(settings, engine).outcome == "ALREADY_LOADED"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(HISTORY_TABLES["pupil"])).scalar_one() == history_rows["pupil"]

    # CCIS snapshots are kept the same way.
    assert load_ccis(settings, engine).outcome == "LOADED"
    with engine.connect() as conn:
        core_ccis = conn.execute(select(func.count()).select_from(EDUCATION_TABLES["ccis_activity"])).scalar_one()
        hist_ccis = pd.read_sql_query(select(HISTORY_TABLES["ccis_activity"]), conn)
    assert core_ccis > 0 and len(hist_ccis) == core_ccis
    assert hist_ccis["snapshot_delivery_id"].str.startswith("ccis-").all() and hist_ccis["snapshot_extracted_at"].notna().all()
