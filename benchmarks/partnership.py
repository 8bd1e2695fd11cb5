"""A partnership of N services on this machine (issue 16 item 7): how the fanned-out work grows
with the number of services, against a one-service run measured in the same benchmark.

    python -m benchmarks.partnership                          # 2, 8, 32 services at county size
    python -m benchmarks.partnership --children 300 --services 2 4 8   # a quick run

Each service's work is what its mapped Airflow instances run (ADR 0063): today's case-system
load and marts rebuild on the service's own settings (``services_with_settings``: its own
warehouse file, landing and output folders). Each service runs in a fresh process, at most
``--workers`` at a time (default: the machine's cores), as Celery worker processes would run its
mapped tasks, so the peak RSS of that process is the memory one service's task needs.

The baseline is the same delivery loaded and built by one service with no partnership file
(today's install). Every service gets a copy of that one delivery, so each does the same work
and the growth with N is the fan-out's own. Reported: total wall time, time per service, peak
RSS per service process, each as a ratio to the one-service run, and the growth from the
smallest N to the largest (1.0 per service added would be linear).
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import yaml

# County size: the one-service benchmarks' county (benchmarks.marts, benchmarks.ingest).
COUNTY_CHILDREN = 15000


def _service_work(settings_env: dict, service_id: str | None) -> dict:
    """One service's mapped work in its own process: load the case system, rebuild the marts."""
    import datetime as dt

    os.environ.update(settings_env)
    started = time.perf_counter()
    from transforms.ingest.sources import load_case_system
    from transforms.marts.build import rebuild_marts
    from transforms.partnership.run import selected_services
    from transforms.settings import load_settings
    from transforms.warehouse.db import make_engine

    settings = load_settings()
    if service_id is not None:
        ((_, settings),) = selected_services(settings, service_id)
    report = load_case_system(settings)
    marts = rebuild_marts(make_engine(settings.warehouse_url), settings.output_dir / "marts", dt.date(2026, 11, 20),
                          settings.service_areas)
    return {"service": service_id, "seconds": time.perf_counter() - started, "outcome": report.outcome,
            "mart_rows": sum(marts.rows.values()),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run(root: Path, env: dict, service_ids: list[str | None], workers: int) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    # A fresh process per service (max_tasks_per_child=1), started clean (spawn), so each
    # process's peak RSS is that service's task alone.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        results = list(pool.map(_service_work, [env] * len(service_ids), service_ids))
    return time.perf_counter() - started, results


def _partnership(root: Path, delivery_landing: Path, n: int) -> Path:
    """N services, each with its own local authority and a copy of the one delivery."""
    from transforms.local_authorities import local_authorities

    codes = sorted(local_authorities().by_code)[:n]
    if len(codes) < n:
        raise SystemExit(f"only {len(codes)} local authorities in the reference: at most that many services")
    landing = root / "landing"
    services = []
    for i, code in enumerate(codes):
        service_id = f"s{i:03d}"
        shutil.copytree(delivery_landing / "case_system", landing / service_id / "case_system")
        services.append({"id": service_id, "name": f"Service {i}", "local_authorities": [code], "landing": service_id})
    path = root / "partnership.yaml"
    path.write_text(yaml.safe_dump({"partnership": f"Benchmark partnership of {n}", "services": services}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="+", default=[2, 8, 32], help="partnership sizes to run")
    parser.add_argument("--children", type=int, default=COUNTY_CHILDREN, help="children per service")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="service processes at a time")
    parser.add_argument("--keep", help="keep the samples, warehouses and outputs in this folder")
    args = parser.parse_args()
    from transforms.sample.landing import generate_landing

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yj-partnership-bench-"))
    try:
        t0 = time.perf_counter()
        generate_landing(root / "one", children=args.children, years=args.years, seed=20261123)
        delivery = root / "one" / "landing"
        print(f"{args.children:,} children per service, {args.years} years; {args.workers} worker process(es); "
              f"sample generated in {time.perf_counter() - t0:.0f}s")
        base_env = {"YJ_LANDING_DIR": str(delivery), "YJ_OUTPUT_DIR": str(root / "one" / "output"),
                    "YJ_RAW_ARCHIVE_DIR": str(root / "one" / "raw"),
                    "YJ_WAREHOUSE_URL": f"sqlite:///{root / 'one' / 'warehouse.sqlite'}", "YJ_PARTNERSHIP_FILE": ""}
        one_total, (one,) = _run(root, base_env, [None], 1)
        print(f"baseline, one service (no partnership file): {one_total:.1f}s total, {one['seconds']:.1f}s of work, "
              f"peak RSS {one['peak_rss_mb']:.0f} MB, {one['mart_rows']:,} mart rows")
        print(f"\n{'services':>8} {'total s':>8} {'x one':>6} {'s/service':>10} {'x one':>6} "
              f"{'peak RSS MB':>12} {'x one':>6} {'max MB':>7}")
        rows = []
        for n in args.services:
            folder = root / f"n{n}"
            partnership_file = _partnership(folder, delivery, n)
            env = {"YJ_LANDING_DIR": str(folder / "landing"), "YJ_OUTPUT_DIR": str(folder / "output"),
                   "YJ_RAW_ARCHIVE_DIR": str(folder / "raw"), "YJ_WAREHOUSE_URL": f"sqlite:///{folder / 'warehouse.sqlite'}",
                   "YJ_PARTNERSHIP_FILE": str(partnership_file)}
            total, results = _run(folder, env, [f"s{i:03d}" for i in range(n)], args.workers)
            if any(r["outcome"] != "LOADED" or r["mart_rows"] != one["mart_rows"] for r in results):
                raise SystemExit(f"{n} services: a service did not load and build what the one-service run did")
            per_service = total / n
            rss = sorted(r["peak_rss_mb"] for r in results)
            median_rss = rss[len(rss) // 2]
            rows.append((n, total))
            print(f"{n:>8} {total:>8.1f} {total / one_total:>6.2f} {per_service:>10.2f} {per_service / one_total:>6.2f} "
                  f"{median_rss:>12.0f} {median_rss / one['peak_rss_mb']:>6.2f} {rss[-1]:>7.0f}")
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        if len(rows) > 1:
            (n0, t0_), (n1, t1) = rows[0], rows[-1]
            print(f"\ngrowth from {n0} to {n1} services: time x{t1 / t0_:.2f} for x{n1 / n0:.1f} services "
                  f"(1.00 per service added = linear: {t1 / t0_ / (n1 / n0):.2f})")
            per = t1 / n1 * args.workers  # one service's wall time on one worker, from the largest run
            for workers in (4, 8, 16):
                print(f"projection, 150 services on {workers} Celery worker processes: "
                      f"{math.ceil(150 / workers) * per / 60:.1f} min")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
