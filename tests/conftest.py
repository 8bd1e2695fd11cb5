"""Shared fixtures. Airflow reads its configuration on first import, so the test session's
private AIRFLOW_HOME is set here, before any test module imports airflow."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="yj-airflow-home-"))
for _name in [n for n in os.environ if n.startswith("AIRFLOW")]:
    del os.environ[_name]
from yj_airflow.runner import prepare_airflow_env  # noqa: E402  (imports no airflow)

prepare_airflow_env(_AIRFLOW_HOME)
# Tests never read the developer's own settings.
for _name in list(os.environ):
    if _name.startswith("YJ_"):
        del os.environ[_name]

from transforms.settings import load_settings  # noqa: E402


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database for DAG runs (SQLite in the session's AIRFLOW_HOME)."""
    from yj_airflow.runner import migrate_metadata_db, prepare_airflow_env

    home = prepare_airflow_env(_AIRFLOW_HOME)
    migrate_metadata_db(home)
    return home


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A small, clean corepl sample shared by tests that only read it."""
    from transforms.sample.landing import generate_landing

    out = tmp_path_factory.mktemp("sample")
    generate_landing(out, children=300, years=4, layout="corepl", seed=11)
    return out


def make_settings(root: Path, landing: Path, warehouse_url: str | None = None):
    return load_settings().with_overrides(
        landing_dir=landing, output_dir=root / "output", raw_archive_dir=root / "raw",
        warehouse_url=warehouse_url or f"sqlite:///{root / 'warehouse.sqlite'}")


def copy_landing(sample: Path, target: Path) -> Path:
    shutil.copytree(sample / "landing", target)
    return target


@pytest.fixture
def yj_env(tmp_path, sample_dir, monkeypatch):
    """Point every task at a private landing copy, warehouse and output folder."""
    landing = copy_landing(sample_dir, tmp_path / "landing")
    env = {"YJ_LANDING_DIR": str(landing), "YJ_OUTPUT_DIR": str(tmp_path / "output"),
           "YJ_RAW_ARCHIVE_DIR": str(tmp_path / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


# --- PostgreSQL: the machine's server when one answers on 127.0.0.1:5432, else a private one.

def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _start_private_postgres(base: Path) -> tuple[str, callable]:
    bin_dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bin_dirs:
        pytest.skip("no PostgreSQL server is running and no PostgreSQL binaries are installed")
    bindir = bin_dirs[-1]
    data = base / "pgdata"
    data.mkdir(parents=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(as_postgres + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data), "-o", f"-p {port} -k {base} -h 127.0.0.1",
                                  "-l", str(base / "pg.log"), "-w", "start"], check=True, capture_output=True)

    def stop():
        subprocess.run(as_postgres + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """Admin URL of a PostgreSQL server for this test session."""
    stop = None
    if _port_open("127.0.0.1", 5432):
        admin = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    else:
        admin, stop = _start_private_postgres(tmp_path_factory.mktemp("postgres"))
    yield admin
    if stop:
        stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"yj_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    yield url
    time.sleep(0.1)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
