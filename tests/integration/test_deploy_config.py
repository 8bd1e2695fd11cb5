"""The settings every container reads, resolved by Airflow itself, the way the containers get
them: ``deploy/airflow.env`` and the compose file's ``environment`` with an operator's ``.env``
(``.env.example`` filled in with awkward secrets: a percent sign, quotes, a backslash, a space,
a newline) substituted as Compose substitutes them, and Airflow's ``_CMD`` settings running
``python -m yj_airflow.deploy url ...``. Against a private PostgreSQL set up by the compose
file's init scripts (roles with those passwords, ``pg_hba.conf`` with password checks) and a
Redis started with the compose file's own command: ``airflow config get-value``, ``airflow db
check``, the result backend, the warehouse connection, and the worker healthcheck of the
compose file (a Celery ``inspect ping``) against a worker started with those settings.

The addresses come from ``deploy/remote-worker.env.example`` filled in with loopback
addresses: the worker reaches the stack only through those settings, as a worker on another
machine would. A private server, not the session's: roles and pg_hba.conf are cluster-wide."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.helpers import stop_process_group
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.conftest import _start_private_postgres
from tests.integration.celery_stack import (ROOT, compose_command, compose_environment, example_dotenv, local_paths,
                                            read_env_file, spare_port)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

# Each secret holds what breaks a URL, a shell word, JSON or SQL quoting.
AWKWARD = {
    "POSTGRES_PASSWORD": "su" + secrets.token_hex(8),
    "AIRFLOW_DB_PASSWORD": "a%41 \"b'c\\d@e:f/g#h\nend",
    "WAREHOUSE_PASSWORD": "w%2F \"x'y\\z@:/?#",
    "TABLEAU_PASSWORD": "t%' \"",
    "REDIS_PASSWORD": "r%40 \"s't\\u:/@#",
    "AIRFLOW_JWT_SECRET": secrets.token_hex(16),
    "AIRFLOW_ADMIN_PASSWORD": "adm%in \"'",
}


@pytest.fixture(scope="module")
def server():
    """A private PostgreSQL server after the compose file's init scripts: roles, databases,
    pg_hba.conf. Returns (port, data folder)."""
    if not shutil.which("psql"):
        pytest.skip("psql is not installed")
    base = Path(tempfile.mkdtemp(prefix="yj-pg-deploy-"))  # pytest's tmp folder is closed to postgres
    base.chmod(0o755)
    admin, stop = _start_private_postgres(base / "server")
    port = int(admin.split(":")[-1].split("/")[0])
    env = {**os.environ, **compose_environment("postgres", example_dotenv(**AWKWARD)), "PGHOST": "127.0.0.1",
           "PGPORT": str(port), "PGDATA": str(base / "server" / "pgdata")}
    result = subprocess.run(["bash", str(ROOT / "deploy/postgres-init/10-roles-and-databases.sh")], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # As the image runs it: the postgres user, through the socket (the superuser's only way in).
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run(as_postgres + ["bash", str(ROOT / "deploy/postgres-init/20-pg-hba.sh")],
                            env={**env, "PGHOST": str(base / "server")}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    yield port
    stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """Redis with the compose file's command and password, on a spare loopback port."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = spare_port()
    command = compose_command("redis")
    assert command[:2] == ["sh", "-c"]
    env = {**os.environ, **compose_environment("redis", example_dotenv(**AWKWARD))}
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    proc = subprocess.Popen(["sh", "-c", command[2] + f" --port {port} --bind 127.0.0.1"], env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield port
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def worker_env(server, redis_port, tmp_path_factory):
    """A worker's environment on 'another machine': the stack's .env plus
    deploy/remote-worker.env.example with loopback addresses, through the compose file."""
    api_port = spare_port()
    remote = read_env_file(ROOT / "deploy" / "remote-worker.env.example")
    remote.update(AIRFLOW_DB_HOST="127.0.0.1", AIRFLOW_DB_PORT=str(server), REDIS_HOST="127.0.0.1",
                  REDIS_PORT=str(redis_port), WAREHOUSE_HOST="127.0.0.1", WAREHOUSE_PORT=str(server),
                  AIRFLOW_API_SERVER_URL=f"http://127.0.0.1:{api_port}")
    assert all(remote.values()), "remote-worker.env.example has a setting this test does not fill"
    from cryptography.fernet import Fernet

    dotenv = example_dotenv(**AWKWARD, AIRFLOW_FERNET_KEY=Fernet.generate_key().decode(), **remote)
    home = tmp_path_factory.mktemp("worker_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YJ_"))}
    env.update(compose_environment("airflow-worker", dotenv))
    env.update(local_paths(home, {}))
    env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(spare_port())
    return env


def _airflow(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_airflow_resolves_every_url_from_the_shipped_files(worker_env, server, redis_port):
    got = {}
    for section, key in (("database", "sql_alchemy_conn"), ("celery", "broker_url"), ("celery", "result_backend")):
        result = _airflow(worker_env, "config", "get-value", section, key)
        assert result.returncode == 0, result.stderr[-2000:]
        got[key] = result.stdout.rstrip("\n")  # the CLI's own print adds one newline
    metadata = make_url(got["sql_alchemy_conn"])
    assert (metadata.host, metadata.port, metadata.username, metadata.database) == \
        ("127.0.0.1", server, "airflow", "airflow")
    assert metadata.password == AWKWARD["AIRFLOW_DB_PASSWORD"]
    backend = make_url(got["result_backend"].removeprefix("db+"))
    assert backend.database == "airflow" and backend.password == AWKWARD["AIRFLOW_DB_PASSWORD"]
    from kombu.utils.url import url_to_parts

    broker = url_to_parts(got["broker_url"])
    assert (broker.hostname, broker.port, broker.password, broker.path) == \
        ("127.0.0.1", redis_port, AWKWARD["REDIS_PASSWORD"], "0")


def test_airflow_db_check_connects_as_the_airflow_role(worker_env):
    result = _airflow(worker_env, "db", "check")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_the_result_backend_and_the_warehouse_connection_connect(worker_env):
    """What a worker connects with: Celery's result backend, and the warehouse URL the tasks
    build from the connection yj_warehouse (yj_airflow.config)."""
    script = ("from airflow.configuration import conf; from yj_airflow.config import task_settings; "
              "print(conf.get('celery', 'result_backend')); print(task_settings().warehouse_url)")
    result = subprocess.run([sys.executable, "-c", script], env=worker_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    backend, warehouse = result.stdout.strip().splitlines()[-2:]
    for url, user in ((backend.removeprefix("db+").replace("postgresql://", "postgresql+psycopg://"), "airflow"),
                      (warehouse, "yj_warehouse")):
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar_one() == user
        engine.dispose()


def test_pg_hba_keeps_the_superuser_and_other_roles_databases_out(server):
    """The init scripts' pg_hba.conf: the superuser never over the network, each role only its
    own database, and a password checked (a wrong one is refused)."""
    def connect(user, password, database):
        engine = create_engine(make_url(f"postgresql+psycopg://127.0.0.1:{server}/x").set(
            username=user, password=password, database=database))
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar_one()
        finally:
            engine.dispose()

    assert connect("yj_tableau", AWKWARD["TABLEAU_PASSWORD"], "yj_warehouse") == 1
    for user, password, database in (("postgres", AWKWARD["POSTGRES_PASSWORD"], "postgres"),
                                     ("yj_tableau", AWKWARD["TABLEAU_PASSWORD"], "airflow"),
                                     ("airflow", AWKWARD["AIRFLOW_DB_PASSWORD"], "yj_warehouse"),
                                     ("yj_warehouse", "wrong", "yj_warehouse")):
        with pytest.raises(OperationalError, match="pg_hba.conf|password authentication failed"):
            connect(user, password, database)


def test_a_worker_from_the_remote_env_file_answers_the_compose_healthcheck(worker_env, tmp_path):
    """``airflow celery worker`` (the compose worker's command) with those settings, then the
    compose file's own healthcheck for it, a Celery ``inspect ping`` through the broker."""
    import yaml

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["airflow-worker"]
    assert spec["command"] == ["celery", "worker"]
    hostname = f"yj-remote-{secrets.token_hex(3)}"
    healthcheck = spec["healthcheck"]["test"][1].replace("$${HOSTNAME}", hostname)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "airflow", "celery", "worker", "--celery-hostname", hostname,
                               "--concurrency", "1"], env=worker_env, stdout=open(log, "w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, answered = time.time() + 180, None
        while time.time() < deadline and worker.poll() is None:
            answered = subprocess.run(["bash", "-c", healthcheck], env=worker_env, capture_output=True, text=True,
                                      timeout=60)
            if answered.returncode == 0:
                break
            time.sleep(3)
        assert worker.poll() is None, log.read_text()[-3000:]
        assert answered is not None and answered.returncode == 0, (answered.stdout if answered else "") + \
            log.read_text()[-3000:]
        assert f"celery@{hostname}: OK" in answered.stdout
    finally:
        stop_process_group(worker)
