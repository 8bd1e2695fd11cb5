"""Produce a quarter's YJB KPI return: compute every rule in force with the counting rules
of the quarter's time, read the education snapshot in force at the report date, check the
figures and the data behind them, write the submission workbook, ``figures.csv`` and the
internal evidence workbook, and store the figures (``kpi_figure``) and the deliveries read
(``kpi_return_source``). A submitted quarter is never overwritten: its regenerated workbook
gets a Revisions sheet instead (``transforms.kpis.submission``)."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, insert

from transforms.kpis.catalogue import REGISTRY
from transforms.kpis.checks import (
    CHECK_COLUMNS, PASS, cohort_ids, figure_checks, gather_facts, readiness_checks, status_of,
)
from transforms.kpis.common import inputs_as_at, population_10_17
from transforms.kpis.ni_national import reoffending_cohort_quarter, rolling_year
from transforms.kpis.registry import Figure
from transforms.kpis.provenance import figure_sources, kpis_without_data, rule_sources
from transforms.kpis.rules_config import KpiRules
from transforms.kpis.submission import (
    SignOff, Submission, SubmissionError, figures_fingerprint, previous_figures, revisions, submission_of,
    submit_return, submitted_figures,
)
from transforms.kpis.workbook import (  # noqa: F401  (FIGURE_COLUMNS, SHEETS: the public layout)
    FIGURE_COLUMNS, SHEETS, figures_frame, write_evidence_workbook, write_figures_csv, write_return_workbook,
)
from transforms.periods import Quarter
from transforms.settings import Settings
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import kpi_figure, kpi_return_source

GENERATOR = "yj-data-platform 0.1.0"


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
    sources: dict[str, tuple[str, str]]
    revisions: pd.DataFrame | None = None

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the figures (printed on the Cover; what an approver approves)."""
        return figures_fingerprint(figures_frame(self.figures))


def compute_figures(inputs, quarter: Quarter, rules: KpiRules) -> tuple[list[Figure], list]:
    in_force = REGISTRY.in_force(quarter)
    figures: list[Figure] = []
    for rule in in_force:
        figures.extend(rule.compute(inputs, quarter, rules))
    return figures, in_force


def _previous(engine: Engine, quarter: Quarter, inputs) -> pd.DataFrame:
    """The previous quarter's figures to compare with: as submitted, else as last produced,
    else recomputed from the inputs as at its report date (what its return would say, the same
    ``inputs_as_at`` the board pack's trend uses). An ``origin`` column says which."""
    stored = previous_figures(engine, quarter)
    if not stored.empty:
        return stored
    previous = quarter.previous
    before, rules = inputs_as_at(engine, inputs.service_areas, previous, read=inputs)
    figures, _ = compute_figures(before, previous, rules)
    # A KPI with no data in force then (KPI 3 without a snapshot) is not compared: its count
    # then was not a count of anything.
    missing = kpis_without_data(before.sources)
    return figures_frame([f for f in figures if f.kpi not in missing]).assign(
        origin="recomputed as at its report date (no return stored)")


def return_paths(settings: Settings, quarter: Quarter) -> tuple[Path, Path, Path]:
    folder = settings.output_dir / "kpi" / quarter.code
    fy = f"{quarter.fy_start_year}-{(quarter.fy_start_year + 1) % 100:02d}"
    stem = f"{settings.service_slug}_{fy}_Q{quarter.number}"
    return (folder / f"yjb_kpi_return_{stem}.xlsx", folder / "figures.csv",
            folder / f"yjb_kpi_evidence_{stem}_INTERNAL.xlsx")


def produce_return(settings: Settings, quarter: Quarter, engine: Engine | None = None,
                   rules: KpiRules | None = None, signoff: SignOff | None = None) -> ReturnResult:
    """The return, its checks and outputs. With a ``signoff`` (``produce_and_submit``) the
    Cover records the approval, when it may approve the return's status."""
    started = time.perf_counter()
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    inputs, rules = inputs_as_at(engine, settings.service_areas, quarter, rules=rules)
    figures, in_force = compute_figures(inputs, quarter, rules)
    read = {**inputs.sources, **rule_sources(in_force, rules)}  # deliveries and rules, for revisions
    frame = figures_frame(figures)
    facts = gather_facts(engine, quarter, inputs.sources, cohort_ids(inputs, figures))
    checks = pd.DataFrame(readiness_checks(quarter, facts)
                          + figure_checks(figures, frame, _previous(engine, quarter, inputs), quarter.previous.label, rules),
                          columns=CHECK_COLUMNS)
    status = status_of(checks)
    workbook, figures_csv, evidence = return_paths(settings, quarter)
    workbook.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    submission = submission_of(engine, quarter)
    revised = None
    if submission is not None:
        by_kpi = {r.kpi: r for r in in_force}
        revised = revisions(frame, submitted_figures(engine, quarter), submission.sources, read,
                            feeds=lambda kpi, measure: figure_sources(by_kpi[kpi], measure) if kpi in by_kpi else tuple(read))
    population, pop_year = population_10_17(inputs, quarter.end)
    cover = [("Service", settings.service_name), ("Quarter", quarter.label),
             ("Period start", quarter.start.isoformat()), ("Period end (report date)", quarter.end.isoformat()),
             ("Status", status), ("Generated at", now.strftime("%Y-%m-%d %H:%M UTC")), ("Generated by", GENERATOR),
             ("Source deliveries", "; ".join(f"{s}: {d} (extracted {x or 'unknown'})"
                                             for s, (d, x) in sorted(inputs.sources.items())) or "none"),
             ("Population (10 to 17)", f"{population:,} ({pop_year or 'no population data'})"),
             ("Checks", f"{(checks['result'] == PASS).sum()} of {len(checks)} passed"
                        + ("" if status == "READY" else ": DRAFT until every check passes (see Checks)")),
             ("Figures fingerprint", f"sha256 {figures_fingerprint(frame)} (of the Figures sheet; "
                                     "checked against the warehouse when the return is submitted)")]
    if signoff is not None and signoff.refusal(status) is None:
        cover += signoff.cover_rows()
    if submission is not None:
        cover.append(("Submitted", f"{submission.submitted_at:%Y-%m-%d %H:%M} as {submission.workbook_path} "
                                   f"(sha256 {submission.workbook_sha256[:12]}...); this is a regeneration: "
                                   f"{0 if revised is None else len(revised)} figure(s) changed, see Revisions"))
    catalogue = pd.DataFrame([{"kpi": r.kpi, "title": r.title, "spec_version": r.spec_version,
                               "valid_from": r.valid_from.label, "inputs": ", ".join(r.inputs),
                               "description": r.description} for r in in_force])
    start, end = rolling_year(quarter.end)
    notes = {"ni": (f"Local figures from the case system over the rolling 12 months {start:%d %B %Y} to {end:%d %B %Y}; "
                    "the official figures (Police National Computer, published by the Ministry of Justice) will differ. "
                    f"Reoffending cohort: {reoffending_cohort_quarter(quarter.end).label}.")}
    write_return_workbook(workbook, service=settings.service_name, quarter_label=quarter.label, status=status,
                          cover=cover, rule_rows=rules.as_rows(), frame=frame, checks=checks, catalogue=catalogue,
                          notes=notes, revisions=revised,
                          revisions_note=f"No figure has changed since the return was submitted"
                                         + (f" on {submission.submitted_at:%d %B %Y}." if submission else "."))
    write_figures_csv(frame, figures_csv)
    write_evidence_workbook(evidence, service=settings.service_name, quarter_label=quarter.label, status=status,
                            figures=figures, quarantined=facts.quarantined)
    _store(engine, quarter, figures, in_force, read, now)
    return ReturnResult(quarter, status, workbook, figures_csv, evidence, figures, checks,
                        time.perf_counter() - started, inputs.sources, revised)


def _store(engine: Engine, quarter: Quarter, figures: list[Figure], in_force, sources, now: dt.datetime) -> None:
    """The figures as last produced, and what they were produced from (one transaction)."""
    versions = {r.kpi: r.spec_version for r in in_force}
    rows = [{"quarter": quarter.code, "kpi": f.kpi, "measure": f.measure, "breakdown": f.breakdown,
             "value": f.value, "numerator": f.numerator, "denominator": f.denominator,
             "rule_version": versions[f.kpi], "generated_at": now} for f in figures]
    with engine.begin() as conn:
        conn.execute(delete(kpi_figure).where(kpi_figure.c.quarter == quarter.code))
        if rows:  # no rule in force (a quarter before the KPIs began): nothing to store
            conn.execute(insert(kpi_figure), rows)
        conn.execute(delete(kpi_return_source).where(kpi_return_source.c.quarter == quarter.code))
        if sources:
            conn.execute(insert(kpi_return_source), [
                {"quarter": quarter.code, "source": s, "delivery_id": d, "extracted_at": x, "generated_at": now}
                for s, (d, x) in sources.items()])


def produce_and_submit(settings: Settings, quarter: Quarter, engine: Engine, signoff: SignOff,
                       rules: KpiRules | None = None, approved_fingerprint: str | None = None,
                       ) -> tuple[ReturnResult, Submission]:
    """Produce the return and submit that very workbook, from the figures just stored: one
    step, so the archive and the frozen figures cannot come from two different runs. A quarter
    already submitted is refused before anything is written. ``approved_fingerprint``: the
    figures the approver saw (an approval given in Airflow after the return was produced);
    figures that changed since are refused, not submitted under an approval they never had."""
    existing = submission_of(engine, quarter)
    if existing is not None:
        raise SubmissionError(f"{quarter.label} was already submitted on {existing.submitted_at:%d %B %Y %H:%M}; "
                              "regenerate it to see revisions, the submitted return stays as it was")
    if signoff.refusal("READY"):
        raise SubmissionError(f"{quarter.label} not submitted: {signoff.refusal('READY')}")
    result = produce_return(settings, quarter, engine, rules, signoff=signoff)
    try:
        if approved_fingerprint and result.fingerprint != approved_fingerprint:
            raise SubmissionError(
                f"{quarter.label} not submitted: its figures changed since they were approved (approved "
                f"{approved_fingerprint[:12]}, now {result.fingerprint[:12]}): ask for approval of the return as it is now")
        return result, submit_return(engine, quarter, result.workbook, result.status, signoff)
    except SubmissionError as exc:
        exc.result = result  # produced but not submitted (a DRAFT without a reason): the caller shows it
        raise


@dataclass(frozen=True)
class Decision:
    """An approver's decision on a produced return (the Airflow sign-off task)."""
    approved: bool
    by: str
    at: dt.datetime
    comment: str = ""
    draft_reason: str = ""
    fingerprint: str = ""  # of the figures the approver was shown


def record_decision(settings: Settings, quarter: Quarter, engine: Engine, decision: Decision) -> dict:
    """Approve: produce and submit, the approval on the Cover, in ``kpi_submission`` and in
    ``signoff.json`` (refused when the figures changed since they were shown, or for a DRAFT
    without a reason). Reject: nothing is submitted, the return stays as produced, and the
    decision with its comment is kept beside it (``rejected_<time>.json``)."""
    import json

    if decision.approved:
        signoff = SignOff(approved_by=decision.by, approved_at=decision.at, comment=decision.comment,
                          draft_reason=decision.draft_reason)
        result, submitted = produce_and_submit(settings, quarter, engine, signoff,
                                               approved_fingerprint=decision.fingerprint or None)
        return {"decision": "approved", "status": result.status, "approved_by": submitted.approved_by,
                "submitted": submitted.workbook_path}
    folder = return_paths(settings, quarter)[0].parent
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"rejected_{decision.at:%Y%m%d%H%M%S}.json"
    path.write_text(json.dumps({"quarter": quarter.code, "decision": "rejected", "by": decision.by,
                                "at": decision.at.isoformat(), "comment": decision.comment,
                                "figures_sha256": decision.fingerprint}, indent=2) + "\n", encoding="utf-8")
    return {"decision": "rejected", "by": decision.by, "comment": decision.comment, "outputs": [str(path)]}
