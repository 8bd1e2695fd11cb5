"""The load protocol every source uses: write to staging, check, publish in one transaction,
drop staging. No DAG implements it, so no DAG can get it wrong.

Publishing deletes the live rows and copies staging in the same transaction, so readers see
either the old snapshot or the new one, and a load killed at any point leaves the old one."""
from __future__ import annotations

from typing import Callable

import pandas as pd
from sqlalchemy import Engine, MetaData, delete, func, insert, select
from sqlalchemy.engine import Connection

from transforms.warehouse.db import bulk_insert
from transforms.warehouse.schema import CORE_TABLES, staging_table


class PublishCheckFailed(Exception):
    pass


class SnapshotLoad:
    def __init__(self, engine: Engine, tables: list[str]):
        self.engine = engine
        self.tables = tables
        self._staging_metadata = MetaData()
        self.staging = {t: staging_table(t, self._staging_metadata) for t in tables}

    def __enter__(self) -> "SnapshotLoad":
        self._staging_metadata.drop_all(self.engine)
        self._staging_metadata.create_all(self.engine)
        return self

    def __exit__(self, *exc) -> None:
        self._staging_metadata.drop_all(self.engine)

    def write(self, table: str, frame: pd.DataFrame) -> int:
        with self.engine.begin() as conn:
            return bulk_insert(conn, self.staging[table], frame)

    def publish(self, expected_rows: dict[str, int], also: Callable[[Connection], None] | None = None) -> None:
        """Check staging holds exactly the rows expected, then swap it in with ``also`` (audit
        rows, keys) in one transaction."""
        with self.engine.begin() as conn:
            for table, expected in expected_rows.items():
                staged = conn.execute(select(func.count()).select_from(self.staging[table])).scalar_one()
                if staged != expected:
                    raise PublishCheckFailed(f"staging for {table} holds {staged} rows, expected {expected}")
            for table in reversed(self.tables):
                conn.execute(delete(CORE_TABLES[table]))
            for table in self.tables:
                columns = [c.name for c in CORE_TABLES[table].columns]
                staged = self.staging[table]
                conn.execute(insert(CORE_TABLES[table]).from_select(columns, select(*[staged.c[c] for c in columns])))
            if also:
                also(conn)
