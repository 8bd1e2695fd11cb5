"""docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so they are
checked: the compose file's shape against Airflow's own 3.x CeleryExecutor file, that no
secret is written in it, the Compose schema validation ``docker-compose config`` performs
(CI installs docker-compose), and the Dockerfile's steps executed as a non-root user in a
fresh folder. The stack itself runs in tests/integration/test_celery_stack.py."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from yj_airflow import deploy

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker"}
SECRETS = ["POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD", "TABLEAU_PASSWORD", "REDIS_PASSWORD",
           "AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY", "AIRFLOW_ADMIN_PASSWORD"]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _shared_settings() -> dict:
    from tests.integration.celery_stack import production_airflow_settings

    return production_airflow_settings()


def test_compose_is_the_celery_stack_of_airflows_own_compose_file():
    services = _compose()["services"]
    assert {"postgres", "redis"} | AIRFLOW_SERVICES <= set(services)
    commands = {name: " ".join(s["command"]) for name, s in services.items() if isinstance(s.get("command"), list)}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-worker"] == "celery worker"
    assert commands["airflow-dag-processor"] == "dag-processor"
    for name in services:
        if name != "airflow-init":
            assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert _shared_settings()["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in AIRFLOW_SERVICES:
        assert services[name]["env_file"] == ["deploy/airflow.env"]
        depends = services[name]["depends_on"]
        assert depends["redis"]["condition"] == depends["postgres"]["condition"] == "service_healthy"
    assert services["airflow-init"]["command"] == ["/opt/yj/deploy/airflow-init.sh"]
    assert "COPY --chown=airflow:root deploy/airflow-init.sh ./deploy/" in (ROOT / "Dockerfile").read_text()
    init = (ROOT / "deploy" / "airflow-init.sh").read_text()
    assert "airflow db migrate" in init and "yj_airflow.deploy auth" in init and 'mkdir -p "$data"/landing' in init


def test_every_airflow_container_shares_logs_and_secrets_and_no_password_file():
    services = _compose()["services"]
    for name in AIRFLOW_SERVICES:
        env, mounts = services[name]["environment"], services[name]["volumes"]
        assert "logs:/opt/airflow/logs" in mounts
        assert not [m for m in mounts if "auth" in m], f"{name} mounts a password volume"
        assert not [k for k in env if "SIMPLE_AUTH_MANAGER" in k]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET")
        assert any(m.endswith(":/data/landing") and m.startswith("${YJ_DATA_DIR") for m in mounts)
        # The admin's password reaches airflow-init alone (which stores it hashed).
        assert ("AIRFLOW_ADMIN_PASSWORD" in env) == (name == "airflow-init")
    assert _shared_settings()["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager")


def test_the_ui_and_the_warehouse_listen_on_loopback_unless_told_otherwise():
    services = _compose()["services"]
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert published and all(p.startswith("${") and ":-127.0.0.1}" in p for p in published)
    assert "admin:admin" not in (ROOT / "docker-compose.yml").read_text().replace("${AIRFLOW_ADMIN_USER:-admin}:admin", "")


def test_airflow_the_warehouse_and_tableau_have_separate_roles():
    env = _compose()["services"]["airflow-scheduler"]["environment"]
    assert deploy.URLS["metadata"][5] == ("AIRFLOW_DB_NAME", "airflow") and env["AIRFLOW_DB_USER"] == "airflow"
    assert '"login": "yj_warehouse"' in env["AIRFLOW_CONN_YJ_WAREHOUSE"]
    assert _compose()["services"]["postgres"]["environment"]["POSTGRES_USER"] == "postgres"
    init_sql = (ROOT / "deploy" / "postgres-init" / "10-roles-and-databases.sh").read_text()
    for role in ("airflow", "yj_warehouse", "yj_tableau"):
        assert f"CREATE ROLE {role} LOGIN" in init_sql
    assert "SUPERUSER" not in init_sql


def test_no_secret_is_written_in_the_deployment_files():
    text = (ROOT / "docker-compose.yml").read_text()
    for match in re.finditer(r"^\s*(\w*(?:PASSWORD|SECRET|SECRET_KEY|FERNET_KEY)):\s*(\S+)", text, flags=re.M):
        assert match.group(2).startswith("${"), f"literal secret for {match.group(1)}"
    for url in re.findall(r"\w+://[^\s\"']+", text):
        assert "@" not in url, f"credentials in {url}"
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
    assert all(example[name] == "" for name in SECRETS)
    assert not re.search(r"(PASSWORD|SECRET|KEY)\s*=", (ROOT / "deploy" / "airflow.env").read_text())
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("password", ["plain", "p@ss:w/rd", "100%#?&= sure", "q\"u'o\\te", "new\nline\n"])
def test_urls_carry_the_password_percent_encoded(password):
    env = {"AIRFLOW_DB_USER": "airflow", "AIRFLOW_DB_PASSWORD": password, "REDIS_PASSWORD": password}
    metadata = make_url(deploy.url("metadata", env))
    assert (metadata.username, metadata.password, metadata.host, metadata.database) == \
        ("airflow", password, "postgres", "airflow")
    from kombu.utils.url import url_to_parts

    broker = url_to_parts(deploy.url("broker", env))
    assert (broker.scheme, broker.hostname, broker.port, broker.password) == ("redis", "redis", 6379, password)


def test_the_url_command_prints_the_url_and_nothing_after_it():
    """Airflow keeps a _CMD setting's output as it is: a trailing newline would become part
    of the database name (``airflow\n``) and no container could connect."""
    env = {**os.environ, "AIRFLOW_DB_PASSWORD": "p%ss\"'\n", "REDIS_PASSWORD": "r", "AIRFLOW_DB_HOST": "10.0.0.5",
           "AIRFLOW_DB_PORT": "6432", "AIRFLOW_DB_NAME": "meta", "REDIS_HOST": "::1", "REDIS_DB": "3"}
    out = {kind: subprocess.run([sys.executable, "-m", "yj_airflow.deploy", "url", kind], env=env,
                                capture_output=True, text=True, check=True).stdout
           for kind in ("metadata", "result-backend", "broker")}
    assert out["metadata"] == "postgresql+psycopg2://airflow:p%25ss%22%27%0A@10.0.0.5:6432/meta"
    assert out["result-backend"] == "db+postgresql://airflow:p%25ss%22%27%0A@10.0.0.5:6432/meta"
    assert out["broker"] == "redis://:r@[::1]:6379/3"
    assert make_url(out["metadata"]).password == "p%ss\"'\n"


def test_a_missing_secret_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.delenv("AIRFLOW_DB_PASSWORD", raising=False)
    assert deploy.main(["url", "metadata"]) == 2
    assert "AIRFLOW_DB_PASSWORD is not set" in capsys.readouterr().err


def test_image_installs_the_project_against_the_pinned_constraints_with_celery():
    dockerfile = (ROOT / "Dockerfile").read_text()
    pinned = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    assert dockerfile.split("apache/airflow:")[1].split("-")[0] == pinned["apache-airflow"]
    assert "-c constraints.txt" in dockerfile
    assert "apache-airflow-providers-celery" in pinned and "celery" in pinned and "redis" in pinned
    # The last USER is airflow, and it comes before WORKDIR (the folder was made for it).
    instructions = _instructions(ROOT / "Dockerfile")
    last_user = max(i for i, line in enumerate(instructions) if line.startswith("USER "))
    assert instructions[last_user] == "USER airflow"
    assert last_user < instructions.index("WORKDIR /opt/yj")


def test_compose_file_passes_compose_schema_validation(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (CI installs it: see .ci/run)")
    env = tmp_path / ".env"
    required = "AIRFLOW_BASE_URL=https://airflow.example.org\n"  # not a secret, but no default
    env.write_text(required + "".join(f"{name}=x{i}\n" for i, name in enumerate(SECRETS)))
    result = subprocess.run([tool, "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    # A secret left out of .env stops Compose with its name.
    env.write_text(required + "".join(f"{name}=x\n" for name in SECRETS if name != "REDIS_PASSWORD"))
    result = subprocess.run([tool, "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "REDIS_PASSWORD" in result.stderr


# --- the Dockerfile's steps, run as a non-root user in a fresh folder


def _non_root_user() -> tuple[int, int]:
    """The image's airflow user is uid 50000 in group 0; here: 50000 when we are root (no
    account needed for a uid), else ourselves."""
    return (50000, 0) if os.geteuid() == 0 else (os.geteuid(), os.getegid())


@pytest.fixture
def fresh_folder():
    """A folder another user can enter (pytest's own tmp_path is private to us)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="yj-image-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_dockerfile_steps_succeed_as_a_non_root_user_in_a_fresh_folder(fresh_folder):
    """Executes the Dockerfile: RUN as root and as the user, WORKDIR, COPY --chown, in a fresh
    folder standing for the image's root. The base image's Airflow is this virtualenv's
    (a .pth file), so the final ``pip install -c constraints.txt -e .`` resolves every pin
    against what is installed and builds the project, as the build would, as the user."""
    uid, gid = _non_root_user()
    image_root = fresh_folder / "image"
    image_root.mkdir()
    home = image_root / "home" / "airflow"
    home.mkdir(parents=True)
    # The base image: a Python environment owned by the airflow user, Airflow preinstalled.
    env_dir = home / ".local"
    subprocess.run([_interpreter_for(uid), "-m", "venv", "--without-pip", str(env_dir)], check=True)
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    (next(env_dir.glob("lib/python*/site-packages")) / "base_image.pth").write_text(f"{site}\n")
    os.chown(home, uid, gid)
    for path in [env_dir, *env_dir.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)

    def as_user(user: str):
        if user == "root" or os.geteuid() != 0:
            return None

        def demote():
            os.setgid(gid)
            os.setgroups([])
            os.setuid(uid)
        return demote

    def inside(path: str) -> Path:
        return image_root / path.lstrip("/")

    user, workdir = "root", image_root
    run_env = {"HOME": str(home), "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "PIP_NO_INPUT": "1"}
    steps = []
    for line in _instructions(ROOT / "Dockerfile"):
        op, _, rest = line.partition(" ")
        if op == "FROM":
            continue
        if op == "USER":
            user = rest.strip()
        elif op == "WORKDIR":
            workdir = inside(rest.strip())
            workdir.mkdir(parents=True, exist_ok=True)  # Docker creates it (as root) if missing
        elif op == "COPY":
            args = rest.split()
            chown = [a for a in args if a.startswith("--chown=")]
            args = [a for a in args if not a.startswith("--")]
            *sources, target = args
            target_path = workdir / target if not target.startswith("/") else inside(target)
            for source in sources:
                src = ROOT / source
                dst = target_path / src.name if target.endswith("/") or len(sources) > 1 else target_path
                if src.is_dir():
                    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, dst)
                if chown and os.geteuid() == 0:
                    for path in [dst, *(dst.rglob("*") if dst.is_dir() else [])]:
                        os.chown(path, uid, gid)
        elif op == "RUN":
            command = rest.replace("airflow:root", f"{uid}:{gid}")
            for folder in ("/opt/", "/data", "/home/"):
                command = command.replace(f" {folder}", f" {image_root}{folder}")
            if user == "root":
                command = command.replace("pip install", f"{env_dir / 'bin' / 'python'} -m pip install")
            else:
                command = command.replace("pip install", "python -m pip install")
            result = subprocess.run(["bash", "-c", command], cwd=workdir, env=run_env, capture_output=True, text=True,
                                    preexec_fn=as_user(user), timeout=600)
            steps.append((user, command[:60], result.returncode))
            assert result.returncode == 0, f"RUN as {user} failed: {command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert steps[-1][0] == "airflow" and "pip install" in steps[-1][1]
    # The project is installed for the user, from the folder the user owns.
    check = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                            "import transforms.settings as s, yj_airflow.deploy; print(s.PROJECT_ROOT)"],
                           cwd="/", env=run_env, capture_output=True, text=True, preexec_fn=as_user("airflow"))
    assert check.returncode == 0, check.stderr
    assert Path(check.stdout.strip()) == inside("/opt/yj")
    assert inside("/opt/yj").stat().st_uid == uid and inside("/data/landing").stat().st_uid == uid


def _interpreter_for(uid: int) -> str:
    """This Python, or the same version from a folder the user can reach (ours may sit under
    root's home, which another user cannot enter)."""
    ours = Path(sys.executable).resolve()
    if uid == os.geteuid() or all(p.stat().st_mode & 0o001 for p in ours.parents):
        return str(ours)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/local/bin", "/usr/bin"):
        if (Path(folder) / version).exists():
            return str(Path(folder) / version)
    pytest.skip(f"no {version} outside root's home to run as another user")


def _instructions(dockerfile: Path) -> list[str]:
    """The Dockerfile's instructions with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in dockerfile.read_text().splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    return lines
