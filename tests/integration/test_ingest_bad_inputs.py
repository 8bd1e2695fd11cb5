"""Three malformed deliveries that once got through: a custody file cut off part way through its
last row, a detention timed after the file's own extract time, and an education snapshot whose
dates a spreadsheet rewrote as dd/mm/yyyy. Each is quarantined row by row (never loaded as
valid, never a traceback, never a value in a message); a mapping may declare several date
formats for a column."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import select

from tests.integration.ingest_harness import run_source, settings_for, visible_text
from transforms.settings import REFERENCE_DIR
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import EDUCATION_TABLES, custody_detention, quarantine

pytestmark = pytest.mark.integration


def _held(settings) -> pd.DataFrame:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        frame = pd.read_sql_query(select(quarantine.c.line_number, quarantine.c.rules, quarantine.c.reason), conn)
    engine.dispose()
    return frame


def _live(settings, table) -> pd.DataFrame:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        frame = pd.read_sql_query(select(table), conn)
    engine.dispose()
    return frame


def _custody_landing(tmp_path: Path, sample_dir: Path) -> tuple[Path, Path]:
    landing = tmp_path / "landing"
    files = sorted((sample_dir / "landing" / "police_custody").glob("*.csv"))
    frame = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    frame = frame.drop_duplicates("custody_ref", keep="last")  # a detention's newest version, once
    target = landing / "police_custody" / "custody_20261121_0700.csv"
    target.parent.mkdir(parents=True)
    frame.to_csv(target, index=False)
    return landing, target


def test_a_custody_file_cut_off_in_its_last_row_quarantines_that_row(tmp_path, sample_dir):
    landing, path = _custody_landing(tmp_path, sample_dir)
    text = path.read_text()
    rows = len(text.splitlines()) - 1
    last_start = text.rstrip("\n").rfind("\n") + 1
    cut = last_start + text[last_start:].index(",", text[last_start:].index(",") + 1) + 5  # part way, 3rd field
    path.write_text(text[:cut])
    settings = settings_for(tmp_path, landing)

    run = run_source("police_custody", settings)

    (report,) = run.reports
    assert report.outcome == "LOADED" and (report.read, report.quarantined) == (rows, 1)
    held = _held(settings)
    assert held["line_number"].tolist() == [rows + 1] and held["rules"].tolist() == ["ROW-FIELDS"]
    assert "cut off" in held["reason"][0]
    assert len(_live(settings, custody_detention)) == rows - 1


def test_a_detention_after_the_files_own_extract_time_is_quarantined_by_its_own_rule(tmp_path, sample_dir):
    landing, path = _custody_landing(tmp_path, sample_dir)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "arrival_datetime"] = "2026-11-21T09:15:00"  # the file was extracted at 07:00 that day
    frame.loc[0, "arrest_datetime"] = "2026-11-21T08:55:00"
    frame.loc[0, ["detention_authorised_datetime", "release_datetime", "appropriate_adult_requested",
                  "appropriate_adult_arrived"]] = ""
    frame.to_csv(path, index=False)
    settings = settings_for(tmp_path, landing)

    run = run_source("police_custody", settings)

    assert run.reports[0].outcome == "LOADED", run.reports[0].reason
    held = _held(settings)
    assert held["line_number"].tolist() == [2] and held["rules"].tolist() == ["CUS-26"]
    assert "after the file's own extract time" in held["reason"][0]
    assert frame.loc[0, "custody_ref"] not in set(_live(settings, custody_detention)["custody_ref"])


def _uk_dates(path: Path, rows: slice, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in columns:
        iso = frame.loc[rows, column]
        frame.loc[rows, column] = iso.str.replace(r"^(\d{4})-(\d{2})-(\d{2})$", r"\3/\2/\1", regex=True)
    frame.to_csv(path, index=False)
    return frame


def test_uk_dates_in_an_education_snapshot_are_quarantined_row_by_row(tmp_path, sample_dir):
    landing = tmp_path / "landing"
    shutil.copytree(sample_dir / "landing" / "education", landing / "education")
    pupils = next((landing / "education").iterdir()) / "pupils.csv"
    frame = _uk_dates(pupils, slice(0, 299), ["date_of_birth"])
    # Their suspensions and attendance are held back with them: let the share rule allow it.
    settings = settings_for(tmp_path, landing).with_overrides(max_quarantined_share=0.9)

    run = run_source("education", settings)

    report = run.reports[0]
    assert report.outcome == "LOADED", report.reason
    assert report.counts["pupil"].quarantined >= 300
    assert len(_live(settings, EDUCATION_TABLES["pupil"])) == len(frame) - report.counts["pupil"].quarantined
    shown = visible_text(settings, run)
    assert "Traceback" not in shown
    for dob in frame.loc[:299, "date_of_birth"]:
        assert dob not in shown


def test_a_mapping_may_declare_several_date_formats_for_a_column(tmp_path, sample_dir):
    landing = tmp_path / "landing"
    shutil.copytree(sample_dir / "landing" / "education", landing / "education")
    pupils = next((landing / "education").iterdir()) / "pupils.csv"
    frame = _uk_dates(pupils, slice(0, 299), ["date_of_birth"])
    mappings = tmp_path / "mappings"
    shutil.copytree(REFERENCE_DIR / "mappings", mappings)
    spec = yaml.safe_load((mappings / "la_education.yaml").read_text())
    spec["column_date_formats"] = {"date_of_birth": ["%Y-%m-%d", "%d/%m/%Y"]}
    (mappings / "la_education.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    settings = settings_for(tmp_path, landing).with_overrides(mappings_dir=mappings)

    run = run_source("education", settings)

    report = run.reports[0]
    assert report.outcome == "LOADED", report.reason
    live = _live(settings, EDUCATION_TABLES["pupil"]).set_index("upn")
    assert report.counts["pupil"].quarantined < 5  # only what the sample's own noise holds back
    first = frame.iloc[0]
    day, month, year = first["date_of_birth"].split("/")
    assert str(live.loc[first["upn"], "date_of_birth"]) == f"{year}-{month}-{day}"
