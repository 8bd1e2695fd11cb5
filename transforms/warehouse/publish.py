"""The load protocol every source uses: write to staging, check, publish in one transaction,
drop staging. No DAG implements it, so no DAG can get it wrong.

Publishing deletes the live rows and copies staging in the same transaction, so readers see
either the old snapshot or the new one, and a load killed at any point leaves the old one.
Staging tables are named per attempt (``stg_<attempt>_<table>``), so two attempts never share
one, and are always dropped; those of a killed attempt are dropped by the next load
(``drop_staging_of``)."""
from __future__ import annotations

from typing import Callable

import pandas as pd
from sqlalchemy import Engine, MetaData, Table, delete, func, inspect, insert, select, text
from sqlalchemy.engine import Connection

from transforms.warehouse.db import bulk_insert


class PublishCheckFailed(Exception):
    pass


class SnapshotLoad:
    def __init__(self, engine: Engine, tables: dict[str, Table], attempt_id: str):
        """``tables``: name -> live table, parents first; a staging copy of each is made."""
        self.engine = engine
        self.live = tables
        self.tables = list(tables)
        self._staging_metadata = MetaData()
        self.staging = {n: _plain_copy(t, self._staging_metadata, f"stg_{attempt_id}_{n}") for n, t in tables.items()}

    def __enter__(self) -> "SnapshotLoad":
        self._staging_metadata.create_all(self.engine)
        return self

    def __exit__(self, *exc) -> None:
        self._staging_metadata.drop_all(self.engine)

    def write(self, table: str, frame: pd.DataFrame) -> int:
        with self.engine.begin() as conn:
            return bulk_insert(conn, self.staging[table], frame)

    def publish(self, expected_rows: dict[str, int], also: Callable[[Connection], None] | None = None,
                replace_live: bool = True) -> None:
        """Check staging holds exactly the rows expected, then swap it in with ``also`` (audit
        rows, keys) in one transaction. ``replace_live=False`` leaves the live tables alone (a
        late, older snapshot goes into history only, through ``also``)."""
        with self.engine.begin() as conn:
            for table, expected in expected_rows.items():
                staged = conn.execute(select(func.count()).select_from(self.staging[table])).scalar_one()
                if staged != expected:
                    raise PublishCheckFailed(f"staging for {table} holds {staged} rows, expected {expected}")
            for table in reversed(self.tables if replace_live else []):
                conn.execute(delete(self.live[table]))
            for table in self.tables if replace_live else []:
                columns = [c.name for c in self.live[table].columns]
                staged = self.staging[table]
                conn.execute(insert(self.live[table]).from_select(columns, select(*[staged.c[c] for c in columns])))
            if also:
                also(conn)


def _plain_copy(table: Table, target: MetaData, name: str) -> Table:
    """A staging copy: same columns and key, no indexes (their names would clash)."""
    from sqlalchemy import Column

    return Table(name, target, *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                 for c in table.columns])


def drop_staging_of(engine: Engine, attempt_ids: list[str]) -> list[str]:
    """Drop the staging tables left by the given (abandoned) attempts."""
    if not attempt_ids:
        return []
    prefixes = tuple(f"stg_{a}_" for a in attempt_ids)
    dropped = [n for n in inspect(engine).get_table_names() if n.startswith(prefixes)]
    with engine.begin() as conn:
        for name in dropped:
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    return dropped
