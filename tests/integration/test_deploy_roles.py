"""The PostgreSQL roles of the deployment, on a private PostgreSQL server: the init script of
deploy/postgres-init/ as the compose file runs it, then ``yj_airflow.deploy prepare-warehouse``
as the warehouse owner. Airflow's role cannot enter the warehouse; Tableau's reads the marts
and nothing else."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.conftest import _start_private_postgres

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def private_server():
    """A server of our own: the roles are cluster-wide, so never the shared one."""
    import shutil
    import tempfile

    if not shutil.which("psql"):
        pytest.skip("psql is not installed")
    base = Path(tempfile.mkdtemp(prefix="yj-pg-roles-"))  # pytest's tmp folder is closed to postgres
    base.chmod(0o755)
    admin, stop = _start_private_postgres(base / "server")
    yield admin
    stop()
    shutil.rmtree(base, ignore_errors=True)


def test_roles_are_separate_and_tableau_reads_only_the_marts(private_server):
    port = private_server.split(":")[-1].split("/")[0]
    env = {**os.environ, "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres", "PGHOST": "127.0.0.1",
           "PGPORT": port, "AIRFLOW_DB_PASSWORD": "a'irflow", "WAREHOUSE_PASSWORD": "w\"h", "TABLEAU_PASSWORD": "t"}
    result = subprocess.run(["bash", str(ROOT / "deploy" / "postgres-init" / "10-roles-and-databases.sh")], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    base = f"postgresql+psycopg://{{}}@127.0.0.1:{port}/{{}}"
    from yj_airflow.deploy import prepare_warehouse

    from transforms.warehouse.db import make_engine
    from yj_airflow.deploy import grant_marts_to_readonly_role

    assert prepare_warehouse(base.format("yj_warehouse", "yj_warehouse"), "yj_tableau") == []  # no mart yet
    owner = make_engine(base.format("yj_warehouse", "yj_warehouse"))
    with owner.begin() as conn:  # what a marts rebuild creates on its first run
        conn.execute(text('CREATE TABLE "mart_example" (n integer)'))
    assert grant_marts_to_readonly_role(owner, "yj_tableau") == ['GRANT SELECT ON "mart_example" TO yj_tableau']
    owner.dispose()

    tableau = create_engine(base.format("yj_tableau", "yj_warehouse"))
    with tableau.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "mart_example"')).scalar_one() == 0
    for table in ("core_child", "quarantine", "audit_delivery"):
        with tableau.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text(f'SELECT * FROM "{table}"'))
    tableau.dispose()

    with pytest.raises(OperationalError, match="CONNECT privilege"):
        create_engine(base.format("airflow", "yj_warehouse")).connect()
    airflow = create_engine(base.format("airflow", "airflow"))
    with airflow.connect() as conn:
        assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one() is False
    airflow.dispose()
