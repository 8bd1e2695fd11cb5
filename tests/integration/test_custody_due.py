"""Quiet nights and late files, run by Airflow (``dag.test``) with a real SMTP server on
loopback (the inbox of test_notifications): the custody watch that sees no file is skipped,
not failed, and sends nothing; the due-time check sends nothing when the files and the
briefing are there, and exactly one notice to the duty manager when a file is late."""
from __future__ import annotations

import pendulum
import pytest

from tests.integration.test_notifications import inbox  # noqa: F401  (the SMTP fixture)

pytestmark = pytest.mark.integration

DAY = "20261123"


@pytest.fixture
def quiet_landing(tmp_path, monkeypatch):
    """A landing folder whose custody feed is empty, a private warehouse and output folder."""
    landing = tmp_path / "landing"
    (landing / "police_custody").mkdir(parents=True)
    for name, value in {"YJ_LANDING_DIR": landing, "YJ_OUTPUT_DIR": tmp_path / "output",
                        "YJ_RAW_ARCHIVE_DIR": tmp_path / "raw",
                        "YJ_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'wh.sqlite'}"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("YJ_DUTY_MANAGER_EMAIL", "duty-manager@example.org")
    return landing


def _at(hhmm: str):
    return pendulum.parse(f"{DAY[:4]}-{DAY[4:6]}-{DAY[6:]}T{hhmm}:00", tz="Europe/London")


def test_a_night_without_files_is_skipped_not_failed_and_sends_nothing(airflow_db, quiet_landing, inbox):  # noqa: F811
    from yj_airflow.runner import load_dags, run_dag

    dag = load_dags()["custody_file_watch"]
    sensor = dag.get_task("wait_for_new_custody_file")
    # The night shortened to two seconds; poke mode, as dag.test runs it in one process.
    sensor.timeout, sensor.poke_interval, sensor.mode = 2, 0.5, "poke"
    result = run_dag(dag)
    assert result["ok"], result
    assert result["tasks"]["wait_for_new_custody_file"]["state"] == "skipped"
    assert inbox.messages == []


def test_files_and_briefing_on_time_send_nothing(airflow_db, quiet_landing, inbox, tmp_path):  # noqa: F811
    from yj_airflow.runner import load_dags, run_dag

    (quiet_landing / "police_custody" / f"custody_{DAY}_0700.csv").write_text("x\n")
    (quiet_landing / "police_custody" / f"custody_{DAY}_1500.csv").write_text("x\n")
    briefing = tmp_path / "output" / "custody" / f"{DAY}_0700"
    briefing.mkdir(parents=True)
    (briefing / "duty_briefing.xlsx").write_bytes(b"x")
    dag = load_dags()["custody_due_check"]
    for hhmm in ("07:00", "07:45", "15:00"):
        result = run_dag(dag, logical_date=_at(hhmm))
        assert result["ok"], result
        assert result["tasks"]["check_custody_due_times"]["result"]["overdue"] == 0
    assert inbox.messages == []


def test_a_late_file_sends_exactly_one_notice_to_the_duty_manager(airflow_db, quiet_landing, inbox):  # noqa: F811
    from yj_airflow.runner import load_dags, run_dag

    # Last night's 15:00 file came; this morning's has not.
    (quiet_landing / "police_custody" / "custody_20261122_1500.csv").write_text("x\n")
    result = run_dag(load_dags()["custody_due_check"], logical_date=_at("07:00"))
    assert result["ok"], result
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "duty-manager@example.org"
    assert message["Subject"] == "[Leicestershire YJ data] custody file overdue"
    body = message.get_payload(decode=True) or b"".join(p.get_payload(decode=True) or b"" for p in message.walk())
    assert b"due at 07:00 on 23 Nov 2026 has not arrived" in body


def test_due_windows():
    import datetime as dt

    from transforms.custody.due import custody_slot, parse_times

    times = parse_times("15:00, 07:00")
    assert times == [dt.time(7), dt.time(15)]
    assert custody_slot(dt.datetime(2026, 11, 23, 7), times) == (dt.datetime(2026, 11, 22, 15), dt.datetime(2026, 11, 23, 7))
    assert custody_slot(dt.datetime(2026, 11, 23, 15), times)[0] == dt.datetime(2026, 11, 23, 7)
    with pytest.raises(ValueError, match="'7am'"):
        parse_times("7am")
