"""The shared police custody feed routed into each service's warehouse (issue 16 item 3),
through the real loads: the feed into the partnership area, each service's case system and its
share of the feed into its own warehouse, its own briefing. Checked against the sample's ground
truth (generated independently of the router) and against hand-made files for the moved child
and the unknown area."""
from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.conftest import make_settings
from transforms.custody.briefing import TABLE_ROW
from transforms.custody.load import live_detentions
from transforms.custody.refresh import refresh_custody
from transforms.ingest.sources import load_case_system
from transforms.partnership.config import parse_partnership
from transforms.partnership.routing import AREA_UNKNOWN, OUTSIDE_PARTNERSHIP
from transforms.partnership.sample import generate_partnership_landing
from transforms.partnership.scope import partnership_settings, services_with_settings
from transforms.warehouse.db import make_engine

pytestmark = pytest.mark.integration
NOW = dt.datetime(2030, 1, 1)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("partnership")
    return generate_partnership_landing(out, children_per_service=150, years=2, moved_children=8, custody_days=3, seed=7)


def _partnership_env(sample, root, warehouse_url=None):
    landing = root / "landing"
    shutil.copytree(sample.root / "landing", landing)
    shutil.copy(sample.partnership_file, root / "partnership.yaml")
    settings = make_settings(root, landing, warehouse_url).with_overrides(partnership_file=root / "partnership.yaml")
    partnership = parse_partnership(settings.partnership_file, settings)
    for _service, own in services_with_settings(settings, partnership):
        load_case_system(own)
    return settings, partnership


def _live_by_service(settings, partnership):
    return {service.id: set(live_detentions(make_engine(own.warehouse_url))["custody_ref"])
            for service, own in services_with_settings(settings, partnership)}


def _check_against_truth(sample, settings, partnership, report):
    truth = sample.routing_truth
    live = _live_by_service(settings, partnership)
    shared = set(live_detentions(make_engine(partnership_settings(settings, partnership).warehouse_url))["custody_ref"])
    # Every detention live in the area is in exactly one place: a service, area unknown, outside.
    assert sum(report.routed.values()) == len(shared) == report.live
    held = [ref for refs in live.values() for ref in refs]
    assert len(held) == len(set(held))
    wrong = []
    for service_id, refs in live.items():
        expected = set(truth.loc[truth["expected_service"] == service_id, "custody_ref"])
        wrong += sorted(refs - expected)
    assert wrong == [], f"{len(wrong)} detentions routed to the wrong service"
    unknown_or_outside = set(truth.loc[truth["expected_routed_by"].isin([AREA_UNKNOWN, OUTSIDE_PARTNERSHIP]), "custody_ref"])
    assert unknown_or_outside & set(held) == set()
    assert report.routed[AREA_UNKNOWN] == len(shared & set(truth.loc[truth["expected_routed_by"] == AREA_UNKNOWN, "custody_ref"]))
    # The known children and home-area children all reach their service (none lost to "unknown").
    expected_held = shared & set(truth.loc[truth["expected_service"].notna(), "custody_ref"])
    assert set(held) == expected_held
    return live


def test_no_child_routed_to_the_wrong_service_sqlite(sample, tmp_path):
    settings, partnership = _partnership_env(sample, tmp_path)
    report = refresh_custody(settings, now=NOW)
    live = _check_against_truth(sample, settings, partnership, report)
    assert all(live.values())
    # Each service's briefing holds only its own children, and the other services' count.
    for service, own in services_with_settings(settings, partnership):
        sub = report.services[service.id]
        briefing = next(p for p in sub.outputs if p.suffix == ".xlsx" and p.name.startswith("duty_briefing"))
        assert briefing.is_relative_to(settings.output_dir / service.id)
        wb = load_workbook(briefing)
        refs = {row[0] for name in wb.sheetnames[1:]
                for row in wb[name].iter_rows(min_row=TABLE_ROW + 1, values_only=True) if row[0]}
        refs.discard("None at this refresh.")
        known = []  # the case reference of every child the service knows, none for the others
        for sheet in wb.worksheets[1:]:
            table = list(sheet.iter_rows(min_row=TABLE_ROW, values_only=True))
            if len(table) > 1:
                header = list(table[0])
                known += [(r[header.index("Known to YJS")], r[header.index("Case ref")]) for r in table[1:]]
        assert any(flag == "Yes" for flag, _ in known)
        assert all(bool(ref) == (flag == "Yes") for flag, ref in known), known
        assert refs and refs <= live[service.id]
        summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=TABLE_ROW + 1, values_only=True)}
        others = sum(len(v) for k, v in live.items() if k != service.id)
        assert summary["Detained in the area, another service's child"] == others
        page = next(p for p in sub.outputs if p.suffix == ".html").read_text(encoding="utf-8")
        for other in set().union(*(v for k, v in live.items() if k != service.id)):
            assert other not in page
    # The area-unknown list is in the partnership area's output, and the joint figures by service.
    area_out = settings.output_dir / "partnership"
    (unknown_list,) = area_out.glob("custody/*/area_unknown_*.xlsx")
    rows = list(load_workbook(unknown_list).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == report.routed[AREA_UNKNOWN]
    internal = next(area_out.glob("custody/remand_strategy_*_internal.xlsx"))
    figures = pd.DataFrame(list(load_workbook(internal).active.values)[1:], columns=["month", "measure", "breakdown", "value", "count"])
    detentions = figures[figures["measure"] == "detentions"]
    by_service = detentions[detentions["breakdown"] == "service"]
    assert set(by_service["value"]) <= {"Leicester City", "Leicestershire", "Area unknown", "Outside the partnership"}
    assert by_service["count"].sum() == detentions.loc[detentions["breakdown"] == "TOTAL", "count"].iloc[0]

    # A rerun changes nothing.
    again = refresh_custody(settings, now=NOW)
    assert [f for f in again.files] == []
    assert _live_by_service(settings, partnership) == live
    assert all(r.files == [] for r in again.services.values())


def test_no_child_routed_to_the_wrong_service_postgres(sample, tmp_path, postgres_url):
    settings, partnership = _partnership_env(sample, tmp_path, postgres_url)
    report = refresh_custody(settings, now=NOW)
    _check_against_truth(sample, settings, partnership, report)


def test_a_detention_routed_elsewhere_leaves_the_first_service(sample, tmp_path):
    """A child first routed by home area to one service, then known to the other (its case
    system now has them): the first service's warehouse no longer holds the detention."""
    settings, partnership = _partnership_env(sample, tmp_path)
    refresh_custody(settings, now=NOW)
    before = _live_by_service(settings, partnership)
    truth = sample.routing_truth.set_index("custody_ref")
    moved_ref = next(ref for ref in sorted(before["leicester_city"]) if truth.at[ref, "expected_routed_by"] == "home area")
    # The police now give a county postcode for that child.
    feed = partnership.custody_landing_dir
    county = "LE12 7AB"
    for path in sorted(feed.glob("custody_*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if moved_ref in set(frame["custody_ref"]):
            frame.loc[frame["custody_ref"] == moved_ref, "postcode"] = county
            frame.to_csv(path, index=False)
    refresh_custody(settings, now=NOW)
    after = _live_by_service(settings, partnership)
    assert moved_ref not in after["leicester_city"] and moved_ref in after["leicestershire"]
    assert after["leicester_city"] == before["leicester_city"] - {moved_ref}
