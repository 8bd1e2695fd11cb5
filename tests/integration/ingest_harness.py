"""Run a landing folder through the real loads of one source and collect everything a person
could see: the reports, the audit, quarantine reasons, output files and log lines. Used by the
corpus harness and the property tests, so both check the same invariants."""
from __future__ import annotations

import atexit
import functools
import hashlib
import io
import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from transforms.custody.load import load_new_custody_files
from transforms.ingest import sources
from transforms.ingest.report import DeliveryRejected, IngestReport
from transforms.reports import write_ingest_outputs
from transforms.settings import Settings, load_settings
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import (
    CORE_TABLES, EDUCATION_TABLES, audit_delivery, audit_table_count, core_board_attendance, custody_detention,
    quarantine, ref_population,
)

LIVE_TABLES = {
    "case_system": list(CORE_TABLES.values()),
    "education": [EDUCATION_TABLES[n] for n in ("pupil", "suspension", "attendance")],
    "ccis": [EDUCATION_TABLES["ccis_activity"]],
    "board": [core_board_attendance],
    "population": [ref_population],
    "police_custody": [custody_detention],
}
LOADS = {"case_system": sources.load_case_system, "education": sources.load_education, "ccis": sources.load_ccis,
         "board": sources.load_board, "population": sources.load_population}


@dataclass
class Run:
    reports: list[IngestReport]
    outputs: list[Path] = field(default_factory=list)
    logs: str = ""


def settings_for(root: Path, landing: Path) -> Settings:
    return load_settings().with_overrides(landing_dir=landing, output_dir=root / "output",
                                          raw_archive_dir=root / "raw", warehouse_url=f"sqlite:///{root / 'wh.sqlite'}")


def run_source(source: str, settings: Settings) -> Run:
    """Load ``source`` from ``settings.landing_dir``; a data problem must come back as a report
    (any other exception propagates: that is the traceback the tests forbid)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        if source == "police_custody":
            reports = load_new_custody_files(settings)
        else:
            try:
                reports = [LOADS[source](settings)]
            except DeliveryRejected as exc:
                reports = [getattr(exc, "report", None) or IngestReport(source, None, "REJECTED", str(exc))]
        outputs = [Path(p) for r in reports for p in write_ingest_outputs(r, settings)]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return Run(reports, outputs, buffer.getvalue())


@functools.lru_cache(maxsize=1)
def built_corpus() -> tuple[Path, list[dict]]:
    """The corpus (tests/corpus/), built once per process into a folder removed at exit:
    its root and the cases' expectations, in build order."""
    from tests.corpus.build import build_corpus

    root = Path(tempfile.mkdtemp(prefix="yj-corpus-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root, build_corpus(root)


def tree_digest(folder: Path) -> str:
    """A digest of a folder's names, kinds, bytes and link targets: two before/ deliveries with
    the same digest load identically."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + str(path.readlink()).encode())
        elif path.is_file():
            digest.update(b"file:" + hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"dir")
    return digest.hexdigest()


class BeforeCache:
    """Each distinct before/ delivery of a source loaded once (through the real load, which must
    report it LOADED); a case gets a copy of the resulting warehouse, raw archive and outputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[str, tuple[Path, dict[str, str]]] = {}

    def load_into(self, source: str, before_landing: Path, case_root: Path) -> dict[str, str]:
        """Copy the loaded before/ into ``case_root`` (as ``settings_for`` lays it out) and
        return its live state."""
        key = f"{source}-{tree_digest(before_landing)[:20]}"
        if key not in self._loaded:
            loaded_root = self.root / key
            landing = loaded_root / "landing"
            shutil.copytree(before_landing, landing, symlinks=True)
            settings = settings_for(loaded_root, landing)
            before = run_source(source, settings)
            assert any(r.outcome == "LOADED" for r in before.reports), [r.summary() for r in before.reports]
            self._loaded[key] = (loaded_root, live_state(settings, source))
        loaded_root, state = self._loaded[key]
        for entry in loaded_root.iterdir():
            if entry.name == "landing":
                continue
            target = case_root / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(entry, target)
        return state


def live_state(settings: Settings, source: str) -> dict[str, str]:
    engine = make_engine(settings.warehouse_url)
    out = {}
    with engine.connect() as conn:
        for table in LIVE_TABLES[source]:
            frame = pd.read_sql_query(select(table), conn)
            out[table.name] = frame.sort_values(list(frame.columns)).to_csv(index=False) if len(frame.columns) else ""
    engine.dispose()
    return out


def audit(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        deliveries = pd.read_sql_query(select(audit_delivery), conn)
        held = pd.read_sql_query(select(quarantine.c.source, quarantine.c.reason, quarantine.c.rules), conn)
    engine.dispose()
    return deliveries, held


def rows_read_when_loaded(settings: Settings, source: str, delivery_id: str | None) -> int:
    """Rows read by the attempt that loaded ``delivery_id`` (0 when none did)."""
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        attempts = select(audit_delivery.c.attempt_id).where(
            audit_delivery.c.source == source, audit_delivery.c.delivery_id == delivery_id,
            audit_delivery.c.outcome == "LOADED")
        read = conn.execute(select(func.coalesce(func.sum(audit_table_count.c.rows_read), 0))
                            .where(audit_table_count.c.attempt_id.in_(attempts))).scalar_one()
    engine.dispose()
    return int(read)


def visible_text(settings: Settings, run: Run) -> str:
    """Every message a person could read: reports, audit rows, quarantine reasons, logs and
    the text of every output file (workbooks unzipped)."""
    deliveries, held = audit(settings)
    parts = [run.logs, deliveries[["delivery_id", "reason"]].to_csv(), json.dumps(deliveries["notes"].tolist()),
             "\n".join(held["reason"])]
    for r in run.reports:
        parts += [r.reason, r.summary(), "\n".join(r.notes)]
    for path in run.outputs:
        if path.is_dir():
            continue
        for file in ([path] if path.suffix != ".html" else sorted(path.parent.glob("*.html"))):
            if file.suffix == ".xlsx":
                with zipfile.ZipFile(file) as z:
                    parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
            else:
                parts.append(file.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)
