"""Task bodies shared by the DAGs: each calls a plain function in ``transforms`` with the
task's settings and returns a small JSON summary (no personal data) for XCom and the logs."""
from __future__ import annotations

import logging
from contextlib import contextmanager

from yj_airflow.config import service_task_settings, task_settings

log = logging.getLogger(__name__)


@contextmanager
def _locked(resource: str, settings):
    """The warehouse lock on ``resource`` for the task's work (transforms/warehouse/locks.py),
    taken here at the call site so every load function runs under it, whoever starts it."""
    from transforms.warehouse.locks import warehouse_lock

    with warehouse_lock(settings.warehouse_url, resource, settings.lock_wait_seconds, _who_is_running()):
        yield


def _who_is_running() -> str:
    from transforms.warehouse.locks import describe_process

    try:
        from airflow.sdk import get_current_context

        ti = get_current_context()["ti"]
        return describe_process(f"Airflow {ti.dag_id}.{ti.task_id} run {ti.run_id} try {ti.try_number}")
    except Exception:  # outside a running task (a test calling the function directly)
        return describe_process("a task")


def _announce(asset, published: bool, extra: dict | None = None) -> None:
    """Emit the asset event only when the load published new data: the task's outlet is an
    alias (assets.published_alias), so a run that found nothing new wakes no consumer."""
    if not published:
        log.info("nothing new was published: no event for %s", asset.uri)
        return
    from airflow.sdk import get_current_context

    from yj_airflow.assets import published_alias

    get_current_context()["outlet_events"][published_alias(asset)].add(asset, extra=extra or {})


def _ingest_summary(report, outputs: list[str]) -> dict:
    return {"source": report.source, "outcome": report.outcome, "delivery_id": report.delivery_id,
            "reason": report.reason, "summary": report.summary(), "notes": report.notes[:20], "outputs": outputs,
            "counts": {t: vars(c) for t, c in report.counts.items()}}


def service_ids() -> list[str]:
    """The ids of the services whose work the DAGs fan out over (dynamic task mapping, ADR 0063):
    the partnership file's services, or the one service of the default (one mapped instance)."""
    from transforms.partnership.config import load_partnership

    ids = list(load_partnership(task_settings()).service_ids)
    log.info("%d service(s): %s", len(ids), ", ".join(ids))
    return ids


# Names each mapped instance by its service in the UI and in `yj run` (map_index_template).
SERVICE_LABEL = "{{ service_label }}"


def label_service(service_id: str) -> str:
    """Put the service id in the running task's context, where SERVICE_LABEL reads it."""
    from airflow.sdk import get_current_context

    get_current_context()["service_label"] = service_id
    return service_id


def _ingest(load, resource: str, asset, service_id: str | None = None) -> dict:
    """Run one snapshot load under the resource's lock; a rejection is logged in one line, gets
    its report, and fails the task (the previous data stays live). Only a load that published
    announces its asset."""
    from transforms.ingest.report import DeliveryRejected
    from transforms.reports import write_due_reports, write_ingest_outputs
    from transforms.settings import output_folder_problem

    settings = service_task_settings(service_id)
    problem = output_folder_problem(settings.output_dir)
    if problem:  # before anything is loaded: a report must never be lost
        raise RuntimeError(problem)
    try:
        with _locked(resource, settings):
            report = load(settings)
    except DeliveryRejected as exc:
        report = getattr(exc, "report", None)
        for each in report.all_reports if report is not None else []:
            for path in write_ingest_outputs(each, settings):
                log.info("output: %s", path)
        log.error("rejected: %s", exc)
        raise
    outputs = []
    for each in report.all_reports:  # a backlog: every delivery taken, oldest first
        log.info(each.summary())
        for note in each.notes:
            log.info("note: %s", note)
        outputs += write_ingest_outputs(each, settings)
    outputs += write_due_reports(settings, report.source)  # any an earlier run could not write
    summary = _ingest_summary(report, outputs)
    if report.backlog:
        summary["taken"] = [each.summary() for each in report.all_reports]
    _announce(asset, report.published, {"delivery_id": report.delivery_id, "service": service_id})
    return {"service": service_id, **summary}


def load_case_system(service_id: str | None = None) -> dict:
    from transforms.ingest.sources import load_case_system as load

    from yj_airflow.assets import CORE_CASE_SYSTEM

    return _ingest(load, "case_system", CORE_CASE_SYSTEM, service_id)


def refresh_custody() -> dict:
    """The twice-daily refresh (transforms/custody/refresh.py): for one service its own feed; for
    a partnership the shared feed loaded once into the partnership area, routed, and each
    service refreshed on its share. Each file's report goes where it was loaded (the feed's to
    the area's output, a service's share to the service's)."""
    from transforms.custody.refresh import custody_feed, refresh_custody as refresh
    from transforms.partnership.scope import services_with_settings
    from transforms.reports import write_ingest_outputs

    from yj_airflow.assets import CORE_CUSTODY

    settings = task_settings()
    feed_settings, _ = custody_feed(settings)
    with _locked("police_custody", settings):
        rejected_before = _rejected_custody_files()
        report = refresh(settings)
    log.info("custody refresh: %s", report.summary())
    outputs = [str(p) for p in report.outputs]
    for f in report.files:
        if f.failed:
            log.warning("custody file %s: %s", f.outcome, f.reason)
        outputs += write_ingest_outputs(f, feed_settings)
    services = {}
    if report.services:
        own_settings = {service.id: own for service, own in services_with_settings(settings)}
        for service_id, sub in report.services.items():
            log.info("custody refresh, service %s: %s", service_id, sub.summary())
            services[service_id] = {"summary": sub.summary(), "live": sub.live, "outputs": [str(p) for p in sub.outputs]}
            outputs += services[service_id]["outputs"]
            for f in sub.files:
                outputs += write_ingest_outputs(f, own_settings[service_id])
    from transforms.reports import write_due_reports

    outputs += write_due_reports(feed_settings, "police_custody")  # any an earlier refresh could not write
    loaded = [f.file_name for f in report.files if f.outcome == "LOADED"]
    _announce(CORE_CUSTODY, bool(loaded), {"files": loaded})
    # A rejected file is tried again by every refresh; a person is told about it once.
    rejected = [(f.file_name, f.reason) for f in report.files if f.outcome == "REJECTED"
                and f.file_name not in rejected_before]
    if rejected:  # the refresh itself succeeded, so no failure callback: say so here
        from airflow.sdk import get_current_context

        from transforms.notices import rejected_files_notice
        from yj_airflow.notify import send

        context = get_current_context()
        send(rejected_files_notice(feed_settings.service_name, "police_custody", context["run_id"], rejected), context)
    return {"source": "police_custody", "summary": report.summary(), "seconds": round(report.seconds, 2),
            "outputs": outputs, "services": services, "routed": report.routed,
            "files": [{"file": f.file_name, "outcome": f.outcome, "read": f.read, "loaded": f.loaded,
                       "quarantined": f.quarantined, "reason": f.reason} for f in report.files]}


def _custody_feed():
    """The custody feed's settings, engine and folder: the service's own, or for a partnership
    the shared area's (``transforms.custody.refresh.custody_feed``, the one definition)."""
    from transforms.custody.refresh import custody_feed
    from transforms.warehouse.db import ensure_schema, make_engine

    feed_settings, folder = custody_feed(task_settings())
    engine = make_engine(feed_settings.warehouse_url)
    ensure_schema(engine)
    return feed_settings, engine, folder


def _rejected_custody_files() -> set[str]:
    from transforms.custody.load import rejected_files

    return rejected_files(*_custody_feed())


def unloaded_custody_files() -> list[str]:
    """Names of custody files in the feed's folder that a refresh would attempt (a listing and
    audit queries)."""
    from transforms.custody.load import files_to_load

    return files_to_load(*_custody_feed())


# How many of the landing asset's recent events the watch reads to know what it announced.
ANNOUNCED_LOOKBACK = 500


def announce_new_custody_files() -> list[str]:
    """The custody watch's poke: unloaded files not yet announced each get one event on the
    landing asset (extra ``{"file": name}``); a file waiting for its refresh, or rejected and
    waiting for a person, is not announced again on the next poke."""
    from airflow.sdk import get_current_context

    from transforms.custody.watch import files_to_announce
    from yj_airflow.assets import LANDING_CUSTODY, published_alias

    context = get_current_context()
    recent = context["inlet_events"][LANDING_CUSTODY][-ANNOUNCED_LOOKBACK:]
    new = files_to_announce(unloaded_custody_files(), [event.extra for event in recent])
    for name in new:
        context["outlet_events"][published_alias(LANDING_CUSTODY)].add(LANDING_CUSTODY, extra={"file": name})
    return new


def check_custody_due_times() -> dict:
    """At each due time (transforms.custody.due): a custody file or the briefing missing is
    told once to the duty manager (``YJ_DUTY_MANAGER_EMAIL``, variable
    ``yj_duty_manager_email``; the BI team's address when unset). Runs once per due time, so
    one notice per missing item; a quiet night with every file in sends nothing."""
    import os
    from pathlib import Path

    import pendulum
    from airflow.sdk import get_current_context

    from transforms.custody.due import (DEFAULT_BRIEFING_DUE_TIME, DEFAULT_CUSTODY_DUE_TIMES, overdue,
                                        parse_times)
    from transforms.notices import overdue_notice
    from yj_airflow.defaults import TIMEZONE
    from yj_airflow.notify import _setting, send

    context = get_current_context()
    settings = task_settings()
    now = pendulum.instance(context["logical_date"]).in_timezone(TIMEZONE).naive().replace(second=0, microsecond=0)
    custody_due = parse_times(os.environ.get("YJ_CUSTODY_DUE_TIMES") or DEFAULT_CUSTODY_DUE_TIMES)
    [briefing_due] = parse_times(os.environ.get("YJ_BRIEFING_DUE_TIME") or DEFAULT_BRIEFING_DUE_TIME)
    _, engine, custody_dir = _custody_feed()
    engine.dispose()
    missing = overdue(now, Path(custody_dir), settings.output_dir / "custody", custody_due, briefing_due)
    sent = 0
    if missing:
        notice = overdue_notice(settings.service_name, missing, context["run_id"])
        sent = send(notice, context, to=_setting("YJ_DUTY_MANAGER_EMAIL", "yj_duty_manager_email") or None)
    return {"due_at": now.isoformat(), "overdue": len(missing), "sent": sent}


def send_daily_health_summary() -> dict:
    """The morning summary of the last 24 hours (transforms.notices.health_summary), sent by
    the notice channels; dated by the run's logical date, the wall clock for a manual run."""
    import datetime as dt

    from airflow.sdk import get_current_context

    from transforms.notices import SOURCE_OF_DAG, health_summary
    from transforms.warehouse.db import ensure_schema, make_engine
    from yj_airflow.notify import send

    context = get_current_context()
    settings = task_settings()
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    now = context.get("logical_date") or dt.datetime.now(dt.timezone.utc)
    notice = health_summary(engine, settings.service_name, now, list(SOURCE_OF_DAG.values()))
    log.info("daily health: %s", " | ".join(notice.lines[1:]))
    return {"summary": notice.lines[1], "lines": notice.lines[2:], "channels": send(notice, context)}


def load_education(weekly_ccis: bool = False, service_id: str | None = None) -> dict:
    from transforms.ingest.sources import load_ccis, load_education as load

    from yj_airflow.assets import CORE_CCIS, CORE_EDUCATION

    if weekly_ccis:
        return _ingest(load_ccis, "ccis", CORE_CCIS, service_id)
    return _ingest(load, "education", CORE_EDUCATION, service_id)


def core_inventory(service_id: str | None = None) -> dict:
    from transforms.reports import write_core_inventory

    settings = service_task_settings(service_id)
    path, counts = write_core_inventory(settings)
    return {"outputs": [str(path)], "counts": counts}


def load_reference_sources(service_id: str | None = None) -> dict:
    """The board register and the population reference. A rejected one is logged with its
    reason and its report, and its previous data stays live; the quarterly return still runs
    (its Checks sheet shows what data it used)."""
    from transforms.ingest.sources import load_reference_sources as load
    from transforms.reports import write_ingest_outputs

    settings = service_task_settings(service_id)
    with _locked("reference", settings):
        reports = load(settings)
    outputs = []
    for report in reports.values():
        (log.error if report.failed else log.info)(report.summary())
        outputs += write_ingest_outputs(report, settings)
    return {"summary": "; ".join(r.summary() for r in reports.values()), "outputs": outputs,
            "sources": {name: {"outcome": r.outcome, "reason": r.reason} for name, r in reports.items()},
            "counts": {t: vars(c) for r in reports.values() for t, c in r.counts.items()}}


def produce_kpi_return(quarter: dict, submit: bool = False, service_id: str | None = None,
                       signoff: dict | None = None) -> dict:
    """The quarter's return; with ``submit``, produced and submitted in one step under the
    sign-off given (``approved_by``, ``comment``, ``draft_reason``; the approver is required)."""
    import datetime as dt

    from transforms.kpis.produce import produce_and_submit, produce_return
    from transforms.kpis.submission import SignOff, SubmissionError
    from transforms.periods import Quarter
    from transforms.settings import embedded_warehouse_url
    from transforms.warehouse.db import open_warehouse

    settings = service_task_settings(service_id)
    engine, note = open_warehouse(settings.warehouse_url, embedded_warehouse_url())
    if note:
        log.info(note)
    submitted, refused = None, None
    with _locked("kpi_return", settings):
        if not submit:
            result = produce_return(settings, Quarter.parse(quarter["quarter"]), engine)
        else:
            given = signoff or {}
            approved_at = given.get("approved_at")
            sign = SignOff(approved_by=str(given.get("approved_by") or "").strip(),
                           approved_at=dt.datetime.fromisoformat(approved_at) if approved_at
                           else dt.datetime.now(dt.timezone.utc),
                           comment=str(given.get("comment") or ""), draft_reason=str(given.get("draft_reason") or ""),
                           submitted_by=str(given.get("submitted_by") or ""))
            try:
                result, submitted = produce_and_submit(settings, Quarter.parse(quarter["quarter"]), engine, sign)
            except SubmissionError as exc:
                if getattr(exc, "result", None) is None:
                    raise
                result, refused = exc.result, str(exc)
    log.info("KPI return %s: %s in %.1fs", result.quarter.label, result.status, result.seconds)
    failed = result.checks[result.checks["result"] != "PASS"]
    summary = {"quarter": result.quarter.label, "status": result.status, "seconds": round(result.seconds, 2),
               "checks_not_passed": failed["check"].tolist(),
               "revisions": None if result.revisions is None else len(result.revisions),
               "outputs": [str(result.workbook), str(result.figures_csv), str(result.evidence)],
               "figures_sha256": result.fingerprint}
    if refused:
        raise SubmissionError(refused)
    if submitted is not None:
        log.info("KPI return %s submitted as %s, approved by %s: archived at %s", result.quarter.label,
                 result.status, submitted.approved_by, submitted.workbook_path)
        summary["submitted"] = submitted.workbook_path
        summary["approved_by"] = submitted.approved_by
    return summary


def resolve_quarter(quarter: str | None, scheduled_for=None) -> dict:
    """The quarter to report: the ``quarter`` param when given, otherwise the quarter that ended
    before the run's logical date (its data interval), never the wall clock, so a rerun or a
    backfill months later reports the quarter the run was for."""
    import datetime as dt

    from transforms.periods import BadQuarter, Quarter, quarter_ended_before

    settings = task_settings()
    if quarter:
        try:
            q = Quarter.parse(quarter)
        except BadQuarter as exc:
            raise ValueError(f"the quarter param {exc}") from None
    else:
        q = quarter_ended_before(scheduled_for or dt.datetime.now(dt.timezone.utc), settings.timezone)
    log.info("reporting %s (%s to %s)", q.label, q.start, q.end)
    return {"quarter": q.label, "start": q.start.isoformat(), "end": q.end.isoformat()}


def match_identities(service_id: str | None = None) -> dict:
    """Resolve every source to one person key (decisions from landing/match_review first)."""
    from transforms.matching.run import run_matching

    from transforms.custody.refresh import rewrite_latest_briefing

    settings = service_task_settings(service_id)
    with _locked("identity", settings):
        report = run_matching(settings)
    log.info("matching: %s", report.message())
    # The custody refresh may have run before this matching run (a first run, a refresh due at
    # the same time): its briefing is written again with the links just made, same names.
    with _locked("police_custody", settings):
        briefing = rewrite_latest_briefing(settings)
    return {"summary": report.message(), "counts": report.result.counts, "review_pairs": len(report.result.review),
            "outputs": [str(report.review_workbook), str(report.summary_file), *map(str, briefing.outputs)]}


def raise_education_alerts(service_id: str | None = None) -> dict:
    import datetime as dt

    from transforms.education.alerts import raise_alerts
    from transforms.warehouse.db import make_engine

    settings = service_task_settings(service_id)
    # Education and CCIS loads both raise alerts: under the lock, an alert found by both at
    # once is still recorded, and told, once.
    with _locked("education_alerts", settings):
        run = raise_alerts(make_engine(settings.warehouse_url), settings.output_dir / "education_alerts",
                           dt.datetime.now().replace(microsecond=0))
    summary = f"{len(run.new_alerts):,} new alert(s), {run.already_raised:,} already raised before"
    log.info("education alerts: %s", summary)
    return {"summary": summary, "by_kind": run.new_alerts["kind"].value_counts().to_dict(),
            "outputs": [str(run.workbook)] if run.workbook else []}


def rebuild_marts(service_id: str | None = None) -> dict:
    import datetime as dt
    from zoneinfo import ZoneInfo

    import os

    from transforms.marts.build import rebuild_marts as rebuild
    from transforms.warehouse.db import make_engine
    from yj_airflow.deploy import grant_marts_to_readonly_role

    settings = service_task_settings(service_id)
    engine = make_engine(settings.warehouse_url)
    with _locked("marts", settings):
        report = rebuild(engine, settings.output_dir / "marts", dt.datetime.now(ZoneInfo(settings.timezone)).date(),
                         settings.service_areas)
        # Tableau's read-only role (production) reads the marts, including any new one.
        grant_marts_to_readonly_role(engine, os.environ.get("YJ_READONLY_ROLE"))
    log.info("marts: %s", report.summary())
    return {"summary": report.summary(), "rows": report.rows, "outputs": [str(p) for p in report.outputs if p.suffix == ".hyper"][:3]
            + [str(report.outputs[-2])]}


def write_board_pack(quarter: dict, service_id: str | None = None) -> dict:
    from transforms.marts.board_pack import write_board_pack as write
    from transforms.periods import Quarter
    from transforms.warehouse.db import make_engine

    settings = service_task_settings(service_id)
    pack = write(make_engine(settings.warehouse_url), Quarter.parse(quarter["quarter"]), settings.output_dir / "board_pack",
                 settings.service_name, settings.service_areas, settings.suppression_threshold,
                 file_slug=settings.service_slug)
    log.info(pack.summary())
    return {"summary": pack.summary(), "outputs": [str(pack.path)]}


def write_partnership_board_pack(quarter: dict) -> dict:
    """The services side by side (transforms/marts/partnership_pack.py), written to the
    partnership area's output; nothing to compare for the one-service default."""
    from transforms.marts.partnership_pack import ServiceWarehouse, write_partnership_board_pack as write
    from transforms.partnership.config import load_partnership
    from transforms.partnership.scope import partnership_settings, services_with_settings
    from transforms.periods import Quarter
    from transforms.warehouse.db import make_engine

    settings = task_settings()
    partnership = load_partnership(settings)
    if partnership.source is None:
        log.info("one service: no partnership board pack")
        return {"summary": "one service: no partnership board pack", "outputs": []}
    shared = partnership_settings(settings, partnership)
    columns = [ServiceWarehouse(service.id, service.name, make_engine(own.warehouse_url), own.service_areas)
               for service, own in services_with_settings(settings, partnership)]
    pack = write(columns, Quarter.parse(quarter["quarter"]), shared.output_dir / "board_pack", partnership.name,
                 settings.suppression_threshold)
    log.info(pack.summary())
    return {"summary": pack.summary(), "outputs": [str(pack.path)], "not_compared": sorted(pack.not_compared)}
