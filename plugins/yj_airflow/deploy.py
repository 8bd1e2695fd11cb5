"""Deployment helpers the containers of docker-compose.yml run (no DAG imports this).

  python -m yj_airflow.deploy url metadata|broker|result-backend
      prints a connection URL built from the .env secrets with the user and password
      percent-encoded, and nothing after it (no newline: Airflow keeps a ``..._CMD`` setting's
      output byte for byte, so a trailing newline would end up in the database name). Airflow
      runs it through its ``..._CMD`` settings, so a password with ``@``, ``:``, ``/``, ``%``,
      a quote or a newline in it works and never appears in the compose file. Hosts, ports
      and database names are settings too (``AIRFLOW_DB_HOST`` ... ``REDIS_DB``, see
      ``URLS``), so a worker on another machine reaches the stack by address.
  python -m yj_airflow.deploy prepare-warehouse
      creates the warehouse tables (as the warehouse owner) and lets the read-only reporting
      role (``YJ_READONLY_ROLE``, for Tableau) read the marts and nothing else.
  python -m yj_airflow.deploy admin-password FILE
      writes the UI admin's password from ``AIRFLOW_ADMIN_PASSWORD`` into the simple auth
      manager's passwords file, so it is the same in every container and across restarts.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import quote

# What each URL is made of: scheme, then (variable, default inside the Compose network) for
# the user, password, host, port and path. Every part is a setting; the defaults are the
# Compose service names, so only a worker elsewhere needs to set the hosts.
URLS = {
    "metadata": ("postgresql+psycopg2", ("AIRFLOW_DB_USER", "airflow"), ("AIRFLOW_DB_PASSWORD", None),
                 ("AIRFLOW_DB_HOST", "postgres"), ("AIRFLOW_DB_PORT", "5432"), ("AIRFLOW_DB_NAME", "airflow")),
    "result-backend": ("db+postgresql", ("AIRFLOW_DB_USER", "airflow"), ("AIRFLOW_DB_PASSWORD", None),
                       ("AIRFLOW_DB_HOST", "postgres"), ("AIRFLOW_DB_PORT", "5432"), ("AIRFLOW_DB_NAME", "airflow")),
    "broker": ("redis", (None, ""), ("REDIS_PASSWORD", None),
               ("REDIS_HOST", "redis"), ("REDIS_PORT", "6379"), ("REDIS_DB", "0")),
}
MART_PREFIX = "mart_"


class DeploymentError(Exception):
    pass


def _required(env: dict, name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise DeploymentError(f"{name} is not set (copy .env.example to .env and fill it in)")
    return value


def url(kind: str, env: dict | None = None) -> str:
    """The URL of one service, its user and password percent-encoded (RFC 3986)."""
    env = os.environ if env is None else env
    if kind not in URLS:
        raise DeploymentError(f"unknown URL '{kind}' (choose from {', '.join(URLS)})")
    scheme, user, password, host, port, path = URLS[kind]

    def setting(part: tuple[str | None, str | None]) -> str:
        name, default = part
        if name is None:
            return default or ""
        return env.get(name) or default if default is not None else _required(env, name)

    if not re.fullmatch(r"[0-9]+", setting(port)):
        raise DeploymentError(f"{port[0]} must be a port number")
    host_name = setting(host)
    if ":" in host_name:  # an IPv6 address
        host_name = f"[{host_name}]"
    # safe="": every reserved character is encoded, "/" and ":" included (RFC 3986 userinfo).
    return (f"{scheme}://{quote(setting(user), safe='')}:{quote(setting(password), safe='')}"
            f"@{host_name}:{setting(port)}/{quote(setting(path), safe='')}")


def readonly_grants(table_names: list[str], role: str) -> list[str]:
    """GRANT statements that let ``role`` read the marts only: the core (names, dates of
    birth, UPNs, PNC ids) stays out of Tableau's reach."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", role):
        raise DeploymentError(f"'{role}' is not a plain PostgreSQL role name")
    marts = sorted(t for t in table_names if t.startswith(MART_PREFIX))
    return [f'GRANT SELECT ON "{t}" TO {role}' for t in marts]


def grant_marts_to_readonly_role(engine, role: str | None) -> list[str]:
    """Let the reporting role read every mart table there is (run after each marts rebuild,
    which creates new mart tables on its first run); nothing on SQLite or without a role."""
    from sqlalchemy import inspect, text

    if not role or engine.dialect.name != "postgresql":
        return []
    with engine.begin() as conn:
        statements = readonly_grants(inspect(conn).get_table_names(), role)
        for statement in statements:
            conn.execute(text(statement))
    return statements


def prepare_warehouse(warehouse_url: str, role: str | None) -> list[str]:
    from transforms.warehouse.db import ensure_schema, make_engine

    engine = make_engine(warehouse_url)
    ensure_schema(engine)
    statements = grant_marts_to_readonly_role(engine, role)
    engine.dispose()
    return statements


def write_admin_password(path: Path, env: dict | None = None) -> None:
    env = os.environ if env is None else env
    user = env.get("AIRFLOW_ADMIN_USER") or "admin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({user: _required(env, "AIRFLOW_ADMIN_PASSWORD")}))
    path.chmod(0o600)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) == 2 and args[0] == "url":
            # No newline: Airflow does not strip a _CMD setting's output.
            sys.stdout.write(url(args[1]))
        elif args == ["prepare-warehouse"]:
            from yj_airflow.config import task_settings

            for statement in prepare_warehouse(task_settings().warehouse_url, os.environ.get("YJ_READONLY_ROLE")):
                print(statement)
        elif len(args) == 2 and args[0] == "admin-password":
            write_admin_password(Path(args[1]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except DeploymentError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
