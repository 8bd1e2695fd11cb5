"""`python -m benchmarks.memory`: peak memory of each step of one service's chain (issue 16,
target: the 100,000-children single service within 2 GB at every step).

    python -m benchmarks.memory --children 100000      # the issue 16 target (about 30 min here)
    python -m benchmarks.memory --children 15000       # county scale, a few minutes

Generates a sample, then runs each step of the chain in order on one SQLite warehouse, each in
a fresh Python process so that its peak resident set size (``ru_maxrss`` from ``wait4``) is
the step's own and not the high-water mark of the steps before it. The sample generation is
reported too but is not part of the chain. Reports the peak per step, the chain's peak, and
PASS/FAIL against the target."""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from transforms.settings import PROJECT_ROOT, load_settings

TARGET_MB = 2048
AS_OF = dt.date(2026, 11, 20)  # the sample's default extract date
QUARTER = "2026Q2"
SETTINGS_STEPS = {
    "load_case_system": ("transforms.ingest.sources", "load_case_system"),
    "load_custody": ("transforms.custody.load", "load_new_custody_files"),
    "load_education": ("transforms.ingest.sources", "load_education"),
    "load_ccis": ("transforms.ingest.sources", "load_ccis"),
    "load_reference": ("transforms.ingest.sources", "load_reference_sources"),
    "matching": ("transforms.matching.run", "run_matching"),
}
STEPS = ("load_case_system", "load_custody", "load_education", "load_ccis", "load_reference", "matching", "marts",
         "kpis")


def _settings(root: Path):
    return load_settings().with_overrides(landing_dir=root / "sample" / "landing", output_dir=root / "output",
                                          raw_archive_dir=root / "raw",
                                          warehouse_url=f"sqlite:///{root / 'warehouse.sqlite'}")


def run_step(step: str, root: Path, children: int, years: int) -> None:
    """One step, in this (child) process."""
    if step == "sample":
        from transforms.sample.landing import generate_landing

        generate_landing(root / "sample", children=children, years=years, seed=2026)
        return
    settings = _settings(root)
    if step in SETTINGS_STEPS:  # the steps that take only the settings
        module, function = SETTINGS_STEPS[step]
        getattr(importlib.import_module(module), function)(settings)
    elif step == "marts":
        from transforms.marts.build import rebuild_marts
        from transforms.warehouse.db import make_engine

        rebuild_marts(make_engine(settings.warehouse_url), settings.output_dir / "marts", AS_OF, settings.service_areas)
    elif step == "kpis":
        from transforms.kpis.produce import produce_return
        from transforms.periods import Quarter

        produce_return(settings, Quarter.parse(QUARTER))
    else:
        raise SystemExit(f"unknown step {step}")


def _measure(step: str, root: Path, children: int, years: int) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of the step run in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "benchmarks.memory", "--step", step, "--out", str(root),
                              "--children", str(children), "--years", str(years)], cwd=PROJECT_ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, child.returncode  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "var" / "bench_memory"))
    parser.add_argument("--reuse-sample", action="store_true", help="keep a sample already generated in --out")
    parser.add_argument("--only", help="comma-separated steps to measure again on the warehouse a full run left in --out")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step in this process
    args = parser.parse_args()
    root = Path(args.out)
    if args.step:
        run_step(args.step, root, args.children, args.years)
        return

    steps = list(STEPS)
    if args.only:
        steps = [s for s in args.only.split(",") if s in STEPS]
        if not steps or not (root / "warehouse.sqlite").is_file():
            raise SystemExit(f"--only needs step names ({', '.join(STEPS)}) and a full run's warehouse in {root}")
    elif args.reuse_sample and (root / "sample" / "landing").is_dir():
        for stale in ("warehouse.sqlite", "warehouse.sqlite-wal", "warehouse.sqlite-shm", "raw", "output"):
            path = root / stale
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        steps.insert(0, "sample")
    print(f"{args.children:,} children, {args.years} years, one service; each step in a fresh process "
          f"(target: peak <= {TARGET_MB:,} MB)", flush=True)
    print(f"{'step':<18} {'seconds':>8} {'peak MB':>8}  result", flush=True)
    chain_peak, failed = 0.0, False
    for step in steps:
        seconds, peak, status = _measure(step, root, args.children, args.years)
        verdict = "FAILED (exit %d)" % status if status else ("PASS" if peak <= TARGET_MB else "OVER")
        if step != "sample":
            chain_peak = max(chain_peak, peak)
            failed = failed or bool(status) or peak > TARGET_MB
        print(f"{step:<18} {seconds:>8.1f} {peak:>8.0f}  {verdict}", flush=True)
    print(f"chain peak {chain_peak:,.0f} MB against {TARGET_MB:,} MB: {'FAIL' if failed else 'PASS'} "
          f"(the sample generation is not part of the chain)", flush=True)


if __name__ == "__main__":
    main()
