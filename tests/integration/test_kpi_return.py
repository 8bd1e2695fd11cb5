"""The quarterly return produced from a loaded warehouse: identical figures from either
supplier layout, a workbook made with care that LibreOffice opens, every KPI-sheet number in
the Figures sheet, evidence behind every figure, and the DAG through Airflow."""
from __future__ import annotations

import csv
import os
import re
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
        header_row = 3 if ws.title in ("Cover", *SHEETS.values()) else 1
        assert not ws.merged_cells.ranges, f"merged cells on {ws.title}"
        assert ws.tables, f"no Excel table on {ws.title}"
        assert ws.freeze_panes == f"A{header_row + 1}", f"header not frozen on {ws.title}"
        # Printed pages: landscape, one page wide, header row repeated, and a header/footer
        # saying whose return, which quarter, its status, its marking and the page number.
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${header_row}:${header_row}", ws.title
        assert ws.oddHeader.left.text == "YJB KPI return: Leicestershire"
        assert ws.oddHeader.center.text == "2025-26 Q2 DRAFT" and ws.oddHeader.right.text == "OFFICIAL-SENSITIVE"
        assert ws.oddFooter.center.text == "Page &P of &N"
        for row in ws.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.startswith("=")), f"formula on {ws.title}"
    cover = {r[0]: r[1] for r in wb["Cover"].iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert wb["Cover"]["A1"].value == "YJB KPI return, Leicestershire, 2025-26 Q2: DRAFT"
    assert cover["Status"] == result.status == "DRAFT"  # no education snapshot loaded for the report date
    assert cover["Quarter"] == "2025-26 Q2" and "case_system" in cover["Source deliveries"]
    case_id, case_extracted = result.sources["case_system"]
    assert f"case_system: {case_id} (extracted {case_extracted})" in cover["Source deliveries"]
    assert "ete_hours_school_age" in cover  # the counting rules in force are recorded
    ws = wb["KPI1 Accommodation"]
    assert ws["A1"].value == "KPI 1 Accommodation, 2025-26 Q2: DRAFT"
    headers = [c.value for c in ws[3]]
    assert headers == ["measure", "meaning", "figure", "TOTAL", "PREVENTION_DIVERSION", "OUT_OF_COURT", "FIRST_TIER",
                       "COMMUNITY", "CUSTODY"]
    rows = {(r[0].value, r[2].value): r for r in ws.iter_rows(min_row=4) if r[0].value}
    assert rows[("kpi1.cohort", "value")][1].value == "children in the KPI cohort"
    assert rows[("kpi1.suitable_end_pct", "value")][3].number_format == '0.0"%"'
    assert rows[("kpi1.suitable_end_pct", "numerator")][3].value == rows[("kpi1.suitable_end", "value")][3].value
    assert rows[("kpi1.suitable_end_pct", "denominator")][3].value == rows[("kpi1.cohort", "value")][3].value
    ni = wb["National indicators"]["A2"].value
    assert "local figures" in ni.lower() and "rolling 12 months 01 October 2024 to 30 September 2025" in ni
    assert "Reoffending cohort: 2023-24 Q4" in ni


def test_figures_csv_is_the_figures_sheet_and_holds_every_kpi_sheet_number(produced):
    _, result = produced
    with open(result.figures_csv, newline="") as fh:
        csv_cells = list(csv.reader(fh))
    wb = load_workbook(result.workbook)
    sheet = [["" if v is None else str(v) for v in row] for row in wb["Figures"].iter_rows(values_only=True)]
    assert csv_cells == sheet  # cell for cell, counts as integers
    assert not any(v.endswith(".0") for row in sheet[1:] for v in row[3:]), "a whole number written as a float"
    figures = pd.read_csv(result.figures_csv)
    assert list(figures.columns) == FIGURE_COLUMNS
    by_key = {(r.measure, r.breakdown): r for r in figures.itertuples()}
    for kpi, title in SHEETS.items():
        rows = list(wb[title].iter_rows(min_row=3, values_only=True))
        header = rows[0]
        for row in rows[1:]:
            if row[0] is None:
                continue
            for breakdown, value in zip(header[3:], row[3:]):
                key = (row[0], breakdown)
                if value is None and key not in by_key:
                    continue  # a blank cell: no such figure (e.g. board meetings by partner)
                assert key in by_key, key
                expected = getattr(by_key[key], row[2])
                assert (value is None and pd.isna(expected)) or value == pytest.approx(expected), key
    # Every measure with its breakdowns, zeros included.
    assert len(figures[figures["measure"] == "kpi1.cohort"]) == 6 and len(figures[figures["measure"] == "kpi6.ended"]) == 3
    assert set(figures.loc[figures["measure"] == "kpi8.attended", "breakdown"]) >= {"POLICE", "PROBATION", "HEALTH",
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
    assert change["result"] in ("PASS", "WARN") and "last produced 2025-26 Q2 figures" in change["detail"]


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found or os.geteuid() != 0:
        return found
    subprocess.run("apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui",
                   shell=True, capture_output=True, timeout=900)
    return shutil.which("soffice") or shutil.which("libreoffice")


def _pdf_text(soffice, workbook, folder) -> list[str]:
    from tests.pdf_pages import pdf_page_texts

    out = subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
                         capture_output=True, text=True, timeout=300)
    pdf = folder / (workbook.stem + ".pdf")
    assert out.returncode == 0 and pdf.exists(), out.stderr
    return pdf_page_texts(pdf)


def test_printed_workbook_reads_like_the_hand_made_return(produced, tmp_path):
    """Converted to PDF by LibreOffice, as a printer would see it: every measure's wording is
    there in full, and every page carries the service, quarter, status, marking and page number."""
    from transforms.kpis.wording import MEASURE_WORDING

    _, result = produced
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed and cannot be installed here (not root)")
    pages = _pdf_text(soffice, result.workbook, tmp_path)
    text = " ".join(pages)
    measures = set(pd.read_csv(result.figures_csv)["measure"])
    for measure in measures:
        wording = " ".join(MEASURE_WORDING[measure].split())
        assert wording in text, f"{measure}: '{wording}' is not on the printed pages"
    for number, page in enumerate(pages, start=1):
        assert "YJB KPI return: Leicestershire" in page and "2025-26 Q2 DRAFT" in page, number
        assert "OFFICIAL-SENSITIVE" in page, number
        assert re.search(r"Page \d+ of \d+", page), number
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_printed_evidence_workbook_keeps_its_columns_and_its_read_me_fits_a_page(produced, tmp_path):
    _, result = produced
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed and cannot be installed here (not root)")
    wb = load_workbook(result.evidence)
    # Only the read-me and the quarantine list: the evidence list itself runs to many pages.
    del wb["Evidence"]
    small = tmp_path / "evidence_readme.xlsx"
    wb.save(small)
    pages = _pdf_text(soffice, small, tmp_path)
    read_me = [p for p in pages if "Never send this workbook to the YJB" in p]
    assert len(read_me) == 1, "the read-me does not fit one page"
    assert "fix the source and reload, then regenerate the return" in read_me[0]
    assert all("not for the YJB" in p and "2025-26 Q2" in p for p in pages)
    evidence = load_workbook(result.evidence)["Evidence"]
    widths = {c: evidence.column_dimensions[c].width for c in "ABCDEF"}
    longest = {c: max(len(str(v.value or "")) for v in evidence[c][:500]) for c in "ABCDEF"}
    assert all(widths[c] >= longest[c] for c in "ABCDEF"), (widths, longest)


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


def test_kpi_dag_reports_the_quarter_it_was_scheduled_for(airflow_db, tmp_path, sample_dir, monkeypatch):
    """A run for 1 April 2026 06:00 London reports 2025-26 Q4, although the wall clock is in
    another quarter; a mistyped quarter param fails with a message saying how to write one."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from transforms.periods import quarter_containing
    from yj_airflow.runner import load_dags, run_dag

    assert quarter_containing(dt.date.today()).previous.code != "2025Q4"  # the wall clock would say otherwise
    landing = copy_landing(sample_dir, tmp_path / "landing")
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
                 "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}.items():
        monkeypatch.setenv(k, v)
    dags = load_dags()
    assert run_dag(dags["case_system_nightly"])["ok"]
    scheduled = run_dag(dags["yjb_kpi_quarterly"], logical_date=dt.datetime(2026, 4, 1, 6, 0, tzinfo=ZoneInfo("Europe/London")))
    assert scheduled["ok"], scheduled
    assert scheduled["tasks"]["resolve_quarter"]["result"]["quarter"] == "2025-26 Q4"
    assert scheduled["tasks"]["produce_kpi_return"]["result"]["quarter"] == "2025-26 Q4"
    assert (tmp_path / "output" / "kpi" / "2025Q4" / "figures.csv").exists()

    mistyped = run_dag(dags["yjb_kpi_quarterly"], {"quarter": "2025Q7"})
    assert not mistyped["ok"] and mistyped["tasks"]["resolve_quarter"]["state"] == "failed"
    from yj_airflow.tasks import resolve_quarter

    with pytest.raises(ValueError, match=r"the quarter param '2025Q7' is not a quarter: write it like 2025Q2"):
        resolve_quarter("2025Q7")
