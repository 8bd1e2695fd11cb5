"""Invariants of the ingest protocol on hand-written deliveries and on random mutations of them
(Hypothesis): no traceback for bad data, every row loaded or quarantined, the previous data
live when a delivery is rejected, a rerun changes nothing, and no personal value in any
message, audit row, report or log."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from tests.integration.ingest_harness import audit, live_state, run_source, settings_for, visible_text
from transforms.ingest.mapping import load_mapping

pytestmark = pytest.mark.integration

# Invented people; every value below is "personal" for the scans.
PEOPLE = [("Okonkwo-Hale", "Tamsin", "2009-04-17"), ("Wiśniewska", "Zofia", "2010-01-30"),
          ("Pemberton", "Jago", "2008-12-02"), ("Abdirahman", "Sagal", "2009-07-09")]
PII = [v for p in PEOPLE for v in p] + ["17/04/2009", "30/01/2010"]

CCIS_HEADER = "ccis_id,upn,surname,forename,date_of_birth,activity_code,activity_start_date"
CCIS_ROWS = [f"CC{i:04d},,{s},{f},{d},{code},2026-09-01"
             for i, ((s, f, d), code) in enumerate(zip(PEOPLE, ("110", "320", "540", "810")))]
CUSTODY_HEADER = ("custody_ref,custody_suite,arrest_datetime,arrival_datetime,detention_authorised_datetime,"
                  "release_datetime,surname,forenames,date_of_birth,sex,self_defined_ethnicity,"
                  "officer_defined_ethnicity,postcode,pnc_id,offence_description,offence_code,"
                  "appropriate_adult_requested,appropriate_adult_arrived,strip_search,outcome,"
                  "pace_transfer_requested,pace_transfer_type,pace_transfer_achieved,reason_not_transferred")
CUSTODY_ROWS = [f"R{i},Euston Street,,2026-11-20T0{i}:00:00,,2026-11-20T0{i + 2}:00:00,{s},{f},{d},M,W1,IC1,,,"
                f"Theft,,,,N,NFA,N,,N," for i, (s, f, d) in enumerate(PEOPLE, start=1)]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header] + rows) + "\n", encoding="utf-8")
    return path


def _assert_invariants(tmp_path: Path, source: str, landing: Path, before: dict | None) -> None:
    settings = settings_for(tmp_path, landing)
    run = run_source(source, settings)  # raises on a traceback
    deliveries, _ = audit(settings)
    assert "FAILED" not in set(deliveries["outcome"]), deliveries[["outcome", "reason"]]
    loaded = [r for r in run.reports if r.outcome == "LOADED"]
    for r in loaded:
        assert all(c.read == c.loaded + c.quarantined for c in r.counts.values())
    for r in run.reports:
        if r.outcome in ("REJECTED", "NOT_A_DELIVERY"):
            assert r.reason and "\n" not in r.reason
    if before is not None and not loaded:
        assert live_state(settings, source) == before
    state = live_state(settings, source)
    again = run_source(source, settings)
    assert not [r for r in again.reports if r.outcome == "LOADED"]
    assert live_state(settings, source) == state
    text = visible_text(settings, run) + visible_text(settings, again)
    assert not [p for p in PII if p in text], "personal data in a message"


# --- random mutations of good deliveries ------------------------------------------------------

def _mutate(data: bytes, op: str, a: int, b: int) -> bytes:
    lines = data.split(b"\n")
    n = max(len(data), 1)
    i, j = a % n, b % n
    k = a % max(len(lines), 1)
    if op == "truncate":
        return data[:i]
    if op == "drop_bytes":
        return data[:min(i, j)] + data[max(i, j):]
    if op == "duplicate_bytes":
        return data[:j] + data[min(i, j):max(i, j)] + data[j:]
    if op == "drop_line":
        return b"\n".join(lines[:k] + lines[k + 1:])
    if op == "duplicate_line":
        return b"\n".join(lines[:k + 1] + lines[k:])
    if op == "swap_lines":
        m = b % max(len(lines), 1)
        lines[k], lines[m] = lines[m], lines[k]
        return b"\n".join(lines)
    if op == "drop_column":
        col = b % 7
        return b"\n".join(b",".join(f for x, f in enumerate(line.split(b",")) if x != col) for line in lines)
    if op == "duplicate_column":
        col = b % 7
        return b"\n".join(b",".join(sum(([f, f] if x == col else [f] for x, f in enumerate(line.split(b","))), []))
                          for line in lines)
    if op == "reencode_utf16":
        return data.decode("utf-8", errors="replace").encode("utf-16")
    if op == "reencode_cp1252":
        return data.decode("utf-8", errors="replace").encode("cp1252", errors="replace")
    if op == "crlf":
        return data.replace(b"\n", b"\r\n")
    if op == "garbage":
        return data[:i] + bytes([(a * 37 + x) % 256 for x in range(16)]) + data[i:]
    raise AssertionError(op)


OPS = ["truncate", "drop_bytes", "duplicate_bytes", "drop_line", "duplicate_line", "swap_lines", "drop_column",
       "duplicate_column", "reencode_utf16", "reencode_cp1252", "crlf", "garbage"]
NAMES = ["ccis_activity_20261121.csv", "CCIS-Activity-20261121.CSV", "ccis_activity_2026112.csv", "ccis activity.csv"]


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1,
                    max_size=3), name=st.sampled_from(NAMES))
def test_mutated_ccis_deliveries_keep_the_invariants(tmp_path_factory, ops, name):
    tmp_path = tmp_path_factory.mktemp("ccis")
    before_landing = tmp_path / "before"
    _write(before_landing / "ccis" / "ccis_activity_20261114.csv", CCIS_HEADER, CCIS_ROWS)
    run_source("ccis", settings_for(tmp_path, before_landing))
    before = live_state(settings_for(tmp_path, before_landing), "ccis")
    data = ("\n".join([CCIS_HEADER] + CCIS_ROWS) + "\n").encode("utf-8")
    for op, a, b in ops:
        data = _mutate(data, op, a, b)
    landing = tmp_path / "landing"
    (landing / "ccis").mkdir(parents=True)
    (landing / "ccis" / name).write_bytes(data)
    _assert_invariants(tmp_path, "ccis", landing, before)


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1,
                    max_size=3))
def test_mutated_custody_files_keep_the_invariants_and_never_stop_a_good_file(tmp_path_factory, ops):
    tmp_path = tmp_path_factory.mktemp("custody")
    landing = tmp_path / "landing"
    good = _write(landing / "police_custody" / "custody_20261120_0700.csv", CUSTODY_HEADER, CUSTODY_ROWS[:2])
    data = ("\n".join([CUSTODY_HEADER] + CUSTODY_ROWS) + "\n").encode("utf-8")
    for op, a, b in ops:
        data = _mutate(data, op, a, b)
    (landing / "police_custody" / "custody_20261120_1500.csv").write_bytes(data)
    _assert_invariants(tmp_path, "police_custody", landing, None)
    deliveries, _ = audit(settings_for(tmp_path, landing))
    outcome = deliveries.set_index("delivery_id").loc[good.name, "outcome"]
    assert outcome == "LOADED"  # the bad file beside it never takes it down


# --- personal data never in a message ----------------------------------------------------------

def _all_personal_rows(columns: int) -> list[str]:
    values = PII * 3
    return [",".join(values[(r + c) % len(values)] for c in range(columns)) for r in range(6)]


def _corepl_delivery(folder: Path, child_rows: list[str]) -> None:
    """A corepl delivery written by hand from the mapping's headers: children only."""
    mapping = load_mapping("corepl")
    files = []
    for table, spec in mapping.tables.items():
        rows = child_rows if table == "child" else []
        path = folder / spec.source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(("\ufeff" + "\n".join([",".join(spec.columns.values())] + rows) + "\n").encode("utf-8"))
        files.append({"name": spec.source, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                      "rows": {table: len(rows)}})
    (folder / "manifest.json").write_text(json.dumps({"delivery_id": folder.name, "supplier": "corepl",
                                                      "extracted_at": "2026-11-21T02:10:00", "files": files}))


@pytest.mark.parametrize("source", ["case_system", "police_custody", "ccis", "population"])
def test_rows_made_only_of_names_and_dates_of_birth_leak_nowhere(tmp_path, source):
    landing = tmp_path / "landing"
    if source == "case_system":
        _corepl_delivery(landing / "case_system" / "corepl-20261121", _all_personal_rows(10))
    elif source == "police_custody":
        _write(landing / "police_custody" / "custody_20261120_0700.csv", CUSTODY_HEADER, _all_personal_rows(24))
    elif source == "ccis":
        _write(landing / "ccis" / "ccis_activity_20261121.csv", CCIS_HEADER, _all_personal_rows(7))
    else:
        _write(landing / "reference" / "population.csv", "area,year,age,sex,ethnic_group,population,source",
               _all_personal_rows(7))
    # A shifted row too: one field more than the header.
    target = next(p for p in landing.rglob("*.csv") if p.name != "YJ_Episodes.csv" and p.stat().st_size > 200)
    with open(target, "a", encoding="utf-8") as f:
        f.write(",".join(PII[:9]) + "," + ",".join(PII) + "\n")
    if source == "case_system":
        _corepl_delivery(landing / "case_system" / "corepl-20261121",
                         _all_personal_rows(10) + [",".join(PII[:9]) + "," + ",".join(PII)])
    _assert_invariants(tmp_path, source, landing, None)


def test_a_header_row_of_names_is_not_echoed(tmp_path):
    """A file sent without its header: its first data row is where the header should be."""
    landing = tmp_path / "landing"
    _write(landing / "ccis" / "ccis_activity_20261121.csv", CCIS_ROWS[0], CCIS_ROWS[1:])
    _assert_invariants(tmp_path, "ccis", landing, None)


# --- custody: duplicates and corrections ------------------------------------------------------

def test_identical_custody_files_under_two_names_load_once_and_a_same_name_correction_reloads(tmp_path):
    landing = tmp_path / "landing"
    bad_row = "R9,Euston Street,,2026-11-20T03:00:00,,2026-11-20T01:00:00,Okonkwo-Hale,Tamsin,2009-04-17,M,,,,,Theft,,,,,,,,,"
    first = _write(landing / "police_custody" / "custody_20261120_0700.csv", CUSTODY_HEADER, CUSTODY_ROWS[:2] + [bad_row])
    shutil.copy(first, landing / "police_custody" / "custody_20261120_1500.csv")
    settings = settings_for(tmp_path, landing)
    run = run_source("police_custody", settings)
    assert [r.outcome for r in run.reports] == ["LOADED", "DUPLICATE"]
    assert run.reports[0].quarantined == 1 and "custody_20261120_0700.csv" in run.reports[1].reason
    assert run_source("police_custody", settings).reports == []  # every later refresh: nothing to do
    # The same name again with other bytes: a correction, loaded (its quarantine row replaced).
    _write(first, CUSTODY_HEADER, CUSTODY_ROWS[:3])
    (report,) = run_source("police_custody", settings).reports
    assert report.outcome == "LOADED" and (report.read, report.quarantined) == (3, 0)
    _, held = audit(settings)
    assert held.empty
    assert "R3" in live_state(settings, "police_custody")["core_custody_detention"]


# --- outputs never overwrite each other -------------------------------------------------------

def test_education_and_ccis_back_to_back_keep_every_alert(tmp_path, sample_dir):
    """Both loads raise alerts in the same second: two workbooks, every alert recorded as
    raised is in one of them."""
    import datetime as dt

    from openpyxl import load_workbook
    from sqlalchemy import func, select

    from tests.conftest import copy_landing
    from transforms.education.alerts import raise_alerts
    from transforms.ingest.sources import load_case_system, load_ccis, load_education
    from transforms.matching.run import run_matching
    from transforms.warehouse.db import make_engine
    from transforms.warehouse.schema import alert_raised

    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = settings_for(tmp_path, landing)
    load_case_system(settings)
    engine = make_engine(settings.warehouse_url)
    now = dt.datetime(2026, 11, 20, 6, 0, 0)
    books = []
    for load in (load_education, load_ccis):
        assert load(settings).outcome == "LOADED"
        run_matching(settings)
        run = raise_alerts(engine, settings.output_dir / "education_alerts", now)  # the same second
        if run.workbook:
            books.append(run.workbook)
    assert len(books) == 2 and books[0] != books[1] and all(b.exists() for b in books)
    shown = sum(load_workbook(b, read_only=True)["New alerts"].max_row - 3 for b in books)
    with engine.connect() as conn:
        raised = conn.execute(select(func.count()).select_from(alert_raised)).scalar_one()
    assert shown == raised > 0
