"""Helpers for load tests: snapshots of the warehouse and deliveries derived from a clean one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from transforms.canonical import canonical_tables
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import CORE_TABLES, audit_delivery, audit_table_count, core_publication


def core_snapshot(url: str) -> dict[str, pd.DataFrame]:
    """Every core table, sorted by its key, values as text (so engines compare equal)."""
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for name, spec in canonical_tables().items():
            frame = pd.read_sql_query(select(CORE_TABLES[name]), conn)
            frame = frame.sort_values(list(spec.key)).reset_index(drop=True)
            out[name] = frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else _text(v))
    engine.dispose()
    return out


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int,)) or (isinstance(v, float) and v.is_integer()):
        return str(int(v))
    return str(v)[:10] if hasattr(v, "isoformat") else str(v)


def assert_same_core(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)


def audit_rows(url: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    engine = make_engine(url)
    with engine.connect() as conn:
        deliveries = pd.read_sql_query(select(audit_delivery.c.delivery_id, audit_delivery.c.outcome,
                                              audit_delivery.c.reason, audit_delivery.c.notes)
                                       .order_by(audit_delivery.c.delivery_id), conn)
        counts = pd.read_sql_query(select(audit_table_count).order_by(audit_table_count.c.delivery_id,
                                                                      audit_table_count.c.table_name), conn)
        live = {r.source: r.delivery_id for r in conn.execute(select(core_publication)).all()}
    engine.dispose()
    return deliveries, counts, live


def derive_delivery(landing: Path, new_id: str, extracted_at: str = "2026-11-21T01:30:00") -> Path:
    """A copy of the newest delivery under a new id and a later extract time."""
    base = landing / "case_system"
    source = sorted(p for p in base.iterdir() if p.is_dir())[0]
    target = base / new_id
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest.update(delivery_id=new_id, extracted_at=extracted_at)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def edit_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def find_or_install_chromium() -> str | None:
    """Debian's chromium, installed when missing and we are root (CI); None otherwise."""
    import os
    import shutil
    import subprocess

    found = shutil.which("chromium")
    if found or os.geteuid() != 0:
        return found
    subprocess.run("apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium", shell=True,
                   capture_output=True, timeout=900)
    return shutil.which("chromium")


def screenshot(chromium: str, page: Path, shot: Path, profile: Path, size: str = "1200,1400") -> None:
    import subprocess

    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    f"--screenshot={shot}", f"--window-size={size}", page.as_uri()], capture_output=True, timeout=120)


def read_hyper_with_tableau_api(path: Path) -> dict[str, dict]:
    """Every table in a .hyper file as Tableau's own Hyper API sees it (not pantab, which
    wrote it): {table: {"rows": n, "columns": {name: Hyper type}}}."""
    from tableauhyperapi import Connection, CreateMode, HyperProcess, Telemetry

    tables = {}
    with HyperProcess(telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper:
        with Connection(hyper.endpoint, path, CreateMode.NONE) as conn:
            for schema in conn.catalog.get_schema_names():
                for table in conn.catalog.get_table_names(schema):
                    definition = conn.catalog.get_table_definition(table)
                    tables[table.name.unescaped] = {
                        "rows": conn.execute_scalar_query(f"SELECT COUNT(*) FROM {table}"),
                        "columns": {c.name.unescaped: str(c.type) for c in definition.columns}}
    return tables


def marts_snapshot(url: str) -> dict[str, pd.DataFrame]:
    """Every mart table as sorted text, so SQLite and PostgreSQL compare equal."""
    from sqlalchemy import inspect, text

    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in sorted(t for t in inspect(conn).get_table_names() if t.startswith("mart_")):
            frame = pd.read_sql_query(text(f'SELECT * FROM "{name}"'), conn)
            frame = frame.astype(object).where(frame.notna(), None).map(_mart_text)
            out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    engine.dispose()
    return out


def _mart_text(v) -> str | None:
    # SQLite returns booleans as 0/1 and whole numbers as int or float; PostgreSQL as bool.
    if v is None:
        return None
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.9g}"
    return str(v)[:19]


def use_partnership_sample(root: Path, sample, monkeypatch) -> Path:
    """Point every task and command at a private copy of a partnership sample
    (``transforms.partnership.sample``): its landing folders and partnership file under ``root``,
    the configured warehouse ``root/wh.sqlite`` (each service's is ``wh.<id>.sqlite`` beside it)."""
    landing = root / "landing"
    shutil.copytree(sample.root / "landing", landing)
    shutil.copy(sample.partnership_file, root / "partnership.yaml")
    for k, v in {"YJ_LANDING_DIR": str(landing), "YJ_PARTNERSHIP_FILE": str(root / "partnership.yaml"),
                 "YJ_OUTPUT_DIR": str(root / "output"), "YJ_RAW_ARCHIVE_DIR": str(root / "raw"),
                 "YJ_WAREHOUSE_URL": f"sqlite:///{root / 'wh.sqlite'}"}.items():
        monkeypatch.setenv(k, v)
    return root


def stop_process_group(process) -> None:
    """Stop a server started in its own process group (``start_new_session``): SIGTERM, then
    SIGKILL if it has not gone within 30 s."""
    import os
    import signal
    import subprocess

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
