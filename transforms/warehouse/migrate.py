"""Upgrade a warehouse made by an older version on first use, without losing its history.

The audit tables changed with issue 17: ``audit_delivery`` was keyed by (delivery_id, source),
one row per delivery, and ``audit_table_count`` by (delivery_id, source, table_name); now both
are keyed by ``attempt_id``, one row per attempt. A warehouse whose ``audit_delivery`` has no
``attempt_id`` column is of the old shape (audit schema version 1). Its rows are copied into
the new tables, each old delivery becoming one attempt with a stable id (``v1-`` and a hash of
source and delivery, never confused with a new attempt's 8 hex digits), its counts joined to
it, and the version recorded in ``warehouse_schema_version`` (audit: 2), all in one
transaction: an upgrade that fails leaves the old tables as they were.

Called by ``ensure_schema``, so every command and task upgrades the warehouse it opens."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import Engine, MetaData, Table, create_engine, event, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from transforms.warehouse.schema import ADDED_COLUMNS, audit_delivery, audit_table_count, metadata, warehouse_schema_version

log = logging.getLogger(__name__)
AUDIT_SCHEMA_VERSION = 2
AUDIT_TABLES = (audit_delivery, audit_table_count)


def legacy_attempt_id(source: str, delivery_id: str) -> str:
    """The attempt id given to an old-shape audit row (one attempt per delivery then)."""
    return "v1-" + hashlib.sha256(f"{source}\x1f{delivery_id}".encode()).hexdigest()[:24]


def _old_shape(conn: Connection) -> list[str]:
    """The audit tables present without ``attempt_id`` (made by an older version)."""
    inspector = inspect(conn)
    return [t.name for t in AUDIT_TABLES
            if inspector.has_table(t.name) and "attempt_id" not in {c["name"] for c in inspector.get_columns(t.name)}]


def upgrade_audit_tables(engine: Engine) -> bool:
    """Migrate old-shape audit tables in one transaction; True when something was upgraded."""
    with engine.connect() as conn:
        if not _old_shape(conn):
            return False
    sqlite = engine.url.get_backend_name() == "sqlite"
    # pysqlite commits DDL outside any transaction unless told otherwise: a separate engine
    # that begins every transaction itself (SQLAlchemy's documented recipe) makes the drops,
    # creates and copies one transaction. BEGIN IMMEDIATE also makes a second process wait.
    migrating = _transactional_sqlite(engine) if sqlite else engine
    try:
        with migrating.begin() as conn:
            if not sqlite:
                for name in _old_shape(conn):
                    conn.execute(text(f'LOCK TABLE "{name}" IN ACCESS EXCLUSIVE MODE'))
            old = _old_shape(conn)  # again, inside the lock: another process may have done it
            if not old:
                return False
            _migrate(conn, old)
    except DBAPIError:
        # Waiting on PostgreSQL's lock while another process upgraded and dropped the table:
        # done by the other. Anything else is a real failure (and nothing was changed).
        with engine.connect() as conn:
            if _old_shape(conn):
                raise
        return False
    finally:
        if migrating is not engine:
            migrating.dispose()
    log.info("upgraded the audit tables of the warehouse to version %d (%s)", AUDIT_SCHEMA_VERSION, ", ".join(old))
    return True


def _migrate(conn: Connection, old: list[str]) -> None:
    reflected = MetaData()
    rows = {}
    for name in old:
        table = Table(name, reflected, autoload_with=conn)
        rows[name] = [dict(r) for r in conn.execute(select(table)).mappings()]
        table.drop(conn)
    for table in AUDIT_TABLES:
        if table.name in old:
            table.create(conn)
    if rows.get("audit_delivery"):
        conn.execute(insert(audit_delivery), [
            {**{c.name: r.get(c.name) for c in audit_delivery.columns},
             "attempt_id": legacy_attempt_id(r["source"], r["delivery_id"])} for r in rows["audit_delivery"]])
    if rows.get("audit_table_count"):
        conn.execute(insert(audit_table_count), [
            {**{c.name: r.get(c.name) for c in audit_table_count.columns},
             "attempt_id": legacy_attempt_id(r["source"], r["delivery_id"])} for r in rows["audit_table_count"]])
    warehouse_schema_version.create(conn, checkfirst=True)
    _record_version(conn, note=f"upgraded from version 1 ({', '.join(old)}: "
                               f"{sum(len(v) for v in rows.values())} row(s) kept)")


def record_audit_version(engine: Engine) -> None:
    """A new warehouse is made at the current version: say so, once."""
    try:
        with engine.begin() as conn:
            present = conn.execute(select(warehouse_schema_version.c.version).where(
                warehouse_schema_version.c.component == "audit")).first()
            if present is None:
                _record_version(conn, note="created at this version")
    except IntegrityError:
        pass  # another process starting on the same new warehouse recorded it first


def _record_version(conn: Connection, note: str) -> None:
    conn.execute(warehouse_schema_version.delete().where(warehouse_schema_version.c.component == "audit"))
    conn.execute(insert(warehouse_schema_version).values(component="audit", version=AUDIT_SCHEMA_VERSION,
                                                         recorded_at=dt.datetime.now(dt.timezone.utc), note=note))


def _transactional_sqlite(engine: Engine) -> Engine:
    migrating = create_engine(engine.url, connect_args={"timeout": 60})

    @event.listens_for(migrating, "connect")
    def _no_implicit_transactions(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(migrating, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the nullable columns a newer version gave a table (``schema.ADDED_COLUMNS``) to a
    warehouse made before them; its rows keep their values (the new columns are empty)."""
    added = []
    with engine.begin() as conn:
        inspector = inspect(conn)
        for name, columns in ADDED_COLUMNS.items():
            if not inspector.has_table(name):
                continue
            present = {c["name"] for c in inspector.get_columns(name)}
            for column in columns:
                if column in present:
                    continue
                kind = metadata.tables[name].c[column].type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}'))
                added.append(f"{name}.{column}")
    if added:
        log.info("added column(s) to the warehouse: %s", ", ".join(added))
    return added
