"""Failures reach a person, once: the failure callback every task has (yj_airflow.defaults),
the rejected-file notice of the custody refresh, and the daily health summary. Messages are
built by ``transforms.notices`` (no personal data) and sent by Airflow's SMTP notifier through
the connection ``yj_smtp`` to ``YJ_NOTIFY_EMAIL`` (variable ``yj_notify_email``), and posted
as JSON to ``YJ_NOTIFY_WEBHOOK_URL`` when that is set. Nothing is sent on success.

The callback runs only when a task has failed for good (its retries spent), so a retried
blip sends nothing and a failure sends exactly one message; a notice that cannot be sent is
logged, never raised, so it cannot hide the failure it reports."""
from __future__ import annotations

import json
import logging
import os

log = logging.getLogger(__name__)

SMTP_CONN_ID = "yj_smtp"


def _setting(env_name: str, variable: str) -> str:
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    try:
        from airflow.sdk import Variable

        return (Variable.get(variable, default=None) or "").strip()
    except Exception:
        return ""


def send(notice, context, to: str | None = None) -> int:
    """Send ``notice`` by every configured channel; the number of channels that took it.
    ``to``: addresses other than the BI team's (the duty manager's for an overdue file)."""
    sent = 0
    to = to or _setting("YJ_NOTIFY_EMAIL", "yj_notify_email")
    if to:
        try:
            from airflow.providers.smtp.notifications.smtp import SmtpNotifier

            SmtpNotifier(to=[a.strip() for a in to.split(",") if a.strip()], subject=notice.subject,
                         html_content=notice.html(), smtp_conn_id=SMTP_CONN_ID).notify(context)
            sent += 1
        except Exception as exc:  # reported in the log; the failure itself stays visible in Airflow
            log.error("could not email the notice '%s': %s", notice.subject, type(exc).__name__)
    webhook = _setting("YJ_NOTIFY_WEBHOOK_URL", "yj_notify_webhook_url")
    if webhook:
        import urllib.request

        body = json.dumps({"subject": notice.subject, "text": notice.text()}).encode()
        request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20):
                sent += 1
        except Exception as exc:
            log.error("could not post the notice '%s' to the webhook: %s", notice.subject, type(exc).__name__)
    if not sent:
        log.warning("notice not sent (no YJ_NOTIFY_EMAIL or YJ_NOTIFY_WEBHOOK_URL): %s", notice.subject)
    return sent


def on_task_failure(context) -> None:
    """``on_failure_callback`` of every task."""
    try:
        notice = _failure_notice(context)
    except Exception as exc:  # never let the notice hide the failure
        log.error("could not build the failure notice: %s", type(exc).__name__)
        return
    send(notice, context)


def _failure_notice(context):
    from transforms.notices import SOURCE_OF_DAG, failure_notice, latest_attempt
    from yj_airflow.config import task_settings

    ti = context["ti"]
    settings = _failed_service_settings(context) or task_settings()
    attempt = None
    source = SOURCE_OF_DAG.get(ti.dag_id)
    if source:
        try:
            from transforms.warehouse.db import make_engine

            since = getattr(ti, "start_date", None)
            attempt = latest_attempt(make_engine(settings.warehouse_url), source, since)
        except Exception as exc:  # the warehouse may be what failed
            log.warning("no audit row for the notice: %s", type(exc).__name__)
    return failure_notice(settings.service_name, ti.dag_id, ti.task_id, context.get("run_id") or ti.run_id,
                          ti.try_number, context.get("exception"), attempt, getattr(ti, "log_url", None))


def _failed_service_settings(context):
    """The settings of the service whose mapped instance failed (its name on the notice, its
    warehouse for the audit row), from the id the task put in its context (``label_service``)
    or the instance's rendered map index; None for a task that is not per service."""
    service_id = context.get("service_label") or getattr(context.get("ti"), "rendered_map_index", None)
    if not service_id or "{" in str(service_id):
        return None
    try:
        from yj_airflow.config import service_task_settings

        return service_task_settings(str(service_id))
    except Exception as exc:  # an id no longer in the partnership file: the configured service names it
        log.warning("failure notice: service %s not found (%s)", service_id, type(exc).__name__)
        return None
