"""Matching quality and speed (issues 5 and 14), on two record sets:

- the independent set (``tests/independent/``): written by a separate generator from the
  spec and public research only, with its own names and noise, service children mixed with
  children the service does not know, twins, siblings and lookalikes. This is the yardstick.
- the project's own sample (``yj sample``), whose noise this code base also generates.

    python -m benchmarks.matching                       # independent 3,000 children + sample 2,000 (a few minutes)
    python -m benchmarks.matching --county              # sample at county scale: 15,000 children, 10 years
    python -m benchmarks.matching --only sample --children 100000 --years 10   # the review list at 100,000
    python -m benchmarks.matching --county --keep DIR            # keep the sets; then, after a change,
    python -m benchmarks.matching --county --keep DIR --reuse    # match the same warehouses again

Each set is loaded through the real loads into a fresh warehouse, matched as the DAGs match,
and compared with its ground truth: precision and recall of the automatic links, recall once
the review list is confirmed, the review list's share of the service's children, relatives
(twins, siblings) merged automatically. Rows the loads quarantined are reported (they cannot
be matched). Time is shown against a baseline measured in the same run: reading the four
sources' people from the warehouse as stored (the matching's own time includes reading and
standardising them).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from transforms.custody.load import load_new_custody_files
from transforms.ingest.sources import load_case_system, load_ccis, load_education
from transforms.matching.quality import Quality, measure
from transforms.matching.records import read_people
from transforms.matching.run import run_matching
from transforms.settings import Settings, load_settings
from transforms.warehouse.db import make_engine

# The independent set names its sources as the spec's landing folders do.
INDEPENDENT_SOURCES = {"police_custody": "custody"}


@dataclass(frozen=True)
class SetResult:
    name: str
    quality: Quality
    records: dict
    quarantined: dict
    seconds: float
    baseline: float


def settings_for(root: Path) -> Settings:
    return load_settings().with_overrides(
        warehouse_url=f"sqlite:///{root / 'warehouse.sqlite'}", landing_dir=root / "landing",
        output_dir=root / "output", raw_archive_dir=root / "raw")


def load_all(settings: Settings, reuse: bool = False) -> dict:
    """Every source through its real load; a load that fails is reported, not fatal (the
    matching then runs on what loaded). Returns rows quarantined per source. With ``reuse``
    the warehouse a ``--keep`` run left is matched again as it is (nothing generated or loaded)."""
    engine = make_engine(settings.warehouse_url)
    for load in () if reuse else (load_case_system, load_education, load_ccis):
        try:
            load(settings, engine)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports a failed load and goes on
            print(f"  {load.__name__} failed: {type(exc).__name__}: {str(exc)[:200]}")
    if not reuse:
        load_new_custody_files(settings, engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT source, table_name, COUNT(*) FROM quarantine GROUP BY source, table_name")).all()
    return {f"{s}.{t}": n for s, t, n in rows}


def match_and_measure(name: str, settings: Settings, truth: pd.DataFrame, relations: pd.DataFrame | None,
                      quarantined: dict) -> SetResult:
    engine = make_engine(settings.warehouse_url)
    t0 = time.perf_counter()
    read_people(engine, standardised=False)
    baseline = time.perf_counter() - t0
    people = read_people(engine)
    t0 = time.perf_counter()
    report = run_matching(settings)
    seconds = time.perf_counter() - t0
    links = pd.read_sql_table("core_identity_link", engine)
    quality = measure(links, report.result.review, truth, relations)
    return SetResult(name, quality, {s: len(f) for s, f in people.items()}, quarantined, seconds, baseline)


def independent_set(root: Path, children: int, seed: int, reuse: bool = False) -> SetResult:
    from tests.independent.generate import generate

    if not reuse:
        generate(root, children=children, seed=seed)
    settings = settings_for(root)
    quarantined = load_all(settings, reuse)
    truth = pd.read_csv(root / "ground_truth.csv", dtype=str, keep_default_na=False)
    truth["source"] = truth["source"].replace(INDEPENDENT_SOURCES)
    relations = pd.read_csv(root / "relations.csv", dtype=str, keep_default_na=False)
    return match_and_measure(f"independent set, {children:,} children (seed {seed})", settings, truth, relations, quarantined)


def sample_set(root: Path, children: int, years: int, seed: int, reuse: bool = False) -> SetResult:
    from transforms.sample.landing import generate_landing

    if not reuse:
        generate_landing(root, children=children, years=years, seed=seed, custody_days=5 * 365, custody_history=True,
                         pupils_per_child=4.8 if children >= 15000 else 4.0)
    settings = settings_for(root)
    quarantined = load_all(settings, reuse)
    truth = pd.read_csv(root / "ground_truth" / "identity_links.csv", dtype=str, keep_default_na=False)
    return match_and_measure(f"sample, {children:,} children x {years} years (seed {seed})", settings, truth, None, quarantined)


def report(result: SetResult) -> None:
    print(f"\n== {result.name}")
    print("records           " + ", ".join(f"{s} {n:,}" for s, n in result.records.items()))
    print("quarantined       " + (", ".join(f"{k} {v:,}" for k, v in sorted(result.quarantined.items())) or "none"))
    print(f"matching          {result.seconds:8.1f} s  (target under 60 s at county scale)")
    print(f"baseline          {result.baseline:8.1f} s  reading the four sources' people from the warehouse")
    print(f"ratio             {result.seconds / max(result.baseline, 1e-9):8.1f} x the baseline")
    print("\n".join(result.quality.lines()))
    print(f"targets           {'all met (PASS)' if result.quality.meets_targets() else 'NOT all met (FAIL)'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["independent", "sample"])
    parser.add_argument("--county", action="store_true", help="the sample at 15,000 children x 10 years")
    parser.add_argument("--children", type=int, default=2000, help="sample children")
    parser.add_argument("--years", type=int, default=5, help="sample years")
    parser.add_argument("--independent-children", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--independent-seed", type=int, default=7)
    parser.add_argument("--keep", help="keep the sets and warehouses in this folder")
    parser.add_argument("--reuse", action="store_true",
                        help="match again the sets a previous --keep run left in that folder (no generating or loading)")
    args = parser.parse_args()
    if args.reuse and not args.keep:
        parser.error("--reuse needs --keep FOLDER (the folder of a previous --keep run)")
    if args.county:
        args.children, args.years = 15000, 10
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yj-match-bench-"))
    try:
        if args.only != "sample":
            report(independent_set(base / "independent", args.independent_children, args.independent_seed, args.reuse))
        if args.only != "independent":
            report(sample_set(base / "sample", args.children, args.years, args.seed, args.reuse))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
