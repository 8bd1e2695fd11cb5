"""Isolation between services on PostgreSQL by the database: a schema per service
(docs/adr/0062-a-warehouse-per-service.md, superseding 0060's row-level security).

Each service's warehouse is the schema ``yj_<service>`` (``scope.area_warehouse_url``), written by
today's loads through the connection's ``search_path``; the shared custody feed lands in
``yj_partnership``. Roles, per service:

- ``<prefix>_<service>_analyst``: USAGE on its own schema and SELECT on every table in it (core,
  quarantine, audit, KPI figures, marts), including tables created later (``ALTER DEFAULT
  PRIVILEGES``, so a new table needs no second step);
- ``<prefix>_<service>_tableau``: Tableau's read-only login, its own schema's ``mart_*`` tables
  only;

and ``<prefix>_partnership_reader`` for partnership-wide figures: the ``mart_*`` tables of every
service's schema and of ``yj_partnership``, nothing else. No role is granted anything on another
service's schema, on ``yj_partnership`` (the reader's marts apart) or on ``public``, and every grant
is SELECT, so no role can write. The loads run as the schemas' owner, which runs ``apply`` too (the
default privileges are those of the role that creates the tables).

Grants are checked, not assumed: ``isolation_problems`` compares what each role can actually do on
every table of the managed schemas (``has_table_privilege``) with what it should, so a grant given by
hand, a table readable by PUBLIC or a mart created after ``apply`` (Tableau and the reader cannot
read it until ``apply`` runs again: it fails closed) is named. Roles are created with LOGIN and no
password: the DBA sets one from the secret store (``ALTER ROLE ... PASSWORD``); no credential is in
the code."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from transforms.partnership.config import SERVICE_ID, Partnership
from transforms.partnership.scope import PARTNERSHIP_AREA, SCHEMA_PREFIX

MART_PREFIX = "mart_"
WRITE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
SHARED_SCHEMA = "public"


class IsolationError(ValueError):
    pass


@dataclass(frozen=True)
class ServiceRoles:
    analyst: str
    tableau: str


def service_roles(service_id: str, prefix: str = "yj") -> ServiceRoles:
    _check_identifier(service_id, prefix)
    return ServiceRoles(analyst=f"{prefix}_{service_id}_analyst", tableau=f"{prefix}_{service_id}_tableau")


def partnership_reader_role(prefix: str = "yj") -> str:
    _check_identifier(PARTNERSHIP_AREA, prefix)
    return f"{prefix}_{PARTNERSHIP_AREA}_reader"


def service_schema(service_id: str) -> str:
    """The schema of one service's warehouse (or of the shared area): the name scope.py gives it."""
    _check_identifier(service_id, SCHEMA_PREFIX)
    return f"{SCHEMA_PREFIX}_{service_id}"


def _check_identifier(*names: str) -> None:
    # Every name below is built from these and written into SQL: only lower-case identifiers.
    for name in names:
        if not SERVICE_ID.match(name):
            raise IsolationError(f"'{name}' must be a lower-case identifier to name roles and schemas")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def all_roles(partnership: Partnership, prefix: str = "yj") -> list[str]:
    roles = [r for s in partnership.services for r in (service_roles(s.id, prefix).analyst, service_roles(s.id, prefix).tableau)]
    return roles + [partnership_reader_role(prefix)]


def expected_readers(partnership: Partnership, schema: str, table: str, prefix: str = "yj") -> set[str]:
    """The roles that should read ``schema.table`` (every other managed role should not)."""
    reader = partnership_reader_role(prefix)
    is_mart = table.startswith(MART_PREFIX)
    if schema == service_schema(PARTNERSHIP_AREA):
        return {reader} if is_mart else set()
    for service in partnership.services:
        if schema == service_schema(service.id):
            roles = service_roles(service.id, prefix)
            return {roles.analyst, roles.tableau, reader} if is_mart else {roles.analyst}
    return set()  # public, or any other schema


def managed_schemas(partnership: Partnership) -> list[str]:
    return [service_schema(s.id) for s in partnership.services] + [service_schema(PARTNERSHIP_AREA)]


def _tables(engine: Engine, schemas: list[str]) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = ANY(:schemas) ORDER BY table_schema, table_name"), {"schemas": schemas})]


def isolation_statements(partnership: Partnership, tables: list[tuple[str, str]], prefix: str = "yj") -> list[str]:
    """The SQL that isolates the services, given the (schema, table) pairs that exist now; every
    statement can be run again without effect."""
    statements = []
    reader = partnership_reader_role(prefix)
    for role in all_roles(partnership, prefix):
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
            f"CREATE ROLE {_quote(role)} LOGIN NOINHERIT NOCREATEDB NOCREATEROLE; END IF; END $$")
    marts_by_schema: dict[str, list[str]] = {}
    for schema, table in tables:
        if table.startswith(MART_PREFIX):
            marts_by_schema.setdefault(schema, []).append(table)
    for schema in managed_schemas(partnership):
        q = _quote(schema)
        # Created here, before the first load, so the default privileges cover every table.
        statements.append(f"CREATE SCHEMA IF NOT EXISTS {q}")
        statements.append(f"REVOKE ALL ON SCHEMA {q} FROM PUBLIC")
        if schema == service_schema(PARTNERSHIP_AREA):
            readers, analyst = [reader], None
        else:
            service_id = schema[len(SCHEMA_PREFIX) + 1:]
            roles = service_roles(service_id, prefix)
            readers, analyst = [roles.analyst, roles.tableau, reader], roles.analyst
            for role in (roles.analyst, roles.tableau):
                statements.append(f"ALTER ROLE {_quote(role)} SET search_path = {q}")
        statements.append(f"GRANT USAGE ON SCHEMA {q} TO {', '.join(_quote(r) for r in readers)}")
        if analyst:
            statements.append(f"GRANT SELECT ON ALL TABLES IN SCHEMA {q} TO {_quote(analyst)}")
            statements.append(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT SELECT ON TABLES TO {_quote(analyst)}")
        mart_readers = [r for r in readers if r != analyst]
        for table in marts_by_schema.get(schema, []):
            statements.append(f"GRANT SELECT ON {q}.{_quote(table)} TO {', '.join(_quote(r) for r in mart_readers)}")
    return statements


def apply_isolation(engine: Engine, partnership: Partnership, prefix: str = "yj") -> list[str]:
    """Create the roles, schemas and grants on a PostgreSQL warehouse, in one transaction. Run as
    the role the loads use (it owns the schemas). Returns the ``schema.table`` names it covered."""
    _require_postgres(engine)
    tables = _tables(engine, managed_schemas(partnership))
    with engine.begin() as conn:
        for statement in isolation_statements(partnership, tables, prefix):
            conn.execute(text(statement))
    return [f"{s}.{t}" for s, t in tables]


def isolation_problems(engine: Engine, partnership: Partnership, prefix: str = "yj") -> list[str]:
    """Every way the grants differ from the design: a missing role or schema, a role that can
    read a table it should not (another service's, the shared area's, ``public``'s) or cannot read
    one it should, any write privilege, and a table PUBLIC can read."""
    _require_postgres(engine)
    roles = all_roles(partnership, prefix)
    problems = []
    with engine.connect() as conn:
        existing_roles = set(conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"), {"r": roles}).scalars())
        existing_schemas = set(conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:s)"),
                                            {"s": managed_schemas(partnership)}).scalars())
        problems += [f"role {r} does not exist" for r in roles if r not in existing_roles]
        problems += [f"schema {s} does not exist" for s in managed_schemas(partnership) if s not in existing_schemas]
        for schema, table in _tables(engine, managed_schemas(partnership) + [SHARED_SCHEMA]):
            qualified = f"{_quote(schema)}.{_quote(table)}"
            should_read = expected_readers(partnership, schema, table, prefix)
            if conn.execute(text("SELECT has_table_privilege('public', :t, 'SELECT')"), {"t": qualified}).scalar():
                problems.append(f"{schema}.{table}: PUBLIC can read it")
            for role in sorted(existing_roles):
                can = _privileges(conn, role, qualified)
                if "SELECT" in can and role not in should_read:
                    problems.append(f"{schema}.{table}: {role} can read it")
                elif "SELECT" not in can and role in should_read:
                    problems.append(f"{schema}.{table}: {role} cannot read it")
                for privilege in can - {"SELECT"}:
                    problems.append(f"{schema}.{table}: {role} can {privilege.lower()}")
    return problems


def _privileges(conn, role: str, qualified: str) -> set[str]:
    """What ``role`` can do on the table: has_table_privilege counts grants to PUBLIC and to
    roles it is a member of, and also needs USAGE on the schema to matter, so both are asked."""
    schema = qualified.split(".", 1)[0].strip('"')
    if not conn.execute(text("SELECT has_schema_privilege(:r, :s, 'USAGE')"), {"r": role, "s": schema}).scalar():
        return set()
    return {p for p in ("SELECT",) + WRITE_PRIVILEGES
            if conn.execute(text("SELECT has_table_privilege(:r, :t, :p)"), {"r": role, "t": qualified, "p": p}).scalar()}


def _require_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise IsolationError(f"isolation by schema needs PostgreSQL, not {engine.dialect.name} "
                             f"(an embedded SQLite warehouse is a file per service: protect it by file permissions)")


def main(argv: list[str] | None = None) -> int:
    """``python -m transforms.partnership.isolation apply|check``: on the PostgreSQL database of the
    settings (``YJ_WAREHOUSE_URL``; its search_path, if any, is ignored: every service's schema is
    managed), for the partnership of ``YJ_PARTNERSHIP_FILE``. Run ``apply`` as the loads' role
    after adding a service or a mart; ``check`` exits 1 when any grant differs from the design."""
    import argparse
    import sys

    from sqlalchemy import create_engine

    from transforms.partnership.config import PartnershipConfigError, load_partnership
    from transforms.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m transforms.partnership.isolation")
    parser.add_argument("command", choices=["apply", "check"])
    parser.add_argument("--prefix", default="yj", help="role name prefix (default yj: yj_<service>_analyst)")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        partnership = load_partnership(settings)
        engine = create_engine(settings.warehouse_url)
        if args.command == "apply":
            covered = apply_isolation(engine, partnership, args.prefix)
            print(f"{len(partnership.services)} services isolated in {len(managed_schemas(partnership))} schemas "
                  f"({len(covered)} tables)")
        problems = isolation_problems(engine, partnership, args.prefix)
    except (PartnershipConfigError, IsolationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print("every service's schema is readable by its own roles only")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
