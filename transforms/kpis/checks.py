"""The pre-submission checks and the return's status (kpis.md, "Checks"; issue 12).

A return is READY only when every check says PASS. Besides the checks on the figures
themselves, a set of readiness checks make READY impossible when the data cannot support the
quarter: the quarter has not ended in the data, no case-system delivery (or one extracted
before the quarter ended), an empty warehouse, no education snapshot for the report date,
or quarantined rows in the deliveries read that touch the quarter. A check with nothing to
compare says NOT_COMPARED, never PASS. Every detail says in plain words what was found."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, select

from transforms.kpis.common import BREAKDOWNS, GROUPS
from transforms.kpis.kpi06_out_of_court import BREAKDOWNS as KPI6_BREAKDOWNS
from transforms.kpis.registry import Figure
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter
from transforms.warehouse.schema import CORE_TABLES, audit_delivery, quarantine

PASS, FAIL, WARN, NOT_COMPARED = "PASS", "FAIL", "WARN", "NOT_COMPARED"
CHECK_COLUMNS = ["check", "kpi", "result", "detail"]
# Sources whose extract time says how far the events go. The reference files (board register,
# population, looked-after) carry only the time the file was saved, which says nothing of that.
EVENT_SOURCES = ("case_system", "police_custody", "education", "ccis")
GROUP_SUMMED = ("kpi1", "kpi2", "kpi3", "kpi4", "kpi5", "kpi7")
QUARANTINE_COLUMNS = ["quarantine_id", "source", "delivery_id", "table_name", "file_name", "line_number", "rules", "reason"]


@dataclass
class DataFacts:
    """What the warehouse holds, for the readiness checks (no personal data)."""
    children: int
    newest_extract: dt.date | None  # the newest extract date of any loaded delivery of EVENT_SOURCES
    sources: dict[str, tuple[str, str]]  # source -> (delivery id, extracted at) read by the return
    quarantined: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))


def extract_date(text: str | None) -> dt.date | None:
    """An audit row's extract time as a date: ISO (``2025-10-05T06:00``) or ``20251005``."""
    if not text:
        return None
    m = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", str(text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def gather_facts(engine: Engine, quarter: Quarter, sources: dict[str, tuple[str, str]]) -> DataFacts:
    with engine.connect() as conn:
        children = conn.execute(select(func.count()).select_from(CORE_TABLES["child"])).scalar_one()
        stamps = conn.execute(select(audit_delivery.c.extracted_at).where(
            (audit_delivery.c.outcome == "LOADED") & audit_delivery.c.source.in_(EVENT_SOURCES))).scalars()
        dates = [d for d in (extract_date(s) for s in stamps) if d]
        held = []
        for source, (delivery_id, _) in sources.items():
            rows = conn.execute(select(quarantine).where((quarantine.c.source == source)
                                                         & (quarantine.c.delivery_id == delivery_id))).mappings().all()
            for row in rows:
                # The return reads only the pupils of an education snapshot, as they stood at the
                # report date: each one held back matters. A case-system row matters when one of
                # its dates falls in the quarter.
                if (source == "case_system" and _touches(row["raw_record"], quarter)) or \
                        (source == "education" and row["table_name"] == "pupil"):
                    held.append({"quarantine_id": row["id"], **{c: row[c] for c in QUARANTINE_COLUMNS[1:]}})
    return DataFacts(children, max(dates) if dates else None, dict(sources),
                     pd.DataFrame(held, columns=QUARANTINE_COLUMNS))


_DATE_PATTERNS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})"), re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})"))


def _touches(raw_record, quarter: Quarter) -> bool:
    """Whether any date in a quarantined raw record (ISO or dd/mm/yyyy) is in the quarter."""
    values = raw_record.values() if isinstance(raw_record, dict) else []
    for value in values:
        text = str(value or "").strip()
        for i, pattern in enumerate(_DATE_PATTERNS):
            m = pattern.match(text)
            if not m:
                continue
            y, mo, d = (m.group(1), m.group(2), m.group(3)) if i == 0 else (m.group(3), m.group(2), m.group(1))
            try:
                day = dt.date(int(y), int(mo), int(d))
            except ValueError:
                continue
            if quarter.start <= day <= quarter.end:
                return True
    return False


def readiness_checks(quarter: Quarter, facts: DataFacts) -> list[dict]:
    rows = []

    def add(check, ok, detail):
        rows.append({"check": check, "kpi": "all", "result": PASS if ok else FAIL, "detail": detail})

    add("Warehouse holds case-system data", facts.children > 0,
        f"the warehouse holds {facts.children:,} children from the case system" if facts.children else
        "the warehouse holds no case-system children: load a delivery before producing a return")
    newest = facts.newest_extract
    add("Quarter has ended in the data", newest is not None and newest > quarter.end,
        f"the quarter ended on {quarter.end:%d %B %Y} and the newest data was extracted on {newest:%d %B %Y}"
        if newest and newest > quarter.end else
        f"the quarter ends on {quarter.end:%d %B %Y} but the newest data was extracted on {newest:%d %B %Y}: "
        "the quarter has not ended in the data" if newest else "no loaded delivery of any source: nothing to report")
    case = facts.sources.get("case_system")
    case_date = extract_date(case[1]) if case else None
    add("Case-system delivery extracted after the quarter ended", case_date is not None and case_date > quarter.end,
        "no case-system delivery is loaded" if case is None else
        f"case-system delivery {case[0]} was extracted on {case_date:%d %B %Y}, after the quarter ended"
        if case_date and case_date > quarter.end else
        f"case-system delivery {case[0]} was extracted on {case_date:%d %B %Y}, before the quarter ended on "
        f"{quarter.end:%d %B %Y}: episodes ending later in the quarter are missing" if case_date else
        f"case-system delivery {case[0]} has no extract time")
    edu = facts.sources.get("education")
    add("Education snapshot for the report date", edu is not None,
        f"education snapshot {edu[0]} (extracted {edu[1]}) is the latest on or before {quarter.end:%d %B %Y}" if edu else
        f"no education snapshot dated on or before {quarter.end:%d %B %Y}: KPI 3 formal plans cannot be counted")
    held = facts.quarantined
    if held.empty:
        add("No quarantined rows in the quarter", True,
            "no row quarantined in the deliveries this return reads touches the quarter")
    else:
        per = "; ".join(f"{s} {d} {t}: {n}" for (s, d, t), n in held.groupby(["source", "delivery_id", "table_name"]).size().items())
        add("No quarantined rows in the quarter", False,
            f"{len(held):,} quarantined row(s) in the deliveries this return reads touch the quarter ({per}); "
            "their references are on the evidence workbook's Quarantine sheet: fix the source and reload")
    return rows


def figure_checks(figures: list[Figure], frame: pd.DataFrame, previous: pd.DataFrame, previous_label: str,
                  rules: KpiRules) -> list[dict]:
    """The checks on the figures. ``frame``: the tidy Figures table; ``previous``: the stored
    figures of the previous quarter (submitted ones when it was submitted)."""
    rows = []

    def add(check, kpi, result, detail):
        rows.append({"check": check, "kpi": kpi, "result": result, "detail": detail})

    # Shares only: a frequency (reoffences per reoffender) or a rate per population may exceed 1.
    ratios = frame[frame["denominator"].notna() & frame["measure"].str.endswith(("_pct", "binary_rate"))]
    bad = ratios[ratios["numerator"].astype(float) > ratios["denominator"].astype(float)]
    add("Numerators within denominators", "all", PASS if bad.empty else FAIL,
        f"all {len(ratios)} percentage figures have a numerator within their denominator" if bad.empty else
        f"{len(bad)} figure(s) exceed their denominator: " + ", ".join(bad["measure"] + " " + bad["breakdown"]))
    counts = frame[frame["kpi"].isin(GROUP_SUMMED) & frame["denominator"].isna()]
    for measure, part in counts.groupby("measure", sort=False):
        by = dict(zip(part["breakdown"], part["value"]))
        total, groups = by.get("TOTAL", 0) or 0, sum(by.get(g, 0) or 0 for g in GROUPS)
        add("Groups add up to TOTAL", measure, PASS if total == groups else FAIL,
            f"TOTAL {total:g} equals the five groups added up" if total == groups else
            f"TOTAL is {total:g} but the five groups add up to {groups:g}")
    expected = {(m, b) for m, kpi in frame[["measure", "kpi"]].drop_duplicates().itertuples(index=False)
                for b in (BREAKDOWNS if kpi in GROUP_SUMMED else KPI6_BREAKDOWNS if kpi == "kpi6" else ())}
    missing = expected - set(zip(frame["measure"], frame["breakdown"]))
    add("No missing breakdowns", "all", PASS if not missing else FAIL,
        f"every measure has all its breakdowns ({len(expected)} figures)" if not missing else
        f"{len(missing)} breakdown(s) missing, e.g. " + ", ".join(f"{m} {b}" for m, b in sorted(missing)[:10]))
    by_key = {(f.measure, f.breakdown): f.value for f in figures}
    cohort = by_key.get(("kpi1.cohort", "TOTAL")) or 0
    unknown = by_key.get(("kpi1.unknown_end", "TOTAL")) or 0
    if not cohort:
        add("Share of unknown accommodation at the end", "kpi1", NOT_COMPARED,
            "the KPI cohort is empty: there is no share to measure")
    else:
        share = unknown / cohort
        add("Share of unknown accommodation at the end", "kpi1", PASS if share <= rules.unknown_share_warning else WARN,
            f"{unknown:g} of {cohort:g} children ({share:.1%}) have unknown accommodation at the end; "
            + ("within" if share <= rules.unknown_share_warning else "above")
            + f" the {rules.unknown_share_warning:.0%} warning level")
    rows.append(change_check(figures, previous, previous_label, rules))
    return rows


def change_check(figures: list[Figure], previous: pd.DataFrame, previous_label: str, rules: KpiRules) -> dict:
    check = "Change from the previous quarter"
    if previous.empty:
        return {"check": check, "kpi": "all", "result": NOT_COMPARED,
                "detail": f"no figures stored for {previous_label}: nothing to compare with"}
    prev = {(r.measure, r.breakdown): r.value for r in previous.itertuples()}
    compared, jumps = 0, []
    for f in figures:
        old = prev.get((f.measure, f.breakdown))
        if f.breakdown == "TOTAL" and f.denominator is None and old is not None and old >= 10 and f.value is not None:
            compared += 1
            if abs(f.value - old) / old > rules.change_warning:
                jumps.append(f"{f.measure} {old:g} -> {f.value:g}")
    if not compared:
        return {"check": check, "kpi": "all", "result": NOT_COMPARED,
                "detail": f"{previous_label} has no TOTAL count of 10 or more to compare with"}
    source = str(previous["origin"].iloc[0]) if "origin" in previous.columns else "stored"
    if not jumps:
        return {"check": check, "kpi": "all", "result": PASS,
                "detail": f"{compared} TOTAL counts compared with the {source} {previous_label} figures: none moved "
                          f"by more than {rules.change_warning:.0%}"}
    return {"check": check, "kpi": "all", "result": WARN,
            "detail": f"{len(jumps)} of {compared} TOTAL counts moved by more than {rules.change_warning:.0%} "
                      f"from the {source} {previous_label} figures: " + "; ".join(jumps[:12])}


def status_of(checks: pd.DataFrame) -> str:
    return "READY" if len(checks) and (checks["result"] == PASS).all() else "DRAFT"
