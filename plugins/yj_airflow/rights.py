"""Task bodies and ``yj`` commands for children's data rights (transforms/rights/): subject
access, retention and erasure. Summaries returned to XCom and printed hold counts, file paths
and the request's reference: never a name, date of birth, UPN, PNC id or case-system id."""
from __future__ import annotations

import datetime as dt
import logging
import os

log = logging.getLogger(__name__)
REQUEST_FIELDS = ("child_id", "upn", "pnc_id", "first_name", "last_name", "date_of_birth")


# --- Airflow task bodies -----------------------------------------------------------------------

def subject_access_task(params: dict, service_id: str | None = None) -> dict:
    from transforms.rights.subject_access import request_from, subject_access
    from transforms.warehouse.db import make_engine

    from yj_airflow.tasks import service_task_settings

    settings = service_task_settings(service_id or None)
    result = subject_access(settings, make_engine(settings.warehouse_url), request_from(params),
                            params.get("request_ref") or "", params.get("requested_by") or None)
    log.info(result.summary())
    log.info(result.pdf_note)
    return {"run_id": result.run_id, "workbook": str(result.workbook), "pdf": str(result.pdf) if result.pdf else None,
            "pdf_note": result.pdf_note, "counts": result.counts, "near_matches": result.near_matches,
            "seconds": round(result.seconds, 2)}


def retention_task(dry_run: bool = False, service_id: str | None = None) -> dict:
    from transforms.rights import every_resource_locked
    from transforms.rights.retention import run_retention
    from transforms.warehouse.db import make_engine

    from yj_airflow.tasks import _who_is_running, service_task_settings

    settings = service_task_settings(service_id or None)
    with every_resource_locked(settings, _who_is_running()):
        report = run_retention(settings, make_engine(settings.warehouse_url), dry_run=dry_run, requested_by="Airflow")
    log.info(report.summary())
    for line in report.lines()[:200]:
        log.info(line)
    return {"run_id": report.run_id, "dry_run": dry_run, "as_at": report.today.isoformat(), "counts": report.counts,
            "files": len(report.files), "not_in_inventory": report.not_in_inventory[:50], "seconds": round(report.seconds, 2)}


def _who() -> str | None:
    """Who ran the command: the login name (recorded in the audit as "who asked")."""
    import getpass

    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no login name in a bare container
        return None


def partnership_area_retention_task(dry_run: bool = False) -> dict:
    """The partnership area (the shared custody feed before routing, its archive and the
    area-unknown lists) keeps personal data too; nothing to do for one service."""
    from transforms.partnership.config import load_partnership
    from transforms.partnership.scope import partnership_settings
    from transforms.rights import every_resource_locked
    from transforms.rights.retention import run_retention
    from transforms.warehouse.db import make_engine

    from yj_airflow.config import task_settings
    from yj_airflow.tasks import _who_is_running

    settings = task_settings()
    partnership = load_partnership(settings)
    if partnership.source is None:
        return {"skipped": "one service: no partnership area"}
    area = partnership_settings(settings, partnership)
    with every_resource_locked(area, _who_is_running()):
        report = run_retention(area, make_engine(area.warehouse_url), dry_run=dry_run, requested_by="Airflow")
    log.info(report.summary())
    return {"run_id": report.run_id, "dry_run": dry_run, "counts": report.counts, "files": len(report.files),
            "seconds": round(report.seconds, 2)}


# --- yj commands --------------------------------------------------------------------------------

def _request_args(p) -> None:
    p.add_argument("--child-id", help="the case system's child id")
    p.add_argument("--upn", help="Unique Pupil Number")
    p.add_argument("--pnc-id", help="Police National Computer id")
    p.add_argument("--first-name", help="first name (with --last-name and --date-of-birth)")
    p.add_argument("--last-name", help="last name (with --first-name and --date-of-birth)")
    p.add_argument("--date-of-birth", help="yyyy-mm-dd (with first and last name)")
    p.add_argument("--ref", required=True, help="the request's reference (the service's log number or court order)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (default: $YJ_WAREHOUSE_URL or a SQLite file in var/)")
    p.add_argument("--out", help="output folder (default: $YJ_OUTPUT_DIR or var/output)")
    p.add_argument("--service", help="one service of the partnership (default: every service)")


def _request(args, cli):
    from transforms.rights.subject_access import request_from

    UserError = cli.UserError

    try:
        request = request_from({k: getattr(args, k) for k in REQUEST_FIELDS})
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not request.given():
        raise UserError("name the child: --child-id, --upn, --pnc-id, or --first-name, --last-name and --date-of-birth")
    return request


def cmd_subject_access(cli, args) -> int:
    from transforms.rights.subject_access import subject_access

    request = _request(args, cli)
    settings = cli.service_settings(args)
    result = subject_access(settings, cli.open_warehouse(settings), request, args.ref, _who(), pdf=not args.no_pdf)
    print(result.summary())
    print(f"output: {result.workbook}")
    print(f"output: {result.pdf}" if result.pdf else result.pdf_note)
    return 0


def cmd_retention(cli, args) -> int:
    from transforms.rights import every_resource_locked
    from transforms.rights.retention import run_retention
    from transforms.warehouse.locks import describe_process

    UserError = cli.UserError
    settings = cli.service_settings(args)
    try:
        today = dt.date.fromisoformat(args.as_at) if args.as_at else None
    except ValueError:
        raise UserError(f"'{args.as_at}' is not a date (use yyyy-mm-dd)") from None
    engine = cli.open_warehouse(settings)
    with every_resource_locked(settings, describe_process("yj retention")):
        report = run_retention(settings, engine, today, dry_run=args.dry_run, requested_by=_who())
    print(report.summary())
    print("\n".join(report.lines()))
    return 0


def cmd_erase(cli, args) -> int:
    from transforms.rights import every_resource_locked
    from transforms.rights.erase import ErasureRefused, erase, erase_record, unlink
    from transforms.warehouse.locks import describe_process

    UserError = cli.UserError
    settings = cli.service_settings(args)
    engine = cli.open_warehouse(settings)
    try:
        with every_resource_locked(settings, describe_process("yj erase")):
            if args.unlink:
                source, _, record_id = args.unlink.partition(":")
                if not (source and record_id and args.child_id):
                    raise UserError("--unlink SOURCE:RECORD_ID needs --child-id (the child it was wrongly linked to)")
                report = unlink(settings, engine, source, record_id, args.child_id, args.ref, _who())
            elif args.record:
                source, _, record_id = args.record.partition(":")
                if not (source and record_id):
                    raise UserError("--record is SOURCE:RECORD_ID, e.g. custody:LE26-000123")
                report = erase_record(settings, engine, source, record_id, args.ref, args.reason, _who())
            else:
                report = erase(settings, engine, _request(args, cli), args.ref, args.reason, _who())
    except ErasureRefused as exc:
        raise UserError(str(exc)) from None
    print(report.summary())
    for place, n in sorted(report.counts.items()):
        print(f"  {place:<50} {n:>8,}")
    return 0


def add_commands(sub, cli) -> None:
    """The rights commands on ``yj``'s parser. ``cli`` carries the command line's own helpers
    (``UserError``, ``service_settings``, ``open_warehouse``), handed over rather than imported:
    the command line imports this module, so this module must not import it back."""
    from functools import partial

    from transforms.rights.erase import REASONS

    p = sub.add_parser("subject-access", help="find every record of one child and write an OFFICIAL-SENSITIVE pack")
    _request_args(p)
    p.add_argument("--no-pdf", action="store_true", help="the workbook only (no LibreOffice PDF)")
    p.set_defaults(func=partial(cmd_subject_access, cli), per_service=True)
    p = sub.add_parser("retention", help="delete what has passed its retention rule (personal_data_inventory.yaml)")
    p.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    p.add_argument("--as-at", help="apply the rules as at this date, yyyy-mm-dd (default: today)")
    p.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse")
    p.add_argument("--out", help="output folder")
    p.add_argument("--service", help="one service of the partnership (default: every service)")
    p.set_defaults(func=partial(cmd_retention, cli), per_service=True)
    p = sub.add_parser("erase", help="erase one child's records everywhere (or --unlink a wrongly merged record)")
    _request_args(p)
    p.add_argument("--reason", choices=REASONS, default="court_order", help="why (recorded in the audit)")
    p.add_argument("--unlink", metavar="SOURCE:RECORD_ID",
                   help="instead of erasing: this record is not the child named by --child-id (a wrong merge)")
    p.add_argument("--record", metavar="SOURCE:RECORD_ID",
                   help="erase this one record only (custody:<ref>, education:<UPN>, ccis:<id>), not the whole child")
    p.set_defaults(func=partial(cmd_erase, cli), per_service=True)


__all__ = ["subject_access_task", "retention_task", "add_commands"]
