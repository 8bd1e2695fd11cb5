"""Failures reach a person once, with no personal data: a real SMTP server (aiosmtpd) and a
real HTTP endpoint on loopback receive what Airflow's SMTP notifier and the webhook send when
a DAG run by Airflow fails; a successful run sends nothing."""
from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.integration.helpers import core_snapshot, derive_delivery, use_partnership_sample
from transforms.sample import defects

pytestmark = pytest.mark.integration


class _Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(monkeypatch):
    from aiosmtpd.controller import Controller

    box = _Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_spare_port())
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_YJ_SMTP", f"smtp://127.0.0.1:{controller.port}?disable_tls=true&disable_ssl=true"
                                               "&from_email=yj-platform%40example.org&retry_limit=0&timeout=10")
    monkeypatch.setenv("YJ_NOTIFY_EMAIL", "bi-team@example.org")
    yield box
    controller.stop()


@pytest.fixture
def webhook(monkeypatch):
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("YJ_NOTIFY_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    yield posts
    server.shutdown()


def _body(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return part.get_payload(decode=True).decode()


def test_a_rejected_delivery_sends_one_email_and_one_webhook_post_without_personal_data(
        airflow_db, yj_env, inbox, webhook, tmp_path):
    from yj_airflow.runner import load_dags, run_dag

    assert run_dag(load_dags()["case_system_nightly"])["ok"]
    assert inbox.messages == [] and webhook == []  # a good night sends nothing

    folder = derive_delivery(tmp_path / "landing", "broken")
    defects.truncate_file(folder / "YJ_Children.csv")
    result = run_dag(load_dags()["case_system_nightly"])
    assert not result["ok"]

    assert len(inbox.messages) == 1 and len(webhook) == 1
    message = inbox.messages[0]
    assert message["To"] == "bi-team@example.org" and message["From"] == "yj-platform@example.org"
    assert message["Subject"] == "[Leicestershire YJ data] case_system delivery rejected"
    body = _body(message)
    for expected in ("Source: case_system", "Delivery: broken (outcome REJECTED)", "Reason: ",
                     "case_system_nightly, task load_case_system_delivery", "still live"):
        assert expected in body
    assert "SHA-256" in body or "row" in body.lower()  # the rejection's own reason
    assert webhook[0]["subject"] == message["Subject"] and "Delivery: broken" in webhook[0]["text"]

    core = core_snapshot(yj_env["YJ_WAREHOUSE_URL"])
    children = core["child"]
    personal = set()
    for column in ("first_name", "last_name", "date_of_birth", "upn", "pnc_id"):
        if column in children:
            personal |= {v for v in children[column].dropna() if len(v) >= 4}
    assert personal
    everything = body + webhook[0]["text"] + message["Subject"]
    assert not [v for v in personal if v in everything]


def test_an_unexpected_error_is_named_by_type_only():
    from transforms.notices import failure_notice

    class IntegrityError(Exception):
        pass

    error = IntegrityError('duplicate key value (first_name)=(Jayden) already exists')
    notice = failure_notice("Rutland", "marts_rebuild", "rebuild_marts_and_extracts", "manual__1", 2, error, None,
                            "http://airflow/log")
    assert "Jayden" not in notice.text() and "an unexpected IntegrityError" in notice.text()
    assert notice.subject == "[Rutland YJ data] marts_rebuild.rebuild_marts_and_extracts failed"
    assert "{" not in notice.html()


def test_the_daily_health_summary_counts_the_last_24_hours(tmp_path):
    from sqlalchemy import insert

    from transforms.notices import health_summary
    from transforms.warehouse.db import ensure_schema, make_engine
    from transforms.warehouse.schema import audit_delivery, audit_table_count, core_publication

    engine = make_engine(f"sqlite:///{tmp_path / 'wh.sqlite'}")
    ensure_schema(engine)
    now = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.timezone.utc)
    rows = [("d1", "case_system", now - dt.timedelta(hours=4), "LOADED"),
            ("d0", "case_system", now - dt.timedelta(hours=30), "REJECTED"),  # older than a day
            ("c1.csv", "police_custody", now - dt.timedelta(hours=2), "REJECTED"),
            ("c2.csv", "police_custody", now - dt.timedelta(hours=1), "LOADED")]
    with engine.begin() as conn:
        for delivery, source, started, outcome in rows:
            conn.execute(insert(audit_delivery).values(attempt_id=f"a-{delivery}", delivery_id=delivery, source=source,
                                                       started_at=started, outcome=outcome))
        conn.execute(insert(audit_table_count), [
            {"attempt_id": "a-d1", "delivery_id": "d1", "source": "case_system", "table_name": "child", "rows_read": 10, "rows_loaded": 7,
             "rows_quarantined": 3},
            {"attempt_id": "a-d0", "delivery_id": "d0", "source": "case_system", "table_name": "child", "rows_read": 10, "rows_loaded": 0,
             "rows_quarantined": 9}])
        conn.execute(insert(core_publication).values(source="case_system", delivery_id="d1",
                                                     published_at=now - dt.timedelta(hours=4)))
    notice = health_summary(engine, "Leicestershire", now, ["case_system", "police_custody", "education"])
    assert notice.subject == "[Leicestershire YJ data] daily health: 1 attempt(s) not loaded"
    assert notice.lines[1:] == [
        "Status: 1 attempt(s) not loaded.",
        "case_system: 1 LOADED; 3 row(s) quarantined; live: d1 since 2026-11-23 03:00",
        "police_custody: 1 LOADED, 1 REJECTED; 0 row(s) quarantined; nothing published yet",
        "education: no attempt; 0 row(s) quarantined; nothing published yet"]


def test_a_rejected_custody_file_is_told_once_and_the_health_summary_is_sent(airflow_db, yj_env, inbox, tmp_path):
    import shutil

    from yj_airflow.runner import load_dags, run_dag

    custody = tmp_path / "landing" / "police_custody"
    newest = sorted(custody.glob("custody_*.csv"))[-1]
    # From the future: rejected. One byte more than the newest file, so it is not the same
    # bytes under another name (that would be recorded as a duplicate, not rejected).
    (custody / "custody_20991231_0700.csv").write_bytes(newest.read_bytes() + b"\n")
    dags = load_dags()
    assert run_dag(dags["police_custody_refresh"])["ok"]
    assert run_dag(dags["police_custody_refresh"])["ok"]  # tries the file again: no second message
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "[Leicestershire YJ data] police_custody: 1 file(s) rejected"
    body = _body(inbox.messages[0])
    assert "custody_20991231_0700.csv" in body and "future" in body

    result = run_dag(dags["platform_health_daily"])
    assert result["ok"], result
    assert len(inbox.messages) == 2
    summary = inbox.messages[1]
    assert summary["Subject"].startswith("[Leicestershire YJ data] daily health: ")
    assert "police_custody: " in _body(summary) and "REJECTED" in _body(summary)


@pytest.fixture
def partnership_env(tmp_path, monkeypatch):
    from transforms.partnership.sample import generate_partnership_landing

    sample = generate_partnership_landing(tmp_path / "sample", children_per_service=60, years=2, moved_children=3,
                                          custody_days=1, seed=31)
    return use_partnership_sample(tmp_path / "run", sample, monkeypatch) / "landing"


def test_a_partnership_failure_notice_names_the_service_whose_task_failed(airflow_db, partnership_env, inbox):
    """Two services, the city's delivery truncated: one notice, under the city's name, with the
    city's rejected delivery read from the city's own warehouse; the county, which loaded, is
    not mentioned."""
    from yj_airflow.runner import load_dags, run_dag

    (delivery,) = (partnership_env / "leicester_city" / "case_system").iterdir()
    defects.truncate_file(delivery / "YJ_Children.csv")
    result = run_dag(load_dags()["case_system_nightly"])
    assert not result["ok"]
    assert result["services"]["leicestershire"]["load_case_system_delivery"]["state"] == "success"
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["Subject"] == "[Leicester City YJ data] case_system delivery rejected"
    body = _body(message)
    assert f"Delivery: {delivery.name} (outcome REJECTED)" in body
    assert "Leicestershire" not in body + message["Subject"]
