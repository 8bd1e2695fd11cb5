"""Warehouses for the KPI return tests, built through the real loads: a case-system delivery
in either supplier layout, then three hand-dated education snapshots around the 2025-26 Q2
report date (30 September 2025), written from the sample's pupils with SEN provision set by
hand so the snapshot KPI 3 read is visible in its figures."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd

from tests.conftest import make_settings
from transforms.ingest.sources import load_case_system
from transforms.ingest.sources import load_education
from transforms.matching.run import run_matching
from transforms.ingest.sources import load_reference_sources
from transforms.sample.landing import generate_landing
from transforms.warehouse.db import ensure_schema, make_engine

# Before, on and after the report date. Only the one on the report date gives every pupil an
# EHCP, so KPI 3 counts formal plans only when it reads that one.
SNAPSHOTS = (("20250915", "N"), ("20250930", "E"), ("20251015", "N"))


def write_snapshot(landing: Path, base: Path, stamp: str, sen_provision: str) -> Path:
    folder = landing / "education" / stamp
    folder.mkdir(parents=True)
    shutil.copy(base / "attendance.csv", folder / "attendance.csv")
    # A snapshot cannot hold suspensions that start after it was taken (they would be quarantined).
    suspensions = pd.read_csv(base / "suspensions.csv", dtype=str, keep_default_na=False)
    suspensions[suspensions["start_date"] <= f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"].to_csv(
        folder / "suspensions.csv", index=False)
    pupils = pd.read_csv(base / "pupils.csv", dtype=str, keep_default_na=False)
    if sen_provision is not None:  # None keeps the sample's own provision
        pupils["sen_provision"] = sen_provision
        pupils["ehcp_start_date"] = ""  # consistent with the provision whatever it was
    pupils.to_csv(folder / "pupils.csv", index=False)
    return folder


def build_warehouse(root: Path, layout: str = "corepl", warehouse_url: str | None = None, seed: int = 7,
                    snapshots=SNAPSHOTS, before_load=None):
    """Returns (settings, engine) after loading the delivery, the snapshots oldest first (each
    the newest in the landing folder when loaded, as the nightly DAG finds them), matching and
    the reference sources. ``before_load(landing)`` may alter the delivery first."""
    generate_landing(root, children=300, years=4, layout=layout, seed=seed)
    landing = root / "landing"
    base = root / "education_base"
    sample_snapshot = next(p for p in (landing / "education").iterdir() if p.is_dir())
    shutil.move(str(sample_snapshot), base)
    if before_load:
        before_load(landing)
    settings = make_settings(root, landing, warehouse_url)
    assert load_case_system(settings).outcome == "LOADED"
    engine = make_engine(settings.warehouse_url)
    for stamp, provision in snapshots:
        write_snapshot(landing, base, stamp, provision)
        assert load_education(settings, engine).outcome == "LOADED"
    run_matching(settings)
    ensure_schema(engine)
    load_reference_sources(settings, engine)
    return settings, engine


def edit_corepl_table(delivery: Path, file_name: str, edit) -> None:
    """Rewrite one corepl CSV of a delivery (``edit(header, rows)`` changes rows in place) and
    its manifest hash, so the load accepts the file as the supplier's."""
    path = delivery / file_name
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    edit(rows[0], rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    manifest = json.loads((delivery / "manifest.json").read_text())
    for f in manifest["files"]:
        if f["name"] == file_name:
            f["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (delivery / "manifest.json").write_text(json.dumps(manifest, indent=2))


def uk_date(text: str) -> tuple[str, str, str]:
    """(year, month, day) of a corepl dd/mm/yyyy date."""
    d, m, y = text.split("/")
    return y, m, d
