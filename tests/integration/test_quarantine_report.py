"""The delivery report a person opens after a load (issue 17 item 6), on deliveries from the
independent corpus (tests/corpus/): the summary by rule comes first (each rule described in
words, an orphan counted once under its root cause), then the delivery header; every orphan
names its root cause (the parent's row and rule, through any number of generations), a rejected
delivery gets a report as full as a loaded one's, and every source writes one."""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.integration.ingest_harness import built_corpus, run_source, settings_for

pytestmark = pytest.mark.integration


def _load(case: str, source: str, tmp_path: Path):
    root, _ = built_corpus()
    shutil.copytree(root / case / "landing", tmp_path / "landing", symlinks=True)
    return run_source(source, settings_for(tmp_path, tmp_path / "landing"))


HEADER_ROW = 4  # under the sheet's title and subtitle


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[HEADER_ROW - 1], r)) for r in rows[HEADER_ROW:]]


def test_orphans_name_the_row_that_started_it(tmp_path):
    """One child's date of birth arrived as an Excel serial number: the child is quarantined, so
    are its episodes, offences and the rest (orphans), and the offences' victims (orphans of
    orphans). Each names the child's row and rule as the root cause."""
    run = _load("cs-corepl-excel-serial-as-text", "case_system", tmp_path)
    [report] = [p for p in run.outputs if p.name.startswith("quarantine_report_")]
    book = load_workbook(report, read_only=True)
    assert book.sheetnames[:2] == ["Summary by rule", "Delivery"]
    rows = _sheet(report, "Quarantined rows")
    [child] = [r for r in rows if r["table"] == "child"]
    root = f"{child['file']} row {child['row']} [{child['rules']}]"
    children_file = next((tmp_path / "landing" / "case_system").glob("*/YJ_Children.csv"))
    with open(children_file, encoding="utf-8-sig", newline="") as handle:
        serial_row = next(i for i, r in enumerate(csv.DictReader(handle), start=2) if r["Date of Birth"].isdigit())
    assert child["row"] == serial_row  # the report points at the row a person would open
    orphans = [r for r in rows if r["table"] != "child"]
    assert {r["table"] for r in orphans} >= {"episode", "offence", "victim"}
    for r in orphans:
        assert "ORPHAN" in r["rules"].split(","), r
        assert f"the root cause is {root}" in r["reason"], r["reason"]
    victims = [r for r in orphans if r["table"] == "victim"]
    assert victims and all("its offence row is quarantined" in r["reason"] for r in victims)
    by_rule = _sheet(report, "Summary by rule")
    totals = [r["rows"] + r["dependent rows"] for r in by_rule]
    assert totals == sorted(totals, reverse=True)  # the biggest problem first
    # Each orphan counted once, under the child's rule, as a dependent row.
    assert sum(r["dependent rows"] for r in by_rule) == len(orphans)
    assert sum(r["rows"] for r in by_rule) == 1
    assert {r["rule"] for r in by_rule if r["dependent rows"]} <= set(child["rules"].split(","))
    assert all(r["description"] for r in by_rule)


@pytest.mark.parametrize("case, source", [("cs-corepl-column-missing-required", "case_system"),
                                          ("edu-column-missing", "education")])
def test_a_rejected_delivery_gets_a_report_with_its_reason(case, source, tmp_path):
    run = _load(case, source, tmp_path)
    [rejected] = [r for r in run.reports if r.outcome == "REJECTED"]
    [report] = [p for p in run.outputs if p.name.startswith("rejection_report_")]
    header = {r["item"]: r["value"] for r in _sheet(report, "Delivery")}
    assert header["outcome"] == "REJECTED" and header["reason"] == rejected.reason and rejected.reason


@pytest.mark.parametrize("case, source", [("custody-impossible-dob", "police_custody"),
                                          ("board-impossible-date", "board"),
                                          ("edu-upn-bad-check-letter", "education")])
def test_every_source_writes_its_delivery_report(case, source, tmp_path):
    run = _load(case, source, tmp_path)
    [report] = [p for p in run.outputs if p.name.startswith("quarantine_report_")]
    header = {r["item"]: r["value"] for r in _sheet(report, "Delivery")}
    assert header["source"] == source and header["outcome"] == "LOADED"
    rows = _sheet(report, "Quarantined rows")
    assert rows and len(rows) == header["rows quarantined"]
    assert all(re.search(r"\[[A-Z]{3}-\d\d\]", r["reason"]) for r in rows), rows


def test_a_delivery_rejected_for_too_many_failing_rows_reports_its_rules_and_rows(tmp_path, sample_dir):
    """The share rule rejects the table: the report still shows what was read, each rule with
    its description, and every failing row, so the analyst can see what to fix."""
    import pandas as pd

    shutil.copytree(sample_dir / "landing" / "ccis", tmp_path / "landing" / "ccis")
    path = next((tmp_path / "landing" / "ccis").iterdir())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = len(frame) // 2 + 1
    frame.loc[: bad - 1, "activity_code"] = "999"
    frame.to_csv(path, index=False)
    run = run_source("ccis", settings_for(tmp_path, tmp_path / "landing"))

    [report] = [p for p in run.outputs if p.name.startswith("rejection_report_")]
    assert load_workbook(report, read_only=True).sheetnames[:2] == ["Summary by rule", "Delivery"]
    header = {r["item"]: r["value"] for r in _sheet(report, "Delivery")}
    assert header["outcome"] == "REJECTED"
    assert (header["rows read"], header["rows loaded"], header["rows failing a rule"]) == (len(frame), 0, bad)
    [rule] = _sheet(report, "Summary by rule")
    assert rule["rows"] == bad and "activity_code" in rule["description"] and "code list" in rule["description"]
    rows = _sheet(report, "Rows failing")
    assert len(rows) == bad and all(rule["rule"] in r["rules"] for r in rows)
    counts = _sheet(report, "Counts")
    assert counts == [{"table": "ccis_activity", "rows_read": len(frame), "rows_loaded": 0, "rows_quarantined": bad}]


def _yj(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "yj_airflow.cli", "-q", *args], capture_output=True, text=True,
                          timeout=300)


def _workbook_text(path: Path) -> list[list]:
    book = load_workbook(path, read_only=True)
    return [[list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames]


def test_a_report_lost_to_the_output_disk_is_written_by_the_next_run_and_can_be_rebuilt(tmp_path, sample_dir):
    shutil.copytree(sample_dir / "landing" / "ccis", tmp_path / "landing" / "ccis")
    path = next((tmp_path / "landing" / "ccis").iterdir())
    lines = path.read_text().splitlines()
    lines[1] = ",".join(lines[1].split(",")[:5] + ["999"] + lines[1].split(",")[6:])  # one row quarantined
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ccis").write_text("in the way")  # the report's folder cannot be made: as a full disk would
    common = ["--landing", str(tmp_path / "landing"), "--warehouse", f"sqlite:///{tmp_path / 'wh.sqlite'}",
              "--out", str(out)]

    first = _yj("load-ccis", *common)
    assert first.returncode == 2
    errors = [line for line in first.stderr.splitlines() if line.startswith("yj: error")]
    assert "LOADED" in first.stdout and len(errors) == 1, first.stderr
    assert "the report could not be written" in first.stderr and "the next run" in first.stderr

    (out / "ccis").unlink()
    second = _yj("load-ccis", *common)
    assert second.returncode == 0, second.stderr
    assert "ALREADY_LOADED" in second.stdout and "a report an earlier run could not write" in second.stdout
    [report] = list(out.glob("ccis/*/quarantine_report_*.xlsx"))
    [held] = _sheet(report, "Quarantined rows")
    assert held["row"] == 2 and held["rules"].startswith("CCI-")
    assert "earlier run" not in _yj("load-ccis", *common).stdout  # written once

    kept = _workbook_text(report)
    report.unlink()
    attempt = report.stem.rsplit("_", 1)[-1]
    rebuilt = _yj("report", "--attempt", attempt, "--warehouse", f"sqlite:///{tmp_path / 'wh.sqlite'}", "--out", str(out))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _workbook_text(report) == kept  # the same report, from the warehouse alone
    assert (out / "data_docs" / "ccis").is_dir()
