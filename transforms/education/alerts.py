"""Alerts for the service's education workers, written after each education load.

For every child open to the service (an episode with no end date) whose education or CCIS
record is linked to them, raise an alert when the child was suspended or permanently
excluded, is on a part-time timetable, is electively home educated or missing education,
attends under 90% (persistently absent) or under 50% (severely absent) this term, or is
NEET or not known post-16.

Each alert has an identity (child, kind and the event it is about), kept in
``alert_raised``; an alert already raised is not raised again the next night. The same
suspension is one alert; a new suspension is a new alert; "persistently absent" is raised
once per term and "severely absent" once more if it gets worse.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import Engine, select, text

from transforms.excel import unique_path, write_table
from transforms.warehouse.db import bulk_insert, ensure_schema
from transforms.warehouse.schema import alert_raised

PERSISTENT_ABSENCE = 0.90
SEVERE_ABSENCE = 0.50
KIND_WORDS = {
    "SUSPENSION": "Suspended", "PERMANENT_EXCLUSION": "Permanently excluded",
    "PART_TIME_TIMETABLE": "On a part-time timetable", "EHE": "Electively home educated",
    "CME": "Child missing education", "PERSISTENT_ABSENCE": "Attendance under 90% this term",
    "SEVERE_ABSENCE": "Attendance under 50% this term", "NEET": "NEET post-16", "NOT_KNOWN": "Post-16 activity not known",
}


@dataclass(frozen=True)
class AlertRun:
    new_alerts: pd.DataFrame
    already_raised: int
    workbook: Path | None


def _academic_year(day: dt.date) -> str:
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def find_alerts(open_children: pd.DataFrame, pupils: pd.DataFrame, suspensions: pd.DataFrame, attendance: pd.DataFrame,
                ccis: pd.DataFrame, activity_groups: dict[str, str], today: dt.date) -> pd.DataFrame:
    """Every alert true today. ``open_children``: child_id, child_key; ``pupils`` and ``ccis``
    carry the child_id they are linked to."""
    open_ids = set(open_children["child_id"])
    pupils = pupils[pupils["child_id"].isin(open_ids)]
    child_of_upn = dict(zip(pupils["upn"], pupils["child_id"]))
    year = _academic_year(today)
    found = []

    def add(child_id, kind, event_date, detail, event_key):
        found.append({"child_id": child_id, "kind": kind, "event_date": event_date, "detail": detail, "event_key": event_key})

    for r in suspensions[suspensions["upn"].isin(child_of_upn)].itertuples(index=False):
        kind = "PERMANENT_EXCLUSION" if r.category == "PERMANENT_EXCLUSION" else "SUSPENSION"
        detail = f"{KIND_WORDS[kind]} from {pd.Timestamp(r.start_date):%d/%m/%Y}, reason {r.reason_code}" + (
            f", {r.sessions} session(s)" if kind == "SUSPENSION" else "")
        add(child_of_upn[r.upn], kind, r.start_date, detail, f"{r.category}|{r.start_date}")
    for r in pupils.itertuples(index=False):
        if r.part_time_timetable:
            hours = f" ({float(r.part_time_hours):g} hours a week)" if pd.notna(r.part_time_hours) else ""
            add(r.child_id, "PART_TIME_TIMETABLE", None, f"On a part-time timetable{hours}", f"PTT|{year}")
        if r.ehe:
            add(r.child_id, "EHE", r.ehe_start_date, "Electively home educated" + (
                f" since {pd.Timestamp(r.ehe_start_date):%d/%m/%Y}" if pd.notna(r.ehe_start_date) else ""), f"EHE|{r.ehe_start_date}")
        if r.cme:
            add(r.child_id, "CME", None, "Recorded as a child missing education", f"CME|{year}")
    if len(attendance):
        latest = attendance[attendance["upn"].isin(child_of_upn)].sort_values("period_start").drop_duplicates("upn", keep="last")
        for r in latest.itertuples(index=False):
            if not r.possible_sessions:
                continue
            rate = r.attended_sessions / r.possible_sessions
            term = f"{pd.Timestamp(r.period_start):%d/%m/%Y} to {pd.Timestamp(r.period_end):%d/%m/%Y}"
            for kind, limit in (("PERSISTENT_ABSENCE", PERSISTENT_ABSENCE), ("SEVERE_ABSENCE", SEVERE_ABSENCE)):
                if rate < limit:
                    add(child_of_upn[r.upn], kind, r.period_start, f"Attended {rate:.0%} of sessions, term {term}",
                        f"{kind}|{r.period_start}")
    ccis = ccis[ccis["child_id"].isin(open_ids)]
    for r in ccis.itertuples(index=False):
        group = activity_groups.get(r.activity_code)
        if group in ("NEET", "NOT_KNOWN"):
            add(r.child_id, group, r.activity_start_date, f"{KIND_WORDS[group]} (CCIS code {r.activity_code}) since "
                f"{pd.Timestamp(r.activity_start_date):%d/%m/%Y}", f"{group}|{r.activity_code}|{r.activity_start_date}")
    out = pd.DataFrame(found, columns=["child_id", "kind", "event_date", "detail", "event_key"])
    out["alert_id"] = [hashlib.sha1(f"{c}|{k}".encode()).hexdigest() for c, k in zip(out["child_id"], out["event_key"])]
    out = out.drop_duplicates("alert_id")
    return out.merge(open_children[["child_id", "child_key"]], on="child_id", how="left")


def _read_inputs(engine: Engine):
    with engine.connect() as conn:
        open_children = pd.read_sql_query(text(
            "SELECT DISTINCT e.child_id, k.child_key FROM core_episode e JOIN core_child_key k ON k.child_id = e.child_id "
            "WHERE e.end_date IS NULL"), conn)
        links = pd.read_sql_query(text("SELECT source, record_id, child_id FROM core_identity_link "
                                       "WHERE child_id IS NOT NULL AND source IN ('education', 'ccis')"), conn)
        pupils = pd.read_sql_query(text("SELECT upn, part_time_timetable, part_time_hours, ehe, ehe_start_date, cme FROM core_pupil"), conn)
        suspensions = pd.read_sql_query(text("SELECT upn, start_date, category, sessions, reason_code FROM core_suspension"), conn)
        attendance = pd.read_sql_query(text("SELECT upn, period_start, period_end, possible_sessions, attended_sessions FROM core_attendance"), conn)
        ccis = pd.read_sql_query(text("SELECT ccis_id, activity_code, activity_start_date FROM core_ccis_activity"), conn)
        groups = dict(conn.execute(text("SELECT code, activity_group FROM ref_ccis_activity")).all())
    edu = links[links["source"] == "education"].set_index("record_id")["child_id"]
    pupils["child_id"] = pupils["upn"].map(edu)
    ccis["child_id"] = ccis["ccis_id"].map(links[links["source"] == "ccis"].set_index("record_id")["child_id"])
    for frame, cols in ((pupils, ("ehe", "cme", "part_time_timetable")),):
        for col in cols:
            frame[col] = frame[col].astype(bool)
    return open_children, pupils, suspensions, attendance, ccis, groups


def raise_alerts(engine: Engine, out_dir: Path, now: dt.datetime) -> AlertRun:
    """Find today's alerts, keep those never raised before, record them and write them to a
    workbook for the education workers (child key and case-system id, no names)."""
    ensure_schema(engine)
    current = find_alerts(*_read_inputs(engine), today=now.date())
    with engine.begin() as conn:
        raised = set(conn.execute(select(alert_raised.c.alert_id)).scalars())
        new = current[~current["alert_id"].isin(raised)].sort_values(["kind", "child_id", "event_key"])
        if len(new):
            rows = new[["alert_id", "child_id", "kind", "event_date", "detail"]].assign(
                event_date=pd.to_datetime(new["event_date"]).dt.date, raised_at=now)
            bulk_insert(conn, alert_raised, rows)
    workbook = None
    if len(new):
        wb = Workbook()
        ws = wb.active
        ws.title = "New alerts"
        ws["A1"] = f"Education alerts raised {now:%d/%m/%Y %H:%M}: {len(new)} new (each alert is raised once)."
        table = new.assign(alert=new["kind"].map(KIND_WORDS))[["child_key", "child_id", "alert", "detail", "event_date"]]
        write_table(ws, table, "NewAlerts", start_row=3)
        # Education and CCIS loads can raise alerts in the same minute: neither file may replace the other.
        workbook = unique_path(out_dir / f"education_alerts_{now:%Y%m%d_%H%M%S}.xlsx")
        wb.save(workbook)
    return AlertRun(new_alerts=new, already_raised=int(current["alert_id"].isin(raised).sum()), workbook=workbook)
