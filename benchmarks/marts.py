"""Marts at county scale (issue 7): every mart and extract rebuilt, against reading the core.

    python -m benchmarks.marts            # 15,000 children, 10 years, all sources, matched

Generates and loads a county sample (case system, education, CCIS, five years of custody,
board register and population), runs the matching, then times ``rebuild_marts`` (build,
check, publish and write every .hyper and CSV) against the baseline of reading the core it
builds from, measured in the same run. Target: under 30 s. Also times the board pack.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from transforms.ingest.sources import load_case_system
from transforms.custody.load import load_new_custody_files
from transforms.ingest.sources import load_ccis, load_education
from transforms.marts.board_pack import write_board_pack
from transforms.marts.build import rebuild_marts
from transforms.marts.core import read_core
from transforms.matching.run import run_matching
from transforms.periods import Quarter
from transforms.ingest.sources import load_reference_sources
from transforms.sample.landing import generate_landing
from transforms.settings import load_settings
from transforms.warehouse.db import make_engine

AS_OF = dt.date(2026, 11, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--keep", help="keep the sample, warehouse and outputs in this folder")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yj-marts-bench-"))
    try:
        started = time.perf_counter()
        generate_landing(root, children=args.children, years=args.years, seed=20261122, custody_days=5 * 365,
                         custody_history=True, pupils_per_child=4.8)
        settings = load_settings().with_overrides(warehouse_url=f"sqlite:///{root / 'warehouse.sqlite'}", landing_dir=root / "landing",
                                                  output_dir=root / "output", raw_archive_dir=root / "raw")
        engine = make_engine(settings.warehouse_url)
        load_case_system(settings)
        load_education(settings)
        load_ccis(settings)
        load_new_custody_files(settings, engine)
        load_reference_sources(settings, engine)
        run_matching(settings)
        print(f"sample generated, loaded and matched in {time.perf_counter() - started:.0f}s")

        t0 = time.perf_counter()
        read_core(engine, AS_OF, settings.service_areas)
        baseline = time.perf_counter() - t0
        report = rebuild_marts(engine, settings.output_dir / "marts", AS_OF, settings.service_areas)
        t0 = time.perf_counter()
        pack = write_board_pack(engine, Quarter.parse("2026Q2"), settings.output_dir / "board_pack", settings.service_name,
                                settings.service_areas)
        pack_seconds = time.perf_counter() - t0
        print(f"\nmart rows: " + ", ".join(f"{n} {r:,}" for n, r in report.rows.items()))
        print(f"marts + extracts {report.seconds:8.1f}s  (target under 30 s)")
        print(f"baseline         {baseline:8.1f}s  reading the core the marts are built from")
        print(f"ratio            {report.seconds / baseline:8.1f}x the baseline")
        print(f"board pack       {pack_seconds:8.1f}s  ({pack.path.name}, {pack.suppressed_cells} cells suppressed)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
