"""Routing the shared custody feed to services, on a hand-written partnership and postcode
reference (not the shipped seed, so the answers can be checked on paper)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from transforms.partnership.config import Partnership, Service
from transforms.partnership.postcodes import read_postcode_reference
from transforms.partnership.routing import (
    AREA_UNKNOWN, HOME_AREA, KNOWN_TO_SERVICE, OUTSIDE_PARTNERSHIP, Involvement, involvements_from_links,
    route_detention, route_detentions,
)

CITY = Service("city", "Leicester City", ("LEICESTER",), Path("/landing/city"))
COUNTY = Service("county", "Leicestershire", ("LEICESTERSHIRE", "RUTLAND"), Path("/landing/county"))
PARTNERSHIP = Partnership("LLR", (CITY, COUNTY), Path("/landing/police_custody"))

POSTCODES = """# hand-written for the routing tests
postcode_prefix,la_code,note
LE1,LEICESTER,
LE4,,split between the city and Birstall
LE4 3,LEICESTERSHIRE,Birstall
LE4 6,LEICESTER,
LE11,LEICESTERSHIRE,
LE15,,split between Rutland and Leicestershire
LE15 6,RUTLAND,
NG1,NOTTINGHAM,
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "postcodes.csv"
    path.write_text(POSTCODES, encoding="utf-8")
    return read_postcode_reference(path)


def test_known_child_goes_to_the_service_that_knows_them_wherever_they_live(reference):
    route = route_detention("LE11 3TU", [Involvement("city", dt.date(2026, 9, 1))], PARTNERSHIP, reference)
    assert (route.service, route.routed_by, route.home_local_authority) == ("city", KNOWN_TO_SERVICE, "LEICESTERSHIRE")
    # A child the service knows is theirs even with no usable postcode (placed out of area, NFA).
    assert route_detention("NFA", [Involvement("county")], PARTNERSHIP, reference).service == "county"


def test_unknown_child_goes_to_the_service_covering_their_home_area(reference):
    route = route_detention("le15 6rb", [], PARTNERSHIP, reference)
    assert (route.service, route.routed_by, route.home_local_authority) == ("county", HOME_AREA, "RUTLAND")
    assert route_detention("LE1 5WW", [], PARTNERSHIP, reference).service == "city"


def test_boundary_postcode_district_split_by_sector(reference):
    # LE4 is both the city and Birstall (Leicestershire): the sector decides; an unlisted sector
    # of the district is not guessed from the district.
    assert route_detention("LE4 3AB", [], PARTNERSHIP, reference).service == "county"
    assert route_detention("LE4 6AB", [], PARTNERSHIP, reference).service == "city"
    unlisted = route_detention("LE4 9AB", [], PARTNERSHIP, reference)
    assert (unlisted.service, unlisted.routed_by) == (None, AREA_UNKNOWN)
    assert "split between local authorities" in unlisted.reason
    assert "LE4" not in unlisted.reason  # the reason never repeats the postcode


@pytest.mark.parametrize("postcode", [None, "", "NFA", "N/A", "no fixed abode", "LE4"])
def test_unknown_area(reference, postcode):
    route = route_detention(postcode, [], PARTNERSHIP, reference)
    assert (route.service, route.routed_by, route.home_local_authority) == (None, AREA_UNKNOWN, None)


def test_outside_the_partnership(reference):
    nottingham = route_detention("NG1 1AA", [], PARTNERSHIP, reference)
    assert (nottingham.service, nottingham.routed_by, nottingham.home_local_authority) == (None, OUTSIDE_PARTNERSHIP, "NOTTINGHAM")
    london = route_detention("SW1A 1AA", [], PARTNERSHIP, reference)  # a district the reference does not list
    assert (london.service, london.routed_by) == (None, OUTSIDE_PARTNERSHIP)


def test_child_who_moved_between_services(reference):
    both = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", dt.date(2024, 1, 1))]
    # Now living in the county: the county, although the city worked with them more recently.
    moved_to_county = route_detention("LE4 3AB", both, PARTNERSHIP, reference)
    assert (moved_to_county.service, moved_to_county.routed_by) == ("county", KNOWN_TO_SERVICE)
    # Home area unknown: the service that worked with them most recently.
    assert route_detention("NFA", both, PARTNERSHIP, reference).service == "city"
    # Living outside both areas: still the most recent.
    assert route_detention("NG1 1AA", both, PARTNERSHIP, reference).service == "city"
    # Nothing decides (same date, or a date missing): a person resolves it.
    tied = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", dt.date(2025, 3, 1))]
    assert route_detention("NFA", tied, PARTNERSHIP, reference).routed_by == AREA_UNKNOWN
    undated = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", None)]
    assert route_detention("NFA", undated, PARTNERSHIP, reference).service is None


def test_involvement_of_a_service_not_in_the_partnership_is_an_error(reference):
    with pytest.raises(ValueError, match="not in the partnership: nottingham"):
        route_detention("LE1 1AA", [Involvement("nottingham")], PARTNERSHIP, reference)


def test_route_detentions_routes_every_detention_once(reference):
    detentions = pd.DataFrame({
        "custody_ref": ["D1", "D2", "D3", "D4", "D5", "D6"],
        "postcode": ["LE11 3TU", "LE4 3AB", "LE4 6AB", None, "NG1 1AA", "LE4 9ZZ"],
    })
    # The matching's links (custody record -> person) and the children each service works with.
    links = pd.DataFrame({
        "source": ["custody", "custody", "custody", "pupil"],
        "record_id": ["D1", "D4", "D6", "D1"],
        "person_key": ["p-ann", "p-bo", "p-unknown", "p-ann"],
    })
    service_children = pd.DataFrame({
        "service": ["city", "county", "city"],
        "person_key": ["p-ann", "p-bo", "p-bo"],
        "last_involvement": pd.to_datetime(["2026-01-05", "2026-06-01", "2025-02-01"]),
    })
    involvements = involvements_from_links(links, service_children)
    assert sorted(map(tuple, involvements[["custody_ref", "service"]].to_numpy())) == [("D1", "city"), ("D4", "city"), ("D4", "county")]
    routed = route_detentions(detentions, involvements, PARTNERSHIP, reference).set_index("custody_ref")
    assert routed["service"].fillna("none").to_dict() == {
        "D1": "city", "D2": "county", "D3": "city", "D4": "county", "D5": "none", "D6": "none"}
    assert routed["routed_by"].to_dict() == {
        "D1": KNOWN_TO_SERVICE, "D2": HOME_AREA, "D3": HOME_AREA, "D4": KNOWN_TO_SERVICE,
        "D5": OUTSIDE_PARTNERSHIP, "D6": AREA_UNKNOWN}
    assert len(routed) == len(detentions)  # every detention in is routed: the lists add up to the feed
    with pytest.raises(ValueError, match="custody references must be unique"):
        route_detentions(pd.concat([detentions, detentions.head(1)]), involvements, PARTNERSHIP, reference)


POSTCODE_POOL = ["LE1 1AA", "LE4 3AB", "LE4 6AB", "LE4 9AB", "LE11 1AA", "LE15 6AA", "LE15 7AA", "NG1 1AA",
                 "SW1A 1AA", "NFA", None, ""]


@given(postcode=st.sampled_from(POSTCODE_POOL),
       involvements=st.lists(st.builds(Involvement, st.sampled_from(["city", "county"]),
                                       st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 11, 1)))), max_size=3))
def test_never_routed_to_a_service_that_neither_knows_the_child_nor_covers_their_home(reference, postcode, involvements):
    route = route_detention(postcode, involvements, PARTNERSHIP, reference)
    knowing = {i.service for i in involvements}
    covering = PARTNERSHIP.service_covering(reference.lookup(postcode).local_authority)
    if knowing:
        assert route.service in knowing | {None}
        assert route.routed_by in (KNOWN_TO_SERVICE, AREA_UNKNOWN)
    elif covering is not None:
        assert (route.service, route.routed_by) == (covering.id, HOME_AREA)
    else:
        assert route.service is None


def test_split_by_service_gives_each_service_only_its_own_children(reference):
    from transforms.partnership.routing import split_by_service

    detentions = pd.DataFrame({
        "custody_ref": ["D1", "D2", "D3", "D4", "D5"],
        "surname": ["Ahmed", "Brown", "Clarke", "Doyle", "Evans"],
        "postcode": ["LE1 1AA", "LE4 3AB", "LE11 2BB", "NFA", "NG1 1AA"],
    })
    routed = route_detentions(detentions, pd.DataFrame(columns=["custody_ref", "service", "last_involvement"]),
                              PARTNERSHIP, reference)
    shares, unresolved = split_by_service(detentions, routed, PARTNERSHIP)
    assert shares["city"].own["custody_ref"].tolist() == ["D1"]
    assert shares["county"].own["custody_ref"].tolist() == ["D2", "D3"]
    assert "Ahmed" not in shares["county"].own["surname"].tolist()
    assert (shares["city"].other_services_children, shares["county"].other_services_children) == (2, 1)
    assert shares["city"].outside_partnership == 1 and shares["city"].area_unknown == 1
    assert unresolved["custody_ref"].tolist() == ["D4"]
    with pytest.raises(ValueError, match="1 detentions have no route"):
        split_by_service(detentions, routed[routed["custody_ref"] != "D5"], PARTNERSHIP)
    stray = routed.assign(service=routed["service"].replace({"city": "rutland"}))
    with pytest.raises(ValueError, match="5 detentions in, 4 placed"):
        split_by_service(detentions, stray, PARTNERSHIP)
