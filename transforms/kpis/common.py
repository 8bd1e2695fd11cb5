"""What the KPI rules share: the inputs read from the warehouse, order groups, the KPI
cohort, school age, month arithmetic and the helpers that turn a set of children into
figures by breakdown (keeping the pseudonymous keys each figure counted)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, inspect, select, text

from transforms.kpis.registry import Figure
from transforms.kpis.rules_config import KpiRules
from transforms.periods import Quarter, add_months  # noqa: F401  (add_months: kpis.md month arithmetic, one definition)
from transforms.warehouse.schema import CORE_TABLES, child_key

ORDER_GROUPS = {
    "PREVENTION_DIVERSION": ("PREVENTION", "TURNAROUND", "COMMUNITY_RESOLUTION", "OUTCOME_22", "YOUTH_RESTORATIVE_DISPOSAL"),
    "OUT_OF_COURT": ("YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION"),
    "FIRST_TIER": ("REFERRAL_ORDER", "REPARATION_ORDER", "FINE", "CONDITIONAL_DISCHARGE", "ABSOLUTE_DISCHARGE"),
    "COMMUNITY": ("YOUTH_REHABILITATION_ORDER", "YRO_ISS"),
    "CUSTODY": ("DTO", "S250", "S259"),
}
GROUP_OF_TYPE = {t: g for g, types in ORDER_GROUPS.items() for t in types}
GROUPS = tuple(ORDER_GROUPS)
BREAKDOWNS = ("TOTAL",) + GROUPS
SUBSTANTIVE_GROUPS = ("OUT_OF_COURT", "FIRST_TIER", "COMMUNITY", "CUSTODY")
CUSTODIAL_TYPES = ORDER_GROUPS["CUSTODY"]


@dataclass
class KpiInputs:
    child: pd.DataFrame
    episode: pd.DataFrame
    outcome: pd.DataFrame
    offence: pd.DataFrame
    need: pd.DataFrame
    ete_status: pd.DataFrame
    accommodation: pd.DataFrame
    wider_services: pd.DataFrame
    victim: pd.DataFrame
    board: pd.DataFrame
    population: pd.DataFrame
    pupil: pd.DataFrame | None = None
    service_areas: tuple[str, ...] = ()
    # What was read, for the Cover and ``kpi_return_source``: source -> (delivery id, extracted at).
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)


# The sources the KPI rules read, by the input tables they name (``Rule.inputs``); every other
# input is a case-system table. Education is read as at the report date.
INPUT_SOURCE = {"pupil": "education", "board_attendance": "board", "population": "population"}
LIVE_SOURCES = ("case_system", "board", "population")
DATE_COLUMNS = {"date_of_birth", "start_date", "planned_end_date", "end_date", "outcome_date", "offence_date",
                "screened_date", "completed_date", "meeting_date"}


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if col in DATE_COLUMNS:
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def load_inputs(engine: Engine, service_areas: tuple[str, ...], report_date: dt.date | None = None) -> KpiInputs:
    """Read what the rules need from the core layer (only the columns they use).

    Education data is read as it stood at ``report_date``: the latest snapshot in
    ``hist_pupil`` dated on or before it (kpis.md, KPI 3). Without a report date, the newest
    snapshot (``core_pupil``), as alerts and marts use."""
    from transforms.warehouse.schema import audit_delivery, core_board_attendance, core_publication, ref_population

    with engine.connect() as conn:
        def read(name):
            return _dates(pd.read_sql_query(select(CORE_TABLES[name]), conn))

        child = read("child").drop(columns=["first_name", "last_name", "postcode", "pnc_id"])
        keys = pd.read_sql_query(select(child_key.c.child_id, child_key.c.child_key), conn)
        child = child.merge(keys, on="child_id", how="left")
        tables = set(inspect(conn).get_table_names())
        sources = {}
        # The live delivery of each source the rules read besides education (read as at the
        # report date below): the case system, the board register and the population.
        for live in conn.execute(select(core_publication.c.source, core_publication.c.delivery_id,
                                        audit_delivery.c.extracted_at)
                                 .join(audit_delivery, (audit_delivery.c.source == core_publication.c.source)
                                       & (audit_delivery.c.delivery_id == core_publication.c.delivery_id)
                                       & (audit_delivery.c.outcome == "LOADED"), isouter=True)
                                 .where(core_publication.c.source.in_(LIVE_SOURCES))
                                 .order_by(core_publication.c.source, audit_delivery.c.extracted_at.desc())):
            sources.setdefault(live.source, (live.delivery_id, live.extracted_at or ""))
        pupil, education = _pupils(conn, report_date, tables)
        if education:
            sources["education"] = education
        return KpiInputs(
            child=child, episode=read("episode"), outcome=read("outcome"), offence=read("offence"), need=read("need"),
            ete_status=read("ete_status"), accommodation=read("accommodation"), wider_services=read("wider_services"),
            victim=read("victim"),
            board=_dates(pd.read_sql_query(select(core_board_attendance), conn)),
            population=pd.read_sql_query(select(ref_population), conn),
            pupil=pupil, service_areas=service_areas, sources=sources)


def _pupils(conn, report_date: dt.date | None, tables: set[str]) -> tuple[pd.DataFrame | None, tuple[str, str] | None]:
    """The matched pupils KPI 3 reads: of the snapshot in force at ``report_date`` (and that
    snapshot's id and date), or of the newest snapshot (``core_pupil``) without a report date."""
    snapshot = None
    if report_date is None:
        snapshot_from = "core_pupil p"
    else:
        snapshot = education_snapshot_as_at(conn, report_date)
        snapshot_from = "hist_pupil p" if snapshot else None
    if not snapshot_from or "core_identity_link" not in tables:
        return None, snapshot
    # A pupil counts for the case-system child the matching resolved it to (UPN, former UPN,
    # the model or a reviewer), not only where the case system has the UPN.
    sql = (f"SELECT l.child_id, p.sen_provision, p.upn FROM {snapshot_from} JOIN core_identity_link l "
           "ON l.source = 'education' AND l.record_id = p.upn WHERE l.child_id IS NOT NULL")
    params = {}
    if snapshot is not None:
        sql += " AND p.snapshot_delivery_id = :snapshot"
        params = {"snapshot": snapshot[0]}
    return pd.read_sql_query(text(sql), conn, params=params), snapshot


def inputs_as_at(engine: Engine, service_areas: tuple[str, ...], quarter: Quarter, read: KpiInputs | None = None,
                 rules: KpiRules | None = None) -> tuple[KpiInputs, KpiRules]:
    """What a quarter's figures are computed from, as at its report date: the core, the
    education snapshot in force on the report date (none when none was) and the counting
    rules in force for the quarter. The one definition used by the return, the marts' ETE
    suitability and every point of the board pack's trend. ``read``: inputs already read for
    another quarter, whose case-system, board and population frames are reused (only the
    education snapshot differs from one quarter to another)."""
    from dataclasses import replace

    if read is None:
        inputs = load_inputs(engine, service_areas, report_date=quarter.end)
    else:
        with engine.connect() as conn:
            pupil, education = _pupils(conn, quarter.end, set(inspect(conn).get_table_names()))
        sources = {k: v for k, v in read.sources.items() if k != "education"}
        if education:
            sources["education"] = education
        inputs = replace(read, pupil=pupil, sources=sources)
    return inputs, rules or KpiRules.from_env(quarter)


def education_snapshot_as_at(conn, report_date: dt.date) -> tuple[str, str] | None:
    """(snapshot id, extract date) of the latest education snapshot dated on or before the
    report date, or None when there is none."""
    from transforms.warehouse.schema import HISTORY_TABLES

    hist = HISTORY_TABLES["pupil"]
    cutoff = dt.datetime.combine(report_date + dt.timedelta(days=1), dt.time())
    row = conn.execute(select(hist.c.snapshot_delivery_id, hist.c.snapshot_extracted_at)
                       .where(hist.c.snapshot_extracted_at < cutoff)
                       .order_by(hist.c.snapshot_extracted_at.desc(), hist.c.snapshot_delivery_id.desc()).limit(1)).first()
    if row is None:
        return None
    extracted = row.snapshot_extracted_at
    return row.snapshot_delivery_id, (extracted.date().isoformat() if hasattr(extracted, "date") else str(extracted)[:10])


def last_friday_of_june(year: int) -> dt.date:
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def above_school_age(date_of_birth: dt.date, on: dt.date) -> bool:
    """Above compulsory school age on ``on`` (kpis.md, "School age"): 16 before the 1 September
    that starts the academic year containing ``on``, or 16 during that year and ``on`` after
    its last Friday of June."""
    year_start = dt.date(on.year if on.month >= 9 else on.year - 1, 9, 1)
    sixteenth = add_months(date_of_birth, 16 * 12)
    if sixteenth < year_start:
        return True
    if sixteenth < dt.date(year_start.year + 1, 9, 1):
        return on > last_friday_of_june(year_start.year + 1)
    return False


def kpi_cohort(inputs: KpiInputs, quarter: Quarter, rules: KpiRules) -> pd.DataFrame:
    """One row per child with an episode ending in the quarter: the counted episode (the most
    serious; ties to the latest end date, then the greatest episode_id) and its group."""
    ep = inputs.episode
    ended = ep[ep["end_date"].notna()]
    ended = ended[(ended["end_date"] >= quarter.start) & (ended["end_date"] <= quarter.end)
                  & ~ended["episode_type"].isin(rules.cohort_excluded_types)].copy()
    ended["group"] = ended["episode_type"].map(GROUP_OF_TYPE)
    ended = ended[ended["group"].notna()]
    return _most_serious(ended, list(rules.group_seriousness), inputs.child)


def _most_serious(episodes: pd.DataFrame, seriousness: list[str], child: pd.DataFrame) -> pd.DataFrame:
    rank = {g: i for i, g in enumerate(seriousness)}
    episodes = episodes.assign(_rank=episodes["group"].map(rank))
    episodes = episodes.sort_values(["child_id", "_rank", "end_date", "episode_id"], ascending=[True, True, False, False])
    chosen = episodes.drop_duplicates("child_id", keep="first").drop(columns="_rank")
    return chosen.merge(child[["child_id", "child_key", "date_of_birth", "local_authority", "upn"]], on="child_id", how="left")


def most_serious_of(episodes: pd.DataFrame, seriousness: list[str], child: pd.DataFrame) -> pd.DataFrame:
    return _most_serious(episodes, seriousness, child)


def count_by_group(kpi: str, measure: str, cohort: pd.DataFrame, mask: pd.Series | np.ndarray | None = None,
                   breakdowns: tuple[str, ...] = BREAKDOWNS) -> list[Figure]:
    """Children (rows of ``cohort`` where ``mask``) counted for TOTAL and each group."""
    chosen = cohort if mask is None else cohort[np.asarray(mask, dtype=bool)]
    out = []
    for b in breakdowns:
        rows = chosen if b == "TOTAL" else chosen[chosen["group"] == b]
        out.append(Figure(kpi, measure, b, float(len(rows)), members=tuple(sorted(rows["child_key"].astype(str)))))
    return out


def sum_by_group(kpi: str, measure: str, cohort: pd.DataFrame, column: str,
                 breakdowns: tuple[str, ...] = BREAKDOWNS) -> list[Figure]:
    out = []
    for b in breakdowns:
        rows = cohort if b == "TOTAL" else cohort[cohort["group"] == b]
        out.append(Figure(kpi, measure, b, float(pd.to_numeric(rows[column]).fillna(0).sum()),
                          members=tuple(sorted(rows.loc[rows[column].notna(), "child_key"].astype(str)))))
    return out


def ratio_figures(kpi: str, measure: str, numerators: list[Figure], denominators: list[Figure]) -> list[Figure]:
    """A percentage (0 to 100) per breakdown; empty (None) when the denominator is 0."""
    by_b = {f.breakdown: f for f in denominators}
    out = []
    for num in numerators:
        den = by_b[num.breakdown]
        value = None if den.value == 0 else 100.0 * num.value / den.value
        out.append(Figure(kpi, measure, num.breakdown, value, num.value, den.value, members=num.members,
                          member_kind=num.member_kind))
    return out


def end_record(records: pd.DataFrame, cohort: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The counted episode's START or END record for each cohort child (NaN where none)."""
    stage_rows = records[records["recorded_at"] == stage].drop_duplicates("episode_id")
    return cohort[["episode_id"]].merge(stage_rows.drop(columns=["child_id"]), on="episode_id", how="left").set_index(cohort.index)


def population_10_17(inputs: KpiInputs, report_date: dt.date) -> tuple[int, int | None]:
    """Total 10 to 17 population of the service's areas for the latest year in the table not
    after the report date's calendar year (kpis.md, "Periods")."""
    pop = inputs.population
    if pop.empty:
        return 0, None
    if inputs.service_areas:
        pop = pop[pop["area"].str.upper().isin(inputs.service_areas)]
    years = pop.loc[pop["year"] <= report_date.year, "year"]
    if years.empty:
        return 0, None
    year = int(years.max())
    return int(pop.loc[(pop["year"] == year) & pop["age"].between(10, 17), "population"].sum()), year
