"""A landing folder holding several deliveries at once (after an outage, on a first deployment
with archived snapshots, two nights delivered together): every dated snapshot goes into history
at its own date, the newest is live, superseded case-system deliveries are audited, and a late
older snapshot goes into history without touching live data."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from tests.integration.ingest_harness import settings_for
from transforms.ingest.sources import load_case_system, load_ccis, load_education
from transforms.kpis.common import education_snapshot_as_at
from transforms.sample import defects
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import EDUCATION_TABLES, audit_delivery, core_publication, metadata

pytestmark = pytest.mark.integration


def _education_snapshot(landing: Path, day: str, drop_pupils: int) -> None:
    """Another night's education snapshot: the newest one with its last pupils gone."""
    source = sorted((landing / "education").iterdir())[-1]
    target = landing / "education" / day
    shutil.copytree(source, target)
    pupils = pd.read_csv(target / "pupils.csv", dtype=str, keep_default_na=False)
    pupils.iloc[: len(pupils) - drop_pupils].to_csv(target / "pupils.csv", index=False)


def _ccis_file(landing: Path, day: str) -> None:
    source = sorted((landing / "ccis").iterdir())[-1]
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.iloc[:-5].to_csv(landing / "ccis" / f"ccis_activity_{day}.csv", index=False)


def _older_case_delivery(landing: Path, name: str, extracted: str) -> None:
    source = sorted((landing / "case_system").iterdir())[-1]
    target = landing / "case_system" / name
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest.update(delivery_id=name, extracted_at=extracted)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    defects.rehash(target)


def _audit(settings) -> pd.DataFrame:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        frame = pd.read_sql_query(select(audit_delivery.c.source, audit_delivery.c.delivery_id,
                                         audit_delivery.c.outcome, audit_delivery.c.reason)
                                  .order_by(audit_delivery.c.started_at), conn)
    engine.dispose()
    return frame


def _history(settings, table: str) -> dict[str, int]:
    engine = make_engine(settings.warehouse_url)
    hist = metadata.tables[f"hist_{EDUCATION_TABLES[table].name.removeprefix('core_')}"]
    with engine.connect() as conn:
        frame = pd.read_sql_query(select(hist.c.snapshot_delivery_id), conn)
    engine.dispose()
    return frame["snapshot_delivery_id"].value_counts().to_dict()


def _live(settings, source: str) -> str:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        live = conn.execute(select(core_publication.c.delivery_id).where(core_publication.c.source == source)).scalar()
    engine.dispose()
    return live


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backlog(request, tmp_path, sample_dir):
    landing = tmp_path / "landing"
    shutil.copytree(sample_dir / "landing", landing)
    # The sample's own snapshot and CCIS file, dated 20 November here whatever date the sample
    # gives them, so the backlog's dates read plainly below.
    sorted((landing / "education").iterdir())[-1].rename(landing / "education" / "20261120")
    sorted((landing / "ccis").iterdir())[-1].rename(landing / "ccis" / "ccis_activity_20261120.csv")
    _education_snapshot(landing, "20261106", drop_pupils=20)
    _education_snapshot(landing, "20261113", drop_pupils=10)
    _ccis_file(landing, "20261113")
    _older_case_delivery(landing, "corepl-20261113", "2026-11-13T01:30:00")
    settings = settings_for(tmp_path, landing)
    if request.param == "postgresql":
        settings = settings.with_overrides(warehouse_url=request.getfixturevalue("postgres_url"))
    return settings


def test_a_backlog_is_taken_in_extract_order_with_every_delivery_audited(backlog):
    settings = backlog
    case = load_case_system(settings)
    education = load_education(settings)
    ccis = load_ccis(settings)

    assert [r.outcome for r in case.all_reports] == ["SUPERSEDED", "LOADED"]
    assert case.backlog[0].delivery_id == "corepl-20261113"
    assert "superseded by delivery corepl-20261120" in case.backlog[0].reason
    assert [(r.delivery_id, r.outcome) for r in education.all_reports] == [
        ("education-20261106", "LOADED"), ("education-20261113", "LOADED"), ("education-20261120", "LOADED")]
    assert [(r.delivery_id, r.outcome) for r in ccis.all_reports] == [
        ("ccis-20261113", "LOADED"), ("ccis-20261120", "LOADED")]
    assert _live(settings, "education") == "education-20261120"
    assert _live(settings, "ccis") == "ccis-20261120"
    pupils = _history(settings, "pupil")
    assert pupils["education-20261106"] == pupils["education-20261120"] - 20
    assert pupils["education-20261113"] == pupils["education-20261120"] - 10
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        # Each report date reads the snapshot in force then.
        assert education_snapshot_as_at(conn, dt.date(2026, 11, 10))[0] == "education-20261106"
        assert education_snapshot_as_at(conn, dt.date(2026, 11, 15))[0] == "education-20261113"
        assert education_snapshot_as_at(conn, dt.date(2026, 11, 30))[0] == "education-20261120"
    engine.dispose()

    # A rerun takes nothing again and records nothing more.
    before = len(_audit(settings))
    assert load_case_system(settings).all_reports[-1].outcome == "ALREADY_LOADED"
    assert [r.outcome for r in load_education(settings).all_reports] == ["ALREADY_LOADED"]
    assert [r.outcome for r in load_ccis(settings).all_reports] == ["ALREADY_LOADED"]
    assert len(_audit(settings)) == before  # a rerun is answered ALREADY_LOADED without an attempt
    assert set(_audit(settings)["outcome"]) <= {"LOADED", "SUPERSEDED"}


def test_a_late_older_snapshot_goes_into_history_and_leaves_live_data_alone(backlog):
    settings = backlog
    folder = settings.landing_dir / "education"
    late = folder / "20261106"
    parked = settings.landing_dir.parent / "parked"
    shutil.move(late, parked)
    load_education(settings)
    live_before = _history(settings, "pupil")["education-20261120"]
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        pupils_live = len(pd.read_sql_query(select(EDUCATION_TABLES["pupil"]), conn))
    shutil.move(parked, late)

    report = load_education(settings)

    assert [(r.delivery_id, r.outcome) for r in report.all_reports] == [
        ("education-20261106", "LOADED"), ("education-20261120", "ALREADY_LOADED")]
    assert any("history" in n for n in report.backlog[0].notes)
    assert _live(settings, "education") == "education-20261120"
    with engine.connect() as conn:
        assert len(pd.read_sql_query(select(EDUCATION_TABLES["pupil"]), conn)) == pupils_live
        assert education_snapshot_as_at(conn, dt.date(2026, 11, 10))[0] == "education-20261106"
    engine.dispose()
    assert _history(settings, "pupil")["education-20261106"] == live_before - 20


def test_an_older_case_delivery_arriving_after_a_newer_one_is_superseded(backlog):
    settings = backlog
    older = settings.landing_dir / "case_system" / "corepl-20261113"
    parked = settings.landing_dir.parent / "parked-case"
    shutil.move(older, parked)
    assert load_case_system(settings).outcome == "LOADED"
    shutil.move(parked, older)

    report = load_case_system(settings)

    assert [(r.delivery_id, r.outcome) for r in report.all_reports] == [
        ("corepl-20261113", "SUPERSEDED"), ("corepl-20261120", "ALREADY_LOADED")]
    assert _live(settings, "case_system") == "corepl-20261120"
