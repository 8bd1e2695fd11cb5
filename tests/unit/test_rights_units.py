"""Small functions of transforms/rights/ on hand-built rows: finding by name and date of birth,
redaction, removing one child's rows from files, and the retention rules' dates."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl import Workbook, load_workbook
from sqlalchemy import insert, select, text

from transforms.excel import write_table
from transforms.rights.files import remove_rows, subject_test
from transforms.rights.find import Found, Request, Subject, find_records
from transforms.rights.inventory import load_inventory
from transforms.rights.retention import RetentionReport, _custody, children_past_rule, run_retention
from transforms.rights.subject_access import REDACTED, redact
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import CORE_TABLES, custody_detention, custody_detention_version


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wh.sqlite'}")
    ensure_schema(engine)
    return engine


def _child(child_id, first, last, dob, upn=None, pnc=None):
    return {"child_id": child_id, "first_name": first, "last_name": last, "date_of_birth": dob, "sex": "M",
            "upn": upn, "pnc_id": pnc, "local_authority": "E06000017"}


def test_name_and_date_of_birth_find_the_child_and_list_near_matches_apart(tmp_path):
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        conn.execute(insert(CORE_TABLES["child"]), [
            _child("C1", "Zoë", "O'Neill", dt.date(2010, 3, 4), upn="A123"),
            _child("C2", "Zoe", "Smith", dt.date(2010, 3, 4)),       # same forename and date of birth: near
            _child("C3", "Zoe", "ONeill", dt.date(2011, 3, 4)),      # other date of birth: nobody
        ])
    found = find_records(engine, Request(first_name="zoe", last_name="o neill", date_of_birth=dt.date(2010, 3, 4)))
    assert list(found.records["core_child"]["child_id"]) == ["C1"]
    assert list(found.near["core_child"]["child_id"]) == ["C2"]
    assert found.subject.upns == {"A123"}


def test_victims_and_the_other_child_of_a_pair_are_redacted():
    inventory = load_inventory()
    s = Subject(child_ids={"C1"}, records={("education", "U1")})
    found = Found(s, {"core_victim": pd.DataFrame({"victim_id": ["V1"], "age_band": ["25-44"], "sex": ["F"], "ethnicity": ["W1"]}),
                      "match_decision": pd.DataFrame({"source": ["education"] * 3, "record_id": ["U1", "U1", "U2"],
                                                      "child_id": ["C1", "C9", "C1"]})},
                  {}, pd.DataFrame(), [])
    out = redact(found, inventory)
    assert out["core_victim"].iloc[0][["age_band", "sex", "ethnicity"]].tolist() == [REDACTED] * 3
    assert out["match_decision"]["child_id"].tolist() == ["C1", REDACTED, "C1"]
    # the child's case record paired with another pupil: that pupil's UPN is theirs, not the child's
    assert out["match_decision"]["record_id"].tolist() == ["U1", "U1", REDACTED]


def test_removing_a_childs_rows_from_a_workbook_shrinks_its_table_and_keeps_the_others(tmp_path):
    wb = Workbook()
    write_table(wb.active, pd.DataFrame({"Case ref": ["C1", "C2", "C3"], "Surname": ["A", "B", "C"]}), "T", start_row=3)
    path = tmp_path / "list.xlsx"
    wb.save(path)
    assert remove_rows(path, subject_test(Subject(child_ids={"C2"}))) == 1
    ws = load_workbook(path).active
    assert [r[0] for r in ws.iter_rows(min_row=4, values_only=True)] == ["C1", "C3"]
    assert ws.tables["T"].ref == "A3:B5"


def test_removing_a_childs_rows_from_csv_and_html_keeps_header_and_others(tmp_path):
    csv_path = tmp_path / "a.csv"
    csv_path.write_bytes("\ufeffChild ID,Name\r\nC1,x\r\nC2,y\r\n".encode())
    html = tmp_path / "a.html"
    html.write_text("<table><tr><th>Case ref</th></tr><tr><td>C1</td></tr><tr><td>C2</td></tr></table>")
    test = subject_test(Subject(child_ids={"C1"}))
    assert remove_rows(csv_path, test) == 1 and remove_rows(html, test) == 1
    assert csv_path.read_bytes() == "\ufeffChild ID,Name\r\nC2,y\r\n".encode()
    assert "C1" not in html.read_text() and "C2" in html.read_text()


def test_a_case_record_is_kept_until_25_and_six_years_after_the_last_involvement(tmp_path):
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        conn.execute(insert(CORE_TABLES["child"]), [_child("OLD", "A", "B", dt.date(1990, 1, 1)),
                                                    _child("YOUNG", "C", "D", dt.date(2005, 1, 1)),
                                                    _child("RECENT", "E", "F", dt.date(1990, 1, 1)),
                                                    _child("OPEN", "G", "H", dt.date(1990, 1, 1))])
        conn.execute(insert(CORE_TABLES["episode"]), [
            {"episode_id": f"E{c}", "child_id": c, "episode_type": "REFERRAL_ORDER", "start_date": dt.date(2015, 1, 1),
             "end_date": end} for c, end in (("OLD", dt.date(2016, 1, 1)), ("YOUNG", dt.date(2016, 1, 1)),
                                             ("RECENT", dt.date(2024, 1, 1)), ("OPEN", None))])
    with engine.connect() as conn:
        assert children_past_rule(conn, load_inventory(environ={}), dt.date(2026, 12, 1)) == ["OLD"]


def test_a_custody_version_goes_only_when_a_newer_one_replaced_it(tmp_path):
    engine = _engine(tmp_path)
    base = {"custody_suite": "S", "surname": "X", "forenames": "Y", "date_of_birth": dt.date(2010, 1, 1),
            "arrival_datetime": dt.datetime(2026, 11, 1, 9), "file_name": "f.csv"}
    with engine.begin() as conn:
        conn.execute(insert(custody_detention_version), [
            {**base, "custody_ref": "R1", "extract_time": dt.datetime(2026, 11, 1, 15)},
            {**base, "custody_ref": "R1", "extract_time": dt.datetime(2026, 11, 2, 7)},
            {**base, "custody_ref": "R2", "extract_time": dt.datetime(2026, 11, 1, 15)}])
        conn.execute(insert(custody_detention), [
            {k: v for k, v in {**base, "custody_ref": r, "extract_time": dt.datetime(2026, 11, 2, 7),
                               "first_seen_extract": dt.datetime(2026, 11, 1, 15), "versions": 1}.items() if k != "file_name"}
            for r in ("R1", "R2")])
    report = RetentionReport("x", dt.date(2026, 12, 15), False)
    with engine.begin() as conn:
        _custody(conn, load_inventory(environ={}), dt.date(2026, 12, 15), report, False)
    with engine.connect() as conn:
        left = conn.execute(select(custody_detention_version.c.custody_ref, custody_detention_version.c.extract_time)).all()
    assert sorted((r, t.day) for r, t in left) == [("R1", 2), ("R2", 1)]  # R2's only version is its latest
    assert report.counts == {"core_custody_detention_version": {"custody_version": 1}}


def test_a_dry_run_deletes_nothing_and_is_audited_with_counts_only(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, tmp_path / "landing", f"sqlite:///{tmp_path / 'wh.sqlite'}")
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        conn.execute(insert(CORE_TABLES["child"]), [_child("OLD", "Ann", "Bee", dt.date(1990, 1, 1))])
    out = settings.output_dir / "custody" / "20260101_0700"
    out.mkdir(parents=True)
    (out / "duty_briefing_20260101_0700.html").write_text("<table></table>")
    report = run_retention(settings, engine, dt.date(2026, 12, 1), dry_run=True)
    assert report.counts["core_child"] == {"case_record": 1}
    assert report.files == [("output", "custody/20260101_0700/duty_briefing_20260101_0700.html", "briefing_outputs")]
    assert (out / "duty_briefing_20260101_0700.html").exists()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM core_child")).scalar() == 1
        audit = conn.execute(text("SELECT action, counts FROM audit_rights")).all()
    assert audit[0][0] == "RETENTION_DRY_RUN" and "OLD" not in str(audit) and "Ann" not in str(audit)


def test_a_child_gone_from_the_full_delivery_leaves_history_archive_and_outputs(tmp_path):
    from tests.conftest import make_settings
    from transforms.warehouse.schema import alert_raised, child_key

    settings = make_settings(tmp_path, tmp_path / "landing", f"sqlite:///{tmp_path / 'wh.sqlite'}")
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        conn.execute(insert(CORE_TABLES["child"]), [_child("C1", "Ann", "Bee", dt.date(2010, 1, 1))])
        conn.execute(insert(child_key), [{"child_id": c, "child_key": f"YJ{c}", "first_seen_delivery": "d1"}
                                         for c in ("C1", "GONE")])
        conn.execute(insert(alert_raised), [{"alert_id": "a1", "child_id": "GONE", "kind": "CME", "detail": "x",
                                             "raised_at": dt.datetime(2026, 11, 30)}])
    archive = settings.raw_archive_dir / "case_system" / "d1"
    archive.mkdir(parents=True)
    (archive / "YJ_Children.csv").write_text("Child ID,First Name\nC1,Ann\nGONE,Cat\n")
    alerts = settings.output_dir / "education_alerts"
    alerts.mkdir(parents=True)
    wb = Workbook()
    write_table(wb.active, pd.DataFrame({"child_key": ["YJC1", "YJGONE"], "alert": ["a", "b"]}), "NewAlerts")
    wb.save(alerts / "education_alerts_20261130_060000.xlsx")
    report = run_retention(settings, engine, dt.date(2026, 12, 1))
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(child_key.c.child_id))] == ["C1"]
        assert conn.execute(select(alert_raised)).all() == []
    assert (archive / "YJ_Children.csv").read_text() == "Child ID,First Name\nC1,Ann\n"
    rows = [r for r in load_workbook(alerts / "education_alerts_20261130_060000.xlsx").active.iter_rows(values_only=True)]
    assert rows == [("child_key", "alert"), ("YJC1", "a")]
    assert report.counts["core_child_key"] == {"supplier_correction": 1}
    assert report.counts["alert_raised"] == {"supplier_correction": 1}
