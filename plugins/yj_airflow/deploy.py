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
  python -m yj_airflow.deploy auth
      sets up sign-in with Airflow's FAB auth manager (run by airflow-init, after
      ``airflow db migrate``): the roles "BI team" and "Duty manager" (``ROLES``), and the
      administrator ``AIRFLOW_ADMIN_USER`` with the password ``AIRFLOW_ADMIN_PASSWORD`` (stored
      hashed in Airflow's database, set again on every run so .env stays the truth). Safe to
      run again. People are then added in the UI (Security, Users) with one of the roles.
"""
from __future__ import annotations

import os
import re
import sys
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

# Sign-in roles (FAB auth manager) besides Airflow's own "Admin". The BI team runs the DAGs,
# clears and retries tasks, triggers backfills and the return's submission: what Airflow's
# "User" role may do, copied into a role of the team's name so it can grow without touching
# Airflow's. The duty manager reads the custody DAGs (runs, task states, logs) and nothing
# else: no other DAG, no connection, variable or user, and no trigger.
BI_TEAM, DUTY_MANAGER = "BI team", "Duty manager"
DUTY_MANAGER_DAGS = ("custody_file_watch", "police_custody_refresh", "custody_due_check")
ROLES = {
    BI_TEAM: {"copy_of": "User", "permissions": []},
    DUTY_MANAGER: {"copy_of": None, "permissions": [
        *[("can_read", f"DAG:{dag_id}") for dag_id in DUTY_MANAGER_DAGS],
        *[("can_read", f"DAG Run:{dag_id}") for dag_id in DUTY_MANAGER_DAGS],
        ("can_read", "Task Instances"), ("can_read", "Task Logs"), ("can_read", "Website"),
        ("can_read", "My Profile"), ("can_edit", "My Profile"), ("can_read", "My Password"),
        ("can_edit", "My Password")]},
}


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


def set_up_sign_in(env: dict | None = None) -> list[str]:
    """Create or complete the roles of ``ROLES`` and the administrator; what was done, in
    words (no password). Needs Airflow's database migrated and the FAB auth manager set."""
    env = os.environ if env is None else env
    admin, password = env.get("AIRFLOW_ADMIN_USER") or "admin", _required(env, "AIRFLOW_ADMIN_PASSWORD")
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    done = []
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        for name, spec in ROLES.items():
            role = sm.find_role(name) or sm.add_role(name)
            wanted = [(p.action.name, p.resource.name) for p in sm.find_role(spec["copy_of"]).permissions] \
                if spec["copy_of"] else []
            have = {(p.action.name, p.resource.name) for p in role.permissions}
            added = 0
            for action, resource in wanted + spec["permissions"]:
                if (action, resource) not in have:
                    sm.add_permission_to_role(role, sm.create_permission(action, resource))
                    have.add((action, resource))
                    added += 1
            done.append(f"role {name}: {added} permission(s) added, {len(have)} in all")
        user = sm.find_user(username=admin)
        if user is None:
            sm.add_user(admin, "Platform", "Administrator", env.get("AIRFLOW_ADMIN_EMAIL") or f"{admin}@localhost",
                        sm.find_role("Admin"), password)
            done.append(f"administrator {admin} created")
        else:
            sm.reset_password(user.id, password)
            done.append(f"administrator {admin}: password set from AIRFLOW_ADMIN_PASSWORD")
    return done


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
        elif args == ["auth"]:
            for line in set_up_sign_in():
                print(line)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except DeploymentError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
