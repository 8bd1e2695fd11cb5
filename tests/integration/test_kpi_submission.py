"""Submitted is frozen (issue 12): submit a return through ``yj``, load a corrected delivery
and regenerate: the archived workbook and the frozen figures are unchanged, the new workbook's
Revisions sheet lists exactly the figures that changed, and the next quarter compares with
what was submitted. On the embedded warehouse and on PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.integration.kpi_fixtures import build_warehouse, edit_corepl_table, uk_date, write_snapshot
from transforms.ingest.sources import load_case_system, load_education, load_reference_sources
from transforms.kpis.produce import produce_and_submit, produce_return
from transforms.kpis.submission import SignOff
from transforms.periods import Quarter
from transforms.ingest.delivery import file_sha256
from transforms.kpis.submission import figures_fingerprint, workbook_figures
from transforms.warehouse.schema import kpi_figure_submitted, kpi_submission

pytestmark = pytest.mark.integration


def _yj(settings, *args, out=None):
    env = {k: v for k, v in os.environ.items() if k != "USER"}  # as in a container: no $USER to fall back on
    return subprocess.run([sys.executable, "-m", "yj_airflow.cli", *args, "--warehouse", settings.warehouse_url,
                           "--out", str(out or settings.output_dir)], capture_output=True, text=True, timeout=600, env=env)


def _figures(path) -> dict:
    with open(path, newline="") as fh:
        return {(r["measure"], r["breakdown"]): r for r in csv.DictReader(fh)}


def _corrected_delivery(landing, moved: dict) -> None:
    """A new delivery, extracted a day later, in which the supplier moved the end of one episode
    that ended in 2025-26 Q2 into the next quarter (the BI team's correction)."""
    old = next((landing / "case_system").iterdir())
    new = landing / "case_system" / "corepl-20261121"
    shutil.copytree(old, new)
    manifest = json.loads((new / "manifest.json").read_text())
    manifest.update(delivery_id="corepl-20261121", extracted_at="2026-11-21T01:30:00")
    (new / "manifest.json").write_text(json.dumps(manifest, indent=2))

    def move(header, rows):
        end, kind, child = header.index("End Date"), header.index("Episode Type"), header.index("Child ID")
        in_q2 = [i for i, r in enumerate(rows[1:], 1) if r[end] and ("2025", "07") <= uk_date(r[end])[:2] <= ("2025", "09")]
        per_child = pd.Series([rows[i][child] for i in in_q2]).value_counts()
        # A child whose only episode ending in the quarter is a counted one: the cohort shrinks by one.
        i = next(i for i in in_q2 if per_child[rows[i][child]] == 1
                 and not rows[i][kind].startswith(("Remand", "Bail")))
        moved["episode"] = rows[i][0]
        rows[i][end] = "15/10/2025"

    edit_corepl_table(new, "YJ_Episodes.csv", move)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_submitted_return_is_frozen_and_regeneration_shows_revisions(tmp_path, backend, request):
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    settings, engine = build_warehouse(tmp_path, "corepl", warehouse_url=url)
    landing = str(settings.landing_dir)
    submitted = _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing, "--submit",
                    "--approved-by", "Head of Service", "--reason", "first quarter of the service: no previous figures")
    assert submitted.returncode == 0, submitted.stderr
    assert "2025-26 Q2: submitted; figures frozen, workbook archived unchanged" in submitted.stdout
    folder = settings.output_dir / "kpi" / "2025Q2"
    archive = folder / "submitted" / "yjb_kpi_return_leicestershire_2025-26_Q2.xlsx"
    archived_bytes = archive.read_bytes()
    before = _figures(folder / "figures.csv")
    shutil.copy(folder / "figures.csv", tmp_path / "figures_submitted.csv")

    again = _yj(settings, "submit-return", "--quarter", "2025Q2", "--approved-by", "Head of Service", "--reason", "again")
    assert again.returncode == 2 and "2025-26 Q2 was already submitted" in again.stderr and "Traceback" not in again.stderr

    moved = {}
    _corrected_delivery(settings.landing_dir, moved)
    assert load_case_system(settings, engine).outcome == "LOADED"
    regenerated = _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing)
    assert regenerated.returncode == 0, regenerated.stderr

    # The submitted workbook and figures are untouched.
    assert archive.read_bytes() == archived_bytes
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission)).mappings().one()
        frozen = pd.read_sql_query(select(kpi_figure_submitted), conn)
    assert row["workbook_sha256"] == file_sha256(archive) == hashlib.sha256(archived_bytes).hexdigest()
    assert row["sources"]["case_system"][0] == "corepl-20261120"
    assert len(frozen) == len(before)

    # Exactly the figures that differ between the two figures.csv files are on Revisions.
    after = _figures(folder / "figures.csv")
    changed = {(m, b, part) for (m, b), r in after.items() for part in ("value", "numerator", "denominator")
               if r[part] != before[(m, b)][part]}
    assert changed, "the correction changed no figure"
    assert ("kpi1.cohort", "TOTAL", "value") in changed
    sheet = load_workbook(folder / "yjb_kpi_return_leicestershire_2025-26_Q2.xlsx")["Revisions"]
    header = [c.value for c in sheet[1]]
    revisions = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {(r["measure"], r["breakdown"], r["figure"]) for r in revisions} == changed
    for r in revisions:
        assert str(r["submitted"]) == before[(r["measure"], r["breakdown"])][r["figure"]]
        assert str(r["now"]) == after[(r["measure"], r["breakdown"])][r["figure"]]
        assert r["explained_by"] == "case_system: corepl-20261120 -> corepl-20261121 (extracted 2026-11-21T01:30:00+00:00)"

    # The next quarter compares with what was submitted, not with the regenerated figures.
    later = _yj(settings, "kpi", "--quarter", "2025Q3", "--landing", landing)
    assert later.returncode == 0, later.stderr
    checks = load_workbook(settings.output_dir / "kpi" / "2025Q3" / "yjb_kpi_return_leicestershire_2025-26_Q3.xlsx")["Checks"]
    change = next(r for r in checks.iter_rows(min_row=2, values_only=True) if r[0] == "Change from the previous quarter")
    assert "submitted 2025-26 Q2 figures" in change[3], change


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_workbook_whose_figures_are_not_the_warehouses_is_refused(tmp_path, backend, request):
    """Produce into A, load a correction, produce into B, submit A: refused in one line, nothing
    archived or frozen. Then B, whose figures are the warehouse's, is submitted: the archive's
    Figures sheet, kpi_submission and the frozen figures share one fingerprint."""
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    settings, engine = build_warehouse(tmp_path, "corepl", warehouse_url=url)
    landing = str(settings.landing_dir)
    a, b = tmp_path / "A", tmp_path / "B"
    assert _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing, out=a).returncode == 0
    moved = {}
    _corrected_delivery(settings.landing_dir, moved)
    assert load_case_system(settings, engine).outcome == "LOADED"
    assert _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing, out=b).returncode == 0
    a_figures, b_figures = _figures(a / "kpi" / "2025Q2" / "figures.csv"), _figures(b / "kpi" / "2025Q2" / "figures.csv")
    assert a_figures[("kpi1.cohort", "TOTAL")]["value"] != b_figures[("kpi1.cohort", "TOTAL")]["value"]

    nameless = _yj(settings, "submit-return", "--quarter", "2025Q2", out=b)
    assert nameless.returncode == 2 and "name the approver to submit a return: --approved-by NAME" in nameless.stderr

    refused = _yj(settings, "submit-return", "--quarter", "2025Q2", "--approved-by", "Head of Service",
                  "--reason", "checked by hand", out=a)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert lines[0].startswith("yj: error: 2025-26 Q2 not submitted: the figures in ") and \
        "are not the figures last produced in the warehouse" in lines[0]
    assert not (a / "kpi" / "2025Q2" / "submitted").exists()
    with engine.connect() as conn:
        assert conn.execute(select(kpi_submission)).first() is None
        assert conn.execute(select(kpi_figure_submitted)).first() is None

    accepted = _yj(settings, "submit-return", "--quarter", "2025Q2", "--approved-by", "Head of Service",
                   "--comment", "checked against the case list", "--reason", "no previous quarter to compare with",
                   out=b)
    assert accepted.returncode == 0, accepted.stderr
    archive = b / "kpi" / "2025Q2" / "submitted" / "yjb_kpi_return_leicestershire_2025-26_Q2.xlsx"
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission)).mappings().one()
        frozen = pd.read_sql_query(select(kpi_figure_submitted), conn)
    assert figures_fingerprint(workbook_figures(archive)) == row["figures_sha256"] == figures_fingerprint(frozen)
    assert row["approved_by"] == row["submitted_by"] == "Head of Service" and row["approved_at"] is not None
    assert row["approval_comment"] == "checked against the case list"
    assert row["draft_reason"] == "no previous quarter to compare with"
    frozen_cohort = frozen.set_index(["measure", "breakdown"]).loc[("kpi1.cohort", "TOTAL"), "value"]
    assert str(int(frozen_cohort)) == b_figures[("kpi1.cohort", "TOTAL")]["value"]
    signoff = json.loads((archive.parent / "signoff.json").read_text())
    assert signoff["approved_by"] == "Head of Service" and signoff["figures_sha256"] == row["figures_sha256"]
    assert signoff["workbook_sha256"] == file_sha256(archive)


def test_produce_and_submit_puts_the_sign_off_on_the_cover_and_a_draft_needs_a_reason(tmp_path):
    settings, engine = build_warehouse(tmp_path, "corepl")
    landing = str(settings.landing_dir)
    draft = _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing, "--submit", "--approved-by", "Head of Service")
    assert draft.returncode == 2 and "2025-26 Q2: DRAFT" in draft.stdout
    assert "it can be approved only with a written reason (--reason TEXT)" in draft.stderr
    assert not (settings.output_dir / "kpi" / "2025Q2" / "submitted").exists()
    done = _yj(settings, "kpi", "--quarter", "2025Q2", "--landing", landing, "--submit", "--approved-by", "Head of Service",
               "--by", "BI analyst", "--reason", "the first quarter: nothing to compare with")
    assert done.returncode == 0, done.stderr
    archive = settings.output_dir / "kpi" / "2025Q2" / "submitted" / "yjb_kpi_return_leicestershire_2025-26_Q2.xlsx"
    cover = {r[0]: r[1] for r in load_workbook(archive)["Cover"].iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert cover["Approved by"] == "Head of Service" and cover["Submitted by"] == "BI analyst"
    assert cover["Approved as DRAFT because"] == "the first quarter: nothing to compare with"
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission)).mappings().one()
    assert cover["Figures fingerprint"].startswith(f"sha256 {row['figures_sha256']} ")


def _revisions(workbook) -> list[dict]:
    sheet = load_workbook(workbook)["Revisions"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_revision_is_explained_by_the_delivery_that_feeds_it(tmp_path, backend, request):
    """Submit 2025-26 Q2, then correct the board register, the population and the education
    snapshot in force at the report date, one after the other: every revised figure names the
    delivery that changed among its own inputs, and only that one."""
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    # The snapshot of 29 September is the one in force at the report date when the return is sent.
    settings, engine = build_warehouse(tmp_path, "corepl", warehouse_url=url,
                                       snapshots=(("20250915", "N"), ("20250929", "E")))
    landing = settings.landing_dir
    q2 = Quarter.parse("2025Q2")
    produce_and_submit(settings, q2, engine, SignOff("Head of Service", draft_reason="a test"))

    # 1. The board administrator corrects the register: a partner recorded as attending a meeting
    # of the quarter with a senior representative did not attend.
    register = landing / "board" / "board_attendance.xlsx"
    wb = load_workbook(register)
    ws = wb.active
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "meeting_date")
    corrected = None
    for r in range(header_row + 1, ws.max_row + 1):
        day = pd.to_datetime(ws.cell(r, 1).value, errors="coerce", dayfirst=True)
        partner = str(ws.cell(r, 2).value or "").strip().upper()
        if not pd.isna(day) and dt.date(2025, 7, 1) <= day.date() <= dt.date(2025, 9, 30) and corrected is None \
                and partner in ("POLICE", "PROBATION", "HEALTH", "EDUCATION") \
                and ws.cell(r, 4).value == "Y" and ws.cell(r, 5).value == "Y":
            ws.cell(r, 4).value = "N"
            corrected = partner
    assert corrected, "the sample has no senior attendance in the quarter"
    wb.save(register)
    assert load_reference_sources(settings, engine)["board"].outcome == "LOADED"
    after_board = produce_return(settings, q2, engine)
    board_rows = after_board.revisions
    assert len(board_rows) and set(board_rows["kpi"]) == {"kpi8"}
    assert set(board_rows["breakdown"]) == {corrected}
    board_now = after_board.sources["board"][0]
    for text in board_rows["explained_by"]:
        assert text.startswith("board: board_attendance-") and f"-> {board_now}" in text
        assert "case_system" not in text and "population" not in text and "education" not in text

    # 2. The population estimate is revised (ONS re-issue): every 10 to 17 count of the year up by 10%.
    population = landing / "reference" / "population.csv"
    pop = pd.read_csv(population, dtype={"population": int})
    pop["population"] = (pop["population"] * 1.1).round().astype(int)
    pop.to_csv(population, index=False)
    assert load_reference_sources(settings, engine)["population"].outcome == "LOADED"
    after_population = produce_return(settings, q2, engine)
    rows = after_population.revisions
    rates = rows[rows["measure"].str.contains("rate_per_")]
    assert set(rates["measure"]) >= {"kpi9.rate_per_10000", "ni.fte.rate_per_100000", "ni.custody.rate_per_1000"}
    population_now = after_population.sources["population"][0]
    for text in rates["explained_by"]:
        assert text.startswith("population: population-") and f"-> {population_now}" in text and "board" not in text
    assert set(rows.loc[rows["kpi"] == "kpi8", "explained_by"]) == set(board_rows["explained_by"])
    assert set(rows["kpi"]) == {"kpi8", "kpi9", "ni"}

    # 3. The education service re-sends the snapshot in force at the report date (30 September):
    # no pupil has a plan in it after all.
    write_snapshot(landing, tmp_path / "education_base", "20250930", "N")
    assert load_education(settings, engine).outcome == "LOADED"
    after_education = produce_return(settings, q2, engine)
    assert after_education.sources["education"][0] == "education-20250930"
    rows = after_education.revisions
    kpi3 = rows[rows["kpi"] == "kpi3"]
    assert len(kpi3) and ("kpi3.formal_plan", "TOTAL", "value") in set(zip(kpi3["measure"], kpi3["breakdown"], kpi3["figure"]))
    assert set(kpi3["explained_by"]) == {"education: education-20250929 -> education-20250930 (extracted 2025-09-30)"}
    assert set(rows["kpi"]) == {"kpi3", "kpi8", "kpi9", "ni"}
    on_sheet = _revisions(after_education.workbook)
    assert {(r["measure"], r["breakdown"], r["figure"], r["explained_by"]) for r in on_sheet} == \
        set(zip(rows["measure"], rows["breakdown"], rows["figure"], rows["explained_by"]))


def test_an_approvers_decision_submits_or_keeps_the_return_with_the_comment(tmp_path):
    """The decision the Airflow sign-off records (transforms.kpis.produce.record_decision):
    a rejection submits nothing and keeps the comment beside the return; approving a DRAFT
    needs a reason; an approval of figures that changed since is refused; an approval with a
    reason submits, the approver on the Cover, in kpi_submission and in signoff.json."""
    from transforms.kpis.produce import Decision, record_decision
    from transforms.kpis.submission import SubmissionError

    settings, engine = build_warehouse(tmp_path, "corepl")
    q2 = Quarter.parse("2025Q2")
    shown = produce_return(settings, q2, engine)
    assert shown.status == "DRAFT"
    at = dt.datetime(2025, 10, 20, 9, 30, tzinfo=dt.timezone.utc)
    rejected = record_decision(settings, q2, engine, Decision(False, "Head of Service", at, "KPI 3 looks low: recheck",
                                                              fingerprint=shown.fingerprint))
    assert rejected["decision"] == "rejected"
    kept = json.loads(Path(rejected["outputs"][0]).read_text())
    assert kept["by"] == "Head of Service" and kept["comment"] == "KPI 3 looks low: recheck"
    with engine.connect() as conn:
        assert conn.execute(select(kpi_submission)).first() is None

    with pytest.raises(SubmissionError, match="it can be approved only with a written reason"):
        record_decision(settings, q2, engine, Decision(True, "Head of Service", at, fingerprint=shown.fingerprint))
    with pytest.raises(SubmissionError, match="its figures changed since they were approved"):
        record_decision(settings, q2, engine, Decision(True, "Head of Service", at, draft_reason="the deadline",
                                                       fingerprint="0" * 64))
    approved = record_decision(settings, q2, engine, Decision(True, "Head of Service", at, "checked",
                                                              "the first quarter: nothing to compare with",
                                                              fingerprint=shown.fingerprint))
    assert approved["decision"] == "approved" and approved["approved_by"] == "Head of Service"
    archive = Path(approved["submitted"])
    cover = {r[0]: r[1] for r in load_workbook(archive)["Cover"].iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert cover["Approved by"] == "Head of Service" and cover["Approved at"] == "2025-10-20 09:30 UTC"
    assert cover["Approval comment"] == "checked"
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission)).mappings().one()
    assert row["approved_by"] == "Head of Service" and row["figures_sha256"] == shown.fingerprint
    assert json.loads((archive.parent / "signoff.json").read_text())["draft_reason"] == \
        "the first quarter: nothing to compare with"
