"""The shipped local authority and postcode references, and their loaders' errors, on
hand-written files and facts checked by hand against the ONS lists (not derived from the files)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from transforms.local_authorities import (
    ReferenceDataError, canonical_code, local_authorities, read_local_authorities,
)
from transforms.partnership.postcodes import (
    AREA_UNKNOWN_NO_POSTCODE, AREA_UNKNOWN_PSEUDO, AREA_UNKNOWN_NOT_IN_REFERENCE, AREA_UNKNOWN_SPLIT_DISTRICT, PostcodeParts,
    build_postcode_reference, parse_postcode, postcode_reference, read_postcode_reference, upper_tier_gss,
)

SOURCE = "# source: hand-written for this test\n"


def write(tmp_path: Path, name: str, body: str, header: str = SOURCE) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


# --- local authorities ------------------------------------------------------------------------

def test_shipped_list_has_every_english_and_welsh_upper_tier_authority():
    las = local_authorities()
    # 21 county councils, 63 unitaries, 36 metropolitan districts, 32 London boroughs and the
    # City of London (England, April 2023), and 22 Welsh principal areas.
    kinds = {}
    for la in las.by_code.values():
        kinds[la.kind] = kinds.get(la.kind, 0) + 1
    assert kinds == {"county": 21, "unitary": 63, "metropolitan district": 36, "London borough": 33, "Welsh unitary": 22}
    assert len(las) == 175


@pytest.mark.parametrize("value, code", [
    ("LEICESTERSHIRE", "LEICESTERSHIRE"), ("leicestershire", "LEICESTERSHIRE"), ("E10000018", "LEICESTERSHIRE"),
    ("Rutland", "RUTLAND"), ("E06000017", "RUTLAND"), ("E06000016", "LEICESTER"), ("Leicester", "LEICESTER"),
    ("Brighton and Hove", "BRIGHTON_AND_HOVE"), ("St. Helens", "ST_HELENS"), ("w06000015", "CARDIFF"),
    ("North Northamptonshire", "NORTH_NORTHAMPTONSHIRE"), ("E06000065", "NORTH_YORKSHIRE"),
])
def test_resolve_by_code_gss_or_name(value, code):
    assert local_authorities().resolve(value).code == code


@pytest.mark.parametrize("value", [
    None, "", "  ", "NORTHAMPTONSHIRE",  # abolished 2021
    "E10000021", "CUMBRIA", "E10000023",  # abolished 2023 (North Yorkshire's county code)
    "CHARNWOOD",  # a lower-tier district: youth justice is organised by the upper tier
    "S12000033",  # Aberdeen: Scotland has no youth justice services in this sense
    "LEICS",
])
def test_resolve_unknown_or_abolished_is_none(value):
    assert local_authorities().resolve(value) is None


def test_local_authority_file_errors_name_the_line(tmp_path):
    header = "code,gss_code,name,kind,country\n"
    with pytest.raises(ReferenceDataError, match=r"line 3: column gss_code"):
        read_local_authorities(write(tmp_path, "la.csv", header + "RUTLAND,E6000017,Rutland,unitary,England\n"))
    with pytest.raises(ReferenceDataError, match=r"line 3: column country is 'England' but the GSS code is Wales's"):
        read_local_authorities(write(tmp_path, "la.csv", header + "CARDIFF,W06000015,Cardiff,Welsh unitary,England\n"))
    with pytest.raises(ReferenceDataError, match=r"line 4: RUTLAND / E06000017 is listed twice"):
        read_local_authorities(write(tmp_path, "la.csv", header + "RUTLAND,E06000017,Rutland,unitary,England\n" * 2))
    with pytest.raises(ReferenceDataError, match="header comment"):
        read_local_authorities(write(tmp_path, "la.csv", header, header=""))
    with pytest.raises(ReferenceDataError, match="columns must be"):
        read_local_authorities(write(tmp_path, "la.csv", "code,name\n"))


def test_canonical_code():
    assert canonical_code("Bournemouth, Christchurch and Poole") == "BOURNEMOUTH_CHRISTCHURCH_AND_POOLE"
    assert canonical_code(" st. helens ") == "ST_HELENS"


# --- postcodes --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, parts", [
    ("LE4 3AB", PostcodeParts("LE4", "LE4 3")), ("le43ab", PostcodeParts("LE4", "LE4 3")),
    ("  le4   3ab ", PostcodeParts("LE4", "LE4 3")), ("LE67 1AA", PostcodeParts("LE67", "LE67 1")),
    ("EC1A 1BB", PostcodeParts("EC1A", "EC1A 1")), ("W1A 0AX", PostcodeParts("W1A", "W1A 0")),
    ("B1 1AA", PostcodeParts("B1", "B1 1")), ("LE4 3", PostcodeParts("LE4", "LE4 3")), ("LE4", PostcodeParts("LE4", None)),
])
def test_parse_postcode(raw, parts):
    assert parse_postcode(raw) == parts


@pytest.mark.parametrize("raw", [None, "", " ", "N/A", "NFA", "UNKNOWN", "NO FIXED ABODE", "12 High St", "LE4 3A", "4LE 3AB", "LE 3AB"])
def test_not_a_postcode(raw):
    assert parse_postcode(raw) is None


@given(area=st.text("ABCDEFGHIJKLMNOPRSTUWYZ", min_size=1, max_size=2), number=st.integers(1, 99),
       sector=st.integers(0, 9), unit=st.text("ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2),
       spaces=st.sampled_from(["", " ", "  "]), lower=st.booleans())
def test_parse_any_spelling_of_a_full_postcode(area, number, sector, unit, spaces, lower):
    raw = f"{area}{number}{spaces}{sector}{unit}"
    parts = parse_postcode(raw.lower() if lower else raw)
    assert parts == PostcodeParts(f"{area}{number}", f"{area}{number} {sector}")


POSTCODE_FILE = """postcode_prefix,la_code,note
LE1,LEICESTER,
LE4,,split
LE4 3,LEICESTERSHIRE,Birstall
LE4 5,E06000016,by GSS code
LE15 6,RUTLAND,a sector whose district is not listed
NG1,NOTTINGHAM,
"""


def test_lookup_sector_first_district_only_when_whole(tmp_path):
    ref = read_postcode_reference(write(tmp_path, "pc.csv", POSTCODE_FILE))
    assert ref.lookup("LE4 3XY").local_authority == "LEICESTERSHIRE"
    assert ref.lookup("LE4 3XY").matched_on == "sector"
    assert ref.lookup("le45zz").local_authority == "LEICESTER"
    assert ref.lookup("LE1 5WW").local_authority == "LEICESTER"
    assert ref.lookup("LE1 5WW").matched_on == "district"
    assert ref.lookup("LE4 9AA").reason == AREA_UNKNOWN_SPLIT_DISTRICT  # a split district's unlisted sector
    assert ref.lookup("LE4").reason == AREA_UNKNOWN_SPLIT_DISTRICT  # a district alone cannot decide
    assert ref.lookup("LE15 6AA").local_authority == "RUTLAND"
    assert ref.lookup("LE15 7AA").reason == AREA_UNKNOWN_SPLIT_DISTRICT  # district partly listed: never guessed
    assert ref.lookup("SW1A 1AA").reason == AREA_UNKNOWN_NOT_IN_REFERENCE
    assert ref.lookup("NFA").reason == AREA_UNKNOWN_NO_POSTCODE
    assert ref.lookup(None).reason == AREA_UNKNOWN_NO_POSTCODE


@pytest.mark.parametrize("body, message", [
    ("LE1,LEICS,\n", r"line 3: la_code 'LEICS' is not in local_authorities.csv"),
    ("LE1 1,,\n", r"line 3: sector LE1 1 needs an la_code"),
    ("LE1X Y,LEICESTER,\n", r"line 3: postcode_prefix 'LE1X Y' is neither a district"),
    ("LE1,LEICESTER,\nle1,LEICESTER,\n", r"line 4: postcode_prefix LE1 is already on line 3"),
    ("LE1,LEICESTER,\nLE1 2,LEICESTERSHIRE,\n", r"line 4: sector LE1 2 is in LEICESTERSHIRE but district LE1 is listed as wholly in LEICESTER \(line 3\)"),
    ("LE1,LEICESTER,a note, with a comma\n", r"line 3: 4 values, expected 3"),
])
def test_postcode_file_errors_name_the_line(tmp_path, body, message):
    with pytest.raises(ReferenceDataError, match=message):
        read_postcode_reference(write(tmp_path, "pc.csv", "postcode_prefix,la_code,note\n" + body))


def test_shipped_postcode_reference_loads_and_keeps_city_and_county_apart():
    ref = postcode_reference()
    assert ref.lookup("LE1 6ZZ").local_authority == "LEICESTER"
    assert ref.lookup("LE4 3AA").local_authority == "LEICESTERSHIRE"  # Birstall
    assert ref.lookup("LE4 6AA").local_authority == "LEICESTER"
    assert ref.lookup("LE15 6AA").local_authority == "RUTLAND"  # Oakham
    assert ref.lookup("LE11 1AA").local_authority == "LEICESTERSHIRE"
    # Every split district of the force area resolves nothing by its district alone.
    for district in ("LE2", "LE3", "LE4", "LE5", "LE12", "LE15", "LE16", "PE9"):
        assert ref.lookup(district).local_authority is None


def test_shipped_reference_resolves_the_force_area_edges_by_sector():
    from transforms.partnership.config import Partnership, Service
    from transforms.partnership.routing import AREA_UNKNOWN, HOME_AREA, OUTSIDE_PARTNERSHIP, route_detention

    ref = postcode_reference()
    city = Service("city", "Leicester City", ("LEICESTER",), Path("/l/city"))
    county = Service("county", "Leicestershire", ("LEICESTERSHIRE", "RUTLAND"), Path("/l/county"))
    llr = Partnership("LLR", (city, county), Path("/l/custody"))

    def routed(postcode):
        route = route_detention(postcode, [], llr, ref)
        return route.service, route.routed_by

    assert routed("DE74 2SA") == ("county", HOME_AREA)  # East Midlands Airport
    assert routed("NG13 0AB") == ("county", HOME_AREA)  # Bottesford
    assert routed("CV13 0AB") == ("county", HOME_AREA)  # Market Bosworth
    assert routed("LE15 7AB") == ("county", HOME_AREA)  # split, but only between the county's authorities
    assert routed("NG13 8AB") == (None, OUTSIDE_PARTNERSHIP)  # Bingham
    assert routed("NN17 1AB") == (None, OUTSIDE_PARTNERSHIP)  # Corby
    assert routed("PE9 1AB") == (None, OUTSIDE_PARTNERSHIP)  # Stamford
    assert routed("CV9 3AB") == (None, AREA_UNKNOWN)  # a sector split between Leicestershire and Warwickshire
    assert routed("PE9 4AB") == (None, AREA_UNKNOWN)  # Rutland, Lincolnshire and Peterborough
    assert routed("ZZ99 3VZ") == (None, AREA_UNKNOWN)
    for district in ("CV9", "CV13", "DE11", "DE12", "DE74", "NG13", "NG32", "NG33", "NN6", "NN17", "PE9"):
        assert ref.touches[district], district  # every edge district says which authorities it touches


# --- regenerating from the ONS Postcode Directory ------------------------------------------------

def test_upper_tier_is_the_county_where_there_is_one():
    assert upper_tier_gss("E07000130", "E10000018") == "E10000018"  # Charnwood in Leicestershire
    assert upper_tier_gss("E06000016", "E99999999") == "E06000016"  # Leicester (unitary)
    assert upper_tier_gss("W06000015", "W99999999") == "W06000015"


def test_build_from_onspd_rows_marks_split_districts_and_sectors():
    onspd = [  # hand-written ONSPD rows: pcds, oslaua (district), oscty (county), doterm
        {"pcds": "LE1 1AA", "oslaua": "E06000016", "oscty": "E99999999", "doterm": ""},
        {"pcds": "LE1 6ZZ", "oslaua": "E06000016", "oscty": "E99999999", "doterm": ""},
        {"pcds": "LE4 3AA", "oslaua": "E07000130", "oscty": "E10000018", "doterm": ""},
        {"pcds": "LE4 3AB", "oslaua": "E07000130", "oscty": "E10000018", "doterm": ""},
        {"pcds": "LE4 6AA", "oslaua": "E06000016", "oscty": "E99999999", "doterm": ""},
        {"pcds": "LE4 7AA", "oslaua": "E06000016", "oscty": "E99999999", "doterm": ""},
        {"pcds": "LE4 7AB", "oslaua": "E07000130", "oscty": "E10000018", "doterm": ""},  # a split sector
        {"pcds": "LE9 9ZZ", "oslaua": "E06000016", "oscty": "E99999999", "doterm": "201001"},  # terminated
        {"pcds": "LE9 1AA", "oslaua": "E07000131", "oscty": "E10000018", "doterm": ""},
        {"pcds": "NG1 1AA", "oslaua": "E06000018", "oscty": "E99999999", "doterm": ""},  # not in --areas
    ]
    rows = build_postcode_reference(onspd, ["LE"])
    assert [(r["postcode_prefix"], r["la_code"], r["split_between"]) for r in rows] == [
        ("LE1", "LEICESTER", ""), ("LE4", "", "LEICESTER;LEICESTERSHIRE"), ("LE4 3", "LEICESTERSHIRE", ""),
        ("LE4 6", "LEICESTER", ""), ("LE4 7", "", "LEICESTER;LEICESTERSHIRE"), ("LE9", "LEICESTERSHIRE", ""),
    ]


def test_split_between_records_the_authorities_a_split_district_touches(tmp_path):
    body = ("postcode_prefix,la_code,note,split_between\nLE15,,split,RUTLAND;E10000018\nLE15 6,RUTLAND,,\n"
            "LE15 7,,split sector,RUTLAND;LEICESTERSHIRE\n")
    ref = read_postcode_reference(write(tmp_path, "pc.csv", body))
    assert ref.lookup("LE15 9AA").candidates == {"RUTLAND", "LEICESTERSHIRE"}
    assert ref.lookup("LE15 6AA").local_authority == "RUTLAND"
    assert ref.lookup("ZZ99 3VZ").reason == AREA_UNKNOWN_PSEUDO
    # An older file without the column still loads; its split districts touch "not known".
    old = read_postcode_reference(write(tmp_path, "old.csv", POSTCODE_FILE))
    assert old.lookup("LE4 9AA").candidates == frozenset()


@pytest.mark.parametrize("body, message", [
    ("LE1,LEICESTER,,LEICESTER;RUTLAND\n", r"line 3: LE1 has an la_code and a split_between"),
    ("LE15,,split,RUTLAND;LEICS\n", r"line 3: split_between names 'LEICS'"),
    ("LE15,,split,RUTLAND\n", r"line 3: split_between names one authority"),
    ("LE15,,split,RUTLAND;LEICESTERSHIRE\nLE15 1,LEICESTER,,\n", r"line 4: sector LE15 1 is in LEICESTER, which is not in"),
])
def test_split_between_errors_name_the_line(tmp_path, body, message):
    with pytest.raises(ReferenceDataError, match=message):
        read_postcode_reference(write(tmp_path, "pc.csv", "postcode_prefix,la_code,note,split_between\n" + body))


def test_build_command_writes_a_file_that_loads(tmp_path, capsys):
    from transforms.partnership.postcodes import main

    onspd = tmp_path / "ONSPD_NOV_2026_UK.csv"
    onspd.write_text("pcd,pcds,oslaua,oscty,doterm\nLE1 1AA,LE1 1AA,E06000016,E99999999,\n"
                     "LE4 3AA,LE4 3AA,E07000130,E10000018,\nLE4 6AA,LE4 6AA,E06000016,E99999999,\n", encoding="utf-8")
    out = tmp_path / "postcodes.csv"
    assert main(["build", str(onspd), str(out), "--areas", "LE"]) == 0
    ref = read_postcode_reference(out)
    assert ref.lookup("LE4 3ZZ").local_authority == "LEICESTERSHIRE"
    assert "ONSPD_NOV_2026_UK.csv" in out.read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,la\nLE1 1AA,E06000016\n", encoding="utf-8")
    assert main(["build", str(bad), str(out), "--areas", "LE"]) == 2
    assert "not an ONSPD file" in capsys.readouterr().err


_AUTHORITY_GSS = {"E06000016": "LEICESTER", "E10000018": "LEICESTERSHIRE", "E06000017": "RUTLAND"}


@given(st.lists(st.tuples(st.sampled_from(["LE1", "LE4", "LE15"]), st.integers(0, 9), st.sampled_from(["AA", "AB", "ZZ"]),
                          st.sampled_from(sorted(_AUTHORITY_GSS))), min_size=1, max_size=40))
def test_built_reference_never_gives_a_postcode_the_wrong_authority(tmp_path_factory, postcodes):
    """Whatever the geography, a postcode looked up in the reference built from it gets its own
    authority or none; and every postcode in a sector wholly in one authority gets it."""
    truth = {}
    for district, sector, unit, gss in postcodes:
        truth.setdefault(f"{district} {sector}{unit}", gss)  # one authority per postcode
    onspd = [{"pcds": pc, "oslaua": gss, "oscty": "E99999999", "doterm": ""} for pc, gss in truth.items()]
    path = tmp_path_factory.mktemp("built") / "postcodes.csv"
    from transforms.partnership.postcodes import write_postcode_reference

    write_postcode_reference(build_postcode_reference(onspd, ["LE"]), path, "hypothesis")
    reference = read_postcode_reference(path)
    for postcode, gss in truth.items():
        found = reference.lookup(postcode).local_authority
        assert found in (None, _AUTHORITY_GSS[gss])
        touched = reference.lookup(postcode).candidates  # a split district's list always holds the truth
        assert not touched or _AUTHORITY_GSS[gss] in touched
        sector = postcode[:-2]
        if len({g for p, g in truth.items() if p[:-2] == sector}) == 1:
            assert found == _AUTHORITY_GSS[gss]
