"""Every failing row is quarantined at any volume. Great Expectations returns at most 200 failing
values per expectation (``MAX_RESULT_RECORDS``); the quarantine must not inherit that cap.

Each source is fed 20,000 rows of which 10,000 fail one rule (half, the largest share the
default ``max_quarantined_share`` lets load), through the source's real load; the audit, the
quarantine table, the report and Data Docs must agree, and no failing value may reach a live
table. One row more than half makes the share rule reject the table, which it can only do if
it sees the true count."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.integration.ingest_harness import run_source, settings_for
from transforms.identifiers import upn_check_letter
from transforms.sample import defects
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import (
    CORE_TABLES, EDUCATION_TABLES, audit_table_count, custody_detention, quarantine,
)

pytestmark = pytest.mark.integration

ROWS, BAD = 20_000, 10_000


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _write(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    frame.to_csv(path, index=False, encoding=encoding)


def _grown(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``rows`` rows cycling through ``frame``'s rows (new keys are set by the caller)."""
    return frame.iloc[[i % len(frame) for i in range(rows)]].reset_index(drop=True)


def _upns(count: int, start: int = 0) -> list[str]:
    bodies = [f"{960000000000 + start + i:012d}" for i in range(count)]
    return [upn_check_letter(b) + b for b in bodies]


def _landing(tmp_path: Path, sample_dir: Path, source_folder: str) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(sample_dir / "landing" / source_folder, landing / source_folder)
    return landing


def _counts(settings, source: str) -> tuple[int, int, int]:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        read, loaded, held = conn.execute(select(
            func.sum(audit_table_count.c.rows_read), func.sum(audit_table_count.c.rows_loaded),
            func.sum(audit_table_count.c.rows_quarantined)).where(audit_table_count.c.source == source)).one()
        in_quarantine = conn.execute(select(func.count()).select_from(quarantine)
                                     .where(quarantine.c.source == source)).scalar_one()
    engine.dispose()
    assert held == in_quarantine, "the audit and the quarantine table disagree"
    return int(read), int(loaded), int(held)


def _live_values(settings, table, column: str) -> pd.Series:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        values = pd.read_sql_query(select(table.c[column]), conn)[column]
    engine.dispose()
    return values


def _outputs_agree(run, quarantined: int) -> None:
    """The report's JSON summary counts by rule and the Data Docs index count the same rows."""
    summary = next(Path(p) for p in run.outputs if Path(p).name.startswith("load_summary_"))
    data = json.loads(summary.read_text())
    assert sum(t["rows_quarantined"] for t in data["tables"]) == quarantined
    index = next(Path(p) for p in run.outputs if Path(p).name == "index.html").read_text()
    # Each suite's row: name, result, expectations met, rows quarantined, rules failed.
    shown = [int(n) for n in re.findall(r"</a></td><td>[^<]*</td><td>[^<]*</td><td>(\d+)</td>", index)]
    assert sum(shown) == quarantined, (shown, quarantined)


def _ccis_with_unknown_codes(tmp_path: Path, sample_dir: Path, failing: int) -> Path:
    """A CCIS file of 20,000 records, the first ``failing`` with an activity code no list has."""
    landing = _landing(tmp_path, sample_dir, "ccis")
    path = next((landing / "ccis").iterdir())
    frame = _grown(_read(path), ROWS)
    frame["ccis_id"] = [f"CV{i:07d}" for i in range(ROWS)]
    frame.loc[: failing - 1, "activity_code"] = "999"
    _write(frame, path)
    return landing


def test_ten_thousand_unknown_ccis_activity_codes_are_all_quarantined(tmp_path, sample_dir):
    landing = _ccis_with_unknown_codes(tmp_path, sample_dir, BAD)
    settings = settings_for(tmp_path, landing)

    run = run_source("ccis", settings)

    assert run.reports[0].outcome == "LOADED", run.reports[0].reason
    assert _counts(settings, "ccis") == (ROWS, ROWS - BAD, BAD)
    assert "999" not in set(_live_values(settings, EDUCATION_TABLES["ccis_activity"], "activity_code"))
    _outputs_agree(run, BAD)


def test_a_mix_of_rules_at_volume_quarantines_each_failing_row_once(tmp_path, sample_dir):
    landing = _landing(tmp_path, sample_dir, "ccis")
    path = next((landing / "ccis").iterdir())
    frame = _grown(_read(path), ROWS)
    frame["ccis_id"] = [f"CV{i:07d}" for i in range(ROWS)]
    frame.loc[0:3999, "activity_code"] = "999"               # 4,000 with one rule
    frame.loc[3000:6999, "activity_start_date"] = "someday"   # 4,000 with another, 1,000 of them with both
    _write(frame, path)
    settings = settings_for(tmp_path, landing)

    run = run_source("ccis", settings)

    assert run.reports[0].outcome == "LOADED", run.reports[0].reason
    assert _counts(settings, "ccis") == (ROWS, ROWS - 7000, 7000)
    _outputs_agree(run, 7000)


def test_one_row_more_than_half_failing_rejects_the_table(tmp_path, sample_dir):
    landing = _ccis_with_unknown_codes(tmp_path, sample_dir, BAD + 1)
    settings = settings_for(tmp_path, landing)

    run = run_source("ccis", settings)

    report = run.reports[0]
    assert report.outcome == "REJECTED"
    assert "10,001 of 20,000 rows quarantined" in report.reason
    assert len(_live_values(settings, EDUCATION_TABLES["ccis_activity"], "activity_code")) == 0


def test_ten_thousand_children_with_an_unknown_sex_code_are_all_quarantined(tmp_path, sample_dir):
    landing = _landing(tmp_path, sample_dir, "case_system")
    folder = next((landing / "case_system").iterdir())
    children = _read(folder / "YJ_Children.csv")
    extra = _grown(children, ROWS - len(children))
    extra["Child ID"] = [f"CV{i:06d}" for i in range(len(extra))]
    extra["UPN"], extra["PNC ID"] = "", ""
    extra.loc[: BAD - 1, "Sex"] = "Not a sex code"
    _write(pd.concat([children, extra], ignore_index=True), folder / "YJ_Children.csv", "utf-8-sig")
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["name"] == "YJ_Children.csv":
            entry["rows"]["child"] = ROWS
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    defects.rehash(folder)
    settings = settings_for(tmp_path, landing)

    run = run_source("case_system", settings)

    assert run.reports[0].outcome == "LOADED", run.reports[0].reason
    child = run.reports[0].counts["child"]
    assert (child.read, child.loaded, child.quarantined) == (ROWS, ROWS - BAD, BAD)
    assert len(_live_values(settings, CORE_TABLES["child"], "child_id")) == ROWS - BAD
    _outputs_agree(run, run.reports[0].quarantined)


def test_ten_thousand_unknown_sen_codes_and_ten_thousand_orphans_are_all_quarantined(tmp_path, sample_dir):
    landing = _landing(tmp_path, sample_dir, "education")
    folder = next((landing / "education").iterdir())
    pupils = _grown(_read(folder / "pupils.csv"), ROWS)
    pupils["upn"], pupils["former_upn"] = _upns(ROWS), ""
    pupils.loc[: BAD - 1, "sen_provision"] = "Q"
    attendance = _grown(_read(folder / "attendance.csv"), ROWS)
    attendance["upn"] = _upns(ROWS)  # 10,000 of them name a pupil who is quarantined: orphans
    _write(pupils, folder / "pupils.csv")
    _write(attendance, folder / "attendance.csv")
    suspensions = _read(folder / "suspensions.csv")
    _write(suspensions.iloc[0:0], folder / "suspensions.csv")
    settings = settings_for(tmp_path, landing)

    run = run_source("education", settings)

    report = run.reports[0]
    assert report.outcome == "LOADED", report.reason
    pupil, held = report.counts["pupil"], report.counts["attendance"]
    assert (pupil.read, pupil.loaded, pupil.quarantined) == (ROWS, ROWS - BAD, BAD)
    assert (held.read, held.loaded, held.quarantined) == (ROWS, ROWS - BAD, BAD)
    assert "Q" not in set(_live_values(settings, EDUCATION_TABLES["pupil"], "sen_provision"))
    _outputs_agree(run, report.quarantined)


def test_ten_thousand_detentions_released_before_arrest_are_all_quarantined(tmp_path, sample_dir):
    landing = _landing(tmp_path, sample_dir, "police_custody")
    files = sorted((landing / "police_custody").iterdir())
    sample = pd.concat([_read(f) for f in files], ignore_index=True)
    for f in files:
        f.unlink()
    frame = _grown(sample, ROWS)
    frame["custody_ref"] = [f"CV26-{i:06d}" for i in range(ROWS)]
    frame["release_datetime"] = ""
    frame.loc[: BAD - 1, "release_datetime"] = "2020-01-01T00:00:00"
    _write(frame, landing / "police_custody" / "custody_20261121_0700.csv")
    settings = settings_for(tmp_path, landing)

    run = run_source("police_custody", settings)

    (report,) = run.reports
    assert report.outcome == "LOADED", report.reason
    assert (report.read, report.loaded, report.quarantined) == (ROWS, ROWS - BAD, BAD)
    assert len(_live_values(settings, custody_detention, "custody_ref")) == ROWS - BAD
    _outputs_agree(run, BAD)


@pytest.mark.postgres
def test_ten_thousand_failing_rows_on_postgresql(tmp_path, sample_dir, postgres_url):
    landing = _ccis_with_unknown_codes(tmp_path, sample_dir, BAD)
    settings = settings_for(tmp_path, landing).with_overrides(warehouse_url=postgres_url)

    run = run_source("ccis", settings)

    assert run.reports[0].outcome == "LOADED", run.reports[0].reason
    assert _counts(settings, "ccis") == (ROWS, ROWS - BAD, BAD)
    assert "999" not in set(_live_values(settings, EDUCATION_TABLES["ccis_activity"], "activity_code"))
    _outputs_agree(run, BAD)
