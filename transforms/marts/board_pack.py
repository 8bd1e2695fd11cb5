"""The quarterly board pack: one self-contained HTML page the management board reads
without Tableau or a network (inline SVG charts, inline styles, nothing fetched).

Sections: KPI headlines with their trend over the last eight quarters; local indicators
(first-time entrants, custodial sentences, reoffending); disproportionality by stage;
custody and remand; ETE; health; victims. It reads the marts (and the KPI rules for the
headline trend), never the core. Every count from 1 to one below the suppression threshold
(5 unless configured) is shown as "<5", and a percentage whose denominator is that small is
withheld, since either would let a reader identify a child.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from transforms.marts.charts import line_chart, relative_rate_chart
from transforms.periods import Quarter, quarters_ending
from transforms.privacy import Suppressor

HEADLINES = {
    "kpi1.suitable_end_pct": "KPI 1 Suitable accommodation at the end of the order",
    "kpi2.suitable_end_pct": "KPI 2 Suitable ETE at the end of the order",
    "kpi3.formal_plan_pct": "KPI 3 Children with SEND who have a formal plan",
    "kpi6.completed_pct": "KPI 6 Out-of-court disposals completed",
    "kpi10.rj_participated_pct": "KPI 10 Victims taking part in restorative justice",
}
LOCAL = {"first_time_entrants": "First-time entrants", "custodial_sentences": "Custodial sentences",
         "reoffending_rate_pct": "Reoffending within 12 months (%), by quarter of the cohort's outcome"}
GROUP_WORDS = {"F": "Girls", "M": "Boys"}
STAGE_WORDS = {"PREVENTION": "Prevention", "OUT_OF_COURT": "Out of court", "COURT": "Court", "CUSTODY": "Custody", "REMAND": "Remand"}


@dataclass(frozen=True)
class BoardPack:
    path: Path
    quarter: Quarter
    suppressed_cells: int

    def summary(self) -> str:
        return f"board pack {self.quarter.label}: {self.suppressed_cells} small-number cell(s) suppressed"


class MartsNotBuilt(Exception):
    pass


def _headline_trend(engine: Engine, quarters: list[Quarter], service_areas, suppress: Suppressor) -> str:
    from transforms.kpis.common import load_inputs
    from transforms.kpis.produce import compute_figures
    from transforms.kpis.rules_config import KpiRules

    inputs = load_inputs(engine, service_areas)
    rules = KpiRules.from_env()
    series = {m: [] for m in HEADLINES}
    latest_denominator: dict[str, int] = {}
    for q in quarters:
        figures, _ = compute_figures(inputs, q, rules)
        by = {(f.measure, f.breakdown): f for f in figures}
        for measure in HEADLINES:
            f = by.get((measure, "TOTAL"))
            denominator = (f.denominator or 0) if f is not None else 0
            shown = denominator > 0 and not suppress.hide(denominator)
            series[measure].append(round(float(f.value), 1) if shown else None)
            latest_denominator[measure] = denominator
    labels = [q.code[2:] for q in quarters]
    cards = []
    for measure, title in HEADLINES.items():
        latest = series[measure][-1]
        shown = (f"{latest:g}%" if latest is not None else
                 "withheld (small numbers)" if latest_denominator[measure] else "– (none to count)")
        cards.append(f'<div class="chart"><h3>{html.escape(title)}</h3><div class="big">{shown}</div>'
                     f'{line_chart(labels, series[measure], unit="%", title=title)}</div>')
    return "".join(cards)


def _local_indicators(perf: pd.DataFrame, reoffending: pd.DataFrame, quarters: list[Quarter], suppress: Suppressor) -> str:
    """Counts from the performance mart. The reoffending rate is plotted at the quarter of the
    cohort's outcome, so the newest point is the newest cohort tracked for a full 12 months; a
    rate of a cohort smaller than the threshold is withheld (it would give away children)."""
    codes = [q.code for q in quarters]
    tracked = reoffending[reoffending["tracking_complete"].fillna(False).astype(bool)]
    cohort_size = tracked.groupby("cohort_quarter").size()
    out = []
    for measure, title in LOCAL.items():
        is_rate = measure.endswith("_pct")
        rows = perf[perf["measure"] == measure].set_index("quarter")["value"]
        values = []
        for c in codes:
            v = rows.get(c)
            if v is None or pd.isna(v) or suppress.hide(int(cohort_size.get(c, 0)) if is_rate else v):
                values.append(None)
            else:
                values.append(float(v))
        if is_rate:
            known = [(c, v) for c, v in zip(codes, values) if v is not None]
            shown = f"{known[-1][1]:g}% <small>(cohort {known[-1][0][2:]})</small>" if known else "–"
        else:
            latest = rows.get(codes[-1])
            shown = suppress.count(latest) if latest is not None and not pd.isna(latest) else "–"
        out.append(f'<div class="chart"><h3>{html.escape(title)}</h3><div class="big">{shown}</div>'
                   f'{line_chart([c[2:] for c in codes], values, unit="%" if is_rate else "", title=title)}</div>')
    return "".join(out)


def _disproportionality(disp: pd.DataFrame, period: str, suppress: Suppressor) -> str:
    d = disp[(disp["period"] == period) & (disp["dimension"].isin(["ethnic_group", "sex"]))]
    blocks = []
    for stage, words in STAGE_WORDS.items():
        s = d[(d["stage"] == stage) & (d["flag"] != "REFERENCE")]
        rows = []
        for r in s.itertuples(index=False):
            # A small count's rate would give the count away (the population is printed), and a
            # zero has no point to plot on a log scale: both get a note instead of a dot. The
            # table below counts the suppressed cell.
            hidden = suppress.is_small(r.children)
            note = "small numbers" if hidden else ("none at this stage" if r.children == 0 else "not assessed")
            rows.append({"group": GROUP_WORDS.get(r.group, r.group),
                         "relative_rate": None if hidden or r.children == 0 or pd.isna(r.relative_rate) else r.relative_rate,
                         "low": None if pd.isna(r.relative_rate_ci_low) else r.relative_rate_ci_low,
                         "high": None if pd.isna(r.relative_rate_ci_high) else r.relative_rate_ci_high,
                         "flag": r.flag, "note": note})
        table = "".join(
            f"<tr><td>{html.escape(GROUP_WORDS.get(r.group, r.group))}</td><td class='n'>{suppress.count(r.children)}</td>"
            f"<td>{'' if pd.isna(r.share_of_population_pct) else f'{r.share_of_population_pct:.1f}%'}</td>"
            f"<td>{html.escape(r.flag.replace('_', ' ').lower())}</td></tr>"
            for r in d[d["stage"] == stage].itertuples(index=False))
        blocks.append(f'<div class="chart"><h3>{words}: relative rate against White children / boys</h3>'
                      f'{relative_rate_chart(rows, title=f"{words} relative rates")}'
                      f'<table><tr><th>group</th><th>children</th><th>share of 10-17 population</th><th>finding</th></tr>{table}</table></div>')
    return "".join(blocks)


def _count_trend(title: str, counts: pd.Series, codes: list[str], suppress: Suppressor) -> str:
    """A count by quarter over the trend quarters; a small count is a gap in the line."""
    values = []
    for code in codes:
        n = int(counts.get(code, 0))
        values.append(None if suppress.hide(n) else float(n))
    return (f'<div class="chart"><h3>{html.escape(title)}</h3>'
            f'{line_chart([c[2:] for c in codes], values, title=title)}</div>')


def _count_table(rows: list[tuple[str, object]], suppress: Suppressor) -> str:
    body = "".join(f"<tr><td>{html.escape(label)}</td><td class='n'>{value if isinstance(value, str) else suppress.count(value)}</td></tr>"
                   for label, value in rows)
    return f"<table>{body}</table>"


def write_board_pack(engine: Engine, quarter: Quarter, out_dir: Path, service_name: str, service_areas: tuple[str, ...],
                     threshold: int = 5, produced: dt.datetime | None = None) -> BoardPack:
    from sqlalchemy import inspect

    if "mart_cohort" not in inspect(engine).get_table_names():
        raise MartsNotBuilt("the marts are not built yet: run the marts_rebuild DAG (or yj board-pack --rebuild) first")
    produced = produced or dt.datetime.now().replace(microsecond=0)
    suppress = Suppressor(threshold)
    read = lambda name: pd.read_sql_table(f"mart_{name}", engine)  # noqa: E731
    perf, disp, custody, ete, events, health, victims = (read(n) for n in (
        "performance_overview", "disproportionality", "remands_custody", "ete", "ete_event", "health", "victims"))
    cohort = read("cohort")
    quarters = quarters_ending(quarter, 8)
    start, end = pd.Timestamp(quarter.start), pd.Timestamp(quarter.end)
    fy = f"{quarter.fy_start_year}-{(quarter.fy_start_year + 1) % 100:02d}"
    periods = sorted(disp["period"].unique())
    period = fy if fy in periods else (periods[-1] if periods else fy)

    codes = [q.code for q in quarters]
    by_kind = lambda *kinds: custody[custody["record_kind"].isin(kinds)].groupby("quarter").size()  # noqa: E731
    in_q = custody[pd.to_datetime(custody["start_date"]).between(start, end)]
    det = in_q[in_q["record_kind"] == "POLICE_DETENTION"]
    custody_rows = [("Police detentions of children", len(det)), ("of which overnight", int(det["overnight"].fillna(False).sum())),
                    ("PACE transfers requested", int(det["pace_transfer_requested"].fillna(False).sum())),
                    ("PACE transfers achieved", int(det["pace_transfer_achieved"].fillna(False).sum())),
                    ("Remands to youth detention accommodation", int((in_q["record_kind"] == "REMAND_YDA").sum())),
                    ("Remands to local-authority accommodation", int((in_q["record_kind"] == "REMAND_LA").sum())),
                    ("Custodial sentences", int((in_q["record_kind"] == "CUSTODIAL_SENTENCE").sum()))]
    ended = cohort[pd.to_datetime(cohort["end_date"]).between(start, end)]["episode_id"]
    ete_q = ete[ete["episode_id"].isin(ended)]
    suitable = int(ete_q["suitable_end"].fillna(False).sum())
    ev = events[pd.to_datetime(events["event_date"]).between(start, end)]
    ete_rows = [("Orders ending this quarter", len(ete_q)), ("in suitable ETE at the end", suppress.share(suitable, len(ete_q))),
                ("NEET at the end", int((ete_q["ete_end"] == "NEET").sum())),
                ("on a part-time timetable (school record)", int(ete_q["part_time_timetable"].fillna(False).sum())),
                ("electively home educated", int(ete_q["ehe"].fillna(False).sum())),
                ("Suspensions of the service's children", int((ev["category"] == "SUSPENSION").sum())),
                ("Permanent exclusions", int((ev["category"] == "PERMANENT_EXCLUSION").sum()))]
    h = health[health["screened_quarter"] == quarter.code]
    health_rows = []
    for domain, words in (("MENTAL_HEALTH", "Mental health"), ("SUBSTANCE_MISUSE", "Substance misuse"), ("SLCN", "Speech, language and communication")):
        d = h[h["domain"] == domain]
        health_rows += [(f"{words}: screened", int(d["screened"].sum())), (f"{words}: need identified", int(d["need_identified"].fillna(False).sum())),
                        (f"{words}: intervention planned", int(d["intervention_planned"].fillna(False).sum())),
                        (f"{words}: intervention attended", int(d["intervention_attended"].fillna(False).sum()))]
    v = victims[victims["offence_quarter"] == quarter.code]
    people = v[v["victim_kind"] == "PERSON"]
    victim_rows = [("Victims of offences this quarter", len(v)), ("consented to contact", suppress.share(int(people["contact_consent"].fillna(False).sum()), len(people))),
                   ("views sought", suppress.share(int(v["views_sought"].fillna(False).sum()), len(v))),
                   ("offered restorative justice", int(v["rj_offered"].fillna(False).sum())),
                   ("took part in restorative justice", int(v["rj_participated"].fillna(False).sum()))]

    sections = [
        ("KPI headlines: trend over the last eight quarters", f'<div class="grid">{_headline_trend(engine, quarters, service_areas, suppress)}</div>'),
        ("Local indicators", f'<div class="grid">{_local_indicators(perf, read("reoffending"), quarters, suppress)}</div>'),
        (f"Disproportionality by stage, {period}",
         "<p>Relative rate: how many times more (or less) likely children of the group are to reach the stage than White "
         "children (girls: than boys), per head of the 10 to 17 population. Lines are exact 95% intervals; a group is flagged "
         "(red over, green under) only when the whole interval is clear of 1, i.e. the difference is unlikely to be chance.</p>"
         f'<div class="grid">{_disproportionality(disp, period, suppress)}</div>'),
        (f"Custody and remand, {quarter.label}",
         f'<div class="grid"><div>{_count_table(custody_rows, suppress)}</div>'
         f'{_count_trend("Police detentions of children, by quarter", by_kind("POLICE_DETENTION"), codes, suppress)}'
         f'{_count_trend("Remands (youth detention and local authority), by quarter", by_kind("REMAND_YDA", "REMAND_LA"), codes, suppress)}</div>'),
        (f"Education, training and employment, {quarter.label}", _count_table(ete_rows, suppress)),
        (f"Health, {quarter.label}", _count_table(health_rows, suppress)),
        (f"Victims, {quarter.label}", _count_table(victim_rows, suppress)),
    ]
    body = "".join(f"<section><h2>{html.escape(t)}</h2>{content}</section>" for t, content in sections)
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(service_name)} Youth Justice board pack {quarter.label}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;margin:20px;color:#1d2b36;font-size:13px;max-width:1400px}}
h1{{font-size:22px;margin:0}} h2{{font-size:16px;border-bottom:2px solid #1f5f8b;margin:22px 0 8px}} h3{{font-size:12px;margin:0 0 4px}}
.meta{{color:#555;margin:4px 0 12px}} .grid{{display:flex;flex-wrap:wrap;gap:12px}}
.chart{{border:1px solid #d5dde3;padding:8px;border-radius:4px;background:#fff}} .big{{font-size:20px;font-weight:bold}}
table{{border-collapse:collapse;margin-top:6px}} td,th{{border:1px solid #d5dde3;padding:3px 8px;text-align:left}} th{{background:#eef3f7}}
td.n{{text-align:right;min-width:70px}} @media print{{.chart{{break-inside:avoid}}}}
</style></head><body>
<h1>{html.escape(service_name)} Youth Justice Management Board: {quarter.label}</h1>
<div class="meta">Produced {produced:%d/%m/%Y %H:%M} from the reporting marts. Counts from 1 to {threshold - 1} are shown as
&lt;{threshold} and percentages of fewer than {threshold} children are withheld ({{hidden}} cells). No child can be identified from this page.</div>
{body}</body></html>"""
    page = page.replace("{hidden}", str(suppress.hidden))
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in service_name.lower()).strip("_")
    path = out_dir / f"board_pack_{slug}_{quarter.code}.html"
    path.write_text(page, encoding="utf-8")
    return BoardPack(path, quarter, suppress.hidden)
