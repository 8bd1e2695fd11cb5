"""Isolation between services on PostgreSQL by row-level security (docs/adr/0060-...).

Every table holding one service's rows carries a ``service`` column (the service id from the
partnership file). For each service there are two roles:

- ``<prefix>_<service>_analyst``: reads its own service's rows of the core (``core_*``, ``hist_*``),
  the quarantine and audit (``quarantine*``, ``audit_*``), the KPI figures (``kpi_*``) and the
  marts (``mart_*``);
- ``<prefix>_<service>_tableau``: Tableau's read-only login, its own service's ``mart_*`` rows only.

Both read every ``ref_*`` table (code lists and populations: no child in them) and nothing else.
The policies are ``FOR SELECT`` and the roles hold only ``SELECT``, so they cannot write; the
loads run as the tables' owner, which row-level security does not restrict (the policies are not
FORCEd), so one load can write every service's rows in one transaction.

Tables are found, not listed: every table of the schema with a ``service`` column gets RLS and a
policy per service, so a table added later is covered by the next ``apply_isolation`` and, until
then, ``isolation_problems`` names it (and no service role has a grant on it, so it reads nothing).
The roles are created with LOGIN and no password: nobody can log in until the DBA sets one from the
secret store (``ALTER ROLE ... PASSWORD``); no credential is in the code."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from transforms.partnership.config import SERVICE_ID, Partnership

# Table-name prefixes and who reads them; a table with a service column and another prefix is an
# error until it is classified here (a new layer is a decision, not a default).
ANALYST_ONLY_PREFIXES = ("core_", "hist_", "quarantine", "audit_", "kpi_")
ANALYST_AND_TABLEAU_PREFIXES = ("mart_",)
SHARED_REFERENCE_PREFIX = "ref_"
SERVICE_COLUMN = "service"


class IsolationError(ValueError):
    pass


@dataclass(frozen=True)
class ServiceRoles:
    analyst: str
    tableau: str


def service_roles(service_id: str, prefix: str = "yj") -> ServiceRoles:
    if not SERVICE_ID.match(service_id) or not SERVICE_ID.match(prefix):
        raise IsolationError(f"'{prefix}' and '{service_id}' must be lower-case identifiers to name roles")
    return ServiceRoles(analyst=f"{prefix}_{service_id}_analyst", tableau=f"{prefix}_{service_id}_tableau")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _readers(table: str, roles: ServiceRoles) -> list[str]:
    if table.startswith(ANALYST_AND_TABLEAU_PREFIXES):
        return [roles.analyst, roles.tableau]
    if table.startswith(ANALYST_ONLY_PREFIXES):
        return [roles.analyst]
    raise IsolationError(f"table {table} has a '{SERVICE_COLUMN}' column but its layer is not known "
                         f"(prefixes: {', '.join(ANALYST_ONLY_PREFIXES + ANALYST_AND_TABLEAU_PREFIXES)})")


def service_scoped_tables(engine: Engine, schema: str = "public") -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = :schema AND c.column_name = :column AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name"), {"schema": schema, "column": SERVICE_COLUMN}).scalars())


def _reference_tables(engine: Engine, schema: str) -> list[str]:
    with engine.connect() as conn:
        names = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :schema "
                                  "AND table_type = 'BASE TABLE' ORDER BY table_name"), {"schema": schema}).scalars()
        return [n for n in names if n.startswith(SHARED_REFERENCE_PREFIX)]


def isolation_statements(partnership: Partnership, scoped_tables: list[str], reference_tables: list[str],
                         prefix: str = "yj", schema: str = "public") -> list[str]:
    """The SQL that isolates the services; every statement can be run again without effect."""
    statements = []
    all_roles = []
    for service in partnership.services:
        roles = service_roles(service.id, prefix)
        for role in (roles.analyst, roles.tableau):
            all_roles.append(role)
            statements.append(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                f"CREATE ROLE {_quote(role)} LOGIN NOINHERIT NOCREATEDB NOCREATEROLE; END IF; END $$")
    role_list = ", ".join(_quote(r) for r in all_roles)
    statements.append(f"GRANT USAGE ON SCHEMA {_quote(schema)} TO {role_list}")
    for table in reference_tables:
        statements.append(f"GRANT SELECT ON {_quote(schema)}.{_quote(table)} TO {role_list}")
    for table in scoped_tables:
        qualified = f"{_quote(schema)}.{_quote(table)}"
        statements.append(f"REVOKE ALL ON {qualified} FROM PUBLIC")
        statements.append(f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY")
        for service in partnership.services:
            roles = service_roles(service.id, prefix)
            readers = _readers(table, roles)
            policy = _quote(f"{prefix}_{service.id}_reads_own_rows")
            statements.append(f"GRANT SELECT ON {qualified} TO {', '.join(_quote(r) for r in readers)}")
            statements.append(f"DROP POLICY IF EXISTS {policy} ON {qualified}")
            # The service id is checked against SERVICE_ID (letters, digits, underscores), so the
            # literal cannot break out of its quotes.
            statements.append(f"CREATE POLICY {policy} ON {qualified} AS PERMISSIVE FOR SELECT "
                              f"TO {', '.join(_quote(r) for r in readers)} USING ({_quote(SERVICE_COLUMN)} = '{service.id}')")
    return statements


def apply_isolation(engine: Engine, partnership: Partnership, prefix: str = "yj", schema: str = "public") -> list[str]:
    """Create the roles and policies on a PostgreSQL warehouse, in one transaction. Returns the
    service-scoped tables it covered."""
    if engine.dialect.name != "postgresql":
        raise IsolationError(f"isolation by row-level security needs PostgreSQL, not {engine.dialect.name} "
                             f"(the embedded SQLite warehouse holds one service)")
    scoped = service_scoped_tables(engine, schema)
    statements = isolation_statements(partnership, scoped, _reference_tables(engine, schema), prefix, schema)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    return scoped


def isolation_problems(engine: Engine, partnership: Partnership, prefix: str = "yj", schema: str = "public") -> list[str]:
    """What would let a service's role read another service's rows: a service-scoped table without
    row-level security, one readable by PUBLIC, or one without each service's policy."""
    problems = []
    with engine.connect() as conn:
        for table in service_scoped_tables(engine, schema):
            rls = conn.execute(text("SELECT c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE n.nspname = :schema AND c.relname = :table"), {"schema": schema, "table": table}).scalar()
            if not rls:
                problems.append(f"{table}: row-level security is not enabled")
            public = conn.execute(text("SELECT has_table_privilege('public', :qualified, 'SELECT')"),
                                  {"qualified": f"{_quote(schema)}.{_quote(table)}"}).scalar()
            if public:
                problems.append(f"{table}: PUBLIC can read it")
            policies = set(conn.execute(text("SELECT policyname FROM pg_policies WHERE schemaname = :schema AND tablename = :table"),
                                        {"schema": schema, "table": table}).scalars())
            for service in partnership.services:
                if f"{prefix}_{service.id}_reads_own_rows" not in policies:
                    problems.append(f"{table}: no policy for service {service.id}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m transforms.partnership.isolation apply|check``: on the warehouse of the settings
    (``YJ_WAREHOUSE_URL``), for the partnership of ``YJ_PARTNERSHIP_FILE``. Run ``apply`` as the
    tables' owner after every schema change; ``check`` exits 1 when any table is not isolated."""
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
        if engine.dialect.name != "postgresql":
            raise IsolationError(f"isolation by row-level security needs PostgreSQL, not {engine.dialect.name} "
                                 f"(the embedded SQLite warehouse holds one service)")
        if args.command == "apply":
            covered = apply_isolation(engine, partnership, args.prefix)
            print(f"{len(covered)} tables isolated for {len(partnership.services)} services: {', '.join(covered)}")
        problems = isolation_problems(engine, partnership, args.prefix)
    except (PartnershipConfigError, IsolationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print("every table with a service column is isolated")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
