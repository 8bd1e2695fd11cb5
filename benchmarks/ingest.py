"""`python -m benchmarks.ingest`: each load through the ingest protocol against reading and
bulk-writing the same rows with no validation, measured in the same run (issue 17, target:
each load within 5x its baseline at county scale).

The baseline for a source: ``pandas.read_csv`` of its files (text, as the load reads them) and
a bulk insert of every row into a fresh SQLite table of text columns, in one transaction."""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from pathlib import Path

import pandas as pd

from transforms.ingest.sources import load_case_system, load_ccis, load_education, load_population
from transforms.sample.landing import generate_landing
from transforms.settings import PROJECT_ROOT, load_settings


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _read_and_bulk_write(files: list[Path], database: Path) -> int:
    """The no-validation baseline: read as text, write every row, one transaction."""
    rows = 0
    with sqlite3.connect(database) as conn:
        for i, path in enumerate(files):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            columns = ", ".join(f'"c{n}" TEXT' for n in range(len(frame.columns)))
            conn.execute(f"CREATE TABLE t{i} ({columns})")
            conn.executemany(f"INSERT INTO t{i} VALUES ({', '.join('?' * len(frame.columns))})",
                             frame.itertuples(index=False, name=None))
            rows += len(frame)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "var" / "bench_ingest"))
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    generate_landing(out / "sample", children=args.children, years=args.years, seed=2026)
    landing = out / "sample" / "landing"
    settings = load_settings().with_overrides(landing_dir=landing, output_dir=out / "output", raw_archive_dir=out / "raw",
                                              warehouse_url=f"sqlite:///{out / 'warehouse.sqlite'}")
    education = max((landing / "education").iterdir())
    sources = {
        "case_system": (load_case_system, sorted(next((landing / "case_system").iterdir()).glob("*.csv"))),
        "education": (load_education, sorted(education.glob("*.csv"))),
        "ccis": (load_ccis, sorted((landing / "ccis").glob("*.csv"))[-1:]),
        "population": (load_population, [landing / "reference" / "population.csv"]),
    }
    load_population(settings)  # the reference tables and Great Expectations imported once, outside the timings
    print(f"{'source':<12} {'rows':>9} {'baseline s':>11} {'load s':>8} {'ratio':>6}  (target: ratio <= 5)")
    for name, (load, files) in sources.items():
        baseline_db = out / f"baseline_{name}.sqlite"
        rows = 0

        def baseline():
            nonlocal rows
            baseline_db.unlink(missing_ok=True)
            rows = _read_and_bulk_write(files, baseline_db)

        base_s = _timed(baseline)
        fresh = settings.with_overrides(warehouse_url=f"sqlite:///{out / f'load_{name}.sqlite'}")
        load_s = _timed(lambda: load(fresh))
        print(f"{name:<12} {rows:>9,} {base_s:>11.2f} {load_s:>8.2f} {load_s / base_s:>6.1f}")


if __name__ == "__main__":
    main()
