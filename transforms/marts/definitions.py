"""The reporting marts (dashboards.md): each one's schema, meaning and derivation, and the
function that builds it from the core. The data dictionary is generated from these
definitions and every build is checked against them, so the documentation cannot drift.

Marts carry the pseudonymous person key, ages and postcode districts; never a name, date of
birth, full postcode, UPN or PNC id.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from transforms.kpis.common import GROUP_OF_TYPE
from transforms.marts.core import CoreData, age_on
from transforms.marts import stats
from transforms.periods import quarter_containing, quarters_ending


@dataclass(frozen=True)
class Col:
    name: str
    type: str  # str, int, float, date, bool
    meaning: str
    source: str
    derivation: str = "copied"


@dataclass(frozen=True)
class Mart:
    name: str
    title: str
    grain: str
    questions: str
    columns: tuple[Col, ...]
    build: Callable[[CoreData], pd.DataFrame]

    @property
    def table(self) -> str:
        return f"mart_{self.name}"


MARTS: dict[str, Mart] = {}


def mart(name: str, title: str, grain: str, questions: str, columns: list[Col]):
    def register(build):
        MARTS[name] = Mart(name, title, grain, questions, tuple(columns), build)
        return build
    return register


PERSON = Col("person_key", "str", "The child's pseudonymous key (the same in every mart and source).", "core_child_key / core_identity_link",
             "random key assigned on first sight; the matching resolves other sources to it")
STAGE_OF_GROUP = {"PREVENTION_DIVERSION": "PREVENTION", "OUT_OF_COURT": "OUT_OF_COURT", "FIRST_TIER": "COURT",
                  "COMMUNITY": "COURT", "CUSTODY": "CUSTODY"}
REMAND_TYPES = ("REMAND_YDA", "REMAND_LA")


def stage_of(episode_type: str) -> str:
    if episode_type in REMAND_TYPES:
        return "REMAND"
    return STAGE_OF_GROUP.get(GROUP_OF_TYPE.get(episode_type, ""), "OTHER")


def quarter_code(dates: pd.Series) -> pd.Series:
    return dates.map(lambda d: quarter_containing(d.date()).code if pd.notna(d) else None)


def _looked_after(core: CoreData, episodes: pd.DataFrame) -> pd.Series:
    """Looked after at any time during the episode (wider services record)."""
    lac = core["wider_services"]
    lac = lac[lac["status"] == "LOOKED_AFTER"][["child_id", "start_date", "end_date"]]
    both = episodes[["episode_id", "child_id", "start_date", "end_date"]].merge(lac, on="child_id", suffixes=("", "_lac"))
    end = both["end_date"].fillna(pd.Timestamp(core.as_of))
    overlap = (both["start_date_lac"] <= end) & (both["end_date_lac"].isna() | (both["end_date_lac"] >= both["start_date"]))
    return episodes["episode_id"].isin(both.loc[overlap, "episode_id"])


def _episodes(core: CoreData) -> pd.DataFrame:
    e = core["episode"].merge(core["child"][["child_id", "person_key", "date_of_birth", "sex", "ethnicity", "ethnic_group",
                                             "local_authority", "postcode_district"]], on="child_id")
    e["stage"] = e["episode_type"].map(stage_of)
    e["age_at_start"] = age_on(e["date_of_birth"], e["start_date"])
    e["looked_after"] = _looked_after(core, e).to_numpy()
    return e


def _need_flag(core: CoreData, domain: str) -> pd.Series:
    n = core["need"]
    return n.loc[(n["domain"] == domain) & (n["need_identified"] == True), "episode_id"]  # noqa: E712


def _linked_records(core: CoreData, source: str) -> pd.DataFrame:
    links = core["identity_link"]
    if links.empty:
        return pd.DataFrame(columns=["record_id", "child_id", "person_key"])
    return links.loc[(links["source"] == source), ["record_id", "child_id", "person_key"]]


@mart("cohort", "Cohort needs and demographics", "one row per child per episode",
      "Who the children are (age, sex, ethnicity, local authority, looked-after, SEND, ETE, health needs, assessed risk) and how that changes.",
      [PERSON,
       Col("episode_id", "str", "The episode (intervention, order or remand).", "core_episode"),
       Col("episode_type", "str", "Type of episode (codes.csv episode_type).", "core_episode"),
       Col("stage", "str", "Stage of the system: PREVENTION, OUT_OF_COURT, COURT, CUSTODY, REMAND.", "core_episode", "from episode_type via the KPI order groups"),
       Col("start_date", "date", "Episode start.", "core_episode"),
       Col("end_date", "date", "Episode end (empty while open).", "core_episode"),
       Col("start_quarter", "str", "Financial quarter of the start, e.g. 2025Q2.", "core_episode", "quarter containing start_date"),
       Col("age_at_start", "int", "Age in whole years at the start.", "core_child, core_episode", "date of birth to start_date (the date of birth is not carried)"),
       Col("sex", "str", "M, F or U.", "core_child"),
       Col("ethnicity", "str", "Self-defined 18+1 code.", "core_child"),
       Col("ethnic_group", "str", "Five broad groups plus Not known.", "core_child", "ethnicity_crosswalk.csv"),
       Col("local_authority", "str", "Local authority the child lives in.", "core_child"),
       Col("postcode_district", "str", "Outward code of the home postcode (e.g. LE4).", "core_child", "the full postcode is not carried"),
       Col("looked_after", "bool", "Looked after at any time during the episode.", "core_wider_services", "LOOKED_AFTER period overlapping the episode"),
       Col("send", "bool", "SEND identified (need record, or EHCP / SEN support in the pupil record).", "core_need, core_pupil", "via the person key"),
       Col("ete_at_start", "str", "ETE type at the start of the episode.", "core_ete_status", "recorded_at = START"),
       Col("mental_health_need", "bool", "Mental health need identified on the episode.", "core_need"),
       Col("substance_misuse_need", "bool", "Substance misuse need identified on the episode.", "core_need"),
       Col("slcn_need", "bool", "Speech, language and communication need identified.", "core_need"),
       Col("likelihood_of_reoffending", "str", "Latest assessment's likelihood of reoffending.", "core_assessment", "latest completed assessment on the episode"),
       Col("risk_of_serious_harm", "str", "Latest assessment's risk of serious harm.", "core_assessment", "latest completed assessment on the episode")])
def build_cohort(core: CoreData) -> pd.DataFrame:
    e = _episodes(core)
    pupils = core["pupil"]
    send_pupils = set()
    if not pupils.empty:
        linked = _linked_records(core, "education").merge(pupils[["upn", "sen_provision"]], left_on="record_id", right_on="upn")
        send_pupils = set(linked.loc[linked["sen_provision"].isin(["E", "K"]), "child_id"])
    ete = core["ete_status"]
    start_ete = ete[ete["recorded_at"] == "START"].drop_duplicates("episode_id").set_index("episode_id")["ete_type"]
    a = core["assessment"].sort_values("completed_date").drop_duplicates("episode_id", keep="last").set_index("episode_id")
    return pd.DataFrame({
        "person_key": e["person_key"], "episode_id": e["episode_id"], "episode_type": e["episode_type"], "stage": e["stage"],
        "start_date": e["start_date"], "end_date": e["end_date"], "start_quarter": quarter_code(e["start_date"]),
        "age_at_start": e["age_at_start"], "sex": e["sex"], "ethnicity": e["ethnicity"], "ethnic_group": e["ethnic_group"],
        "local_authority": e["local_authority"], "postcode_district": e["postcode_district"], "looked_after": e["looked_after"],
        "send": e["episode_id"].isin(_need_flag(core, "SEND")) | e["child_id"].isin(send_pupils),
        "ete_at_start": e["episode_id"].map(start_ete),
        "mental_health_need": e["episode_id"].isin(_need_flag(core, "MENTAL_HEALTH")),
        "substance_misuse_need": e["episode_id"].isin(_need_flag(core, "SUBSTANCE_MISUSE")),
        "slcn_need": e["episode_id"].isin(_need_flag(core, "SLCN")),
        "likelihood_of_reoffending": e["episode_id"].map(a["likelihood_of_reoffending"]),
        "risk_of_serious_harm": e["episode_id"].map(a["risk_of_serious_harm"]),
    })


PERFORMANCE_DEFINITIONS = {
    "first_time_entrants_12m": "First-time entrants in the 12 months ending on the quarter's last day: resident children whose first "
                               "ever substantive outcome (youth caution or court) falls in those 12 months (ni.fte.count)",
    "first_time_entrants_rate_per_100000": "First-time entrants in the 12 months per 100,000 children aged 10 to 17 (ni.fte.rate_per_100000)",
    "first_time_entrants_in_quarter": "First-time entrants whose first substantive outcome falls in the quarter itself",
    "custodial_sentences_12m": "Custodial sentences (DTO, S250, S259 outcomes) dated in the 12 months ending on the quarter's last day (ni.custody.count)",
    "custodial_sentences_rate_per_1000": "Custodial sentences in the 12 months per 1,000 children aged 10 to 17 (ni.custody.rate_per_1000)",
    "custodial_sentences_in_quarter": "Custodial sentences dated in the quarter itself",
    "reoffending_cohort": "Children in the reoffending cohort reported at this quarter's end: substantive outcome in the latest quarter "
                          "whose 12-month follow-up and 6-month waiting period have ended (ni.reoffending.cohort)",
    "reoffending_reoffenders": "Of the reoffending cohort, children who reoffended within 12 months, proven within 18 (ni.reoffending.reoffenders)",
    "reoffending_reoffences": "The reoffences of that cohort (ni.reoffending.reoffences)",
    "reoffending_binary_rate_pct": "Reoffenders as a % of the reoffending cohort (ni.reoffending.binary_rate)",
    "reoffending_frequency": "Reoffences per reoffender (ni.reoffending.frequency)",
}


@mart("performance_overview", "Performance overview", "one row per quarter and measure",
      "Caseload by episode type over time; starts and ends per quarter; first-time entrants, custody and reoffending with trend, "
      "the national indicators carrying the same figures as the KPI return for the quarter.",
      [Col("quarter", "str", "Financial quarter, e.g. 2025Q2.", "derived"),
       Col("quarter_end", "date", "Last day of the quarter.", "derived"),
       Col("measure", "str", "caseload_<stage>, starts_<stage>, ends_<stage>, " + ", ".join(PERFORMANCE_DEFINITIONS) + ".", "derived"),
       Col("value", "float", "The measure's value (empty when it has no denominator).", "core_episode, core_outcome, core_offence, ref_population",
           "caseload: episodes open on the last day; starts/ends: episodes starting/ending in the quarter; the national indicators "
           "by transforms/measures (offending.first_time_entrants, offending.custodial_sentences, reoffending.reoffending_cohort), "
           "the same functions as the KPI return"),
       Col("numerator", "float", "Numerator of a rate or ratio.", "derived"),
       Col("denominator", "float", "Denominator of a rate or ratio (the cohort, the reoffenders, or the 10 to 17 population).", "derived"),
       Col("definition", "str", "What the figure is and what it is a share of.", "derived")])
def build_performance_overview(core: CoreData) -> pd.DataFrame:
    from types import SimpleNamespace

    from transforms.kpis.common import population_10_17
    from transforms.measures.offending import custodial_sentences, entrants_between, first_substantive_outcomes, rolling_year
    from transforms.measures.offending import substantive_outcomes
    from transforms.measures.reoffending import cohort_quarter, reoffending_cohort

    e = _episodes(core)
    quarters = quarters_ending(quarter_containing(core.as_of).previous, 12)
    rows = []
    stage_words = {"caseload": "Episodes open on the quarter's last day", "starts": "Episodes starting in the quarter",
                   "ends": "Episodes ending in the quarter"}
    population_inputs = SimpleNamespace(population=core["population"], service_areas=core.service_areas)
    first = first_substantive_outcomes(core["outcome"], core["child"], core.service_areas)
    substantive = substantive_outcomes(core["outcome"])

    def add(q, measure, value, numerator=None, denominator=None, definition=None):
        rows.append({"quarter": q.code, "quarter_end": pd.Timestamp(q.end), "measure": measure, "value": value,
                     "numerator": numerator, "denominator": denominator,
                     "definition": definition or PERFORMANCE_DEFINITIONS[measure]})

    for q in quarters:
        start, end = pd.Timestamp(q.start), pd.Timestamp(q.end)
        for stage in ("PREVENTION", "OUT_OF_COURT", "COURT", "CUSTODY", "REMAND"):
            s = e[e["stage"] == stage]
            for kind, n in (("caseload", ((s["start_date"] <= end) & (s["end_date"].isna() | (s["end_date"] > end))).sum()),
                            ("starts", s["start_date"].between(start, end).sum()), ("ends", s["end_date"].between(start, end).sum())):
                add(q, f"{kind}_{stage.lower()}", float(n), definition=f"{stage_words[kind]}, stage {stage}")
        year_start, year_end = rolling_year(q.end)
        population, _ = population_10_17(population_inputs, q.end)
        fte = len(entrants_between(first, year_start, year_end))
        custody = len(custodial_sentences(core["outcome"], year_start, year_end))
        add(q, "first_time_entrants_12m", float(fte))
        add(q, "first_time_entrants_rate_per_100000", 100000 * fte / population if population else None, fte, population or None)
        add(q, "first_time_entrants_in_quarter", float(len(entrants_between(first, q.start, q.end))))
        add(q, "custodial_sentences_12m", float(custody))
        add(q, "custodial_sentences_rate_per_1000", 1000 * custody / population if population else None, custody, population or None)
        add(q, "custodial_sentences_in_quarter", float(len(custodial_sentences(core["outcome"], q.start, q.end))))
        r = reoffending_cohort(core["outcome"], core["offence"], cohort_quarter(q.end), substantive)
        cq = f" (cohort {r.quarter.code})"
        add(q, "reoffending_cohort", float(r.cohort), definition=PERFORMANCE_DEFINITIONS["reoffending_cohort"] + cq)
        add(q, "reoffending_reoffenders", float(len(r.reoffenders)), definition=PERFORMANCE_DEFINITIONS["reoffending_reoffenders"] + cq)
        add(q, "reoffending_reoffences", float(len(r.reoffences)), definition=PERFORMANCE_DEFINITIONS["reoffending_reoffences"] + cq)
        add(q, "reoffending_binary_rate_pct", r.binary_rate, len(r.reoffenders), r.cohort,
            PERFORMANCE_DEFINITIONS["reoffending_binary_rate_pct"] + cq)
        add(q, "reoffending_frequency", r.frequency, len(r.reoffences), len(r.reoffenders),
            PERFORMANCE_DEFINITIONS["reoffending_frequency"] + cq)
    return pd.DataFrame(rows, columns=[c.name for c in MARTS["performance_overview"].columns])


@mart("reoffending", "Reoffending tracker", "one row per child per cohort",
      "Local cohorts (children with a substantive outcome in a quarter) tracked for 12 months with 6 more for offences to be "
      "proven: the return's reoffending definition (transforms/measures/reoffending.py) for every cohort quarter.",
      [Col("cohort_quarter", "str", "Quarter of the child's index outcome.", "core_outcome"), PERSON,
       Col("outcome_group", "str", "KPI order group of the index outcome (OUT_OF_COURT, FIRST_TIER, COMMUNITY or CUSTODY).", "core_outcome"),
       Col("index_date", "date", "Date of the child's first substantive outcome in the quarter.", "core_outcome"),
       Col("age_at_index", "int", "Age at the index date.", "core_child"),
       Col("reoffended", "bool", "An offence committed after the index date and within 12 months of it, proven by a substantive outcome within 18 months of it.",
           "core_offence, core_outcome", "reoffending.reoffending_cohort"),
       Col("reoffences", "int", "Number of such offences (frequency).", "core_offence", "reoffending.reoffending_cohort"),
       Col("tracking_complete", "bool", "The cohort's follow-up and waiting periods have ended (quarter end + 18 months is on or before the as-of date); "
           "only then do its rates match the return.", "derived", "reoffending.tracking_complete")])
def build_reoffending(core: CoreData) -> pd.DataFrame:
    from transforms.measures.offending import substantive_outcomes
    from transforms.measures.reoffending import reoffending_cohort, tracking_complete

    substantive = substantive_outcomes(core["outcome"])
    dates = substantive["outcome_date"].dropna()
    quarters = sorted({quarter_containing(d.date()) for d in dates if d.date() <= core.as_of})
    child = core["child"][["child_id", "person_key", "date_of_birth"]]
    frames = []
    for q in quarters:
        r = reoffending_cohort(core["outcome"], core["offence"], q, substantive)
        idx = r.entries.merge(child, on="child_id", how="left")
        frames.append(pd.DataFrame({
            "cohort_quarter": q.code, "person_key": idx["person_key"], "outcome_group": idx["group"],
            "index_date": idx["outcome_date"], "age_at_index": age_on(idx["date_of_birth"], idx["outcome_date"]),
            "reoffended": idx["reoffences"] > 0, "reoffences": idx["reoffences"].astype(int),
            "tracking_complete": tracking_complete(q, core.as_of)}))
    columns = [c.name for c in MARTS["reoffending"].columns]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


DISPROPORTIONALITY_STAGES = ("PREVENTION", "OUT_OF_COURT", "COURT", "CUSTODY", "REMAND")


@mart("disproportionality", "Disproportionality", "one row per group, stage and period",
      "Over- or under-representation of each ethnic group, girls, and looked-after children at each stage, against the 10 to 17 population.",
      [Col("period", "str", "Financial year, e.g. 2025-26.", "derived"),
       Col("stage", "str", "PREVENTION, OUT_OF_COURT, COURT, CUSTODY or REMAND.", "core_episode"),
       Col("dimension", "str", "ethnic_group, sex or looked_after.", "derived"),
       Col("group", "str", "The group (e.g. Black, F, Y).", "core_child, core_wider_services"),
       Col("reference_group", "str", "The group rates are compared with (White; M; N).", "derived"),
       Col("children", "int", "Children aged 10 to 17 starting an episode at this stage in the period.", "core_episode", "distinct children"),
       Col("stage_total", "int", "All children aged 10 to 17 at the stage in the period.", "core_episode"),
       Col("population", "float", "10 to 17 population of the group (looked after: ref_looked_after; not looked after: the rest; "
           "empty when no reference exists).", "ref_population, ref_looked_after"),
       Col("share_of_stage_pct", "float", "Group's share of the stage.", "derived", "children / stage_total (known groups)"),
       Col("share_of_population_pct", "float", "Group's share of the 10 to 17 population.", "ref_population"),
       Col("rate_per_1000", "float", "Children at the stage per 1,000 of the group's population.", "derived"),
       Col("rate_ci_low", "float", "Exact 95% interval of the rate (Garwood).", "derived", "stats.poisson_rate_interval"),
       Col("rate_ci_high", "float", "Exact 95% interval of the rate (Garwood).", "derived", "stats.poisson_rate_interval"),
       Col("relative_rate", "float", "Rate of the group / rate of the reference group.", "derived"),
       Col("relative_rate_ci_low", "float", "Exact 95% interval of the relative rate (conditional binomial, Clopper-Pearson).", "derived", "stats.rate_ratio_interval"),
       Col("relative_rate_ci_high", "float", "Exact 95% interval of the relative rate.", "derived", "stats.rate_ratio_interval"),
       Col("flag", "str", "OVER_REPRESENTED or UNDER_REPRESENTED only when the interval excludes 1; else NOT_SIGNIFICANT or NOT_ASSESSED.", "derived", "stats.flag")])
def build_disproportionality(core: CoreData) -> pd.DataFrame:
    e = _episodes(core)
    pop = core["population"]
    rows = []
    for fy in _financial_years(core):
        start, end = pd.Timestamp(fy, 4, 1), pd.Timestamp(fy + 1, 3, 31)
        year_pop = pop[pop["year"] == min(fy, int(pop["year"].max()))] if len(pop) else pop
        lac = looked_after_in_year(core.tables.get("looked_after_population", pd.DataFrame()), fy)
        rows += disproportionality_rows(children_at_stages(e, start, end), year_pop, f"{fy}-{(fy + 1) % 100:02d}", lac)
    return pd.DataFrame(rows)


DISPROPORTIONALITY_DIMENSIONS = (
    ("ethnic_group", "White", ("White", "Asian", "Black", "Mixed", "Other")),
    ("sex", "M", ("M", "F")),
    ("looked_after", "N", ("N", "Y")),
)


def children_at_stages(episodes: pd.DataFrame, start, end) -> pd.DataFrame:
    """One row per child and stage: children aged 10 to 17 at the start of an episode at that
    stage starting in ``start`` to ``end`` (their first such episode). Works on the core's
    episodes and on ``mart_cohort`` alike (same columns), so the mart and the board pack's year
    to date count the same way."""
    e = episodes[pd.to_numeric(episodes["age_at_start"], errors="coerce").between(10, 17)]
    e = e[pd.to_datetime(e["start_date"]).between(pd.Timestamp(start), pd.Timestamp(end))]
    out = e.sort_values("start_date").drop_duplicates(["stage", "person_key"])
    return out.assign(looked_after=out["looked_after"].map({True: "Y", False: "N"}).fillna("N"))


def looked_after_in_year(reference: pd.DataFrame, year: int) -> int | None:
    """Children aged 10 to 17 looked after (all areas) for the latest year in the reference not
    after ``year``; None when there is no reference."""
    if reference is None or reference.empty:
        return None
    years = reference.loc[reference["year"] <= year, "year"]
    chosen = int(years.max()) if len(years) else int(reference["year"].min())
    return int(reference.loc[reference["year"] == chosen, "looked_after"].sum())


def disproportionality_rows(children: pd.DataFrame, year_pop: pd.DataFrame, period: str,
                            looked_after: int | None = None) -> list[dict]:
    """Counts, rates, relative rates and exact intervals for each stage, dimension and group.
    ``looked_after``: children aged 10 to 17 looked after (ref_looked_after); the rest of the
    10 to 17 population is the reference group "not looked after"."""
    rows = []
    for stage in DISPROPORTIONALITY_STAGES:
        s = children[children["stage"] == stage]
        for dimension, reference, groups in DISPROPORTIONALITY_DIMENSIONS:
            counts = s[dimension].value_counts()
            known_total = int(counts.reindex(list(groups)).fillna(0).sum())
            population = {}
            if dimension != "looked_after" and len(year_pop):
                population = year_pop.groupby(dimension)["population"].sum().to_dict()
            elif dimension == "looked_after" and looked_after and len(year_pop):
                population = {"Y": looked_after, "N": int(year_pop["population"].sum()) - looked_after}
            pop_total = sum(population.get(g, 0) for g in groups)
            for g in groups:
                k, n = int(counts.get(g, 0)), population.get(g)
                k0, n0 = int(counts.get(reference, 0)), population.get(reference)
                low, high = stats.poisson_rate_interval(k, n) if n else (None, None)
                rr, rr_low, rr_high = stats.rate_ratio_interval(k, n, k0, n0) if n and n0 else (None, None, None)
                if g == reference:
                    rr, rr_low, rr_high = (1.0 if n else None), None, None
                rows.append({
                    "period": period, "stage": stage, "dimension": dimension, "group": g,
                    "reference_group": reference, "children": k, "stage_total": known_total, "population": n,
                    "share_of_stage_pct": round(100 * k / known_total, 2) if known_total else None,
                    "share_of_population_pct": round(100 * n / pop_total, 2) if n and pop_total else None,
                    "rate_per_1000": k / n * 1000 if n else None, "rate_ci_low": low, "rate_ci_high": high,
                    "relative_rate": rr, "relative_rate_ci_low": rr_low, "relative_rate_ci_high": rr_high,
                    "flag": "REFERENCE" if g == reference else stats.flag(rr_low if rr_low is not None else float("nan"),
                                                                           rr_high if rr_high is not None else float("nan")),
                })
    return rows


def _financial_years(core: CoreData) -> list[int]:
    last = core.as_of.year if core.as_of.month >= 4 else core.as_of.year - 1
    return list(range(last - 4, last + 1))


@mart("victims", "Victims", "one row per victim per offence",
      "Demography of victims, consent and contact rates, views sought, restorative justice offered and taken up.",
      [Col("victim_id", "str", "The victim record.", "core_victim"), Col("offence_id", "str", "The offence.", "core_victim"),
       PERSON, Col("offence_date", "date", "Date of the offence.", "core_offence"),
       Col("offence_quarter", "str", "Quarter of the offence.", "core_offence"),
       Col("outcome_date", "date", "Date of the offence's outcome (empty until it is dealt with).", "core_outcome"),
       Col("outcome_quarter", "str", "Quarter of the outcome: KPI 10 counts a victim in this quarter.", "core_outcome",
           "victims.victims_of_outcomes_in"),
       Col("victim_kind", "str", "PERSON or BUSINESS.", "core_victim"), Col("age_band", "str", "Victim's age band.", "core_victim"),
       Col("sex", "str", "Victim's sex.", "core_victim"), Col("ethnicity", "str", "Victim's ethnicity code.", "core_victim"),
       Col("contact_consent", "bool", "Victim consented to contact.", "core_victim"),
       Col("views_sought", "bool", "Victim's views sought.", "core_victim"), Col("kept_informed", "bool", "Victim kept informed.", "core_victim"),
       Col("rj_offered", "bool", "Restorative justice offered.", "core_victim"), Col("rj_participated", "bool", "Took part in restorative justice.", "core_victim")])
def build_victims(core: CoreData) -> pd.DataFrame:
    v = core["victim"].merge(core["offence"][["offence_id", "child_id", "offence_date", "outcome_id"]], on="offence_id", how="left")
    v = v.merge(core["child"][["child_id", "person_key"]], on="child_id", how="left")
    v = v.merge(core["outcome"][["outcome_id", "outcome_date"]], on="outcome_id", how="left")
    v["offence_quarter"] = quarter_code(v["offence_date"])
    v["outcome_quarter"] = quarter_code(v["outcome_date"])
    return v[[c.name for c in MARTS["victims"].columns]]


@mart("health", "Health", "one row per child, domain and episode",
      "Screenings, needs identified, interventions planned and attended, for mental health, substance misuse, speech and language.",
      [PERSON, Col("episode_id", "str", "The episode.", "core_need"),
       Col("domain", "str", "MENTAL_HEALTH, SUBSTANCE_MISUSE or SLCN.", "core_need"),
       Col("screened", "bool", "Screened on this episode.", "core_need", "a screening date is recorded"),
       Col("screened_quarter", "str", "Quarter of the screening.", "core_need"),
       Col("need_identified", "bool", "Need identified.", "core_need"),
       Col("intervention_planned", "bool", "Intervention planned.", "core_need"),
       Col("intervention_attended", "bool", "Intervention attended.", "core_need"),
       Col("age_at_screening", "int", "Age at screening.", "core_child, core_need")])
def build_health(core: CoreData) -> pd.DataFrame:
    n = core["need"][core["need"]["domain"].isin(["MENTAL_HEALTH", "SUBSTANCE_MISUSE", "SLCN"])]
    n = n.merge(core["child"][["child_id", "person_key", "date_of_birth"]], on="child_id")
    return pd.DataFrame({"person_key": n["person_key"], "episode_id": n["episode_id"], "domain": n["domain"],
                         "screened": n["screened_date"].notna(), "screened_quarter": quarter_code(n["screened_date"]),
                         "need_identified": n["need_identified"], "intervention_planned": n["intervention_planned"],
                         "intervention_attended": n["intervention_attended"],
                         "age_at_screening": age_on(n["date_of_birth"], n["screened_date"])})


@mart("ete", "Education, training and employment", "one row per child per episode",
      "ETE at start and end, hours, suitability, EHE, part-time timetables, NEET post-16.",
      [PERSON, Col("episode_id", "str", "The episode.", "core_episode"),
       Col("stage", "str", "Stage of the episode.", "core_episode"),
       Col("ete_start", "str", "ETE type at the start.", "core_ete_status"), Col("ete_end", "str", "ETE type at the end.", "core_ete_status"),
       Col("suitable_start", "bool", "Suitable ETE at the start (empty: no START record).", "core_ete_status",
           "suitability.ete_suitability (KPI 2's rule: the flag, else type and hours for the child's school age on the start date)"),
       Col("suitable_end", "bool", "Suitable ETE at the end (empty: no END record; KPI 2 counts those as not suitable).", "core_ete_status",
           "suitability.ete_suitability (KPI 2's rule, school age on the end date)"),
       Col("hours_offered_end", "float", "Hours offered a week at the end.", "core_ete_status"),
       Col("hours_attended_end", "float", "Hours attended a week at the end.", "core_ete_status"),
       Col("ehe", "bool", "Electively home educated (pupil record).", "core_pupil", "via the person key"),
       Col("part_time_timetable", "bool", "On a part-time timetable (pupil record).", "core_pupil", "via the person key"),
       Col("sen_provision", "str", "E (EHCP), K (SEN support), N (none).", "core_pupil", "via the person key"),
       Col("post16_activity_group", "str", "Post-16 activity group (EDUCATION, TRAINING, EMPLOYMENT, NEET, OTHER, NOT_KNOWN).", "core_ccis_activity, ref_ccis_activity", "via the person key")])
def build_ete(core: CoreData) -> pd.DataFrame:
    e = _episodes(core)
    ete = core["ete_status"]
    at = {w: ete[ete["recorded_at"] == w].drop_duplicates("episode_id").set_index("episode_id") for w in ("START", "END")}
    pupil = pd.DataFrame(columns=["child_id", "ehe", "part_time_timetable", "sen_provision"])
    if not core["pupil"].empty:
        pupil = _linked_records(core, "education").merge(core["pupil"], left_on="record_id", right_on="upn").drop_duplicates("child_id")
    pupil = pupil.set_index("child_id")
    ccis = pd.Series(dtype=object)
    if not core["ccis_activity"].empty:
        c = _linked_records(core, "ccis").merge(core["ccis_activity"], left_on="record_id", right_on="ccis_id")
        c["group"] = c["activity_code"].map(dict(zip(core["ccis_activity_ref"]["code"], core["ccis_activity_ref"]["activity_group"]))
                                            if "ccis_activity_ref" in core.tables else {})
        ccis = c.sort_values("activity_start_date").drop_duplicates("child_id", keep="last").set_index("child_id")["group"]
    return pd.DataFrame({
        "person_key": e["person_key"], "episode_id": e["episode_id"], "stage": e["stage"],
        "ete_start": e["episode_id"].map(at["START"]["ete_type"]), "ete_end": e["episode_id"].map(at["END"]["ete_type"]),
        "suitable_start": _ete_suitable(e, at["START"], "start_date"), "suitable_end": _ete_suitable(e, at["END"], "end_date"),
        "hours_offered_end": e["episode_id"].map(at["END"]["hours_offered"]).astype(float),
        "hours_attended_end": e["episode_id"].map(at["END"]["hours_attended"]).astype(float),
        "ehe": e["child_id"].map(pupil["ehe"]) if len(pupil) else None,
        "part_time_timetable": e["child_id"].map(pupil["part_time_timetable"]) if len(pupil) else None,
        "sen_provision": e["child_id"].map(pupil["sen_provision"]) if len(pupil) else None,
        "post16_activity_group": e["child_id"].map(ccis) if len(ccis) else None,
    })


def _ete_suitable(episodes: pd.DataFrame, records: pd.DataFrame, judged_on: str) -> pd.Series:
    """KPI 2's suitability of each episode's START or END record; empty where there is none.
    Judged with the counting rules in force for the quarter the episode ended in, as that
    quarter's return judges it (the newest rules for an open episode)."""
    from transforms.kpis.common import above_school_age
    from transforms.kpis.rules_config import KpiRules
    from transforms.measures.suitability import ete_suitability
    from transforms.periods import quarter_containing

    rec = records.reindex(episodes["episode_id"]).reset_index(drop=True)
    above = pd.Series([bool(pd.notna(d) and pd.notna(on) and above_school_age(d.date(), on.date()))
                       for d, on in zip(episodes["date_of_birth"], episodes[judged_on])], dtype=bool)
    quarters = [quarter_containing(end.date()) if pd.notna(end) else None for end in episodes["end_date"]]
    suitable = pd.Series([None] * len(rec), dtype=object)
    for quarter in set(quarters):
        rows = [i for i, q in enumerate(quarters) if q == quarter]
        part = ete_suitability(rec.iloc[rows].reset_index(drop=True), above.iloc[rows].reset_index(drop=True),
                               KpiRules.from_env(quarter)).astype(object)
        suitable.iloc[rows] = part.to_numpy()
    suitable[rec["recorded_at"].isna().to_numpy()] = None
    return pd.Series(suitable.to_numpy(), index=episodes.index)


@mart("ete_event", "ETE events: suspensions and exclusions", "one row per suspension or exclusion of a child known to the service",
      "Suspensions and permanent exclusions of the service's children.",
      [PERSON, Col("event_date", "date", "Start of the suspension or the exclusion.", "core_suspension"),
       Col("event_quarter", "str", "Quarter of the event.", "core_suspension"),
       Col("category", "str", "SUSPENSION or PERMANENT_EXCLUSION.", "core_suspension"),
       Col("sessions", "int", "Sessions lost (suspensions).", "core_suspension"),
       Col("reason_code", "str", "DfE reason code.", "core_suspension")])
def build_ete_event(core: CoreData) -> pd.DataFrame:
    if core["suspension"].empty:
        return pd.DataFrame(columns=[c.name for c in MARTS["ete_event"].columns])
    s = _linked_records(core, "education").dropna(subset=["child_id"]).merge(core["suspension"], left_on="record_id", right_on="upn")
    s["start_date"] = pd.to_datetime(s["start_date"])
    return pd.DataFrame({"person_key": s["person_key"], "event_date": s["start_date"], "event_quarter": quarter_code(s["start_date"]),
                         "category": s["category"], "sessions": s["sessions"].astype(int), "reason_code": s["reason_code"]})


@mart("remands_custody", "Remands and custody", "one row per detention, remand or sentence",
      "Police detentions of children, overnight detentions, PACE transfer requests and outcomes, remands to youth detention accommodation, custodial sentences.",
      [Col("record_kind", "str", "POLICE_DETENTION, REMAND_YDA, REMAND_LA or CUSTODIAL_SENTENCE.", "core_custody_detention, core_episode"),
       Col("record_id", "str", "Custody reference or episode id.", "core_custody_detention, core_episode"), PERSON,
       Col("start_date", "date", "Arrival in the suite, or episode start.", "core_custody_detention, core_episode"),
       Col("end_date", "date", "Release, or episode end.", "core_custody_detention, core_episode"),
       Col("quarter", "str", "Quarter of the start.", "derived"),
       Col("age_at_start", "int", "Age at the start.", "core_custody_detention, core_child"),
       Col("sex", "str", "Sex.", "core_custody_detention, core_child"),
       Col("hours_detained", "float", "Hours in the suite (clock changes counted right).", "core_custody_detention", "UTC difference"),
       Col("overnight", "bool", "In the suite between 00:00 and 06:00.", "core_custody_detention", "CustodyRules"),
       Col("pace_transfer_requested", "bool", "PACE transfer to local-authority accommodation requested.", "core_custody_detention"),
       Col("pace_transfer_achieved", "bool", "PACE transfer achieved.", "core_custody_detention"),
       Col("outcome", "str", "Custody outcome, or episode type.", "core_custody_detention, core_episode"),
       Col("known_to_service", "bool", "Linked to a case-system child.", "core_identity_link")])
def build_remands_custody(core: CoreData) -> pd.DataFrame:
    from transforms.custody.enrich import CustodyRules, hours_between, was_overnight

    e = _episodes(core)
    e = e[e["episode_type"].isin(REMAND_TYPES) | (e["stage"] == "CUSTODY")]
    episodes = pd.DataFrame({
        "record_kind": e["episode_type"].where(e["episode_type"].isin(REMAND_TYPES), "CUSTODIAL_SENTENCE"),
        "record_id": e["episode_id"], "person_key": e["person_key"], "start_date": e["start_date"], "end_date": e["end_date"],
        "age_at_start": e["age_at_start"], "sex": e["sex"], "hours_detained": None, "overnight": None,
        "pace_transfer_requested": None, "pace_transfer_achieved": None, "outcome": e["episode_type"], "known_to_service": True})
    d = core["custody_detention"]
    frames = [episodes]
    if not d.empty:
        links = _linked_records(core, "custody").set_index("record_id")
        arrival, release = pd.to_datetime(d["arrival_datetime"]), pd.to_datetime(d["release_datetime"])
        left = release.fillna(pd.Timestamp(core.as_of))
        frames.append(pd.DataFrame({
            "record_kind": "POLICE_DETENTION", "record_id": d["custody_ref"],
            "person_key": d["custody_ref"].map(links["person_key"]) if len(links) else None,
            "start_date": arrival.dt.normalize(), "end_date": release.dt.normalize(),
            "age_at_start": age_on(d["date_of_birth"], arrival), "sex": d["sex"],
            "hours_detained": [round(hours_between(a, b), 2) for a, b in zip(arrival, left)],
            "overnight": [was_overnight(a.to_pydatetime(), b.to_pydatetime(), CustodyRules()) for a, b in zip(arrival, left)],
            "pace_transfer_requested": d["pace_transfer_requested"].map({"Y": True, "N": False, True: True, False: False}),
            "pace_transfer_achieved": d["pace_transfer_achieved"].map({"Y": True, "N": False, True: True, False: False}),
            "outcome": d["outcome"], "known_to_service": d["custody_ref"].map(links["child_id"]).notna() if len(links) else False}))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else episodes
    out.insert(5, "quarter", quarter_code(pd.to_datetime(out["start_date"])))
    return out


@mart("out_of_court", "Out-of-court and diversion", "one row per decision",
      "Decisions at the joint decision panel, outcome types, completion, later reoffending.",
      [Col("outcome_id", "str", "The decision (outcome).", "core_outcome"), PERSON,
       Col("decision_date", "date", "Date of the decision.", "core_outcome"), Col("decision_quarter", "str", "Quarter of the decision.", "core_outcome"),
       Col("outcome_type", "str", "Outcome type.", "core_outcome"), Col("stage", "str", "PREVENTION or OUT_OF_COURT.", "core_outcome"),
       Col("age_at_decision", "int", "Age at the decision.", "core_child"),
       Col("completed", "bool", "The programme that followed ended as completed.", "core_episode", "end_reason = COMPLETED"),
       Col("reoffended_12m", "bool", "Offence within 12 months after the decision, proven by a substantive outcome within 18 months "
           "(the return's reoffence rule).", "core_offence", "reoffending.proven_reoffences"),
       Col("tracking_complete", "bool", "12 months have passed.", "derived")])
def build_out_of_court(core: CoreData) -> pd.DataFrame:
    o = core["outcome"].copy()
    o["stage"] = o["outcome_type"].map(stage_of)
    o = o[o["stage"].isin(["PREVENTION", "OUT_OF_COURT"])].merge(core["child"][["child_id", "person_key", "date_of_birth"]], on="child_id")
    ep = core["episode"].dropna(subset=["outcome_id"]).drop_duplicates("outcome_id").set_index("outcome_id")
    from transforms.measures.reoffending import proven_reoffences

    re = set(proven_reoffences(o.rename(columns={"outcome_id": "index_id"}), core["outcome"], core["offence"])["index_id"])
    return pd.DataFrame({
        "outcome_id": o["outcome_id"], "person_key": o["person_key"], "decision_date": o["outcome_date"],
        "decision_quarter": quarter_code(o["outcome_date"]), "outcome_type": o["outcome_type"], "stage": o["stage"],
        "age_at_decision": age_on(o["date_of_birth"], o["outcome_date"]),
        "completed": o["outcome_id"].map(ep["end_reason"]).eq("COMPLETED"),
        "reoffended_12m": o["outcome_id"].isin(re),
        "tracking_complete": (o["outcome_date"] + pd.DateOffset(months=12)) <= pd.Timestamp(core.as_of),
    })


@mart("board_attendance", "Board attendance", "one row per partner per meeting",
      "Partner attendance at each management board meeting.",
      [Col("meeting_date", "date", "Date of the meeting.", "core_board_attendance"),
       Col("meeting_quarter", "str", "Quarter of the meeting.", "core_board_attendance"),
       Col("partner", "str", "Partner agency.", "core_board_attendance"), Col("member_role", "str", "Member's role.", "core_board_attendance"),
       Col("attended", "bool", "The partner attended.", "core_board_attendance"),
       Col("senior", "bool", "Attended at the agreed seniority.", "core_board_attendance")])
def build_board_attendance(core: CoreData) -> pd.DataFrame:
    b = core["board_attendance"]
    if b.empty:
        return pd.DataFrame(columns=[c.name for c in MARTS["board_attendance"].columns])
    b = b.assign(meeting_date=pd.to_datetime(b["meeting_date"]))
    return b.assign(meeting_quarter=quarter_code(b["meeting_date"]))[[c.name for c in MARTS["board_attendance"].columns]]
