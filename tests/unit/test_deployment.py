"""docker-compose.yml cannot be started here (no Docker engine), so it is checked: its shape,
that no secret is written in it, and, where docker-compose is installed (CI installs it),
the Compose schema validation that ``docker compose config`` performs."""
import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_postgres_and_the_airflow3_services():
    services = _compose()["services"]
    assert {"postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer"} <= set(services)
    commands = {name: " ".join(s["command"]) for name, s in services.items() if "command" in s}
    assert commands["airflow-apiserver"] == "airflow api-server"
    assert commands["airflow-dag-processor"] == "airflow dag-processor"
    assert commands["airflow-init"] == "airflow db migrate"
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert env["AIRFLOW_CONN_YJ_WAREHOUSE"].startswith("postgres://")
    mounts = services["airflow-scheduler"]["volumes"]
    assert "landing:/data/landing" in mounts and "output:/data/output" in mounts
    assert any(m.startswith("./dags:") for m in mounts)


def test_no_secret_is_written_in_the_deployment_files():
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"^\s*(\w*(?:PASSWORD|SECRET|FERNET_KEY)\w*):\s*(\S+)", text, flags=re.M):
        assert match.group(2).startswith("${"), f"literal secret for {match.group(1)}"
    for url in re.findall(r"\w+://[^\s]+", text):
        if "@" in url:
            assert "${" in url.split("@")[0], f"credentials in {url}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_image_installs_the_project_against_the_pinned_constraints():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM apache/airflow:3." in dockerfile
    assert "-c constraints.txt" in dockerfile
    pinned = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    assert dockerfile.split("apache/airflow:")[1].split("-")[0] == pinned["apache-airflow"]


def test_compose_file_passes_compose_schema_validation(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        import pytest

        pytest.skip("docker-compose is not installed (CI installs it: see .ci/run)")
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=x\nWAREHOUSE_PASSWORD=y\nAIRFLOW_JWT_SECRET=z\nAIRFLOW_FERNET_KEY=k\n")
    result = subprocess.run([tool, "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
