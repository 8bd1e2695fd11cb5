"""The custody refresh on hand-made files: overlapping windows, updates, a late older file,
a duplicate and a corrected file, a future extract time, clock-change nights, a detention
open across refreshes, bad rows; then the DAG on the sample's files, the briefing checked
with openpyxl and the HTML page rendered in headless Chromium."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.attacker import determined
from tests.integration.helpers import find_or_install_chromium, screenshot
from tests.conftest import copy_landing, make_settings
from transforms.custody.briefing import TABLE_ROW
from transforms.custody.enrich import CustodyRules, hours_between, was_overnight
from transforms.custody.load import load_new_custody_files
from transforms.custody.refresh import refresh_custody
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import CUSTODY_COLUMNS, custody_detention, custody_detention_version, quarantine

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 21, 12, 0)


def row(ref, arrival, release="", **kw):
    base = {c: "" for c in CUSTODY_COLUMNS}
    base.update(custody_ref=ref, custody_suite="Euston Street", arrival_datetime=arrival, release_datetime=release,
                surname="Testchild", forenames=f"Kid{ref[-2:]}", date_of_birth="2011-05-05", sex="M",
                self_defined_ethnicity="W1", officer_defined_ethnicity="IC1", offence_description="Common assault",
                appropriate_adult_requested="", appropriate_adult_arrived="", strip_search="N")
    base.update(kw)
    return base


def write(landing: Path, name: str, rows: list[dict]) -> Path:
    folder = landing / "police_custody"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pd.DataFrame(rows, columns=CUSTODY_COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture
def setup(tmp_path):
    landing = tmp_path / "landing"
    settings = make_settings(tmp_path, landing)
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    return landing, settings, engine


def _live(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(select(custody_detention), conn).set_index("custody_ref")


def _versions(engine) -> int:
    with engine.connect() as conn:
        return len(pd.read_sql_query(select(custody_detention_version), conn))


def test_newest_extract_wins_and_a_late_older_file_never_overwrites(setup):
    landing, settings, engine = setup
    write(landing, "custody_20261119_0700.csv", [row("R01", "2026-11-19T02:00:00")])
    write(landing, "custody_20261119_1500.csv", [row("R01", "2026-11-19T02:00:00", "2026-11-19T10:00:00", outcome="RUI")])
    load_new_custody_files(settings, engine, NOW)
    # A file from 11:00 that day arrives late, still showing the child detained in another suite.
    write(landing, "custody_20261119_1100.csv", [row("R01", "2026-11-19T02:00:00", custody_suite="Keyham Lane")])
    reports = load_new_custody_files(settings, engine, NOW)
    assert [r.file_name for r in reports] == ["custody_20261119_1100.csv"]
    live = _live(engine).loc["R01"]
    assert live["outcome"] == "RUI" and live["custody_suite"] == "Euston Street" and live["versions"] == 3
    assert pd.Timestamp(live["extract_time"]) == pd.Timestamp("2026-11-19 15:00")
    assert _versions(engine) == 3  # history kept


def test_rerun_and_duplicate_change_nothing_a_corrected_file_replaces_its_extract(setup):
    landing, settings, engine = setup
    path = write(landing, "custody_20261120_0700.csv", [row("R02", "2026-11-20T01:00:00")])
    load_new_custody_files(settings, engine, NOW)
    before = (_live(engine), _versions(engine))
    assert load_new_custody_files(settings, engine, NOW) == []  # re-run
    backup = landing.parent / "custody.bak"
    shutil.copy(path, backup)
    path.write_bytes(backup.read_bytes())  # the same file delivered again
    assert load_new_custody_files(settings, engine, NOW) == []
    pd.testing.assert_frame_equal(before[0], _live(engine))
    write(landing, "custody_20261120_0700.csv", [row("R02", "2026-11-20T01:00:00", custody_suite="Coalville")])
    (report,) = load_new_custody_files(settings, engine, NOW)
    assert report.outcome == "LOADED" and _live(engine).loc["R02", "custody_suite"] == "Coalville"
    assert _versions(engine) == before[1]  # the correction replaced that extract's version


def test_a_file_with_a_future_extract_time_is_rejected(setup):
    landing, settings, engine = setup
    write(landing, "custody_20261123_0700.csv", [row("R03", "2026-11-20T01:00:00")])
    (report,) = load_new_custody_files(settings, engine, NOW)
    assert report.outcome == "REJECTED" and "in the future" in report.reason
    assert _live(engine).empty


def test_a_detention_open_across_refreshes(setup):
    landing, settings, engine = setup
    arrival = "2026-11-19T20:00:00"
    for name in ("custody_20261120_0700.csv", "custody_20261120_1500.csv"):
        write(landing, name, [row("R04", arrival)])
        report = refresh_custody(settings, engine, NOW)
    xlsx = next(p for p in report.outputs if p.name.startswith("duty_briefing") and p.suffix == ".xlsx")
    wb = load_workbook(xlsx)
    still = list(wb["Still detained"].iter_rows(min_row=TABLE_ROW, values_only=True))
    assert still[0][8] == "Time in custody" and still[0][-1] == "Case ref"
    assert still[1][0] == "R04" and still[1][8] == "19 h 00 min"  # 20:00 to 15:00 next day
    assert wb["New since last refresh"].cell(row=TABLE_ROW, column=1).value == "None at this refresh."  # seen at 07:00
    assert len(list(wb["Overnight last night"].iter_rows(min_row=TABLE_ROW))) == 2
    # Every sheet says when and how it is marked, on screen and on paper.
    for sheet in wb.worksheets:
        assert "as at 20/11/2026 15:00" in sheet["A2"].value and "OFFICIAL-SENSITIVE" in sheet["A2"].value
        assert sheet.oddHeader.center.text == "OFFICIAL-SENSITIVE" and "Page &P of &N" in sheet.oddFooter.right.text
    page = next(p for p in report.outputs if p.suffix == ".html").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:600px)" in page and "class='scroll'" in page and "19 h 00 min" in page
    # The 15:00 file has the same bytes as the 07:00 one: recorded as a DUPLICATE (its time still
    # moves the as-at time), not loaded again, so one version.
    assert _live(engine).loc["R04", "versions"] == 1


def test_bad_rows_are_quarantined_and_counts_reconcile(setup):
    landing, settings, engine = setup
    rows = [row("R10", "2026-11-20T03:00:00", "2026-11-20T01:00:00"),  # released before arrival
            row("R11", "2026-11-20T03:00:00", date_of_birth="2006-01-01"),  # aged 20
            row("R12", "2026-11-20T03:00:00", pace_transfer_requested="N", pace_transfer_achieved="Y"),
            row("R13", "2026-11-20T03:00:00", "2026-11-20T05:00:00", outcome="RELEASED_NO_CHARGE"),
            row("R14", "2026-11-20T03:00:00")]
    write(landing, "custody_20261120_0700.csv", rows)
    (report,) = load_new_custody_files(settings, engine, NOW)
    assert (report.read, report.loaded, report.quarantined) == (5, 1, 4)
    with engine.connect() as conn:
        q = pd.read_sql_query(select(quarantine.c.line_number, quarantine.c.rules, quarantine.c.reason), conn)
    assert dict(zip(q["line_number"], q["rules"])) == {2: "CUS-22", 3: "CUS-23", 4: "CUS-24", 5: "CUS-17"}
    assert not q["reason"].str.contains("Testchild|2006-01-01|Kid1").any()  # no name or date of birth


def test_clock_change_nights_count_real_hours():
    assert hours_between(dt.datetime(2026, 10, 24, 22, 0), dt.datetime(2026, 10, 25, 6, 0)) == 9.0  # clocks back
    assert hours_between(dt.datetime(2026, 3, 28, 22, 0), dt.datetime(2026, 3, 29, 6, 0)) == 7.0  # clocks forward
    rules = CustodyRules()
    assert was_overnight(dt.datetime(2026, 10, 25, 5, 59), dt.datetime(2026, 10, 25, 9, 0), rules)
    assert not was_overnight(dt.datetime(2026, 10, 25, 6, 0), dt.datetime(2026, 10, 25, 23, 59), rules)


def test_custody_dag_on_sample_files_writes_a_briefing_chromium_can_show(airflow_db, tmp_path, sample_dir, monkeypatch):
    from yj_airflow.runner import load_dags, run_dag

    landing = copy_landing(sample_dir, tmp_path / "landing")
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
                 "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}",
                 "YJ_SUPPRESSION_THRESHOLD": "10"}.items():  # the shared figures follow the setting
        monkeypatch.setenv(k, v)
    dags = load_dags()
    assert run_dag(dags["case_system_nightly"])["ok"]
    result = run_dag(dags["police_custody_refresh"])
    assert result["ok"], result
    files = result["tasks"]["refresh_custody_and_write_briefing"]["result"]["files"]
    # Files with the same bytes as an earlier extract (e.g. two with no detention) are DUPLICATEs.
    assert len(files) == 8 and all(f["outcome"] in ("LOADED", "DUPLICATE") for f in files)
    distinct = {p.read_bytes() for p in (landing / "police_custody").glob("custody_*.csv")}
    assert sum(f["outcome"] == "LOADED" for f in files) == len(distinct)
    outputs = [Path(p) for p in result["tasks"]["refresh_custody_and_write_briefing"]["result"]["outputs"]]
    for path in outputs:  # file names never carry a name
        assert not any(ch.isupper() for ch in path.name.replace("Q", ""))
    briefing = load_workbook(next(p for p in outputs if p.suffix == ".xlsx" and p.name.startswith("duty_briefing")))
    assert briefing.sheetnames[:3] == ["Summary", "Still detained", "New since last refresh"]
    summary = {r[0]: r[1] for r in briefing["Summary"].iter_rows(min_row=TABLE_ROW + 1, values_only=True)}
    # A child the service knows carries its case reference; one it does not, none.
    rows = list(briefing["Not known to the service"].iter_rows(min_row=TABLE_ROW, values_only=True))
    assert rows[0][-1] == "Case ref" and all(r[-1] in ("", None) for r in rows[1:])
    known = []
    for sheet in briefing.worksheets[1:]:
        table = list(sheet.iter_rows(min_row=TABLE_ROW, values_only=True))
        if len(table) > 1:
            header = list(table[0])
            known += [r[header.index("Case ref")] for r in table[1:] if r[header.index("Known to YJS")] == "Yes"]
    assert all(known), known
    assert set(summary) == {"Still detained", "New since last refresh", "Overnight last night", "Transfers not achieved",
                            "Appropriate adult awaited", "Not known to the service"}
    assert summary["Not known to the service"] >= 1  # the sample has children the service does not know
    shared = next(p for p in outputs if p.name.endswith("_shared.xlsx"))
    internal = next(p for p in outputs if p.name.endswith("_internal.xlsx"))
    counts = [r[4] for r in load_workbook(shared).active.iter_rows(min_row=2, values_only=True)]
    raw = [r[4] for r in load_workbook(internal).active.iter_rows(min_row=2, values_only=True)]
    assert all(not isinstance(c, int) or c == 0 or c >= 10 for c in counts)  # small numbers suppressed
    assert "<10" in counts and sum(raw) > 0
    # Ages are banded (no single age singles a child out), and no hidden count follows from the
    # TOTAL rows: the attacker finds none determined.
    rows = list(load_workbook(shared).active.iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in rows if r[2] == "age"} <= {"10 to 13", "14 to 15", "16 to 17", "Not known"}
    published = {"|".join(map(str, r[:4])): str(r[4]) for r in rows}
    relations = [("|".join(map(str, (t[0], t[1], "TOTAL", "TOTAL"))),
                  ["|".join(map(str, r[:4])) for r in rows if r[:2] == t[:2] and r[2] == kind])
                 for t in rows if t[2] == "TOTAL" for kind in ("ethnic_group", "age", "sex")]
    assert determined(published, relations) == {}
    chromium = find_or_install_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed and cannot be installed here (not root)")
    page = next(p for p in outputs if p.suffix == ".html")
    shot = tmp_path / "duty_briefing.png"
    screenshot(chromium, page, shot, tmp_path / "chrome")
    assert shot.exists() and shot.stat().st_size > 20_000


def test_an_empty_file_still_moves_the_as_at_time(setup):
    landing, settings, engine = setup
    write(landing, "custody_20261120_0700.csv", [row("R20", "2026-11-20T01:00:00", "2026-11-20T04:00:00", outcome="NFA")])
    write(landing, "custody_20261120_1500.csv", [])
    report = refresh_custody(settings, engine, NOW)
    assert report.as_at == dt.datetime(2026, 11, 20, 15, 0)
    assert any("20261120_1500" in p.name for p in report.outputs)
