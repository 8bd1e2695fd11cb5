"""A third supplier layout, caseflow (tab-separated, UPPER_SNAKE headers, dd.mm.yyyy dates, Y/N
booleans, sex as 1/2/9), loads by its mapping file alone and gives the same core tables and KPI
figures as corepl and childview. The input is the independent corpus's good deliveries (built
from the spec, not by our sample generator); the caseflow copy is written here with the csv
module and plain string rules, not with the project's mapping code."""
from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.corpus.build import build_corpus
from tests.integration.helpers import assert_same_core, core_snapshot
from tests.integration.ingest_harness import settings_for
from transforms.ingest.sources import load_case_system
from transforms.kpis.produce import produce_return
from transforms.periods import Quarter
from transforms.settings import REFERENCE_DIR

pytestmark = pytest.mark.integration
SEX = {"Male": "1", "Female": "2", "Not known": "9"}
BOOLS = {"Yes": "Y", "No": "N"}


def _to_caseflow(corepl: Path, target: Path) -> None:
    """corepl CSVs -> caseflow TSVs, following the layout's published description."""
    layout = yaml.safe_load((REFERENCE_DIR / "mappings" / "caseflow.yaml").read_text())
    corepl_layout = yaml.safe_load((REFERENCE_DIR / "mappings" / "corepl.yaml").read_text())
    manifest = json.loads((corepl / "manifest.json").read_text(encoding="utf-8-sig"))
    target.mkdir(parents=True)
    files = []
    for table, spec in corepl_layout["tables"].items():
        with open(corepl / spec["source"], encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        rename = {spec["columns"][c]: h for c, h in layout["tables"][table]["columns"].items()}
        out_rows = [[rename[h] for h in header]]
        for row in body:
            converted = []
            for h, v in zip(header, row):
                if re.fullmatch(r"\d{2}/\d{2}/\d{4}", v):
                    v = v.replace("/", ".")
                elif h == "Sex":
                    v = SEX.get(v, v)
                elif v in BOOLS:
                    v = BOOLS[v]
                converted.append(v)
            out_rows.append(converted)
        name = layout["tables"][table]["source"]
        with open(target / name, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, delimiter="\t", lineterminator="\n").writerows(out_rows)
        files.append({"name": name, "sha256": hashlib.sha256((target / name).read_bytes()).hexdigest(),
                      "rows": {table: len(body)}})
    (target / "manifest.json").write_text(json.dumps({
        "delivery_id": manifest["delivery_id"].replace("corepl", "caseflow"), "supplier": "caseflow",
        "extracted_at": manifest["extracted_at"], "files": files}))


def _figures(settings) -> pd.DataFrame:
    result = produce_return(settings, Quarter.parse("2026Q2"))
    figures = pd.read_csv(result.figures_csv)
    return figures.sort_values(list(figures.columns[:3])).reset_index(drop=True)


def test_caseflow_loads_by_its_mapping_alone_and_matches_corepl_and_childview(tmp_path):
    corpus = tmp_path / "corpus"
    build_corpus(corpus)
    corepl = next((corpus / "cs-corepl-good" / "landing" / "case_system").iterdir())
    childview = corpus / "cs-childview-good" / "landing"
    caseflow_landing = tmp_path / "caseflow" / "landing"
    _to_caseflow(corepl, caseflow_landing / "case_system" / corepl.name.replace("corepl", "caseflow"))
    snapshots, figures = {}, {}
    for name, landing in (("corepl", corepl.parent.parent), ("childview", childview), ("caseflow", caseflow_landing)):
        settings = settings_for(tmp_path / name, landing)
        report = load_case_system(settings)
        assert report.outcome == "LOADED" and report.quarantined == 0, report.summary()
        snapshots[name] = core_snapshot(settings.warehouse_url)
        figures[name] = _figures(settings)
    assert_same_core(snapshots["corepl"], snapshots["caseflow"])
    assert_same_core(snapshots["childview"], snapshots["caseflow"])
    pd.testing.assert_frame_equal(figures["corepl"], figures["caseflow"])
    pd.testing.assert_frame_equal(figures["childview"], figures["caseflow"])
