"""The delivery report a person opens after a load (issue 17 item 6), on deliveries from the
independent corpus (tests/corpus/): the delivery header and the summary by rule come first,
every orphan names its root cause (the parent's row and rule, through any number of
generations), a rejected delivery gets a report too, and every source writes one."""
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


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_orphans_name_the_row_that_started_it(tmp_path):
    """One child's date of birth arrived as an Excel serial number: the child is quarantined, so
    are its episodes, offences and the rest (orphans), and the offences' victims (orphans of
    orphans). Each names the child's row and rule as the root cause."""
    run = _load("cs-corepl-excel-serial-as-text", "case_system", tmp_path)
    [report] = [p for p in run.outputs if p.name.startswith("quarantine_report_")]
    book = load_workbook(report, read_only=True)
    assert book.sheetnames[:2] == ["Delivery", "Summary by rule"]
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
    assert by_rule[0]["rows"] == max(r["rows"] for r in by_rule)  # the biggest problem first
    assert sum(r["rows"] for r in by_rule if r["rule"] == "ORPHAN") == len(orphans)


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
