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
postcode_prefix,la_code,note,split_between
LE1,LEICESTER,,
LE4,,split between the city and Birstall,LEICESTER;LEICESTERSHIRE
LE4 3,LEICESTERSHIRE,Birstall,
LE4 6,LEICESTER,,
LE11,LEICESTERSHIRE,,
LE15,,split between Rutland and Leicestershire,RUTLAND;LEICESTERSHIRE
LE15 6,RUTLAND,,
NG1,NOTTINGHAM,,
NG13,,split between Nottinghamshire and Leicestershire,NOTTINGHAMSHIRE;LEICESTERSHIRE
NG13 0,,split sector,NOTTINGHAMSHIRE;LEICESTERSHIRE
NG13 9,NOTTINGHAMSHIRE,,
DE74,,split,LEICESTERSHIRE;DERBYSHIRE
DE74 2,LEICESTERSHIRE,Castle Donington and East Midlands Airport,
DE72,,split between Derbyshire and Nottinghamshire,DERBYSHIRE;NOTTINGHAMSHIRE
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
    # ADR 0090 (sources.md section 7): the open involvement, else the latest, else the home area.
    both = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", dt.date(2024, 1, 1))]
    # Neither open: the service that worked with them most recently, wherever they live.
    assert route_detention("LE4 3AB", both, PARTNERSHIP, reference).service == "city"
    assert route_detention("NFA", both, PARTNERSHIP, reference).service == "city"
    assert route_detention("NG1 1AA", both, PARTNERSHIP, reference).service == "city"
    # Nothing but the home area decides (same date, or a date missing): the service covering it.
    tied = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", dt.date(2025, 3, 1))]
    assert route_detention("LE4 3AB", tied, PARTNERSHIP, reference).service == "county"
    # ... and nothing at all decides: a person resolves it.
    assert route_detention("NFA", tied, PARTNERSHIP, reference).routed_by == AREA_UNKNOWN
    undated = [Involvement("city", dt.date(2025, 3, 1)), Involvement("county", None)]
    assert route_detention("NFA", undated, PARTNERSHIP, reference).service is None


def test_moved_child_with_the_old_city_address_goes_to_the_service_with_the_open_case(reference):
    # The city closed the case as transferred in May; the county holds it open since. The
    # police record still has the old city address.
    moved = [Involvement("city", dt.date(2026, 5, 20), open=False), Involvement("county", dt.date(2026, 4, 1), open=True)]
    route = route_detention("LE1 5WW", moved, PARTNERSHIP, reference)
    assert (route.service, route.routed_by) == ("county", KNOWN_TO_SERVICE)
    assert "open involvement" in route.reason and "LE1" not in route.reason
    # Both open: the latest, then the home area.
    both_open = [Involvement("city", dt.date(2026, 5, 20), open=True), Involvement("county", dt.date(2026, 6, 1), open=True)]
    assert route_detention("LE1 5WW", both_open, PARTNERSHIP, reference).service == "county"
    # Through the frames the refresh builds: the open flag travels with the involvement.
    links = pd.DataFrame({"source": ["custody"], "record_id": ["D1"], "person_key": ["p-moved"]})
    children = pd.DataFrame({"service": ["city", "county"], "person_key": ["p-moved", "p-moved"],
                             "last_involvement": pd.to_datetime(["2026-05-20", "2026-04-01"]), "open": [False, True]})
    routed = route_detentions(pd.DataFrame({"custody_ref": ["D1"], "postcode": ["LE1 5WW"]}),
                              involvements_from_links(links, children), PARTNERSHIP, reference)
    assert routed["service"].tolist() == ["county"]


def test_split_district_whose_authorities_all_belong_to_one_service_goes_to_that_service(reference):
    # LE15 touches Rutland and Leicestershire, both the county's: an unlisted sector is still the county's.
    route = route_detention("LE15 7AA", [], PARTNERSHIP, reference)
    assert (route.service, route.routed_by, route.home_local_authority) == ("county", HOME_AREA, None)
    assert "LEICESTERSHIRE and RUTLAND" in route.reason and "LE15" not in route.reason
    # Split across two services (LE4): still a person's decision.
    assert route_detention("LE4 9AB", [], PARTNERSHIP, reference).routed_by == AREA_UNKNOWN
    # Split between authorities of no service (DE72): outside the partnership.
    assert route_detention("DE72 3AA", [], PARTNERSHIP, reference).routed_by == OUTSIDE_PARTNERSHIP


def test_edge_district_by_sector(reference):
    # DE74: East Midlands Airport's sector is Leicestershire's; another sector is not guessed.
    assert route_detention("DE74 2SA", [], PARTNERSHIP, reference).service == "county"
    assert route_detention("DE74 9ZZ", [], PARTNERSHIP, reference).routed_by == AREA_UNKNOWN
    # NG13: a whole sector in Nottinghamshire is outside; a split sector across the boundary is unknown.
    assert route_detention("NG13 9AA", [], PARTNERSHIP, reference).routed_by == OUTSIDE_PARTNERSHIP
    assert route_detention("NG13 0AA", [], PARTNERSHIP, reference).routed_by == AREA_UNKNOWN


@pytest.mark.parametrize("postcode", ["ZZ99 3VZ", "zz993vz", "ZZ99 3WZ", "NFA", "N.F.A.", "No Fixed Abode"])
def test_pseudo_postcodes_and_no_fixed_abode_are_area_unknown_not_outside(reference, postcode):
    route = route_detention(postcode, [], PARTNERSHIP, reference)
    assert (route.service, route.routed_by) == (None, AREA_UNKNOWN)


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
                 "SW1A 1AA", "NFA", None, "", "ZZ99 3VZ", "NG13 0AA", "DE74 2SA", "DE72 3AA"]


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
        # Only a split district whose authorities all belong to one service names a service.
        touched = {PARTNERSHIP.service_covering(la) for la in reference.lookup(postcode).candidates}
        assert route.service is None or (len(touched) == 1 and route.service == next(iter(touched)).id)


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
