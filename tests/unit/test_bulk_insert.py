"""The fast SQLite path of ``bulk_insert`` stores exactly what SQLAlchemy's own insert stores,
and ``map_distinct`` is ``Series.map`` computed once per distinct value."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, strategies as st
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table, select, text

from transforms.frames import map_distinct
from transforms.warehouse.db import bulk_insert, make_engine


def _table(metadata: MetaData, name: str) -> Table:
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("code", String),
                 Column("born", Date), Column("arrived", DateTime), Column("flag", Boolean), Column("score", Float),
                 Column("n", Integer))


def test_the_fast_path_stores_what_sqlalchemys_insert_stores(tmp_path):
    # Written by hand: every type the canonical tables use, with each kind of missing value.
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "code": ["A", None, "Ü ß", ""],
        "born": [dt.date(2010, 2, 28), None, dt.date(2010, 2, 28), dt.date(1999, 12, 31)],
        "arrived": [dt.datetime(2026, 3, 29, 1, 30), pd.NaT, pd.Timestamp("2026-10-25 01:59:59"), None],
        "flag": [True, False, None, True],
        "score": [0.5, np.nan, 1e-9, -2.0],
        "n": pd.array([1, None, 3, 0], dtype="Int64"),
    }).astype({"born": object, "flag": object})
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    metadata = MetaData()
    fast, slow = _table(metadata, "fast"), _table(metadata, "slow")
    metadata.create_all(engine)
    with engine.begin() as conn:
        assert bulk_insert(conn, fast, frame) == 4
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        conn.execute(slow.insert(), records)  # SQLAlchemy's own insert: the reference
    with engine.connect() as conn:
        stored = {name: conn.execute(text(f"SELECT * FROM {name} ORDER BY id")).all() for name in ("fast", "slow")}
        typed = conn.execute(select(fast).order_by(fast.c.id)).all()
    assert stored["fast"] == stored["slow"]
    assert typed[0].born == dt.date(2010, 2, 28) and typed[2].arrived == dt.datetime(2026, 10, 25, 1, 59, 59)
    assert typed[1].code is None and typed[1].arrived is None and typed[2].flag is None and typed[1].n is None


def test_a_column_with_a_python_default_left_out_still_gets_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("origin", String, default="load"))
    metadata.create_all(engine)
    with engine.begin() as conn:
        bulk_insert(conn, table, pd.DataFrame({"id": [1, 2]}))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT origin FROM t")).scalars().all() == ["load", "load"]


values = st.lists(st.one_of(st.none(), st.just(float("nan")), st.text(max_size=4), st.sampled_from(["a", "A", "a "])),
                  max_size=40)


@given(values)
def test_map_distinct_is_map_once_per_value(items):
    series = pd.Series(items, index=range(10, 10 + len(items)), dtype=object)
    calls = []

    def shout(v):
        calls.append(v)
        return v.upper() + "!"

    result = map_distinct(series, shout, missing="-")
    expected = [("-" if v is None or v != v else v.upper() + "!") for v in items]
    assert result.tolist() == expected and list(result.index) == list(series.index)
    assert len(calls) == len(set(calls))
