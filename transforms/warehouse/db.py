"""Engines and bulk writes for the embedded warehouse (SQLite) and PostgreSQL."""
from __future__ import annotations

import math
import re
from typing import Iterable

import pandas as pd
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import Connection

from transforms.frames import map_distinct
from transforms.warehouse.schema import metadata


# A PostgreSQL warehouse URL may name its schema by the search_path in its options (a
# partnership gives each service its own: transforms/partnership/scope.py).
SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([a-z_][a-z0-9_]*)")


def warehouse_schema(url) -> str | None:
    """The schema a PostgreSQL warehouse URL's search_path names (None: the default schema)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    options = parsed.query.get("options")
    if isinstance(options, tuple):
        options = " ".join(options)
    match = SEARCH_PATH.search(options or "")
    return match.group(1) if match else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets Airflow tasks in other processes read while a load writes; the
            # publish step is still one transaction.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def ensure_schema(engine: Engine) -> None:
    """Create every warehouse table that does not exist yet, after upgrading tables an older
    version made (``transforms/warehouse/migrate.py``)."""
    if engine.url.get_backend_name() == "sqlite":
        from pathlib import Path

        db = engine.url.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
    if engine.url.get_backend_name() == "postgresql":
        # A service's warehouse in a partnership is a schema named by the URL's search_path
        # (transforms/partnership/scope.py); it is created with the tables.
        from sqlalchemy import text

        schema = warehouse_schema(engine.url)
        if schema:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    from transforms.warehouse.migrate import add_missing_columns, record_audit_version, upgrade_audit_tables

    upgrade_audit_tables(engine)  # a warehouse made by an older version keeps its history
    metadata.create_all(engine)
    add_missing_columns(engine)
    record_audit_version(engine)


def _records(df: pd.DataFrame) -> list[dict]:
    # NaN/NaT/pd.NA become None so every driver writes NULL.
    clean = df.astype(object).where(df.notna(), None)
    return clean.to_dict(orient="records")


def bulk_insert(conn: Connection, table: Table, df: pd.DataFrame) -> int:
    """Insert a frame whose columns match the table. PostgreSQL uses COPY (about five times
    faster than INSERT for 100k rows); other engines use executemany."""
    if df.empty:
        return 0
    columns = [c.name for c in table.columns if c.name in df.columns]
    df = df[columns]
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur:
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for record in df.itertuples(index=False, name=None):
                    copy.write_row([None if _is_missing(v) else v for v in record])
        return len(df)
    if conn.dialect.name == "sqlite" and not _defaults_needed(table, columns):
        # The driver's executemany with rows of plain values, converted column by column by
        # the same type processors SQLAlchemy would apply (dates, times, booleans stored the
        # same way): about three times faster than building a parameter dict per row.
        placeholders = ", ".join("?" * len(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})',
                             list(zip(*(_bound_values(conn, table.c[c], df[c]) for c in columns))))
        return len(df)
    conn.execute(table.insert(), _records(df))
    return len(df)


def _defaults_needed(table: Table, columns: list[str]) -> bool:
    """Whether a column left out of the frame has a Python-side default (only SQLAlchemy's
    own insert fills those in)."""
    return any(c.default is not None for c in table.columns if c.name not in columns)


def _bound_values(conn: Connection, column, values: pd.Series) -> list:
    """A column's values as the driver receives them: missing as None, then the column
    type's bind processor (e.g. a date as ISO text on SQLite)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process:  # once per distinct value: dates and flags repeat down a column
        return map_distinct(values, process).tolist()
    return values.astype(object).where(values.notna(), None).tolist()


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def read_table(conn: Connection, table: Table | str, order_by: Iterable[str] | None = None) -> pd.DataFrame:
    name = table if isinstance(table, str) else table.name
    sql = f'SELECT * FROM "{name}"'
    if order_by:
        sql += " ORDER BY " + ", ".join(f'"{c}"' for c in order_by)
    return pd.read_sql_query(sql, conn)


class WarehouseUnavailable(Exception):
    """A warehouse URL that is malformed, names no database, or cannot be reached. The message
    is one line and never carries a password."""


def open_warehouse(url: str, embedded_url: str | None = None, *, create: bool = False) -> tuple[Engine, str | None]:
    """An engine on an existing, reachable warehouse, and a note when one was created just now.
    A mistyped path or host must never quietly become a new, empty database that a return is
    then computed from: only ``embedded_url``, or any SQLite file for a command that loads
    (``create``), is created on first use, and the note says so. An in-memory SQLite warehouse
    is refused: it would vanish with the command."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql", "duckdb"):
            raise ArgumentError(parsed.get_backend_name())
    except (ArgumentError, ValueError):
        raise WarehouseUnavailable(f"'{_hide_password(url)}' is not a warehouse URL (write it like "
                                   "sqlite:////path/warehouse.sqlite or postgresql+psycopg://user@host/database)") from None
    shown = parsed.render_as_string(hide_password=True)
    note = None
    if parsed.get_backend_name() in ("sqlite", "duckdb") and parsed.database in (None, "", ":memory:"):
        raise WarehouseUnavailable(f"'{shown}' is an in-memory database: everything loaded would vanish when the "
                                   "command ends (give a file, e.g. sqlite:////path/warehouse.sqlite)")
    if parsed.get_backend_name() == "sqlite":
        from pathlib import Path

        path = Path(parsed.database)
        if path.is_dir():
            raise WarehouseUnavailable(f"no warehouse at {path}: it is a folder, not a SQLite file")
        if not path.exists():
            if url != embedded_url and not create:
                raise WarehouseUnavailable(f"no warehouse at {path}: the file does not exist (check --warehouse or "
                                           "YJ_WAREHOUSE_URL; a warehouse is created only by a load)")
            if not path.parent.is_dir() and url != embedded_url:
                raise WarehouseUnavailable(f"no warehouse at {path}: the folder {path.parent} does not exist")
            note = (f"created the embedded warehouse at {path} (first use)" if url == embedded_url
                    else f"created a new, empty warehouse at {path} for this load")
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except NoSuchModuleError:
        raise WarehouseUnavailable(f"'{shown}' names a database driver that is not installed") from None
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if note:  # nothing may be left behind by a failed first use
            Path(parsed.database).unlink(missing_ok=True)
        raise WarehouseUnavailable(f"cannot reach the warehouse at {shown}: {_hide_password(first)}") from None
    except Exception as exc:  # a driver's own error for a malformed URL (a bad port, a bad option)
        raise WarehouseUnavailable(f"cannot open the warehouse at {shown}: {type(exc).__name__}") from None
    if note:
        ensure_schema(engine)
    return engine, note


def _hide_password(text: str) -> str:
    import re

    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
