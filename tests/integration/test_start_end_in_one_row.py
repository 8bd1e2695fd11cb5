"""A fourth supplier layout, caseflow_wide: caseflow's conventions, but education and
accommodation are sent as ONE row per episode holding the START and the END record side by
side. It loads by a mapping file alone (written here, into the configured mappings folder)
and gives the same core tables and KPI figures as corepl. A row whose END half is wrong is
quarantined whole, START and all, and the counts still reconcile."""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import select

from tests.corpus.build import build_corpus
from tests.integration.helpers import assert_same_core, core_snapshot
from tests.integration.ingest_harness import settings_for
from tests.integration.test_third_supplier import _figures, _to_caseflow
from transforms.ingest.mapping import DEFAULT_MAPPINGS_DIR
from transforms.ingest.sources import load_case_system
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import audit_table_count, quarantine

pytestmark = pytest.mark.integration

# Hand-written: the layout's two wide tables (shared columns, then each half's own).
WIDE_TABLES = yaml.safe_load("""
ete_status:
  source: CF_ETE_EPISODE.tsv
  columns: {child_id: CHILD_ID, episode_id: EPISODE_ID}
  start_end_column: recorded_at
  start_columns: {ete_type: ETE_TYPE_START, hours_offered: HOURS_OFFERED_START,
                  hours_attended: HOURS_ATTENDED_START, suitable: SUITABLE_START}
  end_columns: {ete_type: ETE_TYPE_END, hours_offered: HOURS_OFFERED_END,
                hours_attended: HOURS_ATTENDED_END, suitable: SUITABLE_END}
accommodation:
  source: CF_ACCOMMODATION_EPISODE.tsv
  columns: {child_id: CHILD_ID, episode_id: EPISODE_ID}
  start_end_column: recorded_at
  start_columns: {accommodation_type: ACCOMMODATION_START, suitable: SUITABLE_START}
  end_columns: {accommodation_type: ACCOMMODATION_END, suitable: SUITABLE_END}
""")
LONG_FILES = {"ete_status": "CF_ETE.tsv", "accommodation": "CF_ACCOMMODATION.tsv"}


def _mappings_folder(target: Path) -> Path:
    target.mkdir()
    for path in DEFAULT_MAPPINGS_DIR.glob("*.yaml"):
        shutil.copy(path, target / path.name)
    layout = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "caseflow.yaml").read_text())
    layout["supplier"] = "caseflow_wide"
    layout["description"] = "caseflow, with education and accommodation as one row per episode (START and END)"
    layout["tables"].update(WIDE_TABLES)
    (target / "caseflow_wide.yaml").write_text(yaml.safe_dump(layout, sort_keys=False))
    return target


def _read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


def _write_tsv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="\t", lineterminator="\n").writerows(rows)


def _widen(caseflow: Path, target: Path, spoil_end_of_row: int | None = None) -> None:
    """caseflow's START/END rows -> one row per episode (with plain dict work, not the
    project's mapping code); ``spoil_end_of_row`` writes an unknown code in that row's END."""
    shutil.copytree(caseflow, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["supplier"] = "caseflow_wide"
    manifest["delivery_id"] = manifest["delivery_id"].replace("caseflow", "caseflow_wide")
    files = {f["name"]: f for f in manifest["files"]}
    for table, spec in WIDE_TABLES.items():
        header, body = _read_tsv(target / LONG_FILES[table])
        (target / LONG_FILES[table]).unlink()
        del files[LONG_FILES[table]]
        episodes: dict[tuple[str, str], dict[str, str]] = {}
        for row in body:
            record = dict(zip(header, row))
            half = "start_columns" if record["RECORDED_AT"] == "Start" else "end_columns"
            wide = episodes.setdefault((record["CHILD_ID"], record["EPISODE_ID"]),
                                       {"CHILD_ID": record["CHILD_ID"], "EPISODE_ID": record["EPISODE_ID"]})
            long_headers = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "caseflow.yaml").read_text())["tables"][table]["columns"]
            for column, wide_header in spec[half].items():
                wide[wide_header] = record[long_headers[column]]
        wide_header = ["CHILD_ID", "EPISODE_ID", *spec["start_columns"].values(), *spec["end_columns"].values()]
        rows = [[e.get(h, "") for h in wide_header] for e in episodes.values()]
        if spoil_end_of_row is not None and table == "ete_status":
            rows[spoil_end_of_row - 2][wide_header.index("ETE_TYPE_END")] = "Space Cadet"
        _write_tsv(target / spec["source"], [wide_header, *rows])
        files[spec["source"]] = {"name": spec["source"], "rows": {table: len(rows)}}
    for entry in files.values():
        entry["sha256"] = hashlib.sha256((target / entry["name"]).read_bytes()).hexdigest()
    manifest["files"] = list(files.values())
    (target / "manifest.json").write_text(json.dumps(manifest))


def _corepl_and_caseflow(tmp_path: Path) -> tuple[Path, Path]:
    """The independent corpus's good corepl delivery, and its caseflow copy."""
    corpus = tmp_path / "corpus"
    build_corpus(corpus)
    corepl = next((corpus / "cs-corepl-good" / "landing" / "case_system").iterdir())
    _to_caseflow(corepl, tmp_path / "caseflow")
    return corepl, tmp_path / "caseflow"


def test_start_and_end_in_one_row_load_by_a_mapping_file_alone_and_match_corepl(tmp_path):
    corepl, caseflow = _corepl_and_caseflow(tmp_path)
    wide_landing = tmp_path / "wide" / "landing"
    _widen(caseflow, wide_landing / "case_system" / corepl.name.replace("corepl", "caseflow_wide"))
    mappings = _mappings_folder(tmp_path / "mappings")

    corepl_settings = settings_for(tmp_path / "corepl", corepl.parent.parent)
    assert load_case_system(corepl_settings).outcome == "LOADED"
    wide_settings = settings_for(tmp_path / "wide", wide_landing).with_overrides(mappings_dir=mappings)
    report = load_case_system(wide_settings)
    assert report.outcome == "LOADED" and report.quarantined == 0, report.summary()
    # Counted in the supplier's rows: fewer rows than records, every one accounted for.
    ete = report.counts["ete_status"]
    assert ete.read == ete.loaded < len(core_snapshot(corepl_settings.warehouse_url)["ete_status"])

    assert_same_core(core_snapshot(corepl_settings.warehouse_url), core_snapshot(wide_settings.warehouse_url))
    pd.testing.assert_frame_equal(_figures(corepl_settings), _figures(wide_settings))


def test_a_row_with_a_bad_end_half_is_quarantined_whole(tmp_path):
    corepl, caseflow = _corepl_and_caseflow(tmp_path)
    header, body = _read_tsv(caseflow / "CF_ETE.tsv")
    # A closed episode: its row has both halves, so both records are held back together.
    closed = [r[header.index("EPISODE_ID")] for r in body if r[header.index("RECORDED_AT")] == "End"][0]
    landing = tmp_path / "wide" / "landing"
    delivery = landing / "case_system" / corepl.name.replace("corepl", "caseflow_wide")
    _widen(caseflow, delivery)
    _, wide_body = _read_tsv(delivery / "CF_ETE_EPISODE.tsv")
    spoilt_row = next(i for i, r in enumerate(wide_body, start=2) if r[1] == closed)
    shutil.rmtree(delivery)
    _widen(caseflow, delivery, spoil_end_of_row=spoilt_row)

    settings = settings_for(tmp_path / "wide", landing).with_overrides(
        mappings_dir=_mappings_folder(tmp_path / "mappings"))
    report = load_case_system(settings)
    assert report.outcome == "LOADED", report.summary()
    ete = report.counts["ete_status"]
    assert (ete.read, ete.quarantined) == (len(wide_body), 1) and ete.read == ete.loaded + ete.quarantined
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        held = conn.execute(select(quarantine).where(quarantine.c.table_name == "ete_status")).mappings().one()
        counted = conn.execute(select(audit_table_count).where(audit_table_count.c.table_name == "ete_status")).mappings().one()
    engine.dispose()
    assert held["line_number"] == spoilt_row
    assert "(ETE_TYPE_START / ETE_TYPE_END)" in held["reason"] and "Space Cadet" not in held["reason"]
    assert held["raw_record"]["ETE_TYPE_END"] == "Space Cadet"  # the row as sent, nothing lost
    assert (counted["rows_read"], counted["rows_quarantined"]) == (len(wide_body), 1)
    live = core_snapshot(settings.warehouse_url)["ete_status"]
    assert closed not in set(live["episode_id"])  # neither half of the spoilt row is live
