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
QUARANTINE_COLUMNS = ["quarantine_id", "source", "delivery_id", "table_name", "file_name", "line_number", "rules", "reason",
                      "why"]


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


@dataclass(frozen=True)
class CohortIds:
    """The records a return counts, by the ids a quarantined row may carry: every child some
    figure counted (the KPI cohort, KPI 6, KPI 9, the local indicators), their episodes,
    offences and outcomes, and the victims of those offences."""
    child_id: frozenset = frozenset()
    episode_id: frozenset = frozenset()
    offence_id: frozenset = frozenset()
    outcome_id: frozenset = frozenset()
    victim_id: frozenset = frozenset()

    def holds(self, column: str, value) -> bool:
        return value is not None and str(value).strip() in getattr(self, column, frozenset())


ID_COLUMNS = ("child_id", "episode_id", "offence_id", "outcome_id", "victim_id")


def cohort_ids(inputs, figures: list[Figure]) -> CohortIds:
    """The ids behind the figures (``Figure.members``), widened to the whole record of each
    counted child: a quarantined row of any of them could change the child's group, their END
    records or whether they are counted at all."""
    members: dict[str, set] = {}
    for f in figures:
        members.setdefault(f.member_kind, set()).update(str(m) for m in f.members)
    keys = inputs.child[["child_id", "child_key"]].dropna()
    children = set(keys.loc[keys["child_key"].astype(str).isin(members.get("child_key", set())), "child_id"].astype(str))
    offence, outcome, victim = inputs.offence, inputs.outcome, inputs.victim
    offences = members.get("offence_id", set()) | set(
        victim.loc[victim["victim_id"].astype(str).isin(members.get("victim_id", set())), "offence_id"].astype(str))
    children |= set(offence.loc[offence["offence_id"].astype(str).isin(offences), "child_id"].astype(str))
    if "child_id" in outcome.columns:
        children |= set(outcome.loc[outcome["outcome_id"].astype(str).isin(members.get("outcome_id", set())),
                                    "child_id"].astype(str))

    def of_children(frame: pd.DataFrame, column: str) -> set:
        if frame.empty or column not in frame.columns or "child_id" not in frame.columns:
            return set()
        return set(frame.loc[frame["child_id"].astype(str).isin(children), column].dropna().astype(str))

    offences |= of_children(offence, "offence_id")
    victims = set(victim.loc[victim["offence_id"].astype(str).isin(offences), "victim_id"].astype(str))
    return CohortIds(frozenset(children), frozenset(of_children(inputs.episode, "episode_id")), frozenset(offences),
                     frozenset(of_children(outcome, "outcome_id") | members.get("outcome_id", set())),
                     frozenset(victims | members.get("victim_id", set())))


def gather_facts(engine: Engine, quarter: Quarter, sources: dict[str, tuple[str, str]],
                 cohort: CohortIds | None = None) -> DataFacts:
    with engine.connect() as conn:
        children = conn.execute(select(func.count()).select_from(CORE_TABLES["child"])).scalar_one()
        stamps = conn.execute(select(audit_delivery.c.extracted_at).where(
            (audit_delivery.c.outcome == "LOADED") & audit_delivery.c.source.in_(EVENT_SOURCES))).scalars()
        dates = [d for d in (extract_date(s) for s in stamps) if d]
        rows = []
        for source, (delivery_id, _) in sources.items():
            rows += conn.execute(select(quarantine).where((quarantine.c.source == source)
                                                          & (quarantine.c.delivery_id == delivery_id))).mappings().all()
    held = [{"quarantine_id": row["id"], **{c: row[c] for c in QUARANTINE_COLUMNS[1:-1]}, "why": why}
            for row, why in quarantined_in_quarter(rows, quarter, cohort or CohortIds())]
    return DataFacts(children, max(dates) if dates else None, dict(sources),
                     pd.DataFrame(held, columns=QUARANTINE_COLUMNS))


# Reference tables without dates whose every row feeds the quarter (a rate's population).
DATELESS_REFERENCE = {("population", "population")}


def quarantined_in_quarter(rows, quarter: Quarter, cohort: CohortIds) -> list[tuple[dict, str]]:
    """The quarantined rows that may change the quarter's return, each with why in plain words.

    Conservative by design, since a row held back is a child or an event missing from the
    figures: a row touches the quarter when one of its dates is in it, when a date cannot be
    read (it may be in it), when it belongs to a child, episode, offence, outcome or victim the
    return counts (a table without dates: ETE, accommodation, victims), when it could not be
    read at all, or when it depends on a quarantined row that touches the quarter (an orphan of
    a held-back episode). Education: every pupil of the snapshot read counts (KPI 3)."""
    out, touched = [], {c: set() for c in ID_COLUMNS}
    later = []
    for row in rows:
        if row["source"] == "education":
            if row["table_name"] == "pupil":
                out.append((row, "a pupil of the education snapshot the return reads (KPI 3)"))
            continue
        record = _canonical(row)
        why = None if record is None else _why_it_touches(record, row, quarter, cohort)
        if record is None:
            why = "the row could not be read, so it is assumed to touch the quarter"
        if why:
            out.append((row, why))
            for c in ID_COLUMNS:
                if record and record.get(c):
                    touched[c].add(str(record[c]).strip())
        else:
            later.append((row, record))
    for row, record in later:
        column = next((c for c in ID_COLUMNS if c != _own_id(row["table_name"]) and record.get(c)
                       and str(record[c]).strip() in touched[c]), None)
        if column:
            out.append((row, f"it belongs to a quarantined record ({column.replace('_', ' ')}) that touches the quarter"))
    # The rows that touch the quarter on their own first (the ones to fix), then what hangs on them.
    return sorted(out, key=lambda pair: (pair[1].startswith("it belongs"), pair[0]["source"], pair[0]["table_name"],
                                         pair[0]["line_number"]))


def _own_id(table: str) -> str:
    return {"child": "child_id", "episode": "episode_id", "offence": "offence_id", "outcome": "outcome_id",
            "victim": "victim_id"}.get(table, "")


def _why_it_touches(record: dict, row, quarter: Quarter, cohort: CohortIds) -> str | None:
    dates = {column: read_date(value) for column, value in record.items()
             if _is_date_column(column) and value is not None and str(value).strip()}
    unread = [c for c, day in dates.items() if day is None]
    if unread:
        return f"its {unread[0].replace('_', ' ')} cannot be read, so it is assumed to fall in the quarter"
    inside = [c for c, day in dates.items() if quarter.start <= day <= quarter.end]
    if inside:
        return f"its {inside[0].replace('_', ' ')} is in the quarter"
    for column in ID_COLUMNS:
        if cohort.holds(column, record.get(column)):
            return f"its {column.replace('_', ' ')} is counted in the return"
    if not dates and (row["source"], row["table_name"]) in DATELESS_REFERENCE:
        return "a reference row without dates: it feeds every rate of the quarter"
    return None


def _is_date_column(column: str) -> bool:
    return column in DATE_COLUMNS or column.endswith("_date")


DATE_COLUMNS = {"date_of_birth", "start_date", "planned_end_date", "end_date", "outcome_date", "offence_date",
                "screened_date", "completed_date", "meeting_date", "ehcp_start_date"}


def _canonical(row) -> dict | None:
    """The raw record keyed by canonical column names (the supplier's headers mapped back), or
    None when the row could not be split into fields."""
    raw = row["raw_record"]
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict) or "_fields" in raw:
        return None
    headers = _headers(row["table_name"])
    return {headers.get(k, k): v for k, v in raw.items()}


def _headers(table: str) -> dict[str, str]:
    """Supplier header -> canonical column for a table, over every known supplier mapping."""
    if table not in _HEADER_CACHE:
        from transforms.ingest.mapping import MappingError, known_suppliers, load_mapping

        found: dict[str, str] = {}
        for supplier in known_suppliers():
            try:
                mapping = load_mapping(supplier).tables.get(table)
            except MappingError:
                continue
            if mapping is None:
                continue
            for columns in (mapping.columns, mapping.start_columns or {}, mapping.end_columns or {}):
                found.update({header: canonical for canonical, header in columns.items() if isinstance(header, str)})
        _HEADER_CACHE[table] = found
    return _HEADER_CACHE[table]


_HEADER_CACHE: dict[str, dict[str, str]] = {}
_DATE_PATTERNS = (re.compile(r"^(\d{4})-(\d{2})-(\d{2})"), re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$"),
                  re.compile(r"^(\d{4})(\d{2})(\d{2})$"))


def read_date(value) -> dt.date | None:
    """A raw date as a supplier writes one (ISO, dd/mm/yyyy, dd.mm.yyyy, yyyymmdd), or None
    when it cannot be read as a real day ("31/09/2026")."""
    text = str(value).strip().lstrip("!")
    if text.isdigit() and 1 <= len(text) <= 6 and 0 < int(text) < 2_958_466:  # an Excel serial day
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(text))
    for i, pattern in enumerate(_DATE_PATTERNS):
        m = pattern.match(text)
        if not m:
            continue
        y, mo, d = (m.group(3), m.group(2), m.group(1)) if i == 1 else (m.group(1), m.group(2), m.group(3))
        try:
            return dt.date(int(y), int(mo), int(d))
        except ValueError:
            return None
    return None


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
        examples = "; ".join(f"{r.file_name} row {r.line_number}: {r.why}" for r in held.head(5).itertuples())
        add("No quarantined rows in the quarter", False,
            f"{len(held):,} quarantined row(s) in the deliveries this return reads touch the quarter ({per}); "
            f"for example {examples}{' (and more)' if len(held) > 5 else ''}. "
            "A child or event held back is missing from the figures; every row is on the evidence workbook's "
            "Quarantine sheet: fix the source and reload")
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
