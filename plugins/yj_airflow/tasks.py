"""Task bodies shared by the DAGs: each calls a plain function in ``transforms`` with the
task's settings and returns a small JSON summary (no personal data) for XCom and the logs."""
from __future__ import annotations

import logging

from yj_airflow.config import task_settings

log = logging.getLogger(__name__)


def _ingest_summary(report, outputs: list[str]) -> dict:
    return {"source": report.source, "outcome": report.outcome, "delivery_id": report.delivery_id,
            "reason": report.reason, "summary": report.summary(), "notes": report.notes[:20], "outputs": outputs,
            "counts": {t: vars(c) for t, c in report.counts.items()}}


def _ingest(load) -> dict:
    """Run one snapshot load; a rejection is logged in one line, gets its report, and fails
    the task (the previous data stays live)."""
    from transforms.ingest.report import DeliveryRejected
    from transforms.reports import write_ingest_outputs

    settings = task_settings()
    try:
        report = load(settings)
    except DeliveryRejected as exc:
        report = getattr(exc, "report", None)
        if report is not None:
            for path in write_ingest_outputs(report, settings):
                log.info("output: %s", path)
        log.error("rejected: %s", exc)
        raise
    log.info(report.summary())
    for note in report.notes:
        log.info("note: %s", note)
    return _ingest_summary(report, write_ingest_outputs(report, settings))


def load_case_system() -> dict:
    from transforms.ingest.sources import load_case_system as load

    return _ingest(load)


def refresh_custody() -> dict:
    from transforms.custody.refresh import refresh_custody as refresh
    from transforms.reports import write_ingest_outputs

    settings = task_settings()
    report = refresh(settings)
    log.info("custody refresh: %s", report.summary())
    outputs = [str(p) for p in report.outputs]
    for f in report.files:
        if f.failed:
            log.warning("custody file %s: %s", f.outcome, f.reason)
        outputs += write_ingest_outputs(f, settings)
    return {"source": "police_custody", "summary": report.summary(), "seconds": round(report.seconds, 2),
            "outputs": outputs,
            "files": [{"file": f.file_name, "outcome": f.outcome, "read": f.read, "loaded": f.loaded,
                       "quarantined": f.quarantined, "reason": f.reason} for f in report.files]}


def unloaded_custody_files() -> list[str]:
    """Names of custody files in the landing folder that a refresh would attempt (a listing
    and audit queries)."""
    from transforms.custody.load import files_to_load
    from transforms.warehouse.db import ensure_schema, make_engine

    settings = task_settings()
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    return files_to_load(settings, engine)


def load_education(weekly_ccis: bool = False) -> dict:
    from transforms.ingest.sources import load_ccis, load_education as load

    return _ingest(load_ccis if weekly_ccis else load)


def core_inventory() -> dict:
    from transforms.reports import write_core_inventory

    settings = task_settings()
    path, counts = write_core_inventory(settings)
    return {"outputs": [str(path)], "counts": counts}


def load_reference_sources() -> dict:
    """The board register and the population reference. A rejected one is logged with its
    reason and its report, and its previous data stays live; the quarterly return still runs
    (its Checks sheet shows what data it used)."""
    from transforms.ingest.sources import load_reference_sources as load
    from transforms.reports import write_ingest_outputs

    settings = task_settings()
    reports = load(settings)
    outputs = []
    for report in reports.values():
        (log.error if report.failed else log.info)(report.summary())
        outputs += write_ingest_outputs(report, settings)
    return {"summary": "; ".join(r.summary() for r in reports.values()), "outputs": outputs,
            "sources": {name: {"outcome": r.outcome, "reason": r.reason} for name, r in reports.items()},
            "counts": {t: vars(c) for r in reports.values() for t, c in r.counts.items()}}


def produce_kpi_return(quarter: dict) -> dict:
    from transforms.kpis.produce import produce_return
    from transforms.periods import Quarter

    settings = task_settings()
    result = produce_return(settings, Quarter.parse(quarter["quarter"]))
    log.info("KPI return %s: %s in %.1fs", result.quarter.label, result.status, result.seconds)
    failed = result.checks[result.checks["result"] != "PASS"]
    return {"quarter": result.quarter.label, "status": result.status, "seconds": round(result.seconds, 2),
            "checks_not_passed": failed["check"].tolist(),
            "outputs": [str(result.workbook), str(result.figures_csv), str(result.evidence)]}


def resolve_quarter(quarter: str | None) -> dict:
    from transforms.periods import Quarter, latest_complete_quarter

    settings = task_settings()
    q = Quarter.parse(quarter) if quarter else latest_complete_quarter(settings.timezone)
    return {"quarter": q.label, "start": q.start.isoformat(), "end": q.end.isoformat()}


def match_identities() -> dict:
    """Resolve every source to one person key (decisions from landing/match_review first)."""
    from transforms.matching.run import run_matching

    settings = task_settings()
    report = run_matching(settings)
    log.info("matching: %s", report.message())
    return {"summary": report.message(), "counts": report.result.counts, "review_pairs": len(report.result.review),
            "outputs": [str(report.review_workbook), str(report.summary_file)]}


def raise_education_alerts() -> dict:
    import datetime as dt

    from transforms.education.alerts import raise_alerts
    from transforms.warehouse.db import make_engine

    settings = task_settings()
    run = raise_alerts(make_engine(settings.warehouse_url), settings.output_dir / "education_alerts",
                       dt.datetime.now().replace(microsecond=0))
    summary = f"{len(run.new_alerts):,} new alert(s), {run.already_raised:,} already raised before"
    log.info("education alerts: %s", summary)
    return {"summary": summary, "by_kind": run.new_alerts["kind"].value_counts().to_dict(),
            "outputs": [str(run.workbook)] if run.workbook else []}


def rebuild_marts() -> dict:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from transforms.marts.build import rebuild_marts as rebuild
    from transforms.warehouse.db import make_engine

    settings = task_settings()
    report = rebuild(make_engine(settings.warehouse_url), settings.output_dir / "marts",
                     dt.datetime.now(ZoneInfo(settings.timezone)).date())
    log.info("marts: %s", report.summary())
    return {"summary": report.summary(), "rows": report.rows, "outputs": [str(p) for p in report.outputs if p.suffix == ".hyper"][:3]
            + [str(report.outputs[-2])]}


def write_board_pack(quarter: dict) -> dict:
    from transforms.marts.board_pack import write_board_pack as write
    from transforms.periods import Quarter
    from transforms.warehouse.db import make_engine

    settings = task_settings()
    pack = write(make_engine(settings.warehouse_url), Quarter.parse(quarter["quarter"]), settings.output_dir / "board_pack",
                 settings.service_name, settings.service_areas, settings.suppression_threshold)
    log.info(pack.summary())
    return {"summary": pack.summary(), "outputs": [str(pack.path)]}
