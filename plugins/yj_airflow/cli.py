"""``yj``: the command-line tool a BI analyst uses beside the Airflow UI.

  yj sample --out DIR [--children N] [--years Y] [--layout corepl|childview] [--seed S] [--defects]
  yj run [--landing DIR] [--warehouse URL] [--out DIR] [--quarter 2025Q2]
  yj kpi --quarter 2025Q2 [--landing DIR] [--warehouse URL] [--out DIR] [--submit --approved-by NAME]
  yj submit-return --quarter 2025Q2 --approved-by NAME [--by NAME] [--comment TEXT] [--reason TEXT] [--out DIR]
  yj board-pack --quarter 2025Q2 [--rebuild] [--threshold N] [--warehouse URL] [--out DIR]
  yj load-case-system | load-education | load-ccis [--landing DIR] [--warehouse URL] [--out DIR] [--service ID]
  yj report --attempt ID | --delivery ID [--source S] | --due [--warehouse URL] [--out DIR]
  yj subject-access --ref REF (--child-id ID | --upn UPN | --pnc-id PNC | --first-name F --last-name L --date-of-birth D)
  yj retention [--dry-run] [--as-at yyyy-mm-dd]
  yj erase --ref REF --reason court_order (--child-id ID | ...) | --record SOURCE:RECORD_ID | --unlink SOURCE:RECORD_ID --child-id ID

Progress lines inside each step (tables and rows read, matching stages) unless ``yj -q``;
library deprecation and future warnings are not shown (``YJ_SHOW_WARNINGS=1`` shows them).
User mistakes get a plain one-line error and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
import warnings
from pathlib import Path

# Libraries whose warnings speak to their own developers, not to someone running ``yj``.
QUIET_LIBRARIES = ("airflow", "great_expectations", "pandas", "numpy", "sqlalchemy", "splink", "duckdb", "openpyxl",
                   "python_calamine", "fastapi", "starlette", "pydantic", "structlog", "altair")
# Our loggers whose INFO lines are progress inside a step: tables and rows read, matching stages.
PROGRESS_LOGGERS = ("transforms.ingest", "transforms.custody", "transforms.matching")


class UserError(Exception):
    pass


def _locked(resource: str, settings, command: str):
    """The same warehouse lock the DAG tasks take (transforms/warehouse/locks.py): a command
    started beside a running DAG waits for it, then stops with a clear message."""
    from transforms.warehouse.locks import describe_process, warehouse_lock

    return warehouse_lock(settings.warehouse_url, resource, settings.lock_wait_seconds,
                          describe_process(f"yj {command}"))


def _quarter(text: str):
    """The ``--quarter`` argument as a Quarter; a mistyped one is a one-line user error."""
    from transforms.periods import BadQuarter, Quarter


    try:
        return Quarter.parse(text)
    except BadQuarter as exc:
        raise UserError(str(exc)) from None


def _progress(message: str) -> None:
    # Standard error: standard output keeps only the results, so `yj ... > result.txt` and
    # scripts reading the first line still work.
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def quiet_library_warnings() -> None:
    """Deprecation and future warnings, and any warning raised inside a library, are not
    shown (``YJ_SHOW_WARNINGS=1`` shows them, for whoever upgrades a library). Called again
    after Airflow is imported: its configuration module turns its own deprecation warnings
    back on."""
    if os.environ.get("YJ_SHOW_WARNINGS"):
        return
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)
    for library in QUIET_LIBRARIES:
        warnings.filterwarnings("ignore", module=rf"{library}(\.|$)")
    # The same for the subprocesses yj starts (``airflow db migrate``).
    os.environ["PYTHONWARNINGS"] = "ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning"


class _ProgressLines(logging.Handler):
    """Our INFO log lines as ``[hh:mm:ss]`` progress lines on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        _progress(record.getMessage())


def _show_progress():
    """Progress inside each step while a command runs; returns the undo. The lines are not
    passed on to Airflow's handlers as well (they would print each one twice)."""
    handler = _ProgressLines(logging.INFO)
    saved = []
    for name in PROGRESS_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(handler)

    def undo() -> None:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
    return undo


def cmd_sample(args) -> int:
    from transforms.ingest.mapping import case_system_layouts
    from transforms.sample.landing import generate_landing

    if args.layout not in case_system_layouts():
        raise UserError(f"unknown layout '{args.layout}' (choose from {', '.join(case_system_layouts())})")
    if args.children < 1 or args.children > 2_000_000:
        raise UserError("--children must be between 1 and 2,000,000")
    if args.years < 1 or args.years > 30:
        raise UserError("--years must be between 1 and 30")
    as_of = _parse_date(args.as_of) if args.as_of else None
    kwargs = {"as_of": as_of} if as_of else {}
    if args.partnership:
        if args.defects:
            raise UserError("--defects is not available with --partnership yet")
        return _sample_partnership(args, kwargs)
    started = time.perf_counter()
    summary = generate_landing(Path(args.out), children=args.children, years=args.years, layout=args.layout,
                               seed=args.seed, defects=args.defects, progress=_progress, **kwargs)
    _progress(f"done in {time.perf_counter() - started:.1f}s")
    print(f"landing folder: {summary.landing}")
    print(f"case-system delivery: {summary.delivery_id}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))
    print(f"ground truth (for testing matching, not for loading): {Path(args.out) / 'ground_truth' / 'identity_links.csv'}")
    return 0


def _sample_partnership(args, kwargs) -> int:
    """``yj sample --partnership``: the two-service sample (transforms/partnership/sample.py):
    each service's case system (its own supplier), education, CCIS and population in
    ``landing/<id>/``, the shared custody feed, ``partnership.yaml``."""
    from transforms.partnership.sample import generate_partnership_landing

    moved = min(10, args.children // 2)
    try:
        sample = generate_partnership_landing(Path(args.out), children_per_service=args.children, years=args.years,
                                              moved_children=moved, seed=args.seed, **kwargs)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"partnership file: {sample.partnership_file}")
    print(f"landing folder: {sample.root / 'landing'} (one folder per service, police_custody/ shared)")
    print(f"use it with: export YJ_PARTNERSHIP_FILE={sample.partnership_file.resolve()} "
          f"YJ_LANDING_DIR={(sample.root / 'landing').resolve()}")
    return 0


# Commands that load deliveries: the only ones that may create a SQLite warehouse file.
LOADING_COMMANDS = ("run", "load-case-system", "load-education", "load-ccis")


def _apply_locations(args) -> None:
    """Command-line locations become the YJ_ environment every task reads, after checking them
    once (``_preflight``): a wrong one stops the command before anything is loaded."""
    if getattr(args, "landing", None):
        landing = Path(args.landing)
        if not landing.is_dir():
            raise UserError(f"landing folder {landing} does not exist (make one with: yj sample --out DIR)")
        os.environ["YJ_LANDING_DIR"] = str(landing.resolve())
    if getattr(args, "out", None):
        os.environ["YJ_OUTPUT_DIR"] = str(Path(args.out).resolve())
    if getattr(args, "warehouse", None):
        os.environ["YJ_WAREHOUSE_URL"] = args.warehouse
    if not getattr(args, "preflight_done", False):
        args.preflight_done = True
        _preflight(args)


def _preflight(args) -> None:
    """The output folder can be written and the warehouse opened (a missing SQLite file is
    created only by a loading command, which says so); otherwise one line and exit 2, with no
    file created and nothing loaded."""
    from transforms.settings import embedded_warehouse_url, load_settings, output_folder_problem
    from transforms.warehouse.db import WarehouseUnavailable, open_warehouse

    settings = load_settings()
    # A partnership's services each have their own warehouse (created by their first load):
    # the configured one is only a pattern, never created here.
    create = args.command in LOADING_COMMANDS and settings.partnership_file is None
    if args.command in LOADING_COMMANDS and not settings.landing_dir.is_dir():
        raise UserError(f"landing folder {settings.landing_dir} does not exist (make one with: yj sample --out DIR)")
    problem = output_folder_problem(settings.output_dir)
    if problem:
        raise UserError(problem)
    if settings.partnership_file is not None and settings.warehouse_url.startswith("sqlite:///"):
        folder = Path(settings.warehouse_url.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            raise UserError(f"no warehouse folder {folder}: it does not exist (check --warehouse or YJ_WAREHOUSE_URL)")
        return
    try:
        engine, note = open_warehouse(settings.warehouse_url, embedded_warehouse_url(), create=create)
    except WarehouseUnavailable as exc:
        raise UserError(str(exc)) from None
    engine.dispose()
    if note:
        _progress(note)


def _service_settings(args):
    """The settings a command runs with: one service's when ``main`` runs it per service
    (``--service``, partnership), else today's from the environment."""
    _apply_locations(args)
    if getattr(args, "for_service", None) is not None:
        return args.for_service
    from transforms.settings import load_settings

    return load_settings()


def _per_service(args) -> int:
    """Run the command for every service of the partnership (``YJ_PARTNERSHIP_FILE``), or for
    ``--service ID``; each writes to its own warehouse and under ``<output>/<id>/``. With one
    service (no partnership file) it runs once with today's settings. Exit code: the worst."""
    from transforms.partnership.config import PartnershipConfigError
    from transforms.partnership.run import UnknownService, selected_services
    from transforms.settings import load_settings

    _apply_locations(args)
    settings = load_settings()
    if settings.partnership_file is None and not args.service:
        return args.func(args)  # one service: exactly today's command
    try:
        chosen = selected_services(settings, args.service)
    except (PartnershipConfigError, UnknownService) as exc:
        raise UserError(str(exc)) from None
    codes = []
    for service, service_settings in chosen:
        if len(chosen) > 1 or args.service:
            print(f"service {service.id} ({service.name})", flush=True)  # heads its results
        args.for_service = service_settings
        codes.append(args.func(args))
    return max(codes)


def cmd_run(args) -> int:
    from yj_airflow.runner import CHAIN, load_dags, migrate_metadata_db, prepare_airflow_env, run_dag

    _apply_locations(args)
    if args.quarter:
        _quarter(args.quarter)
    home = prepare_airflow_env()
    from transforms.settings import load_settings

    settings = load_settings()
    if not settings.landing_dir.is_dir():
        raise UserError(f"landing folder {settings.landing_dir} does not exist (make one with: yj sample --out DIR)")
    _progress(f"Airflow home {home}; preparing the metadata database")
    migrate_metadata_db(home)
    import airflow.configuration  # noqa: F401  (it turns Airflow's deprecation warnings on: off again)

    quiet_library_warnings()
    dags = load_dags()
    results = []
    started = dt.datetime.now(dt.timezone.utc)
    for dag_id in CHAIN:
        _progress(f"running {dag_id}")
        conf = {"quarter": args.quarter} if dag_id == "yjb_kpi_quarterly" and args.quarter else {}
        result = run_dag(dags[dag_id], conf)
        results.append(result)
        _progress(f"{dag_id}: {result['state']}")
        if not result["ok"]:
            break
    _print_summary(results, settings)
    # With a partnership file the chain fans out over the services (ADR 0063): each has its own
    # warehouse, so each one's audit says what it did not load. One service: today's settings.
    from transforms.partnership.scope import services_with_settings

    for _, service in services_with_settings(settings):
        _print_not_loaded(service, started)
    return 0 if all(r["ok"] for r in results) and len(results) == len(CHAIN) else 1


def _print_not_loaded(settings, since) -> None:
    """Every delivery or file this run did not load, with its one-line reason (from the audit,
    so a failed task's reason is shown too)."""
    from sqlalchemy import select

    from transforms.warehouse.db import ensure_schema, make_engine
    from transforms.warehouse.schema import audit_delivery

    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_delivery.c.source, audit_delivery.c.delivery_id, audit_delivery.c.outcome,
                                   audit_delivery.c.reason).where(
            (audit_delivery.c.started_at >= since) & (audit_delivery.c.outcome != "LOADED"))
            .order_by(audit_delivery.c.started_at)).all()
    if rows:
        print("\nNot loaded in this run")
        for r in rows:
            print(f"  {r.source} {r.delivery_id}: {r.outcome} - {r.reason}")


def _print_summary(results: list[dict], settings) -> None:
    print("\nSummary")
    for r in results:
        print(f"  {r['dag_id']}: {r['state']}")
        for task_id, t in r["tasks"].items():
            res = t["result"] if isinstance(t["result"], dict) else {}
            line = f"    {task_id}: {t['state']}"
            if res.get("summary"):
                line += f" - {res['summary']}"
            elif res.get("status"):
                line += f" - {res['quarter']}: {res['status']} ({res['seconds']}s)"
                for check in res.get("checks_not_passed") or []:
                    line += f"\n      not passed: {check}"
            elif res.get("quarter"):
                line += f" - {res['quarter']} ({res['start']} to {res['end']})"
            print(line)
            for taken in res.get("taken") or []:  # a backlog taken in one run, oldest first
                print(f"      taken: {taken}")
            for table, c in (res.get("counts") or {}).items():
                if isinstance(c, dict) and "read" in c:
                    print(f"      {table:<15} read {c['read']:>8,}  loaded {c['loaded']:>8,}  quarantined {c['quarantined']:>6,}")
            for path in res.get("outputs") or []:
                print(f"      output: {path}")
    print(f"\nwarehouse: {settings.warehouse_url}")
    print(f"output folder: {settings.output_dir}")


# The loads ``yj`` runs without Airflow: command -> (source, what it loads). Each takes the
# warehouse lock its DAG task takes (the source's name), so a command beside a running DAG waits.
LOAD_COMMANDS = {
    "load-case-system": ("case_system", "the newest case-system delivery (older ones not yet taken are "
                                        "recorded as superseded)"),
    "load-education": ("education", "every education snapshot not yet taken, oldest first (pupils, suspensions, "
                                    "attendance)"),
    "load-ccis": ("ccis", "every CCIS (post-16 activity) file not yet taken, oldest first"),
}


def cmd_load(args) -> int:
    """One source's load through the ingest protocol, with its report (a rejected delivery's
    too); matching and alerts are separate steps (``yj match``, or the DAGs)."""
    from transforms.ingest import sources
    from transforms.ingest.report import DeliveryRejected

    source = LOAD_COMMANDS[args.command][0]
    load = {"case_system": sources.load_case_system, "education": sources.load_education,
            "ccis": sources.load_ccis}[source]
    settings = _service_settings(args)
    try:
        with _locked(source, settings, args.command):
            report = load(settings)
    except DeliveryRejected as exc:
        report = getattr(exc, "report", None)
        print(f"delivery rejected: {exc}", file=sys.stderr)
        _write_reports(report.all_reports if report is not None else [], settings, source)
        return 1
    for each in report.all_reports:  # a backlog: every delivery taken, oldest first
        print(each.summary())
    return _write_reports(report.all_reports, settings, source)


def _write_reports(reports: list, settings, source: str) -> int:
    """Each attempt's report, then any report an earlier run could not write. A disk that is
    full or read-only now loses nothing: the warehouse keeps what the reports are made of."""
    from transforms.reports import write_due_reports, write_ingest_outputs

    try:
        for report in reports:
            for path in write_ingest_outputs(report, settings):
                print(f"output: {path}")
        for path in write_due_reports(settings, source):
            print(f"output: {path} (a report an earlier run could not write)")
    except OSError as exc:
        print(f"yj: error: the report could not be written to {settings.output_dir} ({exc.strerror or exc}); the "
              "data is loaded, and the next run (or yj report --due) writes it", file=sys.stderr)
        return 2
    return 0


def cmd_report(args) -> int:
    """Write an attempt's report, load summary and Data Docs again from the warehouse."""
    from transforms.reports import ReportUnavailable, attempts_of, write_attempt_outputs, write_due_reports

    settings = _service_settings(args)
    engine = _open_warehouse(settings)
    if args.due:
        attempts = None
    elif args.attempt:
        attempts = [args.attempt]
    else:
        attempts = attempts_of(engine, args.source, args.delivery)
        if not attempts:
            raise UserError(f"no loaded or rejected attempt of delivery {args.delivery} in the warehouse")
    try:
        paths = (write_due_reports(settings) if attempts is None
                 else [p for a in attempts for p in write_attempt_outputs(settings, a, engine)])
    except ReportUnavailable as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"the report could not be written to {settings.output_dir} ({exc.strerror or exc})") from None
    for path in paths:
        print(f"output: {path}")
    if not paths:
        print("no report to write")
    return 0


def _open_warehouse(settings):
    """The warehouse the command reads: a one-line error (exit 2) when the URL is malformed,
    names no database or cannot be reached; the embedded default is created on first use."""
    from transforms.settings import embedded_warehouse_url
    from transforms.warehouse.db import WarehouseUnavailable, ensure_schema, open_warehouse

    try:
        engine, note = open_warehouse(settings.warehouse_url, embedded_warehouse_url())
    except WarehouseUnavailable as exc:
        raise UserError(str(exc)) from None
    if note:
        _progress(note)
    ensure_schema(engine)
    return engine


def _signoff(args):
    """The sign-off named on the command line; never taken from ``$USER`` (empty in a
    container, and not the approver anyway)."""
    from transforms.kpis.submission import SignOff

    if not (args.approved_by or "").strip():
        raise UserError("name the approver to submit a return: --approved-by NAME (and --by NAME when someone "
                        "else sends it)")
    return SignOff(approved_by=args.approved_by.strip(), approved_at=dt.datetime.now(dt.timezone.utc),
                   comment=(args.comment or "").strip(), draft_reason=(args.reason or "").strip(),
                   submitted_by=(args.by or "").strip())


def cmd_kpi(args) -> int:
    from transforms.kpis.produce import produce_and_submit, produce_return
    from transforms.kpis.submission import SubmissionError
    from transforms.ingest.sources import load_reference_sources

    quarter = _quarter(args.quarter)
    signoff = _signoff(args) if args.submit else None
    settings = _service_settings(args)
    engine = _open_warehouse(settings)
    with _locked("reference", settings, "kpi"):
        reports = load_reference_sources(settings, engine)
    for report in reports.values():
        print(report.summary(), file=sys.stderr if report.failed else sys.stdout)
    _progress(f"computing the {quarter.label} return")
    submitted, refused = None, None
    with _locked("kpi_return", settings, "kpi"):
        if signoff is None:
            result = produce_return(settings, quarter, engine)
        else:
            try:
                result, submitted = produce_and_submit(settings, quarter, engine, signoff)
            except SubmissionError as exc:
                refused = exc
                result = getattr(exc, "result", None)
    if result is None:
        raise UserError(str(refused))
    print(f"{quarter.label}: {result.status} ({result.seconds:.1f}s)")
    for row in result.checks[result.checks["result"] != "PASS"].itertuples():
        print(f"  {row.result}: {row.check} ({row.kpi}): {row.detail}")
    if result.revisions is not None:
        print(f"  submitted before: {len(result.revisions)} figure(s) changed since submission (Revisions sheet)")
    for path in (result.workbook, result.figures_csv, result.evidence):
        print(f"output: {path}")
    if refused is not None:
        raise UserError(str(refused))
    if submitted is not None:
        _print_submitted(quarter, submitted)
    return 0


def cmd_submit_return(args) -> int:
    from transforms.kpis.produce import return_paths
    from transforms.kpis.submission import SubmissionError, submit_return

    quarter = _quarter(args.quarter)
    signoff = _signoff(args)
    settings = _service_settings(args)
    engine = _open_warehouse(settings)
    workbook = return_paths(settings, quarter)[0]
    try:
        # The lock the return's producers take: the workbook cannot be rewritten while it is read and archived.
        with _locked("kpi_return", settings, "submit-return"):
            submitted = submit_return(engine, quarter, workbook, _status_in(workbook), signoff)
    except SubmissionError as exc:
        raise UserError(str(exc)) from None
    _print_submitted(quarter, submitted)
    return 0


def _status_in(workbook: Path) -> str:
    if not workbook.exists():
        return "UNKNOWN"
    from openpyxl import load_workbook

    cover = load_workbook(workbook, read_only=True)["Cover"]
    return next((str(r[1]) for r in cover.iter_rows(max_col=2, values_only=True) if r[0] == "Status"), "UNKNOWN")


def _print_submitted(quarter, submitted) -> None:
    if submitted.status_at_submission != "READY":
        print(f"warning: the {quarter.label} return was submitted as {submitted.status_at_submission}", file=sys.stderr)
    print(f"{quarter.label}: submitted; figures frozen, workbook archived unchanged")
    print(f"approved by {submitted.approved_by}, submitted by {submitted.submitted_by}")
    print(f"archived: {submitted.workbook_path} (sha256 {submitted.workbook_sha256}; "
          f"figures {submitted.figures_sha256})")


def cmd_match(args) -> int:
    from transforms.matching.review import BadReviewWorkbook
    from transforms.matching.run import run_matching

    settings = _service_settings(args)
    try:
        with _locked("identity", settings, "match"):
            report = run_matching(settings)
    except BadReviewWorkbook as exc:
        print(f"review decisions not imported: {exc}", file=sys.stderr)
        return 2
    print(report.message())
    for source, c in report.result.counts.items():
        print(f"  {source:<10} records {c['records']:>8,}  linked {c['linked']:>7,}  to review {c['review']:>5,}")
    print(f"output: {report.review_workbook}\noutput: {report.summary_file}")
    if args.ground_truth:
        import pandas as pd

        from transforms.matching.quality import measure
        from transforms.warehouse.db import make_engine

        links = pd.read_sql_table("core_identity_link", make_engine(settings.warehouse_url))
        truth = pd.read_csv(args.ground_truth, dtype=str, keep_default_na=False)
        print("\n".join(measure(links, report.result.review, truth).lines()))
    return 0


def cmd_board_pack(args) -> int:
    from transforms.marts.board_pack import MartsNotBuilt, QuarterRefused, write_board_pack
    from transforms.warehouse.db import make_engine

    quarter = _quarter(args.quarter)
    if args.threshold is not None and args.threshold < 1:
        raise UserError("--threshold must be 1 or more (1 suppresses nothing)")
    settings = _service_settings(args)
    if args.threshold is not None:
        settings = settings.with_overrides(suppression_threshold=args.threshold)
    engine = make_engine(settings.warehouse_url)
    if args.rebuild:
        from transforms.marts.build import rebuild_marts

        _progress("rebuilding the marts from the core")
        with _locked("marts", settings, "board-pack --rebuild"):
            # The service's own areas (residence measures): read_core's fallback is the environment's.
            print(rebuild_marts(engine, settings.output_dir / "marts", dt.date.today(), settings.service_areas).summary())
    try:
        pack = write_board_pack(engine, quarter, settings.output_dir / "board_pack", settings.service_name,
                                settings.service_areas, settings.suppression_threshold,
                                file_slug=settings.service_slug)
    except (MartsNotBuilt, QuarterRefused) as exc:
        raise UserError(str(exc)) from None
    print(pack.summary())
    print(f"output: {pack.path}")
    return 0


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"'{text}' is not a date (use yyyy-mm-dd)") from None


def _signoff_arguments(p) -> None:
    p.add_argument("--approved-by", help="who approved the return (required to submit); recorded on the Cover, "
                                         "in kpi_submission and in signoff.json beside the archive")
    p.add_argument("--by", help="who sends it, when not the approver")
    p.add_argument("--comment", help="the approver's comment, recorded with the approval")
    p.add_argument("--reason", help="why a DRAFT return is approved (required to submit a DRAFT)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yj", description="Youth justice data platform")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print results only, without the progress lines inside each step")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sample", help="write a synthetic landing folder for every source")
    p.add_argument("--out", required=True, help="folder to write (landing/ and ground_truth/ go inside)")
    p.add_argument("--children", type=int, default=2000, help="number of children in the case system (default 2000)")
    p.add_argument("--years", type=int, default=5, help="years of history (default 5)")
    p.add_argument("--layout", default="corepl", help="case-system supplier layout: corepl or childview")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same files (default 1)")
    p.add_argument("--defects", action="store_true", help="add realistic data-quality problems")
    p.add_argument("--as-of", help="extract date of the sample (default 2026-11-20)")
    p.add_argument("--partnership", action="store_true",
                   help="two services (Leicester City; Leicestershire with Rutland) sharing one custody feed; "
                        "--children is per service")
    p.set_defaults(func=cmd_sample)
    p = sub.add_parser("run", help="run the whole chain through Airflow on a landing folder")
    p.add_argument("--landing", help="landing folder (default: $YJ_LANDING_DIR or var/landing)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--quarter", help="KPI quarter, e.g. 2025Q2 (default: the quarter just ended)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("kpi", help="produce a quarter's YJB KPI return from the warehouse")
    p.add_argument("--quarter", required=True, help="e.g. 2025Q2 or '2025-26 Q2'")
    p.add_argument("--landing", help="landing folder with board/ and reference/ (default: $YJ_LANDING_DIR or var/landing)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--submit", action="store_true",
                   help="produce and submit in one step: freeze the figures and archive the workbook just written "
                        "(needs --approved-by)")
    _signoff_arguments(p)
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=cmd_kpi, per_service=True)
    p = sub.add_parser("submit-return", help="mark the quarter's return, as last produced, as submitted to the YJB "
                                             "(refused when the workbook's figures are not the warehouse's)")
    p.add_argument("--quarter", required=True, help="e.g. 2025Q2 or '2025-26 Q2'")
    _signoff_arguments(p)
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=cmd_submit_return, per_service=True)
    p = sub.add_parser("match", help="match children across sources now (imports landing/match_review decisions)")
    p.add_argument("--landing", help="landing folder (default: $YJ_LANDING_DIR or var/landing)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    p.add_argument("--out", help="output folder")
    p.add_argument("--ground-truth", help="a sample's ground_truth/identity_links.csv: also print precision and recall")
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=cmd_match, per_service=True)
    p = sub.add_parser("board-pack", help="write a quarter's HTML board pack from the marts")
    p.add_argument("--quarter", required=True, help="e.g. 2025Q2 or '2025-26 Q2'")
    p.add_argument("--rebuild", action="store_true", help="rebuild the marts from the core first")
    p.add_argument("--threshold", type=int, help="suppress counts below this (default: $YJ_SUPPRESSION_THRESHOLD or 5)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=cmd_board_pack, per_service=True)
    p = sub.add_parser("report", help="write a load attempt's report, load summary and Data Docs again from the warehouse")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--attempt", help="the attempt id (in the report's file names and the audit)")
    which.add_argument("--delivery", help="every loaded or rejected attempt of this delivery")
    which.add_argument("--due", action="store_true", help="every report an earlier run could not write")
    p.add_argument("--source", help="with --delivery: the source (case_system, education, ccis, police_custody, ...)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=cmd_report, per_service=True)
    for command, (_, what) in LOAD_COMMANDS.items():
        p = sub.add_parser(command, help=f"load {what} without Airflow")
        p.add_argument("--landing", help="landing folder (default: $YJ_LANDING_DIR or var/landing)")
        p.add_argument("--warehouse",
                       help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
        p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
        p.add_argument("--service", help="one service of the partnership (default: every service)")
        p.set_defaults(func=cmd_load, per_service=True)
    from types import SimpleNamespace

    from yj_airflow.rights import add_commands as add_rights_commands  # subject-access, retention, erase

    add_rights_commands(sub, SimpleNamespace(UserError=UserError, service_settings=_service_settings,
                                             open_warehouse=_open_warehouse))
    return parser


def main(argv: list[str] | None = None) -> int:
    from transforms.warehouse.locks import WarehouseBusy

    quiet_library_warnings()
    parser = build_parser()
    args = parser.parse_args(argv)
    undo_progress = (lambda: None) if args.quiet else _show_progress()
    try:
        if getattr(args, "per_service", False):
            return _per_service(args)
        return args.func(args)
    except UserError as exc:
        print(f"yj: error: {exc}", file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(f"yj: busy: {exc}", file=sys.stderr)
        return 75  # EX_TEMPFAIL: try again later
    except KeyboardInterrupt:
        print("yj: interrupted", file=sys.stderr)
        return 130
    finally:
        undo_progress()


if __name__ == "__main__":
    sys.exit(main())
