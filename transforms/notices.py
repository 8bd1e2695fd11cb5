"""What a person is told when a job fails or a delivery is rejected, and the daily health
summary: plain text built from the audit tables and the error, never from the data.

A notice names the source, the delivery, the reason and the row counts. The reason is the
error's own message only for the errors this project writes for people (a rejected delivery,
a busy warehouse, a failed publish check...), whose messages never hold a name, date of
birth, UPN or PNC id by design; any other error (a database error can quote a row) is
reported by its type only, with a pointer to the task log, which stays inside Airflow."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select

from transforms.warehouse.schema import audit_delivery, audit_table_count, core_publication

# Errors whose message is written for the person who fixes the source (see module docstring).
PEOPLE_READABLE_ERRORS = {"DeliveryRejected", "SnapshotRejected", "CustodyFileRejected", "PublishCheckFailed",
                          "WarehouseBusy", "BadReviewWorkbook", "ReferenceFileError", "MartDrift", "MartsNotBuilt",
                          "BadQuarter"}
# Which source a load task writes (its audit rows carry this name).
SOURCE_OF_DAG = {"case_system_nightly": "case_system", "police_custody_refresh": "police_custody",
                 "education_nightly": "education", "ccis_weekly": "ccis"}
MAX_REASON_CHARS = 600


@dataclass
class Notice:
    subject: str
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def html(self) -> str:
        # Escaped, and braces too: Airflow's SMTP notifier renders the body as a Jinja template.
        body = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        return body.replace("{", "&#123;").replace("}", "&#125;")


def readable_reason(error: BaseException | None) -> str:
    if error is None:
        return "the task stopped without an error message (its process may have been killed)"
    name = type(error).__name__
    if name in PEOPLE_READABLE_ERRORS or name.endswith("Rejected"):
        return str(error)[:MAX_REASON_CHARS]
    return f"an unexpected {name}; the task log in Airflow has the detail"


def latest_attempt(engine: Engine, source: str, since: dt.datetime | None = None) -> dict | None:
    """The newest audited attempt of ``source`` (started at or after ``since``): delivery,
    outcome, reason and row counts."""
    query = select(audit_delivery.c.attempt_id, audit_delivery.c.delivery_id, audit_delivery.c.outcome,
                   audit_delivery.c.reason).where(audit_delivery.c.source == source)
    if since is not None:
        query = query.where(audit_delivery.c.started_at >= since)
    with engine.connect() as conn:
        row = conn.execute(query.order_by(audit_delivery.c.started_at.desc()).limit(1)).first()
        if row is None:
            return None
        counts = conn.execute(select(audit_table_count.c.table_name, audit_table_count.c.rows_read,
                                     audit_table_count.c.rows_loaded, audit_table_count.c.rows_quarantined)
                              .where(audit_table_count.c.attempt_id == row.attempt_id)
                              .order_by(audit_table_count.c.table_name)).all()
    return {"delivery_id": row.delivery_id, "outcome": row.outcome, "reason": row.reason or "",
            "counts": {c.table_name: (c.rows_read, c.rows_loaded, c.rows_quarantined) for c in counts}}


def _count_lines(counts: dict) -> list[str]:
    return [f"  {table}: read {read:,}, loaded {loaded:,}, quarantined {quarantined:,}"
            for table, (read, loaded, quarantined) in counts.items()]


def failure_notice(service: str, dag_id: str, task_id: str, run_id: str, tries: int, error: BaseException | None,
                   attempt: dict | None, log_url: str | None) -> Notice:
    source = SOURCE_OF_DAG.get(dag_id)
    rejected = attempt is not None and attempt["outcome"] == "REJECTED"
    what = f"{source} delivery rejected" if rejected else f"{dag_id}.{task_id} failed"
    lines = [f"{service} youth justice data platform: {what}.",
             f"Job: {dag_id}, task {task_id}, run {run_id}, after {tries} attempt(s)."]
    if source:
        lines.append(f"Source: {source}")
    if attempt:
        lines.append(f"Delivery: {attempt['delivery_id']} (outcome {attempt['outcome']})")
    reason = attempt["reason"] if rejected and attempt["reason"] else readable_reason(error)
    lines.append(f"Reason: {reason}")
    if attempt and attempt["counts"]:
        lines.append("Rows:")
        lines.extend(_count_lines(attempt["counts"]))
    lines.append("The data published before this run is still live." if source else
                 "Nothing this task writes was half-changed: each publish is one transaction.")
    if log_url:
        lines.append(f"Task log: {log_url}")
    return Notice(f"[{service} YJ data] {what}", lines)


def rejected_files_notice(service: str, source: str, run_id: str, rejected: list[tuple[str, str]]) -> Notice:
    """Files of a source rejected in a run that otherwise succeeded (custody)."""
    lines = [f"{service} youth justice data platform: {len(rejected)} {source} file(s) rejected in run {run_id}.",
             f"Source: {source}"]
    lines += [f"Delivery: {name}: {reason[:MAX_REASON_CHARS]}" for name, reason in rejected]
    lines.append("The other files were loaded; a rejected file changed nothing.")
    return Notice(f"[{service} YJ data] {source}: {len(rejected)} file(s) rejected", lines)


def overdue_notice(service: str, missing: list[str], run_id: str) -> Notice:
    """A custody file or the duty briefing not there by its due time (transforms.custody.due)."""
    what = "custody file" if all("custody file" in m for m in missing) else "custody file or briefing"
    lines = [f"{service} youth justice data platform: {what} overdue (check {run_id}).",
             *[f"Overdue: {m}." for m in missing],
             "Nothing has failed; the watch keeps looking and the refresh runs as soon as a file lands. "
             "Ask the police custody team whether today's extract was sent."]
    return Notice(f"[{service} YJ data] {what} overdue", lines)


def health_summary(engine: Engine, service: str, now: dt.datetime, sources: list[str]) -> Notice:
    """The last 24 hours per source: attempts by outcome, rows quarantined, what is live and
    since when. Sent every morning, also when all is well, so silence is never mistaken for
    health."""
    since = now - dt.timedelta(hours=24)
    lines = [f"{service} youth justice data platform: the 24 hours to {now:%Y-%m-%d %H:%M} UTC."]
    problems = 0
    with engine.connect() as conn:
        live = {r.source: r for r in conn.execute(select(core_publication)).all()}
        for source in sources:
            outcomes = dict(conn.execute(select(audit_delivery.c.outcome, func.count())
                                         .where((audit_delivery.c.source == source)
                                                & (audit_delivery.c.started_at >= since))
                                         .group_by(audit_delivery.c.outcome)).all())
            quarantined = conn.execute(
                select(func.coalesce(func.sum(audit_table_count.c.rows_quarantined), 0))
                .select_from(audit_table_count.join(audit_delivery,
                                                    audit_delivery.c.attempt_id == audit_table_count.c.attempt_id))
                .where((audit_delivery.c.source == source) & (audit_delivery.c.started_at >= since)
                       & (audit_delivery.c.outcome == "LOADED"))).scalar_one()
            attempts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "no attempt"
            published = live.get(source)
            since_text = (f"live: {published.delivery_id} since {_utc(published.published_at):%Y-%m-%d %H:%M}"
                          if published else "nothing published yet")
            problems += sum(n for o, n in outcomes.items() if o not in ("LOADED", "DUPLICATE", "SUPERSEDED"))
            lines.append(f"{source}: {attempts}; {int(quarantined):,} row(s) quarantined; {since_text}")
    status = "all well" if problems == 0 else f"{problems} attempt(s) not loaded"
    lines.insert(1, f"Status: {status}.")
    return Notice(f"[{service} YJ data] daily health: {status}", lines)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
