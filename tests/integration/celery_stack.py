"""The production stack of docker-compose.yml, started from the project's virtual environment:
Airflow's metadata in a fresh PostgreSQL database, a Redis broker, the API server, scheduler,
DAG processor, triggerer and two Celery workers with their own hostnames, each a process
group of its own so that stopping the stack stops every child it forked.

Used by ``test_celery_stack.py``. Each component gets the environment docker-compose.yml
gives its container: ``deploy/airflow.env``, then the compose file's ``environment`` with an
operator's ``.env`` (``.env.example`` filled in) substituted as Compose does, the URLs resolved
by Airflow through the same ``_CMD`` settings, and Redis started with the compose file's
command and password. What differs is listed in ``start`` (folders, ports, the test server's
role), so the test runs the configuration production runs."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_ENV_FILE = ROOT / "deploy" / "airflow.env"


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMPOSE_FILE = ROOT / "docker-compose.yml"
# The .env values with no default (generated per run here).
SECRET_SETTINGS = ["POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD", "TABLEAU_PASSWORD",
                   "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"]


def read_env_file(path: Path) -> dict[str, str]:
    """An env file as Compose reads it (``env_file`` and ``.env``): ``NAME=value`` lines,
    ``#`` comments, a value in single quotes taken literally, in double quotes with ``\n``,
    ``\"`` and ``\\`` escapes."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value[1:-1])
        else:
            value = re.sub(r"\s+#.*$", "", value)
        values[name.strip()] = value
    return values


def production_airflow_settings() -> dict[str, str]:
    """The AIRFLOW__ settings production uses (deploy/airflow.env)."""
    return read_env_file(AIRFLOW_ENV_FILE)


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's variable substitution: ``${X}``, ``${X:-default}``, ``${X-default}``,
    ``${X:?message}`` (stops when X is unset or empty), ``$$`` for a literal ``$``."""
    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name") or match.group("bare"), match.group("op"), match.group("arg") or ""
        value = variables.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op in (":?", "?"):
            if value is None or (op == ":?" and not value):
                raise KeyError(f"{name}: {arg}")
            return value
        return value or ""
    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)", one, value)


def compose_environment(service: str, dotenv: dict[str, str]) -> dict[str, str]:
    """The environment Compose gives ``service``'s container: its ``env_file`` files, then its
    ``environment`` with ``dotenv`` (the operator's .env) substituted, as ``docker compose``
    would, from docker-compose.yml itself."""
    import yaml

    spec = yaml.safe_load(COMPOSE_FILE.read_text())["services"][service]
    env = {}
    for name in spec.get("env_file", []):
        env.update(read_env_file(ROOT / name))
    for name, value in (spec.get("environment") or {}).items():
        env[name] = interpolate(str(value), dotenv)
    return env


def compose_command(service: str) -> list[str]:
    """The command of a service, ``$$`` turned into ``$`` as Compose does."""
    import yaml

    command = yaml.safe_load(COMPOSE_FILE.read_text())["services"][service]["command"]
    return [part.replace("$$", "$") for part in command]


def example_dotenv(**values: str) -> dict[str, str]:
    """.env.example as an operator fills it in: its values, with ``values`` for the empty ones."""
    dotenv = read_env_file(ROOT / ".env.example")
    dotenv.update(values)
    return dotenv


def local_paths(home: Path, yj_env: dict[str, str]) -> dict[str, str]:
    """What differs from a container on this machine, and only that: the image's folders
    (/opt/yj, /opt/airflow, /data) are this checkout and the test's own folders."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW_VAR_YJ_LANDING_DIR": yj_env.get("YJ_LANDING_DIR", str(home / "landing")),
        "AIRFLOW_VAR_YJ_OUTPUT_DIR": yj_env.get("YJ_OUTPUT_DIR", str(home / "output")),
        "YJ_RAW_ARCHIVE_DIR": yj_env.get("YJ_RAW_ARCHIVE_DIR", str(home / "raw")),
        # The image puts its Python first on PATH; the _CMD settings run `python -m ...`.
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }


@dataclass
class CeleryStack:
    base: Path
    postgres_admin_url: str
    yj_env: dict[str, str]
    workers: tuple[str, ...] = ("worker-a", "worker-b")
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    metadata_url: str = ""
    _metadata_db: str = ""
    _redis_dir: Path | None = None

    # --- start

    def start(self, timeout: float = 180) -> "CeleryStack":
        self.base.mkdir(parents=True, exist_ok=True)
        self._create_metadata_db()
        self.redis_password = uuid.uuid4().hex
        redis_port = self._start_redis()
        api_port = spare_port()
        home = self.base / "airflow_home"
        home.mkdir(exist_ok=True)
        from cryptography.fernet import Fernet

        server = make_url(self.postgres_admin_url)
        # The operator's .env: .env.example with its secrets filled in and loopback addresses
        # for the hosts, as a worker on another machine has them (remote-worker.env.example).
        dotenv = example_dotenv(**{name: uuid.uuid4().hex for name in SECRET_SETTINGS},
                                AIRFLOW_FERNET_KEY=Fernet.generate_key().decode(),
                                AIRFLOW_DB_HOST=server.host, AIRFLOW_DB_PORT=str(server.port),
                                REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis_port),
                                REDIS_PASSWORD=self.redis_password,
                                AIRFLOW_API_SERVER_URL=f"http://127.0.0.1:{api_port}",
                                AIRFLOW_BASE_URL=f"http://127.0.0.1:{api_port}")
        self.dotenv = dotenv
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "YJ_"))}
        # Every container's settings from docker-compose.yml and deploy/airflow.env; the URLs
        # through the same _CMD settings (python -m yj_airflow.deploy url ...).
        env.update(compose_environment("airflow-scheduler", dotenv))
        env.update(local_paths(home, self.yj_env))
        env.update(self.yj_env)
        # What this harness changes, and why: the test server's superuser and a fresh database
        # per run (the shared server has no airflow role), one process per component on two
        # shared cores, spare ports beside other test runs, and shorter polling so a test waits
        # seconds, not minutes.
        env.update({
            "AIRFLOW_DB_USER": server.username or "postgres",
            "AIRFLOW_DB_NAME": self._metadata_db,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT": str(spare_port()),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        })
        # The reporting role is created by the init scripts on a stack's own server; this
        # shared server has none (roles are cluster-wide), so the marts are granted to nobody.
        env.pop("YJ_READONLY_ROLE", None)
        self.env = env
        self.airflow("db", "migrate", timeout=300)
        self._spawn("api-server", "api-server")
        self._spawn("scheduler", "scheduler")
        self._spawn("dag-processor", "dag-processor")
        self._spawn("triggerer", "triggerer")
        for name in self.workers:
            worker_env = {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(spare_port())}
            self._spawn(name, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency", "1",
                        extra_env=worker_env)
        self._wait_for_dags(timeout)
        return self

    def _create_metadata_db(self) -> None:
        self._metadata_db = f"yj_airflow_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self._metadata_db}"'))
        admin.dispose()
        server = self.postgres_admin_url.split("://", 1)[1].rsplit("/", 1)[0]
        self.metadata_url = f"postgresql+psycopg2://{server}/{self._metadata_db}"

    def _start_redis(self) -> int:
        """A private redis-server on a spare port, started with the compose file's redis command
        (its password from the same .env), nothing shared with other test runs."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        port = spare_port()
        self._redis_dir = self.base / "redis"
        self._redis_dir.mkdir(exist_ok=True)
        command = compose_command("redis")[2] + f" --port {port} --bind 127.0.0.1 --dir {self._redis_dir}"
        self.processes["redis"] = subprocess.Popen(
            ["sh", "-c", command], env={**os.environ, "REDIS_PASSWORD": self.redis_password},
            stdout=open(self.base / "redis.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return port
            time.sleep(0.2)
        raise RuntimeError("redis-server did not start")

    def _spawn(self, name: str, *args: str, extra_env: dict | None = None) -> None:
        log = open(self.base / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen([sys.executable, "-m", "airflow", *args],
                                                env={**self.env, **(extra_env or {})}, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_for_dags(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.check_alive()
            with self.metadata() as conn:
                try:
                    n = conn.execute(text("SELECT count(*) FROM dag WHERE is_stale = false")).scalar_one()
                except Exception:
                    n = 0
            if n >= 7 and self._workers_ready():
                return
            time.sleep(2)
        raise RuntimeError(f"the stack did not come up in {timeout}s; logs in {self.base}")

    def _workers_ready(self) -> bool:
        return all("ready." in (self.base / f"{w}.log").read_text(errors="replace") for w in self.workers)

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                tail = (self.base / f"{name}.log").read_text(errors="replace")[-3000:] \
                    if (self.base / f"{name}.log").exists() else ""
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    # --- use

    def airflow(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def metadata(self):
        if not hasattr(self, "_engine"):
            self._engine = create_engine(self.metadata_url.replace("+psycopg2", "+psycopg"), pool_pre_ping=True)
        return self._engine.connect()

    def trigger(self, dag_id: str, conf: str | None = None) -> str:
        """Trigger ``dag_id``. While a DAG is paused its run is dated at the slot the scheduler
        would otherwise run on unpausing (the DAGs do not catch up, but they do run the slot
        they last missed), so the scheduler finds that slot taken and does not run it twice."""
        run_id = f"test__{dag_id}__{uuid.uuid4().hex[:8]}"
        args = ["dags", "trigger", dag_id, "--run-id", run_id]
        with self.metadata() as conn:
            paused, next_slot = conn.execute(text("SELECT is_paused, next_dagrun FROM dag WHERE dag_id = :d"),
                                             {"d": dag_id}).one()
        if paused and next_slot is not None and next_slot.timestamp() <= time.time():
            args += ["--logical-date", next_slot.isoformat()]
        if conf:
            args += ["--conf", conf]
        self.airflow(*args)
        return run_id

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.check_alive()
            with self.metadata() as conn:
                state = conn.execute(text("SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r"),
                                     {"d": dag_id, "r": run_id}).scalar()
            if state in ("success", "failed"):
                return state
            time.sleep(1)
        raise TimeoutError(f"{dag_id} {run_id} did not finish in {timeout}s; logs in {self.base}")

    def wait_until_idle(self, timeout: float = 300) -> None:
        """Until no DAG run is queued or running (asset-triggered runs included)."""
        deadline = time.time() + timeout
        quiet_since = None
        while time.time() < deadline:
            self.check_alive()
            with self.metadata() as conn:
                busy = conn.execute(text("SELECT count(*) FROM dag_run WHERE state IN ('queued', 'running')")).scalar_one()
                pending = conn.execute(text("SELECT count(*) FROM asset_dag_run_queue")).scalar_one()
            if busy == 0 and pending == 0:
                quiet_since = quiet_since or time.time()
                if time.time() - quiet_since > 6:  # the scheduler has had a loop to start asset runs
                    return
            else:
                quiet_since = None
            time.sleep(1)
        raise TimeoutError(f"runs still under way after {timeout}s; logs in {self.base}")

    def task_instances(self, dag_id: str | None = None) -> list[dict]:
        sql = "SELECT dag_id, run_id, task_id, state, try_number, hostname, pid, id::text AS id FROM task_instance"
        with self.metadata() as conn:
            rows = conn.execute(text(sql + (" WHERE dag_id = :d" if dag_id else "")), {"d": dag_id}).mappings().all()
        return [dict(r) for r in rows]

    def workers_that_ran(self) -> dict[str, set[str]]:
        """Task instance ids each worker received, read from the worker's own log."""
        seen = {}
        for name in self.workers:
            log = (self.base / f"{name}.log").read_text(errors="replace")
            seen[name] = set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", log))
        return seen

    def descendants(self, name: str) -> set[int]:
        """Process ids of one component and every process it forked."""
        import psutil

        root = psutil.Process(self.processes[name].pid)
        return {root.pid} | {p.pid for p in root.children(recursive=True)}

    # --- stop

    def stop(self) -> None:
        """SIGTERM each process group, then SIGKILL what is left; drop the metadata database."""
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 20
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.processes.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # children left behind in the group, too
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if hasattr(self, "_engine"):
            self._engine.dispose()
        if self._metadata_db:
            admin = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._metadata_db}" WITH (FORCE)'))
            admin.dispose()
