"""The nightly case-system load on real deliveries: both supplier layouts, every kind of
bad input in the issue, re-runs, and PostgreSQL as well as the embedded warehouse."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from tests.conftest import copy_landing, make_settings
from tests.integration.helpers import assert_same_core, audit_rows, core_snapshot, derive_delivery, edit_manifest
from transforms.ingest.report import DeliveryRejected
from transforms.ingest.sources import load_case_system
from transforms.sample import defects
from transforms.sample.landing import generate_landing
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import child_key, quarantine

pytestmark = pytest.mark.integration


@pytest.fixture
def loaded(tmp_path, sample_dir):
    """A warehouse with the clean sample delivery live, and its landing folder to damage."""
    landing = copy_landing(sample_dir, tmp_path / "landing")
    settings = make_settings(tmp_path, landing)
    report = load_case_system(settings)
    assert report.outcome == "LOADED"
    return settings, core_snapshot(settings.warehouse_url)


def _quarantine(url: str, delivery_id: str | None = None) -> pd.DataFrame:
    engine = make_engine(url)
    with engine.connect() as conn:
        q = select(quarantine)
        if delivery_id:
            q = q.where(quarantine.c.delivery_id == delivery_id)
        return pd.read_sql_query(q, conn)


def _expect_rejection(settings, before, match: str):
    with pytest.raises(DeliveryRejected, match=match):
        load_case_system(settings)
    assert_same_core(before, core_snapshot(settings.warehouse_url))
    deliveries, _, live = audit_rows(settings.warehouse_url)
    assert deliveries.set_index("delivery_id").loc["broken", "outcome"] == "REJECTED"
    assert live["case_system"] != "broken"
    return deliveries


def test_both_supplier_layouts_load_to_identical_core_tables(tmp_path):
    for layout in ("corepl", "childview"):
        generate_landing(tmp_path / layout, children=250, years=4, layout=layout, seed=21)
        report = load_case_system(make_settings(tmp_path / layout, tmp_path / layout / "landing"))
        assert report.outcome == "LOADED"
        assert sum(c.quarantined for c in report.counts.values()) == 0
    a = core_snapshot(make_settings(tmp_path / "corepl", tmp_path).warehouse_url)
    b = core_snapshot(make_settings(tmp_path / "childview", tmp_path).warehouse_url)
    assert len(a["episode"]) > 200
    assert_same_core(a, b)


def test_counts_reconcile_and_every_child_gets_a_lasting_pseudonym(loaded):
    settings, before = loaded
    deliveries, counts, live = audit_rows(settings.warehouse_url)
    assert (counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"]).all()
    assert dict(zip(counts["table_name"], counts["rows_loaded"])) == {t: len(f) for t, f in before.items()}
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        keys = dict(conn.execute(select(child_key.c.child_id, child_key.c.child_key)).all())
    assert set(keys) == set(before["child"]["child_id"])
    assert len(set(keys.values())) == len(keys)
    assert not any(cid in key for cid, key in keys.items())
    # A new delivery of the same children keeps their keys.
    folder = derive_delivery(settings.landing_dir, "later")
    children = pd.read_csv(folder / "YJ_Children.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    children.loc[0, "Postcode"] = "LE4 9ZZ"  # the child moved: a real change, so not a duplicate delivery
    children.to_csv(folder / "YJ_Children.csv", index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    assert load_case_system(settings).outcome == "LOADED"
    with engine.connect() as conn:
        again = dict(conn.execute(select(child_key.c.child_id, child_key.c.child_key)).all())
    assert {k: again[k] for k in keys} == keys


def test_rerunning_the_same_delivery_changes_nothing(loaded):
    settings, before = loaded
    audit_before = audit_rows(settings.warehouse_url)
    report = load_case_system(settings)
    assert report.outcome == "ALREADY_LOADED"
    assert_same_core(before, core_snapshot(settings.warehouse_url))
    after = audit_rows(settings.warehouse_url)
    pd.testing.assert_frame_equal(audit_before[1], after[1])
    assert list(audit_before[0]["delivery_id"]) == list(after[0]["delivery_id"])


def test_the_same_files_under_a_new_delivery_id_are_recorded_not_loaded(loaded):
    settings, before = loaded
    derive_delivery(settings.landing_dir, "resent")
    report = load_case_system(settings)
    assert report.outcome == "DUPLICATE"
    assert_same_core(before, core_snapshot(settings.warehouse_url))
    deliveries, _, live = audit_rows(settings.warehouse_url)
    assert deliveries.set_index("delivery_id").loc["resent", "outcome"] == "DUPLICATE"
    assert live["case_system"] != "resent"


def test_truncated_file_rejects_the_delivery(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    defects.truncate_file(folder / "YJ_Episodes.csv")
    _expect_rejection(settings, before, "YJ_Episodes.csv: SHA-256 does not match")


def test_manifest_listing_an_absent_file_rejects_the_delivery(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    (folder / "YJ_Needs.csv").unlink()
    _expect_rejection(settings, before, "lists YJ_Needs.csv, which is not in the delivery")


def test_row_count_mismatch_rejects_the_delivery(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    path = folder / "YJ_Episodes.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "End Reason"] = "Completed"
    frame.iloc[:-3].to_csv(path, index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    edit_manifest(folder, lambda m: m["files"][3]["rows"].update({"episode": m["files"][3]["rows"]["episode"] + 7}))
    deliveries = _expect_rejection(settings, before, "data rows read but the manifest says")
    assert "YJ_Episodes.csv" in deliveries.set_index("delivery_id").loc["broken", "reason"]


def test_missing_column_is_a_table_level_failure(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    defects.drop_column(folder / "YJ_Offences.csv", "Gravity Score")
    _expect_rejection(settings, before, r"YJ_Offences.csv: OFF-01: the file lacks required columns")


def test_mostly_empty_file_is_a_table_level_failure(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    path = folder / "YJ_Assessments.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    # The key column emptied in most rows (a wholly empty row is a blank line, not a record, and
    # would be caught by the manifest row count instead).
    frame.loc[frame.index[: int(len(frame) * 0.9)], "Assessment ID"] = ""
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    _expect_rejection(settings, before, "ASM-02: more than half the rows have no Assessment ID")


def test_extra_column_is_ignored_and_noted(loaded):
    settings, _ = loaded
    folder = derive_delivery(settings.landing_dir, "wider")
    path = folder / "YJ_Victims.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["Victim Postcode"] = "LE1 1AA"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    report = load_case_system(settings)
    assert report.outcome == "LOADED"
    deliveries, _, _ = audit_rows(settings.warehouse_url)
    notes = deliveries.set_index("delivery_id").loc["wider", "notes"]
    notes = json.loads(notes) if isinstance(notes, str) else notes
    # Named by its column letter: a header row can be a person's data when a file lacks its header.
    letter = chr(ord("A") + len(frame.columns) - 1)
    assert any(f"1 extra column(s) ignored (column {letter})" in n for n in notes)


def test_cp1252_file_without_bom_loads_with_its_accents(loaded):
    settings, _ = loaded
    folder = derive_delivery(settings.landing_dir, "windows")
    path = folder / "YJ_Children.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "Last Name"] = "Brontë-Zoé"
    frame.to_csv(path, index=False, encoding="cp1252")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    defects.rehash(folder)
    report = load_case_system(settings)
    assert report.outcome == "LOADED"
    core = core_snapshot(settings.warehouse_url)["child"].set_index("child_id")
    assert core.loc[frame.loc[0, "Child ID"], "last_name"] == "Brontë-Zoé"
    deliveries, _, _ = audit_rows(settings.warehouse_url)
    assert "read as cp1252" in json.dumps(deliveries.set_index("delivery_id").loc["windows", "notes"])


def test_row_level_defects_are_quarantined_with_readable_reasons(tmp_path):
    """The --defects sample: impossible and future dates, wrong date format, unknown codes,
    duplicate keys, orphans, empty markers and formula text, in both layouts."""
    for layout in ("corepl", "childview"):
        generate_landing(tmp_path / layout, children=300, years=4, layout=layout, seed=8, defects=True)
        settings = make_settings(tmp_path / layout, tmp_path / layout / "landing")
        report = load_case_system(settings)
        assert report.outcome == "LOADED"
        for table, c in report.counts.items():
            assert c.read == c.loaded + c.quarantined, table
        q = _quarantine(settings.warehouse_url)
        rules = set(",".join(q["rules"]).split(","))
        # impossible DOB, DOB in the future, unknown sex, wrong date format, unknown episode type,
        # end before start, orphan, duplicate key, gravity out of range, unknown offence category
        assert {"CHD-09", "CHD-16", "CHD-10", "EPI-08", "EPI-07", "EPI-12", "EPI-15", "EPI-17", "OFF-12", "OFF-10"} <= rules
        dup = q[q["rules"].str.contains("EPI-17")]
        assert len(dup) == 4  # two keys delivered twice: every copy held back
        reason = q.loc[q["rules"] == "EPI-07", "reason"].iloc[0]
        assert "column C (" in reason and "is not in the episode_type code list" in reason and "row " in reason
        dob_reasons = q.loc[q["rules"].str.contains("CHD-09|CHD-16"), "reason"]
        assert not dob_reasons.str.contains(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}").any(), "a date of birth leaked into a reason"
        core = core_snapshot(settings.warehouse_url)
        names = set(core["child"]["first_name"])
        assert defects.FORMULA_TEXT in names  # loaded as text, unchanged
        # NULL / N/A / - / spaces became empty values, not text.
        for column in ("postcode", "upn", "pnc_id"):
            assert not core["child"][column].isin(["NULL", "N/A", "-", "   "]).any()
        assert not core["episode"]["planned_end_date"].isin(["-"]).any()
    a = core_snapshot(make_settings(tmp_path / "corepl", tmp_path).warehouse_url)
    b = core_snapshot(make_settings(tmp_path / "childview", tmp_path).warehouse_url)
    assert len(a["child"]) == len(b["child"])


@pytest.mark.postgres
def test_load_into_postgresql_matches_the_embedded_warehouse(tmp_path, sample_dir, postgres_url):
    landing = copy_landing(sample_dir, tmp_path / "landing")
    pg = make_settings(tmp_path / "pg", landing, postgres_url)
    lite = make_settings(tmp_path / "lite", landing)
    assert load_case_system(pg).outcome == "LOADED"
    assert load_case_system(lite).outcome == "LOADED"
    assert_same_core(core_snapshot(lite.warehouse_url), core_snapshot(pg.warehouse_url))
    assert load_case_system(pg).outcome == "ALREADY_LOADED"
    # A rejected delivery leaves PostgreSQL's live data as it was.
    before = core_snapshot(pg.warehouse_url)
    folder = derive_delivery(landing, "broken")
    defects.truncate_file(folder / "YJ_Outcomes.csv")
    with pytest.raises(DeliveryRejected):
        load_case_system(pg)
    assert_same_core(before, core_snapshot(pg.warehouse_url))


def test_a_bad_manifest_is_a_clear_rejection(loaded):
    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "broken")
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(DeliveryRejected, match="manifest.json in broken is not valid"):
        load_case_system(settings)
    assert_same_core(before, core_snapshot(settings.warehouse_url))
    assert np.all(audit_rows(settings.warehouse_url)[0].set_index("delivery_id").loc["broken", "outcome"] == "REJECTED")


def test_a_load_killed_half_way_leaves_the_previous_data_live(loaded, tmp_path):
    """Kill the loader (SIGKILL, no clean-up) while it is writing staging; the live data must be
    as before, the attempt is audited as STARTED, and the next run marks it ABANDONED, drops its
    staging tables and loads the delivery cleanly."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    from sqlalchemy import create_engine, inspect, text

    settings, before = loaded
    folder = derive_delivery(settings.landing_dir, "killed")
    path = folder / "YJ_Episodes.csv"
    episodes = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    big = pd.concat([episodes.assign(**{"Episode ID": episodes["Episode ID"] + (f"-{i}" if i else "")})
                     for i in range(800)], ignore_index=True)
    big.to_csv(path, index=False, encoding="utf-8-sig")
    defects.rehash(folder)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from transforms.settings import load_settings
        from transforms.ingest.sources import load_case_system
        load_case_system(load_settings().with_overrides(
            landing_dir=Path({str(settings.landing_dir)!r}), raw_archive_dir=Path({str(tmp_path / 'raw2')!r}),
            warehouse_url={settings.warehouse_url!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_engine(settings.warehouse_url)
    deadline = time.time() + 120
    staged = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            with engine.connect() as conn:
                staging = [n for n in inspect(conn).get_table_names() if n.startswith("stg_") and n.endswith("_episode")]
                if staging:
                    staged = conn.execute(text(f'SELECT count(*) FROM "{staging[0]}"')).scalar_one()
        except Exception:
            staged = 0
        if staged > 50_000:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the load finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    engine.dispose()
    assert staged > 50_000
    assert_same_core(before, core_snapshot(settings.warehouse_url))
    deliveries, _, live = audit_rows(settings.warehouse_url)
    assert deliveries.loc[deliveries["delivery_id"] == "killed", "outcome"].tolist() == ["STARTED"]
    assert live["case_system"] != "killed"
    report = load_case_system(settings)
    assert report.outcome == "LOADED" and report.counts["episode"].loaded == len(big)
    deliveries, _, live = audit_rows(settings.warehouse_url)
    killed = deliveries[deliveries["delivery_id"] == "killed"]
    assert sorted(killed["outcome"]) == ["ABANDONED", "LOADED"] and live["case_system"] == "killed"
    assert killed.loc[killed["outcome"] == "ABANDONED", "reason"].item() == "the attempt stopped without finishing"
    assert not [n for n in inspect(create_engine(settings.warehouse_url)).get_table_names() if n.startswith("stg_")]
