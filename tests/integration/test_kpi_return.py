"""The quarterly return produced from a loaded warehouse: identical figures from either
supplier layout, a workbook made with care that LibreOffice opens, every KPI-sheet number in
the Figures sheet, evidence behind every figure, and the DAG through Airflow."""
from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import copy_landing, make_settings
from transforms.ingest.sources import load_case_system
from transforms.kpis.produce import FIGURE_COLUMNS, SHEETS, produce_return
from transforms.periods import Quarter
from transforms.ingest.sources import load_reference_sources
from transforms.sample.landing import generate_landing
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import child_key, kpi_figure

pytestmark = pytest.mark.integration
QUARTER = Quarter.parse("2025Q2")


def _produce(root, landing, quarter=QUARTER):
    settings = make_settings(root, landing)
    assert load_case_system(settings).outcome in ("LOADED", "ALREADY_LOADED")
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    load_reference_sources(settings, engine)
    return settings, produce_return(settings, quarter, engine)


@pytest.fixture(scope="module")
def produced(tmp_path_factory, sample_dir):
    root = tmp_path_factory.mktemp("kpi")
    landing = copy_landing(sample_dir, root / "landing")
    return _produce(root, landing)


def test_both_supplier_layouts_give_identical_figures(tmp_path):
    outputs = []
    for layout in ("corepl", "childview"):
        generate_landing(tmp_path / layout, children=400, years=4, layout=layout, seed=31)
        _, result = _produce(tmp_path / layout, tmp_path / layout / "landing")
        outputs.append(result.figures_csv.read_text())
    assert outputs[0] == outputs[1]
    figures = pd.read_csv(tmp_path / "corepl" / "output" / "kpi" / "2025Q2" / "figures.csv")
    assert figures.loc[figures["measure"] == "kpi1.cohort", "value"].max() > 10


def test_workbook_is_made_with_care(produced):
    _, result = produced
    assert result.workbook.name == "yjb_kpi_return_leicestershire_2025-26_Q2.xlsx"
    wb = load_workbook(result.workbook)
    assert wb.sheetnames == ["Cover", *SHEETS.values(), "Checks", "Figures", "Rules"]
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, f"merged cells on {ws.title}"
        assert ws.tables, f"no Excel table on {ws.title}"
        assert ws.freeze_panes == "A2", f"header not frozen on {ws.title}"
        for row in ws.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.startswith("=")), f"formula on {ws.title}"
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=2, max_col=2, values_only=True) if r[0]}
    assert cover["Status"] == result.status == "DRAFT"  # the SEND check warns until education data is loaded
    assert cover["Quarter"] == "2025-26 Q2" and "case_system" in cover["Source deliveries"]
    assert "ete_hours_school_age" in cover  # the counting rules in force are recorded
    ws = wb["KPI1 Accommodation"]
    headers = [c.value for c in ws[1]]
    assert headers == ["measure", "TOTAL", "PREVENTION_DIVERSION", "OUT_OF_COURT", "FIRST_TIER", "COMMUNITY", "CUSTODY"]
    pct_row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "kpi1.suitable_end_pct")
    assert pct_row[1].number_format == '0.0"%"'


def test_figures_csv_is_the_figures_sheet_and_holds_every_kpi_sheet_number(produced):
    _, result = produced
    csv = pd.read_csv(result.figures_csv)
    assert list(csv.columns) == FIGURE_COLUMNS
    wb = load_workbook(result.workbook)
    sheet = pd.DataFrame(list(wb["Figures"].iter_rows(min_row=2, values_only=True)), columns=FIGURE_COLUMNS)
    pd.testing.assert_frame_equal(csv, sheet.astype(csv.dtypes.to_dict()), check_dtype=False)
    by_key = {(r.measure, r.breakdown): r.value for r in csv.itertuples()}
    for kpi, title in SHEETS.items():
        rows = list(wb[title].iter_rows(values_only=True))
        header = rows[0]
        for row in rows[1:]:
            for breakdown, value in zip(header[1:], row[1:]):
                key = (row[0], breakdown)
                if value is None and key not in by_key:
                    continue  # a blank cell: no such figure (e.g. board meetings by partner)
                assert key in by_key, key
                expected = by_key[key]
                assert (value is None and pd.isna(expected)) or value == pytest.approx(expected), key
    # Every measure with its breakdowns, zeros included.
    assert len(csv[csv["measure"] == "kpi1.cohort"]) == 6 and len(csv[csv["measure"] == "kpi6.ended"]) == 3
    assert set(csv.loc[csv["measure"] == "kpi8.attended", "breakdown"]) >= {"POLICE", "PROBATION", "HEALTH",
                                                                          "CHILDRENS_SOCIAL_CARE", "EDUCATION"}


def test_evidence_names_the_children_behind_each_figure_and_the_return_names_none(produced):
    settings, result = produced
    evidence = pd.DataFrame(list(load_workbook(result.evidence)["Evidence"].iter_rows(min_row=2, values_only=True)),
                            columns=["kpi", "measure", "breakdown", "value", "counted", "key"])
    figures = pd.read_csv(result.figures_csv)
    counts = figures[figures["denominator"].isna() & figures["measure"].str.match(r"kpi[1-7]\.") & ~figures["measure"].str.contains("hours")]
    listed = evidence.groupby(["measure", "breakdown"]).size()
    for row in counts.itertuples():
        assert listed.get((row.measure, row.breakdown), 0) == row.value, (row.measure, row.breakdown)
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        keys = set(conn.execute(select(child_key.c.child_key)).scalars())
        ids = set(conn.execute(select(child_key.c.child_id)).scalars())
    assert set(evidence.loc[evidence["counted"] == "child_key", "key"]) <= keys
    text = " ".join(str(c.value) for ws in load_workbook(result.workbook).worksheets for row in ws.iter_rows() for c in row)
    assert not any(k in text for k in list(keys)[:200]) and not any(i in text for i in list(ids)[:200])


def test_figures_are_stored_and_the_next_quarter_compares_with_them(produced):
    settings, _ = produced
    engine = make_engine(settings.warehouse_url)
    _, later = _produce(settings.output_dir.parent, settings.landing_dir, Quarter.parse("2025Q3"))
    with engine.connect() as conn:
        stored = pd.read_sql_query(select(kpi_figure.c.quarter).distinct(), conn)
    assert set(stored["quarter"]) >= {"2025Q2", "2025Q3"}
    change = later.checks[later.checks["check"] == "Change from the previous quarter"].iloc[0]
    assert "no previous quarter stored" not in change["detail"]


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found or os.geteuid() != 0:
        return found
    subprocess.run("apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui",
                   shell=True, capture_output=True, timeout=900)
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_workbook_opens_in_libreoffice(produced, tmp_path):
    _, result = produced
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed and cannot be installed here (not root)")
    out = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(result.workbook)],
                         capture_output=True, text=True, timeout=300)
    pdf = tmp_path / (result.workbook.stem + ".pdf")
    assert out.returncode == 0 and pdf.exists() and pdf.stat().st_size > 5000, out.stderr


def test_kpi_dag_produces_the_return_through_airflow(airflow_db, tmp_path, sample_dir, monkeypatch):
    from yj_airflow.runner import load_dags, run_dag

    landing = copy_landing(sample_dir, tmp_path / "landing")
    env = {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
           "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    dags = load_dags()
    assert run_dag(dags["case_system_nightly"])["ok"]
    result = run_dag(dags["yjb_kpi_quarterly"], {"quarter": "2025-26 Q2"})
    assert result["ok"], result
    produced_ = result["tasks"]["produce_kpi_return"]["result"]
    assert produced_["quarter"] == "2025-26 Q2" and produced_["status"] in ("DRAFT", "READY")
    assert (tmp_path / "output" / "kpi" / "2025Q2" / "figures.csv").exists()
