"""`python -m benchmarks.ingest`: each load through the ingest protocol against reading and
bulk-writing the same rows with no validation, measured in the same run (issue 17, target:
each load within 5x its baseline at county scale).

The baseline for a source: ``pandas.read_csv`` of its files (text, as the load reads them) and
a bulk insert of every row into a fresh SQLite table of text columns, in one transaction.
Custody is the five-year back-fill file (one file of every detention), as in
``benchmarks.marts``: the twice-daily files hold a dozen rows each, too few to time. Each
figure is the median of ``--repeat`` runs; every load gets PASS or FAIL against 5x."""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from pathlib import Path

import pandas as pd

import statistics

from transforms.custody.load import load_new_custody_files
from transforms.ingest.sources import load_case_system, load_ccis, load_education, load_population
from transforms.sample.landing import generate_landing
from transforms.settings import PROJECT_ROOT, load_settings


TARGET = 5  # issue 17: each load within 5x reading and bulk-writing the same rows
# The county-scale deliveries the target is about. The population reference (about 1,760 rows
# for any service) is timed too, but its ratio is mostly fixed cost per delivery: reported, no target.
TARGETED = ("case_system", "education", "ccis", "custody", "education_failing")
FAILING_ROWS = 10_000


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


def _with_failing_pupils(snapshot: Path, landing: Path, rows: int) -> Path:
    """A copy of the education snapshot in which ``rows`` pupils carry an unknown SEN code."""
    target = landing / "education" / snapshot.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(snapshot, target)
    pupils = pd.read_csv(target / "pupils.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pupils.loc[: rows - 1, "sen_provision"] = "Q"
    pupils.to_csv(target / "pupils.csv", index=False, encoding="utf-8-sig")
    return landing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "var" / "bench_ingest"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse-sample", action="store_true", help="keep a sample already generated in --out")
    parser.add_argument("--only", nargs="+", metavar="SOURCE", help="time only these sources (case_system, education, "
                        "ccis, custody, population, education_failing)")
    args = parser.parse_args()
    out = Path(args.out)
    if not (args.reuse_sample and (out / "sample" / "landing").is_dir()):
        shutil.rmtree(out, ignore_errors=True)
        generate_landing(out / "sample", children=args.children, years=args.years, seed=2026,
                         custody_days=5 * 365, custody_history=True)
    landing = out / "sample" / "landing"
    settings = load_settings().with_overrides(landing_dir=landing, output_dir=out / "output", raw_archive_dir=out / "raw",
                                              warehouse_url=f"sqlite:///{out / 'warehouse.sqlite'}")
    education = max((landing / "education").iterdir())
    failing = _with_failing_pupils(education, out / "failing" / "landing", FAILING_ROWS)
    sources = {
        "case_system": (load_case_system, sorted(next((landing / "case_system").iterdir()).glob("*.csv"))),
        "education": (load_education, sorted(education.glob("*.csv"))),
        "ccis": (load_ccis, sorted((landing / "ccis").glob("*.csv"))[-1:]),
        "custody": (load_new_custody_files, sorted((landing / "police_custody").glob("*.csv"))),
        "population": (load_population, [landing / "reference" / "population.csv"]),
        # The education snapshot again with 10,000 pupils failing a rule: every one is found and
        # quarantined (with its orphans), within the same bound.
        "education_failing": (lambda s: load_education(s.with_overrides(landing_dir=failing)),
                              sorted((failing / "education" / education.name).glob("*.csv"))),
    }
    load_population(settings)  # the reference tables and Great Expectations imported once, outside the timings
    print(f"{'source':<12} {'rows':>9} {'baseline s':>11} {'load s':>8} {'ratio':>6}  result (target: ratio <= {TARGET})")
    failed = []
    for name, (load, files) in sources.items():
        if args.only and name not in args.only:
            continue
        baseline_db = out / f"baseline_{name}.sqlite"
        rows, base_runs, load_runs = 0, [], []
        for run in range(args.repeat):
            def baseline():
                nonlocal rows
                baseline_db.unlink(missing_ok=True)
                rows = _read_and_bulk_write(files, baseline_db)

            base_runs.append(_timed(baseline))
            warehouse = out / f"load_{name}_{run}.sqlite"
            for stale in (warehouse, out / f"raw_{name}_{run}"):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
            fresh = settings.with_overrides(warehouse_url=f"sqlite:///{warehouse}", raw_archive_dir=out / f"raw_{name}_{run}")
            load_runs.append(_timed(lambda: load(fresh)))
        base_s, load_s = statistics.median(base_runs), statistics.median(load_runs)
        ratio = load_s / base_s
        if name in TARGETED and ratio > TARGET:
            failed.append(name)
        verdict = ("PASS" if ratio <= TARGET else "FAIL") if name in TARGETED else "(reference file: no target)"
        print(f"{name:<12} {rows:>9,} {base_s:>11.2f} {load_s:>8.2f} {ratio:>6.1f}  {verdict}",
              flush=True)
    print(f"median of {args.repeat} runs each; " + (f"over {TARGET}x: {', '.join(failed)}" if failed
                                                    else f"every county-scale load within {TARGET}x its baseline"))

if __name__ == "__main__":
    main()
