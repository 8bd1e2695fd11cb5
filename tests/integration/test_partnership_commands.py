"""Per-service loads and outputs (issue 16 items 1 and 4) through the real ``yj`` commands, run
as a user runs them (a subprocess): ``yj sample --partnership`` writes the sample; with
``YJ_PARTNERSHIP_FILE`` every per-service command runs once per service (or for ``--service
ID``), each into its own warehouse file and under ``<output>/<id>/`` with file names carrying the
id; without the file nothing changes (tests/unit/test_cli.py and the rest of the suite)."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from transforms.partnership.run import UnknownService, for_each_service, selected_services
from transforms.settings import load_settings

pytestmark = pytest.mark.integration
SERVICES = ("leicester_city", "leicestershire")


def _yj(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yj_airflow.cli", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **env})


@pytest.fixture(scope="module")
def partnership(tmp_path_factory):
    root = tmp_path_factory.mktemp("partnership")
    result = _yj({}, "sample", "--partnership", "--out", str(root / "sample"), "--children", "40", "--years", "2", "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert "partnership file:" in result.stdout and "YJ_PARTNERSHIP_FILE=" in result.stdout
    env = {"YJ_PARTNERSHIP_FILE": str(root / "sample" / "partnership.yaml"), "YJ_LANDING_DIR": str(root / "sample" / "landing"),
           "YJ_OUTPUT_DIR": str(root / "output"), "YJ_RAW_ARCHIVE_DIR": str(root / "raw"),
           "YJ_WAREHOUSE_URL": f"sqlite:///{root / 'warehouse.sqlite'}"}
    return root, env


def _children(root, service_id: str) -> int:
    engine = create_engine(f"sqlite:///{root / f'warehouse.{service_id}.sqlite'}")
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM core_child")).scalar()
    engine.dispose()
    return count


def test_the_sample_gives_each_service_every_source_in_the_usual_layout(partnership):
    root, _ = partnership
    for service_id in SERVICES:
        landing = root / "sample" / "landing" / service_id
        assert len(list((landing / "case_system").iterdir())) == 1
        assert {p.name for p in (landing / "education" / "20261120").iterdir()} == {"pupils.csv", "suspensions.csv", "attendance.csv"}
        assert (landing / "ccis" / "ccis_activity_20261120.csv").exists()
        assert (landing / "reference" / "population.csv").exists()
    assert any((root / "sample" / "landing" / "police_custody").glob("custody_*.csv"))


def test_load_runs_per_service_into_its_own_warehouse_and_output_folder(partnership):
    root, env = partnership
    result = _yj(env, "load-case-system")
    assert result.returncode == 0, result.stderr
    assert "service leicester_city (Leicester City)" in result.stdout and "service leicestershire" in result.stdout
    assert not (root / "warehouse.sqlite").exists()  # nothing in the configured (shared) file
    for service_id in SERVICES:
        assert _children(root, service_id) == 40
        outputs = [p for p in (root / "output" / service_id / "case_system").rglob("*") if p.is_file()]
        assert outputs, service_id
    assert not (root / "output" / "case_system").exists()  # every output is under a service's folder
    # One service only: the other's warehouse is untouched (its file's bytes unchanged).
    county_before = (root / "warehouse.leicestershire.sqlite").read_bytes()
    result = _yj(env, "load-case-system", "--service", "leicester_city")
    assert result.returncode == 0, result.stderr
    assert "service leicestershire" not in result.stdout
    assert (root / "warehouse.leicestershire.sqlite").read_bytes() == county_before
    assert _children(root, "leicester_city") == 40  # a rerun changes nothing


def _column(root, service_id: str, table: str, column: str) -> set[str]:
    engine = create_engine(f"sqlite:///{root / f'warehouse.{service_id}.sqlite'}")
    with engine.connect() as conn:
        values = {r[0] for r in conn.execute(text(f"SELECT {column} FROM {table}"))}
    engine.dispose()
    return values


def _sent(landing: Path, pattern: str, column: str) -> set[str]:
    """What the sample put in a service's landing folder, read as a person would (csv module)."""
    values = set()
    for path in landing.glob(pattern):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            values |= {row[column] for row in csv.DictReader(handle)}
    return values


@pytest.mark.parametrize("command, pattern, table, key", [
    ("load-education", "education/*/pupils.csv", "core_pupil", "upn"),
    ("load-ccis", "ccis/ccis_activity_*.csv", "core_ccis_activity", "ccis_id"),
])
def test_education_and_ccis_load_per_service(partnership, command, pattern, table, key):
    root, env = partnership
    result = _yj(env, command)
    assert result.returncode == 0, result.stderr
    for service_id in SERVICES:
        assert f"service {service_id} (" in result.stdout
        sent = _sent(root / "sample" / "landing" / service_id, pattern, key)
        assert sent and _column(root, service_id, table, key) == sent, service_id  # its own records, all of them
        assert list((root / "output" / service_id / command.removeprefix("load-")).rglob("load_summary_*.json"))
    # One service only: the other's warehouse file is not touched.
    county_before = (root / "warehouse.leicestershire.sqlite").read_bytes()
    result = _yj(env, command, "--service", "leicester_city")
    assert result.returncode == 0, result.stderr
    assert (root / "warehouse.leicestershire.sqlite").read_bytes() == county_before
    unknown = _yj(env, command, "--service", "nowhere")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "nowhere" in unknown.stderr


def test_kpi_return_for_one_service_is_named_by_its_id_under_its_folder(partnership):
    root, env = partnership
    assert _yj(env, "load-case-system", "--service", "leicestershire").returncode == 0
    result = _yj(env, "kpi", "--quarter", "2026Q2", "--service", "leicestershire")
    assert result.returncode == 0, result.stderr
    folder = root / "output" / "leicestershire" / "kpi" / "2026Q2"
    assert (folder / "yjb_kpi_return_leicestershire_2026-27_Q2.xlsx").exists()
    assert not (root / "output" / "leicester_city" / "kpi").exists()


def test_marts_and_board_pack_per_service_count_that_services_residents(partnership, tmp_path):
    root, env = partnership
    # A service named unlike its id: the pack's file name carries the id, as the KPI return's does.
    config = yaml.safe_load((root / "sample" / "partnership.yaml").read_text())
    [city] = [s for s in config["services"] if s["id"] == "leicester_city"]
    city["name"] = "Leicester City Youth Justice Service"
    renamed = tmp_path / "partnership.yaml"
    renamed.write_text(yaml.safe_dump(config))
    env = {**env, "YJ_PARTNERSHIP_FILE": str(renamed)}
    assert _yj(env, "load-case-system", "--service", "leicester_city").returncode == 0
    result = _yj(env, "board-pack", "--quarter", "2026Q2", "--rebuild", "--service", "leicester_city")
    assert result.returncode == 0, result.stderr
    pack = root / "output" / "leicester_city" / "board_pack" / "board_pack_leicester_city_2026Q2.html"
    assert pack.exists(), sorted(p.name for p in pack.parent.iterdir())
    assert "<h1>Leicester City Youth Justice Service Youth Justice Management Board" in pack.read_text(encoding="utf-8")
    assert (root / "output" / "leicester_city" / "marts" / "mart_cohort.csv").exists()
    engine = create_engine(f"sqlite:///{root / 'warehouse.leicester_city.sqlite'}")
    with engine.connect() as conn:
        entrants = conn.execute(text("SELECT sum(value) FROM mart_performance_overview "
                                     "WHERE measure = 'first_time_entrants_12m'")).scalar()
    engine.dispose()
    # The city's children live in Leicester: with the environment's default areas
    # (Leicestershire, Rutland) there would be no first-time entrant at all.
    assert entrants > 0


def test_an_unknown_service_or_partnership_file_is_one_line(partnership, tmp_path):
    root, env = partnership
    result = _yj(env, "load-case-system", "--service", "rutland")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("yj: error: no service 'rutland' in the partnership "
                                     "(services: leicester_city, leicestershire)")
    bad = tmp_path / "partnership.yaml"
    bad.write_text("partnership: X\nservices: []\n", encoding="utf-8")
    result = _yj({**env, "YJ_PARTNERSHIP_FILE": str(bad)}, "kpi", "--quarter", "2026Q2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("yj: error: partnership file partnership.yaml:")


def test_for_each_service_runs_a_step_on_each_services_settings_and_one_service_unchanged(partnership, monkeypatch):
    root, env = partnership
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    seen = for_each_service(settings, lambda s: (s.warehouse_url, s.output_dir, s.service_slug))
    assert [(service.id, result[2]) for service, result in seen] == [(sid, sid) for sid in SERVICES]
    assert seen[0][1][0].endswith("warehouse.leicester_city.sqlite") and seen[0][1][1] == root / "output" / "leicester_city"
    with pytest.raises(UnknownService, match="no service 'x'"):
        selected_services(settings, "x")
    monkeypatch.delenv("YJ_PARTNERSHIP_FILE")
    one = load_settings()
    ((service, same),) = selected_services(one)
    assert same is one  # the one-service default: today's settings, unchanged
