"""The quarterly board pack: one self-contained HTML page the management board reads
without Tableau or a network (inline SVG charts, inline styles, nothing fetched).

As at its quarter (issue 13): a pack for quarter Q counts events up to Q's last day only
(the year to date of Q for disproportionality), says when its data was extracted and which
deliveries it used, and is refused for a quarter that has not ended or has no data. Its KPI
and national-indicator figures are the return's: read from the figures stored when the
quarter was returned (``kpi_figure_submitted`` for a return marked submitted, else
``kpi_figure``) and recomputed with the same rules only where none are stored, and such
points are marked. Every other count is computed by the same functions as the marts
(``transforms/measures``, ``children_at_stages``).

Every count goes through one ``DisclosureControl`` with the relations a reader can see
(table totals, boys + girls, the remand chart point and its rows), so no hidden count can be
worked out from anything else on the page. "no data" (the source does not cover the period),
a hidden value ("<5", "withheld") and zero are printed and drawn differently.
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.marts.charts import line_chart, relative_rate_chart
from transforms.periods import Quarter, quarters_ending
from transforms.privacy import DisclosureControl
from transforms.settings import name_slug

# Headlines: (percentage measure, numerator measure, denominator measure, title, what the % is a share of)
HEADLINES = (
    ("kpi1.suitable_end_pct", "kpi1.suitable_end", "kpi1.cohort", "KPI 1 Suitable accommodation at the end of the order",
     "children whose order ended in the quarter"),
    ("kpi2.suitable_end_pct", "kpi2.suitable_end", "kpi2.cohort", "KPI 2 Suitable ETE at the end of the order",
     "children whose order ended in the quarter"),
    ("kpi3.formal_plan_pct", "kpi3.formal_plan", "kpi3.send_identified", "KPI 3 Children with SEND who have a formal plan",
     "children in the KPI cohort with an identified SEND need"),
    ("kpi6.completed_pct", "kpi6.completed", "kpi6.ended", "KPI 6 Out-of-court disposals completed",
     "children whose out-of-court or diversion programme ended in the quarter"),
    ("kpi10.rj_participated_pct", "kpi10.rj_participated", "kpi10.consented", "KPI 10 Victims taking part in restorative justice",
     "victims who consented to contact, of offences dealt with in the quarter"),
)
GROUP_WORDS = {"F": "Girls", "M": "Boys", "Y": "Looked after", "N": "Not looked after"}
DIMENSION_WORDS = {"ethnic_group": "Ethnic group", "sex": "Sex", "looked_after": "Looked after"}
STAGE_WORDS = {"PREVENTION": "Prevention", "OUT_OF_COURT": "Out of court", "COURT": "Court", "CUSTODY": "Custody", "REMAND": "Remand"}
NOT_KNOWN = "Not known"


@dataclass(frozen=True)
class BoardPack:
    path: Path
    quarter: Quarter
    suppressed_cells: int

    def summary(self) -> str:
        return f"board pack {self.quarter.label}: {self.suppressed_cells} cell(s) hidden to protect children"


class MartsNotBuilt(Exception):
    pass


class QuarterRefused(ValueError):
    """A pack for a quarter that has not ended, or that the warehouse has no data for."""


@dataclass(frozen=True)
class QuarterFigures:
    quarter: Quarter
    source: str  # "submitted", "returned" or "recomputed"
    figures: dict[tuple[str, str], tuple[float | None, float | None, float | None]]
    # What had no data in force at the quarter's report date, in plain words (its figures are
    # printed as "no data", not as a count of nothing).
    no_data: tuple[str, ...] = ()

    def value(self, measure: str, breakdown: str = "TOTAL"):
        return self.figures.get((measure, breakdown), (None, None, None))[0]

    @property
    def recomputed(self) -> bool:
        return self.source == "recomputed"


def _without_data(quarter: Quarter, figures: dict, sources) -> tuple[dict, tuple[str, ...]]:
    from transforms.kpis.provenance import NEEDS_SOURCE, kpis_without_data

    notes = []
    for kpi in kpis_without_data(sources):
        figures = {k: ((None, None, None) if k[0].startswith(f"{kpi}.") else v) for k, v in figures.items()}
        notes.append(NEEDS_SOURCE[kpi][1].format(end=quarter.end.strftime("%d/%m/%Y")))
    return figures, tuple(notes)


class FigureSource:
    """The return's figures for any quarter: as submitted, else as returned, else recomputed
    now from the inputs as at that quarter (``kpis.common.inputs_as_at``: the education
    snapshot and the counting rules in force at its report date), exactly as its return would
    be. The case-system frames are read once; a figure with no data in force says so."""

    def __init__(self, engine: Engine, service_areas: tuple[str, ...]):
        self.engine, self.service_areas = engine, service_areas
        self.tables = set(inspect(engine).get_table_names())
        self._inputs = None
        self.read: set[tuple[str, str, str]] = set()  # (source, delivery, extracted at) read, for "data as at"

    def _stored(self, table: str, quarter: Quarter) -> dict | None:
        if table not in self.tables:
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT measure, breakdown, value, numerator, denominator FROM {table} "
                                     "WHERE quarter = :q"), {"q": quarter.code}).all()
        return {(r.measure, r.breakdown): (r.value, r.numerator, r.denominator) for r in rows} or None

    def _stored_sources(self, table: str, quarter: Quarter) -> dict | None:
        """The deliveries a stored return read (the submitted ones for a submitted return)."""
        if table == "kpi_figure_submitted" and "kpi_submission" in self.tables:
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT sources FROM kpi_submission WHERE quarter = :q"), {"q": quarter.code}).first()
            if row is not None and row.sources:
                import json

                found = row.sources if isinstance(row.sources, dict) else json.loads(row.sources)
                return {k: tuple(v) for k, v in found.items()}
        if "kpi_return_source" not in self.tables:
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT source, delivery_id, extracted_at FROM kpi_return_source WHERE quarter = :q"),
                                {"q": quarter.code}).all()
        return {r.source: (r.delivery_id, r.extracted_at) for r in rows} or None

    def for_quarter(self, quarter: Quarter) -> QuarterFigures:
        from transforms.kpis.provenance import is_delivery

        for table, source in (("kpi_figure_submitted", "submitted"), ("kpi_figure", "returned")):
            stored = self._stored(table, quarter)
            if stored:
                sources = self._stored_sources(table, quarter)
                if sources is None:  # a return stored before its deliveries were recorded
                    return QuarterFigures(quarter, source, stored)
                self.read.update((k, v[0], v[1] or "") for k, v in sources.items() if is_delivery(k))
                return QuarterFigures(quarter, source, *_without_data(quarter, stored, sources))
        from transforms.kpis.common import inputs_as_at
        from transforms.kpis.produce import compute_figures

        inputs, rules = inputs_as_at(self.engine, self.service_areas, quarter, read=self._inputs)
        self._inputs = self._inputs or inputs
        self.read.update((k, v[0], v[1] or "") for k, v in inputs.sources.items())
        figures, _ = compute_figures(inputs, quarter, rules)
        computed = {(f.measure, f.breakdown): (f.value, f.numerator, f.denominator) for f in figures}
        return QuarterFigures(quarter, "recomputed", *_without_data(quarter, computed, inputs.sources))


def _count(v) -> int | None:
    return None if v is None or pd.isna(v) else int(round(float(v)))


def figure_key(measure: str, quarter: Quarter) -> str:
    """One key per figure of the return, wherever the page prints it (a headline's denominator
    and the ETE table's cohort are the same cell, so they are hidden or shown together)."""
    return f"fig|{measure}|{quarter.code}"


# Figures of the return that kpis.md makes equal: the KPI cohort is the denominator of KPIs 1,
# 2, 4 and 5. A reader knows it, so hiding one and printing another would give it away.
SAME_COHORT = ("kpi1.cohort", "kpi2.cohort", "kpi4.cohort", "kpi5.cohort")


class Page:
    """Cells registered while the page is planned, protected together, then printed."""

    def __init__(self, control: DisclosureControl):
        self.control = control

    def cell(self, key: str, value) -> str:
        return self.control.cell(key, _count(value))

    def figure(self, figures: QuarterFigures, measure: str) -> str:
        key = self.cell(figure_key(measure, figures.quarter), figures.value(measure))
        if measure in SAME_COHORT:
            for other in SAME_COHORT:
                other_key = figure_key(other, figures.quarter)
                if other != measure and other_key in self.control.values:
                    self.control.relation(other_key, [key])
        return key

    def td(self, key: str) -> str:
        return f"<td class='n' data-cell='{html.escape(key)}'>{self.control.text(key)}</td>"

    def pct(self, numerator: str, denominator: str) -> str:
        """A share printed only when both its counts are (a share of a printed denominator
        gives its numerator away)."""
        n, d = self.control.value(numerator), self.control.value(denominator)
        if self.control.status[denominator] == "NO_DATA" or self.control.status[numerator] == "NO_DATA":
            return "no data"
        if n is None or d is None:
            return "withheld"
        return "–" if d == 0 else f"{100 * n / d:.1f}%"


def _check_quarter(engine: Engine, quarter: Quarter, today: dt.date) -> None:
    if quarter.end >= today:
        raise QuarterRefused(f"{quarter.label} has not ended (it ends on {quarter.end:%d/%m/%Y}): a board pack is "
                             "made for a finished quarter")
    from sqlalchemy import func, or_, select

    from transforms.marts.build import MART_TABLES

    episodes = MART_TABLES["cohort"]
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(episodes).where(or_(
            episodes.c.start_date.between(quarter.start, quarter.end),
            episodes.c.end_date.between(quarter.start, quarter.end)))).scalar()
    if not events:
        raise QuarterRefused(f"no data for {quarter.label}: no episode started or ended between {quarter.start:%d/%m/%Y} "
                             f"and {quarter.end:%d/%m/%Y} in the warehouse")


def _deliveries(engine: Engine) -> set[tuple[str, str, str]]:
    """The live delivery of every source (what the marts were built from), with its extract time."""
    if "core_publication" not in inspect(engine).get_table_names():
        return set()
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.source, p.delivery_id, MAX(a.extracted_at) AS extracted_at FROM core_publication p "
            "LEFT JOIN audit_delivery a ON a.source = p.source AND a.delivery_id = p.delivery_id AND a.outcome = 'LOADED' "
            "GROUP BY p.source, p.delivery_id")).all()
    return {(r.source, r.delivery_id, r.extracted_at or "") for r in rows}


def data_as_at(deliveries) -> str:
    """The newest extract time of the deliveries read, from the sources whose extract time says
    how far their events go (``kpis.checks.EVENT_SOURCES``); a reference file's time is only
    when it was saved. Any delivery's when no event source was read."""
    from transforms.kpis.checks import EVENT_SOURCES

    stamps = [x for s, _, x in deliveries if x and s in EVENT_SOURCES] or [x for _, _, x in deliveries if x]
    return _stamp(max(stamps)) if stamps else "unknown"


def _stamp(text_value: str) -> str:
    try:
        return dt.datetime.fromisoformat(str(text_value)).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return str(text_value)[:16]


@dataclass
class PlannedPack:
    """A service's board pack with every cell registered and protected, not yet rendered: the
    partnership pack prints the same cells with the same suppression (one disclosure decision
    per service, whichever page shows it)."""
    page: Page
    trend: list[QuarterFigures]
    sections: list
    read: set = None  # (source, delivery, extracted at) of every delivery the pack read


def plan_board_pack(engine: Engine, quarter: Quarter, service_areas: tuple[str, ...], threshold: int,
                    today: dt.date, secondary_suppression: bool = True) -> PlannedPack:
    if "mart_cohort" not in inspect(engine).get_table_names():
        raise MartsNotBuilt("the marts are not built yet: run the marts_rebuild DAG (or yj board-pack --rebuild) first")
    _check_quarter(engine, quarter, today)
    # secondary_suppression=False: small cells only (no secondary or group disclosure control).
    page = Page(DisclosureControl(threshold, secondary=secondary_suppression, groups=secondary_suppression))
    source = FigureSource(engine, service_areas)
    quarters = quarters_ending(quarter, 8)
    trend = [source.for_quarter(q) for q in quarters]
    now = trend[-1]
    read = lambda name: pd.read_sql_table(f"mart_{name}", engine)  # noqa: E731
    plan = [_plan_headlines(page, trend), _plan_local(page, trend),
            _plan_disproportionality(page, engine, read("cohort"), quarter),
            _plan_custody(page, read("remands_custody"), read("performance_overview"), quarters),
            _plan_ete(page, now, read("ete_event"), quarter), _plan_health(page, now), _plan_victims(page, now)]
    page.control.protect()
    return PlannedPack(page, trend, plan, source.read | _deliveries(engine))


def write_board_pack(engine: Engine, quarter: Quarter, out_dir: Path, service_name: str, service_areas: tuple[str, ...],
                     threshold: int = 5, produced: dt.datetime | None = None, secondary_suppression: bool = True,
                     file_slug: str | None = None) -> BoardPack:
    """The board pack for ``quarter``, written to ``out_dir/board_pack_<file_slug>_<quarter>.html``;
    ``file_slug`` is ``Settings.service_slug`` (the service id in a partnership, as the KPI
    return's name), the name's slug when not given."""
    produced = produced or dt.datetime.now().replace(microsecond=0)
    planned = plan_board_pack(engine, quarter, service_areas, threshold, produced.date(), secondary_suppression)
    page, now = planned.page, planned.trend[-1]
    sections = [render() for render in planned.sections]
    body = "".join(f"<section><h2>{html.escape(t)}</h2>{content}</section>" for t, content in sections)
    deliveries = sorted(planned.read)
    as_at = data_as_at(deliveries)
    used = "; ".join(f"{html.escape(s)}: {html.escape(d)}" for s, d, _ in deliveries) or "none recorded"
    gaps = [f"{f.quarter.label}: {note}" for f in planned.trend for note in f.no_data]
    no_data = ("<br>Trend points with no data in force: " + html.escape("; ".join(gaps)) + ".") if gaps else ""
    origin = {"submitted": "as submitted to the YJB", "returned": "as returned (stored when the return was produced)",
              "recomputed": "recomputed now: no return is stored for this quarter"}[now.source]
    doc = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(service_name)} Youth Justice board pack {quarter.label}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;margin:20px;color:#1d2b36;font-size:13px;max-width:1400px}}
h1{{font-size:22px;margin:0}} h2{{font-size:16px;border-bottom:2px solid #1f5f8b;margin:22px 0 8px}} h3{{font-size:12px;margin:0 0 4px}}
.meta{{color:#555;margin:4px 0 12px}} .grid{{display:flex;flex-wrap:wrap;gap:12px}}
.chart{{border:1px solid #d5dde3;padding:8px;border-radius:4px;background:#fff}} .big{{font-size:20px;font-weight:bold}}
.sub{{color:#555;font-size:11px}} table{{border-collapse:collapse;margin-top:6px}}
td,th{{border:1px solid #d5dde3;padding:3px 8px;text-align:left}} th{{background:#eef3f7}} td.n{{text-align:right;min-width:70px}}
@media print{{body{{margin:0;max-width:none}} h2,h3{{break-after:avoid;page-break-after:avoid}}
 section>h2+*{{break-before:avoid}} .chart,table,tr{{break-inside:avoid;page-break-inside:avoid}}}}
</style></head><body>
<h1>{html.escape(service_name)} Youth Justice Management Board: {quarter.label}</h1>
<div class="meta">Quarter {quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}: events after {quarter.end:%d/%m/%Y} are not counted.
Data as at {html.escape(as_at)}, the newest extract time of the deliveries read (deliveries used: {used}). KPI and national-indicator figures {origin}; each trend point as at its own quarter's report date (the education snapshot and counting rules in force then). Produced {produced:%d/%m/%Y %H:%M}.{no_data}
<br>Counts from 1 to {threshold - 1} show as &lt;{threshold}; a few more are "withheld" so that those cannot be worked out
from totals, and where even that is not enough a group of small counts is "not published" ({page.control.hidden} cells hidden). "no data" means the source does not cover the period; it is not a zero.</div>
{body}</body></html>"""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"board_pack_{file_slug or name_slug(service_name)}_{quarter.code}.html"
    path.write_text(doc, encoding="utf-8")
    return BoardPack(path, quarter, page.control.hidden)


def _series(page: Page, keys: list[str], unit_values: list) -> list:
    """Chart values for cells: the number when shown, its printed text when hidden, None for no data."""
    out = []
    for key, v in zip(keys, unit_values):
        status = page.control.status[key] if key in page.control.status else None
        out.append(None if status == "NO_DATA" else v if status == "SHOWN" else page.control.text(key, html=False))
    return out


def _plan_headlines(page: Page, trend: list[QuarterFigures]):
    for pct, num, den, _, _ in HEADLINES:
        for f in trend:
            page.figure(f, num)
            page.figure(f, den)

    def render():
        cards = []
        labels = [f.quarter.code[2:] for f in trend]
        for pct, num, den, title, share_of in HEADLINES:
            values = []
            for f in trend:
                n_key, d_key = figure_key(num, f.quarter), figure_key(den, f.quarter)
                shown = page.pct(n_key, d_key)
                values.append(None if shown == "no data" else
                              round(100 * page.control.value(n_key) / page.control.value(d_key), 1)
                              if shown.endswith("%") else shown if shown != "–" else None)
            n_key, d_key = figure_key(num, trend[-1].quarter), figure_key(den, trend[-1].quarter)
            latest, previous = values[-1], values[-2]
            change = (f"{latest - previous:+.1f} points on {trend[-2].quarter.label}"
                      if isinstance(latest, float) and isinstance(previous, float) else "change from the previous quarter not shown (a quarter is hidden or empty)")
            cards.append(
                f'<div class="chart"><h3>{html.escape(title)}</h3><div class="big">{page.pct(n_key, d_key)}</div>'
                f'<div class="sub">{_span(page, n_key)} of {_span(page, d_key)} {html.escape(share_of)}; '
                f'{html.escape(change)}</div>'
                f'{line_chart(labels, values, unit="%", title=title, recomputed=[f.recomputed for f in trend])}</div>')
        return "KPI headlines: the return's figures, with the trend over eight quarters", f'<div class="grid">{"".join(cards)}</div>'
    return render


LOCAL = (
    ("ni.fte.count", "First-time entrants in the 12 months to the quarter's end",
     "resident children whose first ever youth caution or court outcome fell in the 12 months"),
    ("ni.custody.count", "Custodial sentences in the 12 months to the quarter's end", "DTO, section 250 and 259 sentences"),
)


def _plan_local(page: Page, trend: list[QuarterFigures]):
    now = trend[-1]
    for measure, _, _ in LOCAL:
        for f in trend:
            page.figure(f, measure)
    for m in ("ni.reoffending.cohort", "ni.reoffending.reoffenders", "ni.reoffending.reoffences"):
        page.figure(now, m)

    def render():
        from transforms.measures.reoffending import cohort_quarter

        labels = [f.quarter.code[2:] for f in trend]
        cards = []
        for measure, title, what in LOCAL:
            keys = [figure_key(measure, f.quarter) for f in trend]
            values = _series(page, keys, [page.control.values[k] for k in keys])
            cards.append(f'<div class="chart"><h3>{html.escape(title)}</h3><div class="big" data-cell="{keys[-1]}">'
                         f'{page.control.text(keys[-1])}</div><div class="sub">{html.escape(what)} (local figure, national '
                         f'indicator {measure})</div>{line_chart(labels, values, title=title, recomputed=[f.recomputed for f in trend])}</div>')
        q = now.quarter.code
        cohort = cohort_quarter(now.quarter.end)
        k = {m: figure_key(f"ni.reoffending.{m}", now.quarter) for m in ("cohort", "reoffenders", "reoffences")}
        reoffenders, reoffences = page.control.value(k["reoffenders"]), page.control.value(k["reoffences"])
        frequency = f"{reoffences / reoffenders:.2f}" if reoffenders and reoffences is not None else "withheld" if reoffenders is None else "–"
        cards.append(
            f'<div class="chart"><h3>Reoffending: children with a youth caution or court outcome in {cohort.label}</h3>'
            f'<div class="big">{page.pct(k["reoffenders"], k["cohort"])}</div>'
            f'<div class="sub">{_span(page, k["reoffenders"])} of {_span(page, k["cohort"])} children reoffended within 12 months '
            f'(proven within 18); {_span(page, k["reoffences"])} reoffences, {frequency} per reoffender. The newest cohort whose '
            f'follow-up and waiting period have ended by {now.quarter.end:%d/%m/%Y}.</div></div>')
        return "Local indicators (local figures from the case system, as in the return)", f'<div class="grid">{"".join(cards)}</div>'
    return render


def _span(page: Page, key: str) -> str:
    return f'<span data-cell="{html.escape(key)}">{page.control.text(key)}</span>'


def _plan_disproportionality(page: Page, engine: Engine, cohort: pd.DataFrame, quarter: Quarter):
    from transforms.marts.definitions import DISPROPORTIONALITY_DIMENSIONS, DISPROPORTIONALITY_STAGES, children_at_stages
    from transforms.marts.definitions import disproportionality_rows, looked_after_in_year

    ytd_start = Quarter(quarter.fy_start_year, 1).start
    children = children_at_stages(cohort, ytd_start, quarter.end)
    children = children.assign(ethnic_group=children["ethnic_group"].fillna(NOT_KNOWN),
                               sex=children["sex"].where(children["sex"].isin(["M", "F"]), NOT_KNOWN))
    pop = pd.read_sql_table("ref_population", engine) if "ref_population" in inspect(engine).get_table_names() else pd.DataFrame()
    year_pop = pop[pop["year"] == min(quarter.fy_start_year, int(pop["year"].max()))] if len(pop) else pop
    lac = pd.read_sql_table("ref_looked_after", engine) if "ref_looked_after" in inspect(engine).get_table_names() else None
    rows = pd.DataFrame(disproportionality_rows(children, year_pop, "ytd", looked_after_in_year(lac, quarter.fy_start_year)))
    groups = {}
    for stage in DISPROPORTIONALITY_STAGES:
        s = children[children["stage"] == stage]
        total = page.cell(f"disp|{stage}|TOTAL", len(s))
        for dimension, _, known in DISPROPORTIONALITY_DIMENSIONS:
            values = list(known) + ([NOT_KNOWN] if dimension != "looked_after" else [])
            keys = [page.cell(f"disp|{stage}|{dimension}|{g}", int((s[dimension] == g).sum())) for g in values]
            page.control.relation(total, keys)
            groups[(stage, dimension)] = values

    def render():
        blocks = []
        for stage, words in STAGE_WORDS.items():
            r = rows[rows["stage"] == stage].set_index(["dimension", "group"])
            chart_rows, table = [], []
            for dimension, reference, _ in DISPROPORTIONALITY_DIMENSIONS:
                ref_key = f"disp|{stage}|{dimension}|{reference}"
                for g in groups[(stage, dimension)]:
                    key = f"disp|{stage}|{dimension}|{g}"
                    share = r["share_of_population_pct"].get((dimension, g)) if (dimension, g) in r.index else None
                    table.append(f"<tr><td>{DIMENSION_WORDS[dimension]}</td><td>{html.escape(GROUP_WORDS.get(g, g))}</td>{page.td(key)}"
                                 f"<td>{'' if share is None or pd.isna(share) else f'{share:.1f}%'}</td></tr>")
                    if g == reference or g == NOT_KNOWN:
                        continue
                    row = r.loc[(dimension, g)]
                    # A rate is drawn only when both counts behind it are printed: with the
                    # population shares beside it a rate gives its counts away.
                    both = page.control.shown(key) and page.control.shown(ref_key)
                    note = ("hidden (small numbers)" if not both else "none at this stage" if row["children"] == 0
                            else "not assessed: no population reference" if pd.isna(row["relative_rate"]) else "")
                    chart_rows.append({"group": GROUP_WORDS.get(g, g),
                                       "relative_rate": None if note else row["relative_rate"],
                                       "low": None if note or pd.isna(row["relative_rate_ci_low"]) else row["relative_rate_ci_low"],
                                       "high": None if note or pd.isna(row["relative_rate_ci_high"]) else row["relative_rate_ci_high"],
                                       "flag": row["flag"], "note": note or "not assessed"})
            blocks.append(
                f'<div class="chart"><h3>{words}: relative rate against White children, boys, children not looked after</h3>'
                f'{relative_rate_chart(chart_rows, title=f"{words} relative rates")}'
                f'<table><tr><th>dimension</th><th>group</th><th>children</th><th>share of 10-17 population</th></tr>'
                f'<tr><td colspan="2">All children at this stage</td>{page.td(f"disp|{stage}|TOTAL")}<td></td></tr>{"".join(table)}</table></div>')
        return (f"Disproportionality by stage, year to date {ytd_start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}",
                "<p>Children aged 10 to 17 starting an episode at each stage. Relative rate: how many times more (or less) likely "
                "children of the group are to reach the stage than the reference group, per head of the 10 to 17 population. "
                "Lines are exact 95% intervals; a group is flagged (red over, green under) only when the whole interval is clear "
                f'of 1.</p><div class="grid">{"".join(blocks)}</div>')
    return render


def _plan_custody(page: Page, custody: pd.DataFrame, perf: pd.DataFrame, quarters: list[Quarter]):
    quarter = quarters[-1]
    starts = pd.to_datetime(custody["start_date"])
    detentions = custody[custody["record_kind"] == "POLICE_DETENTION"]
    # The custody feed starts at its first detention: quarters before it have no data, not zero.
    feed_start = pd.to_datetime(detentions["start_date"]).min() if len(detentions) else None
    covered = lambda q: feed_start is not None and pd.Timestamp(q.end) >= feed_start  # noqa: E731

    def in_q(kind, q):
        return custody[(custody["record_kind"] == kind) & starts.between(pd.Timestamp(q.start), pd.Timestamp(q.end))]

    for q in quarters:
        det = in_q("POLICE_DETENTION", q)
        page.cell(f"custody|detentions|{q.code}", len(det) if covered(q) else None)
        page.cell(f"custody|remands|{q.code}|TOTAL", len(in_q("REMAND_YDA", q)) + len(in_q("REMAND_LA", q)))
    # The quarter's chart point is the sum of the two remand rows printed beside it.
    page.control.relation(f"custody|remands|{quarter.code}|TOTAL",
                          [page.cell(f"custody|remands|{quarter.code}|{kind}", len(in_q(kind, quarter))) for kind in ("REMAND_YDA", "REMAND_LA")])
    det = in_q("POLICE_DETENTION", quarter)
    flags = {"overnight": "of which overnight (in the suite between 00:00 and 06:00)",
             "pace_transfer_requested": "PACE transfers to local-authority accommodation requested",
             "pace_transfer_achieved": "PACE transfers achieved"}
    for column in flags:
        page.cell(f"custody|{column}|{quarter.code}", int(det[column].fillna(False).astype(bool).sum()) if covered(quarter) else None)
    sentences = perf[(perf["quarter"] == quarter.code) & (perf["measure"] == "custodial_sentences_in_quarter")]["value"]
    page.cell(f"custody|sentences|{quarter.code}", sentences.iloc[0] if len(sentences) else None)

    def render():
        c = quarter.code
        rows = [("Police detentions of children", f"custody|detentions|{c}")] + \
            [(words, f"custody|{col}|{c}") for col, words in flags.items()] + \
            [("Remands to youth detention accommodation", f"custody|remands|{c}|REMAND_YDA"),
             ("Remands to local-authority accommodation", f"custody|remands|{c}|REMAND_LA"),
             ("All remands", f"custody|remands|{c}|TOTAL"),
             ("Custodial sentences (DTO, s250, s259 outcomes dated in the quarter)", f"custody|sentences|{c}")]
        table = "".join(f"<tr><td>{html.escape(words)}</td>{page.td(key)}</tr>" for words, key in rows)
        labels = [q.code[2:] for q in quarters]
        charts = []
        for title, keys in (("Police detentions of children, by quarter", [f"custody|detentions|{q.code}" for q in quarters]),
                            ("Remands (youth detention and local authority), by quarter", [f"custody|remands|{q.code}|TOTAL" for q in quarters])):
            values = _series(page, keys, [page.control.values[k] for k in keys])
            charts.append(f'<div class="chart"><h3>{html.escape(title)}</h3>'
                          f'<div class="sub">{quarter.label}: <span data-cell="{keys[-1]}">{page.control.text(keys[-1])}</span></div>'
                          f'{line_chart(labels, values, title=title)}</div>')
        return f"Custody and remand, {quarter.label}", f'<div class="grid"><div><table>{table}</table></div>{"".join(charts)}</div>'
    return render


def _plan_ete(page: Page, now: QuarterFigures, events: pd.DataFrame, quarter: Quarter):
    parts = {"cohort": "kpi2.cohort", "suitable": "kpi2.suitable_end"}
    for name, measure in parts.items():
        # kpis.md: the cohort (and those in suitable ETE) split by school age on the end date.
        page.control.relation(page.figure(now, measure), [page.figure(now, measure.replace("kpi2.", "kpi2.school_age.")),
                                                          page.figure(now, measure.replace("kpi2.", "kpi2.above_school_age."))])
    ev = events[pd.to_datetime(events["event_date"]).between(pd.Timestamp(quarter.start), pd.Timestamp(quarter.end))]
    page.cell("ete|suspensions", int((ev["category"] == "SUSPENSION").sum()))
    page.cell("ete|exclusions", int((ev["category"] == "PERMANENT_EXCLUSION").sum()))

    def render():
        rows = []
        for words, part in (("All children whose order ended in the quarter (KPI 2 cohort)", "TOTAL"),
                            ("of school age on the end date", "school_age"), ("above school age on the end date", "above_school_age")):
            prefix = "kpi2." if part == "TOTAL" else f"kpi2.{part}."
            c, s = figure_key(prefix + "cohort", quarter), figure_key(prefix + "suitable_end", quarter)
            rows.append(f"<tr><td>{html.escape(words)}</td>{page.td(c)}{page.td(s)}<td class='n'>{page.pct(s, c)}</td></tr>")
        table = ("<table><tr><th></th><th>children</th><th>in suitable ETE at the end</th><th>% of those children</th></tr>"
                 + "".join(rows) + "</table>")
        events_table = (f"<table><tr><td>Suspensions of the service's children starting in the quarter (events)</td>{page.td('ete|suspensions')}</tr>"
                        f"<tr><td>Permanent exclusions of the service's children (events)</td>{page.td('ete|exclusions')}</tr></table>")
        return (f"Education, training and employment, {quarter.label}",
                "<p>KPI 2's rule: the END record's suitability flag, else the type and the weekly hours offered for the child's "
                f"school age; a child with no END record counts as not in suitable ETE.</p>{table}{events_table}")
    return render


HEALTH = (("kpi4", "Mental health and emotional wellbeing"), ("kpi5", "Substance misuse"))


def _plan_health(page: Page, now: QuarterFigures):
    for kpi, _ in HEALTH:
        for m in ("cohort", "need_identified", "intervention_planned", "intervention_attended"):
            page.figure(now, f"{kpi}.{m}")

    def render():
        rows = []
        for kpi, words in HEALTH:
            k = {m: figure_key(f"{kpi}.{m}", now.quarter) for m in ("cohort", "need_identified", "intervention_planned", "intervention_attended")}
            rows.append(f"<tr><td>{html.escape(words)}</td>{page.td(k['cohort'])}{page.td(k['need_identified'])}"
                        f"<td class='n'>{page.pct(k['need_identified'], k['cohort'])}</td>{page.td(k['intervention_planned'])}"
                        f"{page.td(k['intervention_attended'])}<td class='n'>{page.pct(k['intervention_attended'], k['need_identified'])}</td></tr>")
        return (f"Health, {now.quarter.label}",
                "<table><tr><th></th><th>children in the KPI cohort</th><th>with a need identified</th><th>% of the cohort</th>"
                "<th>intervention planned</th><th>attending it</th><th>% of those with a need</th></tr>" + "".join(rows) + "</table>")
    return render


VICTIM_ROWS = (("views_sought", "views sought"), ("kept_informed", "kept informed"),
               ("rj_offered", "offered restorative justice"), ("rj_participated", "took part in restorative justice"))


def _plan_victims(page: Page, now: QuarterFigures):
    for m in ("victims", "consented") + tuple(m for m, _ in VICTIM_ROWS):
        page.figure(now, f"kpi10.{m}")

    def render():
        v = {m: figure_key(f"kpi10.{m}", now.quarter) for m in ("victims", "consented") + tuple(m for m, _ in VICTIM_ROWS)}
        rows = [f"<tr><td>Victims of offences dealt with (outcome dated) in the quarter</td>{page.td(v['victims'])}<td></td></tr>",
                f"<tr><td>consented to contact</td>{page.td(v['consented'])}<td class='n'>"
                f"{page.pct(v['consented'], v['victims'])} of all victims</td></tr>"]
        rows += [f"<tr><td>{html.escape(words)}</td>{page.td(v[m])}<td class='n'>"
                 f"{page.pct(v[m], v['consented'])} of those who consented</td></tr>" for m, words in VICTIM_ROWS]
        return (f"Victims, {now.quarter.label}",
                "<p>KPI 10: victims of offences whose outcome is dated in the quarter; contact measures count only victims who "
                f"consented to contact.</p><table><tr><th></th><th>victims</th><th>share</th></tr>{''.join(rows)}</table>")
    return render
