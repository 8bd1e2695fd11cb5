"""Produce a quarter's YJB KPI return: compute every rule in force, check the figures, write
the submission workbook, ``figures.csv`` and the internal evidence workbook, and store the
figures in the warehouse (``kpi_figure``) for trends and next quarter's comparison."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import Engine, delete, insert, select

from transforms.excel import write_table
from transforms.kpis.catalogue import REGISTRY
from transforms.kpis.common import BREAKDOWNS, GROUPS, load_inputs, population_10_17
from transforms.kpis.kpi06_out_of_court import BREAKDOWNS as KPI6_BREAKDOWNS
from transforms.kpis.registry import Figure
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter
from transforms.settings import Settings
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import core_publication, kpi_figure

SHEETS = {"kpi1": "KPI1 Accommodation", "kpi2": "KPI2 ETE", "kpi3": "KPI3 SEND", "kpi4": "KPI4 Mental health",
          "kpi5": "KPI5 Substance misuse", "kpi6": "KPI6 Out-of-court", "kpi7": "KPI7 Wider services",
          "kpi8": "KPI8 Board attendance", "kpi9": "KPI9 Serious violence", "kpi10": "KPI10 Victims",
          "ni": "National indicators"}
FIGURE_COLUMNS = ["kpi", "measure", "breakdown", "value", "numerator", "denominator"]
GROUP_SUMMED = ("kpi1", "kpi2", "kpi3", "kpi4", "kpi5", "kpi7")


@dataclass
class ReturnResult:
    quarter: Quarter
    status: str
    workbook: Path
    figures_csv: Path
    evidence: Path
    figures: list[Figure]
    checks: pd.DataFrame
    seconds: float


def compute_figures(inputs, quarter: Quarter, rules: KpiRules) -> tuple[list[Figure], list]:
    in_force = REGISTRY.in_force(quarter)
    figures: list[Figure] = []
    for rule in in_force:
        figures.extend(rule.compute(inputs, quarter, rules))
    return figures, in_force


def figures_frame(figures: list[Figure]) -> pd.DataFrame:
    return pd.DataFrame([{"kpi": f.kpi, "measure": f.measure, "breakdown": f.breakdown, "value": _round(f.value),
                          "numerator": _round(f.numerator), "denominator": _round(f.denominator)} for f in figures],
                        columns=FIGURE_COLUMNS)


def _round(v):
    """Counts as whole numbers; rates kept to six decimal places (well over four significant figures)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return int(v) if float(v).is_integer() else round(float(v), 6)


def run_checks(figures: list[Figure], previous: pd.DataFrame, rules: KpiRules, inputs) -> pd.DataFrame:
    rows = []
    frame = figures_frame(figures)

    def add(check, kpi, ok, detail, level="FAIL"):
        rows.append({"check": check, "kpi": kpi, "result": "PASS" if ok else level, "detail": detail})

    # Shares only: a frequency (reoffences per reoffender) or a rate per population may exceed 1.
    ratios = frame[frame["denominator"].notna() & frame["measure"].str.endswith(("_pct", "binary_rate"))]
    bad = ratios[ratios["numerator"] > ratios["denominator"]]
    add("Numerators within denominators", "all", bad.empty,
        "every numerator is within its denominator" if bad.empty else f"{len(bad)} figure(s) exceed their denominator: "
        + ", ".join(bad["measure"] + " " + bad["breakdown"]))
    counts = frame[frame["kpi"].isin(GROUP_SUMMED) & frame["denominator"].isna()]
    for measure, part in counts.groupby("measure", sort=False):
        by = dict(zip(part["breakdown"], part["value"]))
        total, groups = by.get("TOTAL", 0), sum(by.get(g, 0) for g in GROUPS)
        add("Groups add up to TOTAL", measure, total == groups, f"TOTAL {total}, groups {groups}")
    expected = {(m, b) for m, kpi in frame[["measure", "kpi"]].drop_duplicates().itertuples(index=False)
                for b in (BREAKDOWNS if kpi in GROUP_SUMMED else KPI6_BREAKDOWNS if kpi == "kpi6" else ())}
    missing = expected - set(zip(frame["measure"], frame["breakdown"]))
    add("No missing breakdowns", "all", not missing, "all present" if not missing else f"missing: {sorted(missing)[:10]}")
    by_key = {(f.measure, f.breakdown): f.value for f in figures}
    cohort = by_key.get(("kpi1.cohort", "TOTAL"), 0)
    unknown = by_key.get(("kpi1.unknown_end", "TOTAL"), 0)
    share = unknown / cohort if cohort else 0
    add("Share of unknown accommodation at the end", "kpi1", share <= rules.unknown_share_warning,
        f"{share:.1%} of the cohort (warning above {rules.unknown_share_warning:.0%})", level="WARN")
    add("Education data loaded for SEND", "kpi3", inputs.pupil is not None and len(inputs.pupil) > 0,
        "pupil records available" if inputs.pupil is not None else
        "no education snapshot in the warehouse: formal plans (EHCP / SEN support) cannot be counted", level="WARN")
    if previous.empty:
        add("Change from the previous quarter", "all", True, "no previous quarter stored: nothing to compare")
    else:
        prev = {(r.measure, r.breakdown): r.value for r in previous.itertuples()}
        jumps = []
        for f in figures:
            old = prev.get((f.measure, f.breakdown))
            if f.breakdown == "TOTAL" and f.denominator is None and old and f.value is not None and old >= 10:
                if abs(f.value - old) / old > rules.change_warning:
                    jumps.append(f"{f.measure} {old:g} -> {f.value:g}")
        add("Change from the previous quarter", "all", not jumps,
            "no TOTAL count moved by more than " + f"{rules.change_warning:.0%}" if not jumps else "; ".join(jumps[:12]),
            level="WARN")
    return pd.DataFrame(rows, columns=["check", "kpi", "result", "detail"])


def produce_return(settings: Settings, quarter: Quarter, engine: Engine | None = None,
                   rules: KpiRules | None = None) -> ReturnResult:
    started = time.perf_counter()
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    rules = rules or KpiRules.from_env()
    inputs = load_inputs(engine, settings.service_areas)
    figures, in_force = compute_figures(inputs, quarter, rules)
    previous_q = Quarter(quarter.fy_start_year - (quarter.number == 1), (quarter.number - 2) % 4 + 1)
    with engine.connect() as conn:
        previous = pd.read_sql_query(select(kpi_figure).where(kpi_figure.c.quarter == previous_q.code), conn)
        deliveries = {r.source: r.delivery_id for r in conn.execute(select(core_publication)).all()}
    checks = run_checks(figures, previous, rules, inputs)
    status = "READY" if (checks["result"] == "PASS").all() else "DRAFT"
    folder = settings.output_dir / "kpi" / quarter.code
    folder.mkdir(parents=True, exist_ok=True)
    fy = f"{quarter.fy_start_year}-{(quarter.fy_start_year + 1) % 100:02d}"
    workbook = folder / f"yjb_kpi_return_{settings.service_slug}_{fy}_Q{quarter.number}.xlsx"
    population, pop_year = population_10_17(inputs, quarter.end)
    cover = [("Service", settings.service_name), ("Quarter", quarter.label), ("Period start", quarter.start.isoformat()),
             ("Period end (report date)", quarter.end.isoformat()), ("Status", status),
             ("Generated at", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
             ("Generated by", "yj-data-platform 0.1.0"),
             ("Source deliveries", "; ".join(f"{k}: {v}" for k, v in sorted(deliveries.items())) or "none"),
             ("Population (10 to 17)", f"{population:,} ({pop_year or 'no population data'})"),
             ("Checks", f"{(checks['result'] == 'PASS').sum()} of {len(checks)} passed")]
    _write_workbook(workbook, cover, figures, checks, in_force, rules)
    figures_csv = folder / "figures.csv"
    figures_frame(figures).to_csv(figures_csv, index=False)
    evidence = folder / f"yjb_kpi_evidence_{settings.service_slug}_{fy}_Q{quarter.number}_INTERNAL.xlsx"
    _write_evidence(evidence, figures, quarter)
    _store(engine, quarter, figures, in_force)
    return ReturnResult(quarter, status, workbook, figures_csv, evidence, figures, checks, time.perf_counter() - started)


def _write_workbook(path: Path, cover, figures, checks, in_force, rules: KpiRules) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Cover"
    write_table(ws, pd.DataFrame(cover, columns=["Field", "Value"]), "Cover")
    start = len(cover) + 3
    write_table(ws, pd.DataFrame(rules.as_rows(), columns=["Counting rule", "Value in force"]), "CountingRules",
                start_row=start)
    frame = figures_frame(figures)
    for kpi, title in SHEETS.items():
        part = frame[frame["kpi"] == kpi]
        sheet = wb.create_sheet(title)
        if part.empty:
            sheet["A1"] = "No figures: this measure has no rule in force for the quarter."
            continue
        order = list(dict.fromkeys(part["breakdown"]))
        table = part.pivot_table(index="measure", columns="breakdown", values="value", aggfunc="first", sort=False, dropna=False)
        table = table.reindex(columns=order).reset_index()
        table = table.astype(object).where(table.notna(), None)
        rates = [m for m in table["measure"] if m.endswith(("_pct", "_rate", "rate_per_10000", "rate_per_100000", "rate_per_1000", "frequency"))]
        write_table(sheet, table, f"T_{kpi}", percent_columns=(), value_formats={
            m: ('0.0"%"' if m.endswith(("_pct", "binary_rate")) else "0.00") for m in rates})
    write_table(wb.create_sheet("Checks"), checks, "Checks")
    write_table(wb.create_sheet("Figures"), frame, "Figures")
    catalogue = pd.DataFrame([{"kpi": r.kpi, "title": r.title, "spec_version": r.spec_version,
                               "valid_from": r.valid_from.label, "inputs": ", ".join(r.inputs),
                               "description": r.description} for r in in_force])
    write_table(wb.create_sheet("Rules"), catalogue, "Rules")
    wb.save(path)


def _write_evidence(path: Path, figures: list[Figure], quarter: Quarter) -> None:
    rows = [{"kpi": f.kpi, "measure": f.measure, "breakdown": f.breakdown, "value": _round(f.value),
             "counted": f.member_kind, "key": m} for f in figures for m in f.members]
    wb = Workbook()
    ws = wb.active
    ws.title = "Evidence"
    write_table(ws, pd.DataFrame(rows, columns=["kpi", "measure", "breakdown", "value", "counted", "key"]), "Evidence")
    note = wb.create_sheet("Read me")
    note["A1"] = (f"INTERNAL: the pseudonymous keys behind every figure of the {quarter.label} return. "
                  "Never send this workbook to the YJB. Look a child_key up in the warehouse (core_child_key) to see the child.")
    wb.save(path)


def _store(engine: Engine, quarter: Quarter, figures: list[Figure], in_force) -> None:
    versions = {r.kpi: r.spec_version for r in in_force}
    now = dt.datetime.now(dt.timezone.utc)
    rows = [{"quarter": quarter.code, "kpi": f.kpi, "measure": f.measure, "breakdown": f.breakdown,
             "value": f.value, "numerator": f.numerator, "denominator": f.denominator,
             "rule_version": versions[f.kpi], "generated_at": now} for f in figures]
    with engine.begin() as conn:
        conn.execute(delete(kpi_figure).where(kpi_figure.c.quarter == quarter.code))
        conn.execute(insert(kpi_figure), rows)
