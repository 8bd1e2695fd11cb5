"""Sign-in and roles through the API server, configured as docker-compose.yml configures it
(FAB auth manager from deploy/airflow.env, the compose file's environment), set up as
airflow-init sets it up (``airflow db migrate``, ``python -m yj_airflow.deploy auth``). Each
role signs in for a token (``POST /auth/token``) and is refused what it may not do: the duty
manager reads the custody DAGs only and triggers nothing, the BI team runs DAGs but manages
no connection or user, the administrator does both. Airflow's metadata is on SQLite here (the
URLs' way to PostgreSQL is test_deploy_config's)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.celery_stack import compose_environment, example_dotenv, local_paths, spare_port
from tests.integration.helpers import stop_process_group

pytestmark = pytest.mark.integration

PASSWORDS = {"admin": 'adm in"%\'', "bi": "bi team pw %41", "duty": "duty \"pw\""}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from cryptography.fernet import Fernet

    home = tmp_path_factory.mktemp("signin_home")
    port = spare_port()
    dotenv = example_dotenv(POSTGRES_PASSWORD="x", AIRFLOW_DB_PASSWORD="x", WAREHOUSE_PASSWORD="x",
                            TABLEAU_PASSWORD="x", REDIS_PASSWORD="x", AIRFLOW_JWT_SECRET=os.urandom(16).hex(),
                            AIRFLOW_FERNET_KEY=Fernet.generate_key().decode(), AIRFLOW_ADMIN_PASSWORD=PASSWORDS["admin"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YJ_"))}
    env.update(compose_environment("airflow-init", dotenv))
    env.update(local_paths(home, {}))
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD")
    env.update({"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__WORKERS": "1", "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")

    def run(*args):
        result = subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("airflow", "db", "migrate")
    run("airflow", "dags", "reserialize")  # what the DAG processor does: the DAGs and their permissions
    done = run("yj_airflow.deploy", "auth")
    assert "role Duty manager" in done and PASSWORDS["admin"] not in done
    # People are added by the administrator (UI: Security, Users); here with FAB's own API.
    run("airflow", "users", "create", "--username", "bi", "--role", "BI team", "--email", "bi@example.org",
        "--firstname", "B", "--lastname", "I", "--password", PASSWORDS["bi"])
    run("airflow", "users", "create", "--username", "duty", "--role", "Duty manager", "--email",
        "duty@example.org", "--firstname", "D", "--lastname", "M", "--password", PASSWORDS["duty"])
    log = open(home / "api-server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "airflow", "api-server"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            assert server.poll() is None, (home / "api-server.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{base}/api/v2/version", timeout=5)
                break
            except OSError:
                time.sleep(1)
        yield base
    finally:
        stop_process_group(server)


def _call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def _token(base: str, user: str, password: str | None = None) -> str:
    status, body = _call(base, "POST", "/auth/token", body={"username": user, "password": password or PASSWORDS[user]})
    assert status in (200, 201), (user, status)
    return body["access_token"]


def test_a_wrong_password_gets_no_token(api):
    assert _call(api, "POST", "/auth/token", body={"username": "duty", "password": "guess"})[0] == 401
    assert _call(api, "GET", "/api/v2/dags")[0] == 401  # nothing without a token


def test_the_duty_manager_reads_the_custody_dags_only_and_triggers_nothing(api):
    token = _token(api, "duty")
    for dag_id in ("custody_file_watch", "police_custody_refresh", "custody_due_check"):
        assert _call(api, "GET", f"/api/v2/dags/{dag_id}", token)[0] == 200, dag_id
    assert _call(api, "GET", "/api/v2/dags/police_custody_refresh/dagRuns", token)[0] == 200
    status, listed = _call(api, "GET", "/api/v2/dags", token)
    assert status == 200 and {d["dag_id"] for d in listed["dags"]} == {"custody_file_watch", "police_custody_refresh",
                                                                      "custody_due_check"}
    for dag_id in ("case_system_nightly", "yjb_kpi_quarterly"):
        assert _call(api, "GET", f"/api/v2/dags/{dag_id}", token)[0] == 403, dag_id
    assert _call(api, "POST", "/api/v2/dags/police_custody_refresh/dagRuns", token, {"logical_date": None})[0] == 403
    for path in ("/api/v2/connections", "/api/v2/variables", "/auth/fab/v1/users"):
        assert _call(api, "GET", path, token)[0] == 403, path


def test_the_bi_team_runs_dags_but_manages_no_connection_or_user(api):
    token = _token(api, "bi")
    assert _call(api, "GET", "/api/v2/dags/case_system_nightly", token)[0] == 200
    assert _call(api, "POST", "/api/v2/dags/yjb_kpi_quarterly/dagRuns", token,
                 {"logical_date": None, "conf": {"quarter": "2026Q1"}})[0] == 200
    for path in ("/api/v2/connections", "/api/v2/variables", "/auth/fab/v1/users"):
        assert _call(api, "GET", path, token)[0] == 403, path


def test_the_administrator_manages_users_and_connections(api):
    token = _token(api, "admin")
    for path in ("/auth/fab/v1/users", "/api/v2/connections", "/api/v2/dags/case_system_nightly"):
        assert _call(api, "GET", path, token)[0] == 200, path
