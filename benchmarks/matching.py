"""Matching quality and speed (issue 5), on the sample generator's noisy data.

    python -m benchmarks.matching                 # quality on 2,000 children (about a minute)
    python -m benchmarks.matching --county        # 15,000 children, ~80,000 pupils, 5 years of custody

Loads a generated sample (case system, education, CCIS and a five-year custody back-fill)
into a fresh warehouse, runs the matching the DAGs run, and reports:
- precision and recall of the automatic links against ``ground_truth/identity_links.csv``
  (targets: precision at least 0.99, recall at least 0.95) and the review list's size
  (target: under 5% of the children);
- the matching time, against a baseline measured in the same run: reading the four
  sources' people from the warehouse (target: under 2 minutes at county scale).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from transforms.ingest.sources import load_case_system
from transforms.custody.load import load_new_custody_files
from transforms.ingest.sources import load_ccis, load_education
from transforms.matching.quality import measure
from transforms.matching.records import read_people
from transforms.matching.run import run_matching
from transforms.sample.landing import generate_landing
from transforms.settings import load_settings
from transforms.warehouse.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--county", action="store_true", help="15,000 children, about 80,000 pupils, 5 years of custody")
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--keep", help="keep the sample and warehouse in this folder")
    args = parser.parse_args()
    children, pupils_per_child, custody_days = (15000, 4.8, 5 * 365) if args.county else (args.children, 4.0, 5 * 365)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yj-match-bench-"))
    try:
        started = time.perf_counter()
        generate_landing(root, children=children, years=5, seed=args.seed, custody_days=custody_days,
                         custody_history=True, pupils_per_child=pupils_per_child)
        settings = load_settings().with_overrides(
            warehouse_url=f"sqlite:///{root / 'warehouse.sqlite'}", landing_dir=root / "landing",
            output_dir=root / "output", raw_archive_dir=root / "raw")
        load_case_system(settings)
        load_education(settings)
        load_ccis(settings)
        engine = make_engine(settings.warehouse_url)
        load_new_custody_files(settings, engine)
        print(f"sample generated and loaded in {time.perf_counter() - started:.0f}s")

        t0 = time.perf_counter()
        people = read_people(engine)
        baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = run_matching(settings)
        seconds = time.perf_counter() - t0

        sizes = ", ".join(f"{s} {len(f):,}" for s, f in people.items())
        print(f"\nrecords: {sizes}")
        print(f"matching       {seconds:8.1f}s  (target under 120 s)")
        print(f"baseline       {baseline:8.1f}s  reading the four sources' people from the warehouse")
        print(f"ratio          {seconds / baseline:8.1f}x the baseline")
        links = pd.read_sql_table("core_identity_link", engine)
        truth = pd.read_csv(root / "ground_truth" / "identity_links.csv", dtype=str, keep_default_na=False)
        print("\n".join(measure(links, report.result.review, truth).lines()))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
