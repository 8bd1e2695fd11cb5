"""The sample generator: reproducible for a seed, every file in the shape the spec gives,
and a ground truth that agrees with the files."""
import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from transforms.sample.landing import generate_landing

SPEC = Path(__file__).resolve().parents[2] / "transforms" / "reference" / "layouts.csv"
CUSTODY_COLUMNS = ("custody_ref custody_suite arrest_datetime arrival_datetime detention_authorised_datetime "
                   "release_datetime surname forenames date_of_birth sex self_defined_ethnicity officer_defined_ethnicity "
                   "postcode pnc_id offence_description offence_code appropriate_adult_requested appropriate_adult_arrived "
                   "strip_search outcome pace_transfer_requested pace_transfer_type pace_transfer_achieved "
                   "reason_not_transferred").split()
PUPIL_COLUMNS = ("upn former_upn surname forename date_of_birth sex ethnicity postcode school_urn school_name nc_year "
                 "sen_provision ehcp_start_date ehcp_last_review_date ehe ehe_start_date cme part_time_timetable "
                 "part_time_hours").split()


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".xlsx"):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def corepl(tmp_path_factory):
    out = tmp_path_factory.mktemp("corepl")
    generate_landing(out, children=400, years=3, layout="corepl", seed=5)
    return out


def test_same_seed_same_files_other_seed_other_files(corepl, tmp_path):
    generate_landing(tmp_path / "again", children=400, years=3, layout="corepl", seed=5)
    generate_landing(tmp_path / "other", children=400, years=3, layout="corepl", seed=6)
    assert _digest(corepl) == _digest(tmp_path / "again")
    assert _digest(corepl) != _digest(tmp_path / "other")


def test_corepl_delivery_matches_layouts_and_manifest(corepl):
    layout = list(csv.DictReader(open(SPEC)))
    folder = next((corepl / "landing" / "case_system").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["supplier"] == "corepl" and manifest["delivery_id"] == folder.name
    for entry in manifest["files"]:
        path = folder / entry["name"]
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no byte-order mark"
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        (table,) = entry["rows"]
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        assert len(frame) == entry["rows"][table]
        assert list(frame.columns) == [r["corepl_header"] for r in layout if r["table"] == table]
    episodes = pd.read_csv(folder / "YJ_Episodes.csv", dtype=str, encoding="utf-8-sig")
    assert episodes["Start Date"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    assert "Referral Order" in set(episodes["Episode Type"])


def test_childview_workbook_matches_layouts(tmp_path):
    generate_landing(tmp_path, children=150, years=2, layout="childview", seed=5)
    layout = list(csv.DictReader(open(SPEC)))
    folder = next((tmp_path / "landing" / "case_system").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    (entry,) = manifest["files"]
    wb = load_workbook(folder / entry["name"], read_only=True)
    for table, rows in entry["rows"].items():
        sheet = next(r["childview_sheet"] for r in layout if r["table"] == table)
        data = list(wb[sheet].iter_rows(values_only=True))
        assert list(data[0]) == [r["childview_header"] for r in layout if r["table"] == table]
        assert len(data) - 1 == rows


def test_other_sources_have_the_spec_columns(corepl):
    landing = corepl / "landing"
    custody = sorted((landing / "police_custody").glob("custody_*_*.csv"))
    assert len(custody) >= 6 and {p.name[-8:-4] for p in custody} == {"0700", "1500"}
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in custody]
    assert all(list(f.columns) == CUSTODY_COLUMNS for f in frames)
    both = pd.concat(frames)
    # Overlapping windows: records recur, and a later file completes an earlier open one.
    repeated = both.groupby("custody_ref").size()
    assert (repeated > 1).any()
    open_then_closed = both.groupby("custody_ref")["release_datetime"].agg(lambda s: (s == "").any() and (s != "").any())
    assert open_then_closed.any()
    pupils = pd.read_csv(next(landing.glob("education/*/pupils.csv")), dtype=str, keep_default_na=False)
    assert list(pupils.columns) == PUPIL_COLUMNS
    assert set(pupils["sen_provision"]) <= {"E", "K", "N"}
    assert (landing / "board" / "board_attendance.xlsx").exists()
    population = pd.read_csv(landing / "reference" / "population.csv")
    assert set(population["age"]) == set(range(10, 18))
    assert set(population["ethnic_group"]) == {"White", "Mixed", "Asian", "Black", "Other"}


def test_ground_truth_agrees_with_the_files(corepl):
    truth = pd.read_csv(corepl / "ground_truth" / "identity_links.csv", dtype=str, keep_default_na=False)
    folder = next((corepl / "landing" / "case_system").iterdir())
    children = pd.read_csv(folder / "YJ_Children.csv", dtype=str, encoding="utf-8-sig")
    case = truth[truth["source"] == "case_system"]
    assert set(case["record_id"]) == set(children["Child ID"])
    assert case["person_id"].is_unique
    pupils = pd.read_csv(next(corepl.glob("landing/education/*/pupils.csv")), dtype=str)
    assert set(truth.loc[truth["source"] == "education", "record_id"]) == set(pupils["upn"])
    custody = pd.concat(pd.read_csv(p, dtype=str) for p in corepl.glob("landing/police_custody/*.csv"))
    assert set(custody["custody_ref"]) <= set(truth.loc[truth["source"] == "custody", "record_id"])
    # The same children appear across sources, with noise of every kind.
    shared = set(case["person_id"]) & set(truth.loc[truth["source"] == "education", "person_id"])
    assert len(shared) > 50
    kinds = set(truth["noise"]) - {""}
    assert {"typo_first", "nickname", "hyphenated", "swapped", "dob_transposed", "moved"} <= kinds


def test_the_cohort_looks_like_a_county_service(corepl):
    folder = next((corepl / "landing" / "case_system").iterdir())
    episodes = pd.read_csv(folder / "YJ_Episodes.csv", dtype=str, encoding="utf-8-sig")
    kinds = episodes["Episode Type"].value_counts()
    prevention = kinds[["Prevention", "Turnaround", "Community Resolution", "Outcome 22 Deferred Caution"]].sum()
    custody = kinds.reindex(["Detention and Training Order", "Section 250 Detention", "Section 259 Detention"]).fillna(0).sum()
    assert prevention > 1.5 * kinds.get("Referral Order", 0)
    assert custody < 0.05 * len(episodes)
    assert episodes["Child ID"].value_counts().max() > 1  # repeat contact exists
    children = pd.read_csv(folder / "YJ_Children.csv", dtype=str, encoding="utf-8-sig")
    assert 0.6 < (children["Sex"] == "Male").mean() < 0.9
