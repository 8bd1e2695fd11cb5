"""`python -m benchmarks.chain`: where the whole chain's time goes, as `yj run` runs it through
Airflow, against a floor measured in the same run.

    python -m benchmarks.chain                      # the county sample (15,000 children, 10 years)
    python -m benchmarks.chain --children 100000    # the 100,000-children service

The floor: reading every landing file with pandas and bulk-writing it, unvalidated, into a fresh
SQLite file (what any load must at least do). The chain: `yj run` in a fresh process, its
progress lines (standard error) time-stamped as they arrive, so each step is the time from its
"running <dag>" line to its result: process start-up and imports, Airflow's metadata database
and DAG parsing, each DAG. Peak memory is the process's own high-water mark (``ru_maxrss`` from
``wait4``). Prints a table with each step's seconds and its ratio to the floor, PASS or FAIL
against the targets, and appends the figures to ``benchmarks/results/chain_profile.csv`` with
the date and commit, for comparison between commits."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.ingest import _read_and_bulk_write
from transforms.settings import PROJECT_ROOT

COUNTY_TARGET_RATIO = 10       # the county chain within 10x the floor
BIG_TARGET_SECONDS = 180       # 100,000 children within 3 minutes
MEMORY_TARGET_MB = 2048        # both within 2 GB
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "chain_profile.csv"
_RUNNING = re.compile(r"\] running (\w+)$")
_FINISHED = re.compile(r"\] (\w+): (success|failed)$")


def floor_seconds(landing: Path, work: Path) -> tuple[float, int]:
    files = sorted(p for p in landing.rglob("*.csv"))
    database = work / "floor.sqlite"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    rows = _read_and_bulk_write(files, database)
    return time.perf_counter() - started, rows


def run_chain(landing: Path, work: Path) -> tuple[list[tuple[str, float]], float, int]:
    """``yj run`` in a fresh process: its steps (name, seconds), total seconds, peak MB."""
    for stale in ("warehouse.sqlite", "output", "raw", "airflow"):
        target = work / stale
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YJ_", "AIRFLOW"))}
    env.update(AIRFLOW_HOME=str(work / "airflow"), YJ_RAW_ARCHIVE_DIR=str(work / "raw"))
    command = [sys.executable, "-m", "yj_airflow.cli", "run", "--landing", str(landing), "--out", str(work / "output"),
               "--warehouse", f"sqlite:///{work / 'warehouse.sqlite'}", "--quarter", "2026Q2"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    marks: list[tuple[float, str]] = []
    for line in process.stderr:
        marks.append((time.perf_counter() - started, line.rstrip("\n")))
    _, status, usage = os.wait4(process.pid, 0)
    total = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        tail = "\n".join(m for _, m in marks[-15:])
        raise SystemExit(f"yj run failed:\n{tail}")
    return _steps(marks, total), total, usage.ru_maxrss // 1024


def _steps(marks: list[tuple[float, str]], total: float) -> list[tuple[str, float]]:
    """Start-up (until the metadata database is being prepared), Airflow's metadata database and
    DAG parsing (until the first DAG runs), each DAG, and what follows the last (the summary)."""
    steps, last, current = [], 0.0, "start-up and imports"
    for at, line in marks:
        if "preparing the metadata database" in line and current == "start-up and imports":
            steps.append((current, at - last))
            last, current = at, "Airflow metadata database and DAG parsing"
        elif match := _RUNNING.search(line):
            steps.append((current, at - last))
            last, current = at, match.group(1)
        elif (match := _FINISHED.search(line)) and match.group(1) == current:
            steps.append((current, at - last))
            last, current = at, "between DAGs and the summary"
    steps.append((current, total - last))
    merged: dict[str, float] = {}
    for name, seconds in steps:
        merged[name] = merged.get(name, 0.0) + seconds
    return list(merged.items())


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=None, help="work folder (default var/bench_chain_<children>)")
    parser.add_argument("--reuse-sample", action="store_true", help="keep a sample already generated in the work folder")
    args = parser.parse_args()
    work = Path(args.out or PROJECT_ROOT / "var" / f"bench_chain_{args.children}")
    landing = work / "sample" / "landing"
    if not (args.reuse_sample and landing.is_dir()):
        from transforms.sample.landing import generate_landing

        shutil.rmtree(work, ignore_errors=True)
        generate_landing(work / "sample", children=args.children, years=args.years, seed=2026)
    floor, rows = floor_seconds(landing, work)
    steps, total, peak_mb = run_chain(landing, work)
    scale = f"{args.children:,} children x {args.years} years"
    print(f"Chain profile, {scale} ({rows:,} landing rows), {dt.date.today():%d %B %Y}, commit {_commit()}")
    print(f"floor (read every landing file and bulk-write it into SQLite): {floor:.1f} s")
    print(f"{'step':<45} {'seconds':>8} {'x floor':>8}")
    for name, seconds in steps:
        print(f"{name:<45} {seconds:>8.1f} {seconds / floor:>8.1f}")
    print(f"{'whole chain':<45} {total:>8.1f} {total / floor:>8.1f}   peak {peak_mb:,} MB")
    verdicts = [("memory", peak_mb <= MEMORY_TARGET_MB, f"peak {peak_mb:,} MB (target <= {MEMORY_TARGET_MB:,} MB)")]
    if args.children >= 100_000:
        verdicts.append(("time", total <= BIG_TARGET_SECONDS, f"{total:.0f} s (target < {BIG_TARGET_SECONDS} s)"))
    else:
        verdicts.append(("time", total / floor <= COUNTY_TARGET_RATIO,
                         f"{total / floor:.1f}x the floor (target <= {COUNTY_TARGET_RATIO}x)"))
    for what, ok, text in verdicts:
        print(f"{'PASS' if ok else 'FAIL'} {what}: {text}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    new = not RESULTS.exists()
    with RESULTS.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["date", "commit", "children", "years", "step", "seconds", "ratio_to_floor", "peak_mb"])
        stamp, commit = dt.date.today().isoformat(), _commit()
        writer.writerow([stamp, commit, args.children, args.years, "floor", round(floor, 2), 1.0, ""])
        for name, seconds in steps:
            writer.writerow([stamp, commit, args.children, args.years, name, round(seconds, 2),
                             round(seconds / floor, 2), ""])
        writer.writerow([stamp, commit, args.children, args.years, "whole chain", round(total, 2),
                         round(total / floor, 2), peak_mb])
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
