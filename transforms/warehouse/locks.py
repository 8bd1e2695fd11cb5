"""One lock per warehouse resource, so that two writers of the same tables never overlap,
whoever starts them: a DAG, a backfill, ``yj`` at a terminal, a second scheduler.

``max_active_runs=1`` only stops a DAG overlapping itself; the nightly load started by hand
beside the scheduled one, or the marts rebuilt by ``marts_rebuild`` and by the quarterly DAG
at once, would otherwise meet in the same tables. A second writer waits for the first
(``lock_wait_seconds``, default 30 minutes: a county load takes a few) and then stops with a
message naming the resource and who holds it.

PostgreSQL: a session-level advisory lock taken on a connection of its own (never one a load
uses or a pool keeps), so the lock lives exactly as long as the holder: released on exit, and
by the server when the holding process dies (a killed worker does not leave it held).
SQLite: an exclusive ``flock`` on a file beside the database, which the kernel likewise
releases when the holder dies. Both hold across processes on the machine(s) that share the
warehouse; the SQLite file lock assumes a local disk, as SQLite itself does.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# What each lock protects. A resource is a set of tables one kind of job replaces.
RESOURCES = {
    "case_system": "the case-system core tables",
    "police_custody": "the police custody tables",
    "education": "the education tables",
    "ccis": "the CCIS activity table",
    "reference": "the board register and population reference",
    "identity": "the person keys (matching)",
    "marts": "the reporting marts",
    "kpi_return": "the stored KPI figures",
    "education_alerts": "the raised education alerts",
}
POLL_SECONDS = 0.5
log = logging.getLogger(__name__)


class WarehouseBusy(Exception):
    """Another job holds the resource and did not let go within the wait."""


def lock_key(resource: str) -> int:
    """A stable signed 64-bit key per resource (advisory locks are keyed by bigint). Hashed,
    not numbered by hand, so a new resource cannot reuse another's key by mistake."""
    digest = hashlib.blake2b(f"yj-warehouse:{resource}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def describe_process(what: str) -> str:
    """Who is asking, for the message a waiting job prints: no data, just the job."""
    return f"{what} (pid {os.getpid()} on {socket.gethostname()})"


@contextmanager
def warehouse_lock(warehouse_url: str, resource: str, wait_seconds: float = 1800, holder: str = "") -> Iterator[None]:
    """Hold the lock on ``resource`` for the body; wait up to ``wait_seconds`` for it, then
    raise :class:`WarehouseBusy`. ``holder`` says who takes it (shown to whoever waits)."""
    if resource not in RESOURCES:
        raise ValueError(f"unknown warehouse resource '{resource}' (one of {', '.join(RESOURCES)})")
    holder = holder or describe_process("a job")
    url = make_url(warehouse_url)
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(warehouse_url, resource, wait_seconds, holder):
            yield
    elif url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        with _file_lock(Path(url.database), resource, wait_seconds, holder):
            yield
    else:  # an in-memory database belongs to one process: nothing else can write it
        yield


def _log_wait(resource: str, holder: str | None, wait_seconds: float) -> None:
    log.warning("waiting up to %.0f s for %s (%s), being written by %s", wait_seconds, RESOURCES[resource], resource,
                holder or "another job")


def _busy(resource: str, waited: float, holder: str | None) -> WarehouseBusy:
    by = f" by {holder}" if holder else ""
    return WarehouseBusy(f"{RESOURCES[resource]} ({resource}) are being written{by}; waited {waited:.0f} s. "
                         "Nothing was changed: run this again when that job has finished.")


@contextmanager
def _advisory_lock(warehouse_url: str, resource: str, wait_seconds: float, holder: str) -> Iterator[None]:
    key = lock_key(resource)
    # application_name carries the holder, so a waiting job can say who it waits for.
    engine = create_engine(warehouse_url, poolclass=NullPool,
                           connect_args={"application_name": f"yj lock {resource}: {holder}"[:63]})
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        started, waiting = time.monotonic(), False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            if time.monotonic() - started >= wait_seconds:
                raise _busy(resource, time.monotonic() - started, _advisory_holder(conn, key))
            if not waiting:
                waiting = True
                _log_wait(resource, _advisory_holder(conn, key), wait_seconds)
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()
        engine.dispose()


def _advisory_holder(conn, key: int) -> str | None:
    # A bigint advisory key shows in pg_locks split in two 32-bit halves (classid, objid).
    row = conn.execute(text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = (:k)::bigint"), {"k": key}).first()
    if row is None or not row[0]:
        return None
    return row[0].split(": ", 1)[-1]


@contextmanager
def _file_lock(database: Path, resource: str, wait_seconds: float, holder: str) -> Iterator[None]:
    import fcntl

    database.parent.mkdir(parents=True, exist_ok=True)
    path = database.with_name(f"{database.name}.{resource}.lock")
    handle = open(path, "a+")
    try:
        started, waiting = time.monotonic(), False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                current = handle.read().strip() or None
                if time.monotonic() - started >= wait_seconds:
                    raise _busy(resource, time.monotonic() - started, current) from None
                if not waiting:
                    waiting = True
                    _log_wait(resource, current, wait_seconds)
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(holder)
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
