"""The two-service partnership sample: its files, its moved children, routing of its shared
custody feed against its ground truth, and a service's delivery loading through the real ingest
protocol. (Generated data: this shows the sample and the router agree; the routing rules
themselves are tested on hand-written cases in tests/unit/partnership/test_routing.py.)"""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_settings
from transforms.partnership.config import parse_partnership
from transforms.partnership.postcodes import postcode_reference
from transforms.partnership.routing import involvements_from_links, route_detentions
from transforms.partnership.sample import IDENTITY_COLUMNS, generate_partnership_landing

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("partnership")
    return generate_partnership_landing(out, children_per_service=150, years=2, moved_children=8, custody_days=3, seed=7)


def test_files_and_partnership_file(sample):
    settings = make_settings(sample.root, sample.root / "landing")
    partnership = parse_partnership(sample.partnership_file, settings)
    assert partnership.service_ids == ("leicester_city", "leicestershire")
    for service in partnership.services:
        (delivery,) = (service.landing_dir / "case_system").iterdir()
        assert (delivery / "manifest.json").exists()
    assert any(partnership.custody_landing_dir.glob("custody_*.csv"))


def test_children_live_in_their_services_area(sample):
    reference = postcode_reference()
    for service_id, areas in (("leicester_city", {"LEICESTER"}), ("leicestershire", {"LEICESTERSHIRE", "RUTLAND"})):
        child = sample.tables[service_id]["child"]
        assert set(child["local_authority"]) <= areas
        looked_up = child["postcode"].map(lambda pc: reference.lookup(pc).local_authority)
        assert (looked_up == child["local_authority"]).all()


def test_moved_children_are_in_both_case_systems_with_a_new_address(sample):
    truth = sample.identity_truth
    city = truth[truth["source"] == "case_system:leicester_city"]
    county = truth[truth["source"] == "case_system:leicestershire"]
    moved = set(city["person_id"]) & set(county["person_id"])
    assert len(moved) == 8
    city_child = sample.tables["leicester_city"]["child"].merge(city, left_on="child_id", right_on="record_id")
    county_child = sample.tables["leicestershire"]["child"].merge(county, left_on="child_id", right_on="record_id")
    both = city_child.merge(county_child, on="person_id", suffixes=("_before", "_now"))
    assert len(both) == 8
    for column in IDENTITY_COLUMNS:
        assert both[f"{column}_before"].astype(str).tolist() == both[f"{column}_now"].astype(str).tolist()
    assert (both["local_authority_before"] == "LEICESTER").all()
    assert both["local_authority_now"].isin(["LEICESTERSHIRE", "RUTLAND"]).all()


def test_no_detention_routed_to_the_wrong_service_on_the_ground_truth(sample):
    settings = make_settings(sample.root, sample.root / "landing")
    partnership = parse_partnership(sample.partnership_file, settings)
    files = sorted(partnership.custody_landing_dir.glob("custody_*.csv"))
    detentions = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files]).drop_duplicates("custody_ref", keep="last")
    # Perfect matching: the ground truth's links stand in for core_identity_link.
    truth = sample.identity_truth
    links = truth[truth["source"] == "custody"].rename(columns={"person_id": "person_key"})
    service_children = []
    for service_id, tables in sample.tables.items():
        known = truth[truth["source"] == f"case_system:{service_id}"]
        # As the custody refresh reads a service's episodes: an open one counts as today, and is open.
        episodes = tables["episode"]
        ended = pd.to_datetime(episodes["end_date"]).fillna(pd.Timestamp.now().normalize())
        last = ended.groupby(episodes["child_id"]).max()
        is_open = episodes["end_date"].isna().groupby(episodes["child_id"]).any()
        service_children.append(pd.DataFrame({"service": service_id, "person_key": known["person_id"].to_numpy(),
                                              "last_involvement": pd.to_datetime(known["record_id"].map(last)).to_numpy(),
                                              "open": known["record_id"].map(is_open).to_numpy()}))
    involvements = involvements_from_links(links, pd.concat(service_children, ignore_index=True))
    routed = route_detentions(detentions[["custody_ref", "postcode"]], involvements, partnership).set_index("custody_ref")
    expected = sample.routing_truth.set_index("custody_ref").loc[routed.index]
    wrong = routed["service"].notna() & (routed["service"].fillna("") != expected["expected_service"].fillna(""))
    assert not wrong.any(), routed[wrong]
    assert (routed["service"].fillna("") == expected["expected_service"].fillna("")).all()
    assert (routed["routed_by"] == expected["expected_routed_by"]).all()
    # Every kind of case is in the feed, including moved children detained at their new address.
    assert set(expected["expected_routed_by"]) >= {"known to the service", "home area"}
    moved_refs = [r for r in routed.index if "-M" in r and expected.at[r, "expected_routed_by"] == "known to the service"]
    assert moved_refs and (routed.loc[moved_refs, "service"] == "leicestershire").all()


def test_the_county_delivery_loads_through_the_ingest_protocol(sample, tmp_path):
    from transforms.ingest.sources import load_case_system_delivery

    settings = make_settings(tmp_path, sample.root / "landing", f"sqlite:///{tmp_path / 'w.sqlite'}")
    engine = create_engine(settings.warehouse_url)
    from transforms.warehouse.schema import metadata

    metadata.create_all(engine)
    (delivery,) = (sample.root / "landing" / "leicestershire" / "case_system").iterdir()
    report = load_case_system_delivery(delivery, settings, engine)
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM core_child")).scalar()
        quarantined = conn.execute(text("SELECT count(*) FROM quarantine WHERE table_name = 'child'")).scalar()
    assert report.outcome == "LOADED"
    assert loaded + quarantined == len(sample.tables["leicestershire"]["child"]) and quarantined == 0
