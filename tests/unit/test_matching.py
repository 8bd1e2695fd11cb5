"""Matching children across sources: exact keys, each kind of noise, twins, and reviewers'
decisions overriding the model. The Splink model really trains here (on DuckDB), on a
population built by the sample generator's own people and noise functions."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from transforms.matching.records import CASE_COLUMNS, COLUMNS, SOURCES, name_groups, standardise
from transforms.matching.resolve import Thresholds, deterministic_links, match_people
from transforms.sample import noise
from transforms.sample.people import POPULATION_ETHNICITY, make_people, random_dobs
from transforms.sample.sources import _noisy_names

NO_DECISIONS = pd.DataFrame(columns=["source", "record_id", "child_id", "decision", "reviewer"])


def _case(frame: pd.DataFrame) -> pd.DataFrame:
    raw = pd.DataFrame({"child_id": frame["person_id"], "first_name": frame["first_name"], "last_name": frame["last_name"],
                        "date_of_birth": frame["date_of_birth"], "postcode": frame["postcode"], "sex": frame["sex"],
                        "upn": frame["upn"], "pnc_id": frame.get("pnc_id")})
    return standardise(raw, "case_system", CASE_COLUMNS)


def _pupils(frame: pd.DataFrame, names: pd.DataFrame | None = None) -> pd.DataFrame:
    names = frame if names is None else names
    raw = pd.DataFrame({"upn": frame["upn"], "former_upn": None, "forename": names["first_name"], "surname": names["last_name"],
                        "date_of_birth": names["date_of_birth"], "postcode": names["postcode"], "sex": frame["sex"]})
    return standardise(raw, "education", SOURCES["education"])


@pytest.fixture(scope="module")
def population():
    """300 service children whose UPN both sides hold (the model learns from these, noise
    and all), 1,500 other pupils, and the probes the tests look at."""
    rng = np.random.default_rng(5)
    as_of = dt.date(2026, 11, 20)
    people = make_people(rng, 1800, dob=random_dobs(rng, 1800, dt.date(2008, 1, 1), dt.date(2015, 1, 1)),
                         ethnicity=POPULATION_ETHNICITY, male_share=0.5, prefix="P")
    people["sex"] = people["sex"].replace({"U": "M"})
    service, others = people.iloc[:300].reset_index(drop=True), people.iloc[300:].reset_index(drop=True)
    noisy = _noisy_names(rng, service, 0.35, people["last_name"].unique())
    pupils = pd.concat([_pupils(service, noisy), _pupils(others)], ignore_index=True)
    return {"service": service, "others": others, "pupils": pupils, "as_of": as_of}


PROBES = {
    "exact": lambda p: p,
    "typo_first": lambda p: p.assign(first_name="Jessicca"),
    "typo_last": lambda p: p.assign(last_name=p["last_name"].str.replace("o", "", n=1)),
    "nickname": lambda p: p.assign(first_name="Tom"),
    "hyphenated": lambda p: p.assign(last_name=p["last_name"] + "-Okafor"),
    "swapped": lambda p: p.assign(first_name=p["last_name"], last_name=p["first_name"]),
    "dob_transposed": lambda p: p.assign(date_of_birth=p["date_of_birth"].map(noise.transpose_day_month)),
    "moved": lambda p: p.assign(postcode="LE11 9ZZ"),
}


PROBE_SURNAMES = ["Thompson", "Fletcher", "Atkinson", "Pearson", "Hodgson", "Chapman", "Marshall", "Stevenson"]


def _probe_child(i: int, first: str) -> pd.DataFrame:
    """A child of the service the case system holds no UPN for (distinct from every other probe)."""
    return pd.DataFrame({"person_id": [f"PROBE{i}"], "first_name": [first], "last_name": [PROBE_SURNAMES[i % 8] + "e" * (i // 8)],
                         "date_of_birth": [dt.date(2009 + i % 4, 3 + i % 8, 2 + i % 9)], "postcode": [f"LE4 {i % 10}A{chr(66 + i // 10)}"],
                         "sex": ["M"], "upn": [f"X{i:012d}"]})


def _people_with(population, case_extra: list[pd.DataFrame], pupil_extra: list[pd.DataFrame]) -> dict:
    case = pd.concat([_case(population["service"])] + [_case(c.assign(upn=None)) for c in case_extra], ignore_index=True)
    pupils = pd.concat([population["pupils"]] + pupil_extra, ignore_index=True)
    empty = pd.DataFrame(columns=COLUMNS)
    return {"case_system": case, "education": pupils, "ccis": empty, "custody": empty}


def _link_of(links: pd.DataFrame, record_id: str) -> tuple[str | None, str | None]:
    row = links[(links["source"] == "education") & (links["record_id"] == record_id)]
    return (row["child_id"].iloc[0], row["method"].iloc[0]) if len(row) else (None, None)


def test_exact_keys_link_deterministically(population):
    people = _people_with(population, [], [])
    links = deterministic_links(people)
    assert len(links) == 300 and set(links["method"]) == {"upn"}
    assert (links["record_id"].map(dict(zip(people["education"]["unique_id"], people["education"]["upn"])))
            == links["child_id"].map(dict(zip(people["case_system"]["unique_id"], people["case_system"]["upn"])))).all()


def test_each_kind_of_noise_links_the_right_child_with_method_and_score(population):
    children, records = [], []
    for i, (kind, change) in enumerate(PROBES.items()):
        child = _probe_child(i, {"nickname": "Thomas", "typo_first": "Jessica", "moved": "Barnaby"}.get(kind, "Daniel"))
        children.append(child)
        records.append(_pupils(child.assign(upn=f"Y{i:012d}"), change(child.copy())))
    result = match_people(_people_with(population, children, records), NO_DECISIONS, Thresholds(link=0.98, review=0.8))
    for i, kind in enumerate(PROBES):
        child, method = _link_of(result.links, f"Y{i:012d}")
        assert (child, method) == (f"PROBE{i}", "probabilistic"), kind
        row = result.links[result.links["record_id"] == f"Y{i:012d}"].iloc[0]
        assert row["match_probability"] >= 0.98 and "Forename:" in row["reasons"], kind
    assert result.proven_pairs == 300


def test_a_twin_is_kept_apart(population):
    """Same surname, address and date of birth, another forename: never linked automatically,
    whether or not the child's own pupil record is there."""
    child_a, child_b = _probe_child(20, "Callum"), _probe_child(21, "Callum")
    twin_a = _pupils(child_a.assign(upn="T00000000000A"), child_a.assign(first_name="Owen"))
    own_a = _pupils(child_a.assign(upn="T00000000000B"))
    twin_b = _pupils(child_b.assign(upn="T00000000000C"), child_b.assign(first_name="Owen"))  # child B has no pupil record
    result = match_people(_people_with(population, [child_a, child_b], [twin_a, own_a, twin_b]), NO_DECISIONS, Thresholds())
    assert _link_of(result.links, "T00000000000B") == ("PROBE20", "probabilistic")
    assert _link_of(result.links, "T00000000000A") == (None, None)
    assert _link_of(result.links, "T00000000000C") == (None, None)
    queued = result.review[result.review["record_id"] == "T00000000000C"]
    assert (queued["why_review"] == "Forenames differ, same surname (a twin or sibling looks like this)").all() and len(queued)


def test_different_valid_upns_are_never_the_same_child(population):
    from transforms.identifiers import upn_check_letter

    theirs, ours = "801200000030", "801200000031"
    child = _probe_child(30, "Daniel").assign(upn=upn_check_letter(theirs) + theirs)
    record = _pupils(child.assign(upn=upn_check_letter(ours) + ours))
    people = _people_with(population, [], [record])
    people["case_system"] = pd.concat([people["case_system"], _case(child)], ignore_index=True)
    result = match_people(people, NO_DECISIONS, Thresholds())
    assert _link_of(result.links, upn_check_letter(ours) + ours) == (None, None)


def test_reviewer_decisions_override_the_model(population):
    child, other = _probe_child(40, "Daniel"), _probe_child(41, "Kyle")
    linked_by_model = _pupils(child.assign(upn="R00000000000A"))
    unrelated = _pupils(other.assign(upn="R00000000000B"), other.assign(last_name="Nowak", postcode="LE1 1AA"))
    decisions = pd.DataFrame([
        {"source": "education", "record_id": "R00000000000A", "child_id": "PROBE40", "decision": "not_same", "reviewer": "A. Reviewer"},
        {"source": "education", "record_id": "R00000000000B", "child_id": "PROBE41", "decision": "same", "reviewer": "A. Reviewer"},
    ])
    people = _people_with(population, [child, other], [linked_by_model, unrelated])
    before = match_people(people, NO_DECISIONS, Thresholds())
    assert _link_of(before.links, "R00000000000A") == ("PROBE40", "probabilistic")
    assert _link_of(before.links, "R00000000000B") == (None, None)
    after = match_people(people, decisions, Thresholds())
    assert _link_of(after.links, "R00000000000A") == (None, None)
    assert _link_of(after.links, "R00000000000B") == ("PROBE41", "reviewer")


def test_name_variants_form_groups():
    groups = name_groups()
    assert groups["TOM"] == groups["THOMAS"] == groups["TOMMY"]
    assert groups["BECKY"] == groups["REBECCA"]
    assert groups.get("DANIEL") != groups.get("THOMAS")


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="review"):
        Thresholds(link=0.8, review=0.9)


# --- issue 14: one hand-written pair per cause, all in one model run ---------------------

def _valid_upn(body: str) -> str:
    from transforms.identifiers import upn_check_letter

    return upn_check_letter(body) + body


def _custody(records: list[dict]) -> pd.DataFrame:
    raw = pd.DataFrame(records)
    return standardise(raw, "custody", SOURCES["custody"])


def _child(child_id: str, first: str, last: str, dob: str, postcode: str, sex: str = "M", upn=None, pnc=None) -> pd.DataFrame:
    return pd.DataFrame({"person_id": [child_id], "first_name": [first], "last_name": [last], "date_of_birth": [dt.date.fromisoformat(dob)],
                         "postcode": [postcode], "sex": [sex], "upn": [upn], "pnc_id": [pnc]})


def _pupil(upn: str, first: str, last: str, dob: str, postcode: str, sex: str = "M") -> pd.DataFrame:
    raw = pd.DataFrame({"upn": [upn], "former_upn": [None], "forename": [first], "surname": [last], "date_of_birth": [dob],
                        "postcode": [postcode], "sex": [sex]})
    return standardise(raw, "education", SOURCES["education"])


# (case child, pupil record, expected: "link" or the review reason's start or None for neither)
CAUSES = {
    "mohammed_as_honorific": (("Mohammed Imran", "Hussain", "2010-02-03", "LE5 1AA"), ("Imran", "Hussain"), "link"),
    "kaur_as_surname": (("Harpreet", "Kaur", "2010-02-04", "LE5 1AB", "F"), ("Harpreet Kaur", "Sandhu"), "link"),
    "begum_as_surname": (("Shazia", "Begum", "2010-02-05", "LE5 1AD", "F"), ("Shazia", "Rahman"), "link"),
    "given_names_in_another_order": (("Aarav Rohan", "Mistry", "2010-02-06", "LE5 1AE"), ("Rohan Aarav", "Mistry"), "link"),
    "accents_and_apostrophes": (("Zoë", "O'Łukasik", "2010-02-07", "LE5 1AF", "F"), ("ZOE", "OLUKASIK"), "link"),
    "gujarati_honorific_suffix": (("Rakeshbhai", "Solanki", "2010-02-08", "LE5 1AG"), ("Rakesh", "Solanki"), "link"),
    "step_parent_surname": (("Kyle", "Ashworth", "2010-02-09", "LE5 1AH"), ("Kyle", "Brennan"),
                            "Surname differs; forename, date of birth and address agree"),
}


def test_each_cause_of_issue_14_links_or_reviews_with_its_reason(population):
    """Hand-written pairs (not the generator's noise): naming conventions link, a family
    change of surname goes to review with that reason, a mistyped UPN is no conflict, a long
    or lower-case PNC id links, and a common-name lookalike in another district is not linked."""
    children, pupils = [], []
    for i, (cause, (child, other, _expected)) in enumerate(CAUSES.items()):
        first, last, dob, postcode, *sex = child
        children.append(_child(f"CAUSE{i}", first, last, dob, postcode, *(sex or ["M"])))
        pupils.append(_pupil(_valid_upn(f"80120000{i:04d}"), other[0], other[1], dob, postcode, *(sex or ["M"])))
    # A UPN mistyped in the case system (its check letter fails): a one-digit difference, not a conflict.
    pupil_upn = _valid_upn("801200009001")
    mistyped = pupil_upn[:-1] + ("7" if pupil_upn[-1] != "7" else "8")
    children.append(_child("UPNTYPO", "Eleri", "Vaughan-Price", "2010-03-01", "LE6 2BB", "F", upn=mistyped))
    pupils.append(_pupil(pupil_upn, "Eleri", "Vaughan-Price", "2010-03-01", "LE6 2BB", "F"))
    # Common name: many Mohammeds and Khans in the area; a Mohammed Khan born the same day in
    # another district is someone else.
    children.append(_child("COMMON", "Mohammed", "Khan", "2010-03-02", "LE5 3AB"))
    pupils.append(_pupil(_valid_upn("801200009002"), "Mohammed", "Khan", "2010-03-02", "NN1 2CD"))
    rng = np.random.default_rng(14)
    for j in range(60):
        dob = str(dt.date(2008, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2500))))
        pupils.append(_pupil(_valid_upn(f"80130000{j:04d}"), "Mohammed" if j % 2 else "Ayaan", "Khan" if j % 3 else "Ali", dob, "LE5 9ZZ"))
    # A PNC id written long, padded and in lower case by the police.
    pnc_year, pnc_serial = "19", "12345"
    from transforms.identifiers import pnc_check_letter
    pnc = f"{pnc_year}/{pnc_serial}{pnc_check_letter(pnc_year, pnc_serial)}"
    children.append(_child("PNCLONG", "Tomasz", "Wisniewski", "2009-04-01", "LE3 1CC", pnc=pnc))
    custody = _custody([{"custody_ref": "LP/26/1", "forenames": "Tomas", "surname": "Wisnewski", "date_of_birth": "2009-04-01",
                         "postcode": "LE3 1CC", "sex": "M", "pnc_id": f"20{pnc_year}/00{pnc_serial}{pnc[-1]}".lower()}])

    people = _people_with(population, [], pupils)
    people["case_system"] = pd.concat([people["case_system"]] + [_case(c) for c in children], ignore_index=True)
    people["custody"] = custody
    result = match_people(people, NO_DECISIONS, Thresholds())
    review = result.review.set_index("record_id")

    for i, (cause, (_child_, _other, expected)) in enumerate(CAUSES.items()):
        record = _valid_upn(f"80120000{i:04d}")
        if expected == "link":
            assert _link_of(result.links, record) == (f"CAUSE{i}", "probabilistic"), cause
        else:
            assert _link_of(result.links, record) == (None, None), cause
            assert review.loc[record, "child_id"] == f"CAUSE{i}" and review.loc[record, "why_review"].startswith(expected), cause
            assert "Forenames differ" not in review.loc[record, "why_review"]

    assert _link_of(result.links, pupil_upn) == ("UPNTYPO", "probabilistic")
    row = result.links[result.links["record_id"] == pupil_upn].iloc[0]
    assert row["reasons"].startswith("UPN one character different, one fails its check letter")

    common = _valid_upn("801200009002")
    assert _link_of(result.links, common) == (None, None)
    if common in review.index:
        assert review.loc[common, "why_review"].startswith(("Common name", "Score between"))

    pnc_link = result.links[(result.links["source"] == "custody") & (result.links["record_id"] == "LP/26/1")]
    assert pnc_link[["child_id", "method"]].values.tolist() == [["PNCLONG", "pnc_id"]]


def _ccis(records: list[dict]) -> pd.DataFrame:
    return standardise(pd.DataFrame(records), "ccis", SOURCES["ccis"])


def test_a_ccis_record_follows_the_pupil_its_upn_names(population):
    """A child the case system holds no UPN for is linked to its pupil record by the model;
    the CCIS record carrying that pupil's UPN is then the child (name and date of birth,
    which CCIS holds without an address, are not needed), while a CCIS namesake born the same
    day with another valid UPN is someone else: neither linked nor sent to review."""
    child = _child("NOUPN", "Reuben", "Ashcroft", "2009-06-11", "LE7 2QR")
    own_upn, other_upn = _valid_upn("801200007001"), _valid_upn("801200007002")
    pupil = _pupil(own_upn, "Reuben", "Ashcroft", "2009-06-11", "LE7 2QR")
    ccis = _ccis([{"ccis_id": "CC1", "upn": own_upn, "forename": "Reubn", "surname": "Ashcroft", "date_of_birth": "2009-06-11"},
                  {"ccis_id": "CC2", "upn": other_upn, "forename": "Reuben", "surname": "Ashcroft", "date_of_birth": "2009-06-11"}])
    people = _people_with(population, [], [pupil])
    people["case_system"] = pd.concat([people["case_system"], _case(child)], ignore_index=True)
    people["ccis"] = ccis
    result = match_people(people, NO_DECISIONS, Thresholds())
    assert _link_of(result.links, own_upn) == ("NOUPN", "probabilistic")
    ccis_links = result.links[result.links["source"] == "ccis"].set_index("record_id")
    assert ccis_links.loc["CC1", ["child_id", "method"]].tolist() == ["NOUPN", "upn_via_education"]
    assert "CC2" not in ccis_links.index
    assert "CC2" not in set(result.review["record_id"])


def test_a_ccis_record_is_not_the_child_its_pupil_is_not(population):
    """A reviewer said a pupil is not this child (who has no UPN and no other pupil record):
    the CCIS record carrying that pupil's UPN is the pupil, so it is neither linked to the
    child nor sent to review, though its name and date of birth agree."""
    child = _child("NOPUPIL", "Esme", "Thornbury", "2009-08-21", "LE9 4HT", "F")
    pupil_upn = _valid_upn("801200007003")
    pupil = _pupil(pupil_upn, "Esme", "Thornbury", "2009-08-21", "LE9 4HT", "F")
    ccis = _ccis([{"ccis_id": "CC3", "upn": pupil_upn, "forename": "Esme", "surname": "Thornbury", "date_of_birth": "2009-08-21"}])
    people = _people_with(population, [], [pupil])
    people["case_system"] = pd.concat([people["case_system"], _case(child)], ignore_index=True)
    people["ccis"] = ccis
    before = match_people(people, NO_DECISIONS, Thresholds())
    assert before.links.set_index("record_id").loc["CC3", "child_id"] == "NOPUPIL"
    not_same = pd.DataFrame([{"source": "education", "record_id": pupil_upn, "child_id": "NOPUPIL", "decision": "not_same",
                              "reviewer": "A. Reviewer"}])
    after = match_people(people, not_same, Thresholds())
    assert "CC3" not in set(after.links.loc[after.links["source"] == "ccis", "record_id"])
    assert "CC3" not in set(after.review["record_id"])
