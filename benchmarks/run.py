"""`make bench`: speed targets measured against a baseline taken in the same run.

- Case-system load (issue 3): a county-sized delivery (15,000 children, 10 years) loaded with
  validation into a fresh warehouse, against a plain ``pandas.read_csv`` of the same files.
  Target: under 60 s.
- KPI return (issue 6): a quarter's return at county scale once the warehouse is loaded,
  against reading the rules' inputs from the warehouse. Target: under 10 s.
- Sample generation (issue 2): 100,000 children, against the county-sized sample. Target:
  minutes, not hours.

Each figure is the median of ``--repeat`` runs (default 3; the 100k sample runs once).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import pandas as pd

from transforms.ingest.sources import load_case_system
from transforms.sample.landing import generate_landing
from transforms.settings import PROJECT_ROOT, load_settings


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--children", type=int, default=15000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--big-children", type=int, default=100_000)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "var" / "bench"))
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)

    sample_s = _timed(lambda: generate_landing(out / "county", children=args.children, years=args.years, seed=2026))
    delivery = next((out / "county" / "landing" / "case_system").iterdir())
    files = sorted(delivery.glob("*.csv"))
    rows = sum(len(pd.read_csv(f, dtype=str, encoding="utf-8-sig")) for f in files)

    baseline, load = [], []
    for i in range(args.repeat):
        baseline.append(_timed(lambda: [pd.read_csv(f, dtype=str, encoding="utf-8-sig") for f in files]))
        settings = load_settings().with_overrides(landing_dir=out / "county" / "landing", output_dir=out / "output",
                                                  raw_archive_dir=out / f"raw{i}",
                                                  warehouse_url=f"sqlite:///{out / f'warehouse{i}.sqlite'}")
        load.append(_timed(lambda: load_case_system(settings)))
    base_s, load_s = statistics.median(baseline), statistics.median(load)

    from transforms.kpis.common import load_inputs
    from transforms.kpis.produce import produce_return
    from transforms.periods import Quarter
    from transforms.ingest.sources import load_reference_sources
    from transforms.warehouse.db import make_engine

    engine = make_engine(settings.warehouse_url)
    load_reference_sources(settings, engine)
    quarter = Quarter.parse("2025Q2")
    read_inputs = statistics.median(_timed(lambda: load_inputs(engine, settings.service_areas)) for _ in range(args.repeat))
    kpi_s = statistics.median(_timed(lambda: produce_return(settings, quarter, engine)) for _ in range(args.repeat))

    big_s = _timed(lambda: generate_landing(out / "big", children=args.big_children, years=args.years, seed=2027))

    report = {
        "case_system_load": {"children": args.children, "years": args.years, "rows": rows,
                             "baseline_read_csv_s": round(base_s, 3), "load_with_validation_s": round(load_s, 2),
                             "ratio_to_baseline": round(load_s / base_s, 1), "rows_per_s": int(rows / load_s),
                             "target_s": 60, "met": load_s < 60},
        "kpi_return": {"quarter": quarter.label, "baseline_read_inputs_s": round(read_inputs, 3),
                       "return_s": round(kpi_s, 2), "ratio_to_baseline": round(kpi_s / read_inputs, 1),
                       "target_s": 10, "met": kpi_s < 10},
        "sample_generation": {"county_children": args.children, "county_s": round(sample_s, 2),
                              "big_children": args.big_children, "big_s": round(big_s, 2),
                              "ratio_big_to_county": round(big_s / sample_s, 1), "target": "minutes", "met": big_s < 600},
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    c, g = report["case_system_load"], report["sample_generation"]
    print(f"case-system load, {c['children']:,} children x {c['years']} years, {c['rows']:,} rows:")
    print(f"  baseline pandas.read_csv  {c['baseline_read_csv_s']:>8.2f} s")
    print(f"  load with validation      {c['load_with_validation_s']:>8.2f} s  ({c['ratio_to_baseline']}x baseline, "
          f"{c['rows_per_s']:,} rows/s; target < 60 s: {'met' if c['met'] else 'NOT MET'})")
    k = report["kpi_return"]
    print(f"KPI return {k['quarter']}: read inputs {k['baseline_read_inputs_s']:.2f} s, whole return {k['return_s']:.2f} s "
          f"({k['ratio_to_baseline']}x; target < 10 s: {'met' if k['met'] else 'NOT MET'})")
    print(f"sample generation: {g['county_children']:,} children {g['county_s']} s; {g['big_children']:,} children "
          f"{g['big_s']} s ({g['ratio_big_to_county']}x; target minutes: {'met' if g['met'] else 'NOT MET'})")
    print(f"report: {out / 'report.json'}")


if __name__ == "__main__":
    main()
