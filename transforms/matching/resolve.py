"""Resolve every record of every source to one person key.

Order (sources.md, section 4): reviewers' decisions first (a person overrides the model),
then the UPN (case system and education, including a pupil's former UPN), then the PNC id
(case system and police), then the Splink model on names, date of birth and postcode.

Rules that keep the automatic links safe (each sends the pair to review with its reason):
- a pupil or CCIS record is one child, so each child takes at most one record of each of
  those sources (best score first); a child can have many detentions;
- two records carrying different UPNs (or different PNC ids) are never the same child, when
  both identifiers pass their check letter; one that fails is a mistyped identifier, which
  proves nothing (a one-character difference is said so in the reasons);
- a pair whose forenames disagree (twins, siblings) is never linked automatically, however
  high its score;
- a pair whose surnames disagree while forename and date of birth agree (a family change of
  surname) is never linked automatically; with the address agreeing too it goes to review
  even below the review threshold;
- a common name with the same date of birth and postcodes in different districts is never
  linked automatically (unrelated children share common names);
- a name and date of birth that two different children carry (two case-system children, two
  pupils) links only with the postcode agreeing too: a namesake needs corroboration;
- a forename given only as an initial is not linked automatically when another child shares
  that initial, surname and date of birth (twins: Amy and Anna Smith are both "A Smith");
- a record with two plausible children goes to the review list rather than to either, with
  every plausible child beside it.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from transforms.identifiers import identifiers_differ_by_one_character
from transforms.matching.model import (
    DOB_SAME, FORENAME_INITIAL, FORENAME_SWAPPED, FORENAMES_AGREE, NAME_MISSING, POSTCODE_DIFFERENT_DISTRICT,
    POSTCODE_SAME, SURNAME_SWAPPED, SURNAMES_AGREE, SURNAMES_DIFFER, model_is_current, possible_surname_change,
)
from transforms.matching.records import CASE_SYSTEM, read_people, with_known_surnames
from transforms.warehouse.db import bulk_insert, ensure_schema
from transforms.warehouse.schema import (
    child_key, identity_link, match_decision, match_model, match_review_pair, person_key,
)

log = logging.getLogger(__name__)

ONE_RECORD_PER_CHILD = ("education", "ccis")
MIN_PROVEN_PAIRS = 30
# Pairs are scored down to this probability so that a family change of surname, which the
# model scores low (the surname disagrees), can still reach the review list.
LOWEST_SCORED_PROBABILITY = 0.001
# A full name is common when at least 1 in 10,000 records would carry it by chance (its
# forename's share times its surname's share): Oliver Smith, Mohammed Khan, Priya Patel.
COMMON_FULL_NAME_SHARE = 1e-4

WHY_TWIN = "Forenames differ, same surname (a twin or sibling looks like this)"
WHY_FORENAMES = "Forenames differ"
WHY_SURNAME_CHANGE = "Surname differs; forename, date of birth{address} agree (a family change of surname looks like this)"
WHY_COMMON_NAME = ("Common name and date of birth agree but the postcodes are in different districts "
                   "(unrelated children share common names)")
WHY_NAMESAKE = ("Another child has the same name and date of birth, and no address or identifier says which one "
                "this record is (a namesake)")
WHY_INITIAL_TWIN = ("Forename given only as an initial, and another child has that initial, surname and date of birth "
                    "(a twin looks like this)")
WHY_BELOW_LINK = "Score between the review and link thresholds"
WHY_NO_FORENAME = "A forename is missing on one or both records: the names cannot confirm the match"
WHY_SWAPPED = "Forename and surname swapped between the two systems; score below the link threshold"
WHY_RIVALS = "More than one child is a plausible match"


@dataclass(frozen=True)
class Thresholds:
    link: float = 0.99
    review: float = 0.80

    def __post_init__(self):
        if not 0 < self.review <= self.link <= 1:
            raise ValueError(f"match thresholds must satisfy 0 < review ({self.review}) <= link ({self.link}) <= 1")


@dataclass
class MatchResult:
    links: pd.DataFrame          # source, record_id, child_id, method, match_probability, match_weight, reasons
    review: pd.DataFrame         # source, record_id, child_id, match_probability, match_weight, reasons, why_review
    model: dict | None = None
    proven_pairs: int = 0
    counts: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict, repr=False)


def deterministic_links(people: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """UPN, former UPN and PNC id links to the case system's children."""
    case = people[CASE_SYSTEM]
    found = []
    for source, key, method, case_key in (("education", "upn", "upn", "upn"), ("education", "former_upn", "former_upn", "upn"),
                                          ("ccis", "upn", "upn", "upn"), ("custody", "pnc_id", "pnc_id", "pnc_id")):
        records = people[source].dropna(subset=[key])
        children = case.dropna(subset=[case_key])[["unique_id", case_key]].rename(columns={"unique_id": "child_id", case_key: key})
        pairs = records[["unique_id", key]].merge(children.drop_duplicates(key), on=key)
        found.append(pd.DataFrame({"source": source, "record_id": pairs["unique_id"], "child_id": pairs["child_id"],
                                   "method": method}))
    links = pd.concat(found, ignore_index=True).drop_duplicates(["source", "record_id"])
    return links.assign(match_probability=1.0, match_weight=None, reasons=links["method"].map(
        {"upn": "Same UPN", "former_upn": "Pupil's former UPN is the child's UPN", "pnc_id": "Same PNC id"}))


def _identifier_evidence(scored: pd.DataFrame, people: dict[str, pd.DataFrame]) -> tuple[pd.Series, pd.Series]:
    """For each pair: whether both records carry valid UPNs (or valid PNC ids) that differ (a
    conflict: not the same child), and a note when the identifiers differ in a way a typo
    explains (one of them fails its check letter; one character apart)."""
    case = people[CASE_SYSTEM].set_index("unique_id")
    conflict = pd.Series(False, index=scored.index)
    note = pd.Series("", index=scored.index, dtype=object)
    words = {"upn": "UPN", "pnc_id": "PNC id"}
    for key, valid in (("upn", "upn_valid"), ("pnc_id", "pnc_valid")):
        for source, frame in people.items():
            if source == CASE_SYSTEM or frame.empty:
                continue
            ids = frame.set_index("unique_id")
            mine = scored.index[scored["source"] == source]
            if not len(mine):
                continue
            child, record = scored.loc[mine, "child_id"], scored.loc[mine, "record_id"]
            l_id, l_ok = child.map(case[key]), child.map(case[valid]).fillna(False).astype(bool)
            r_id, r_ok = record.map(ids[key]), record.map(ids[valid]).fillna(False).astype(bool)
            former = record.map(ids["former_upn"]) if key == "upn" else pd.Series(None, index=mine)
            differ = l_id.notna() & r_id.notna() & (l_id != r_id) & (l_id != former)
            conflict[mine] |= differ & l_ok & r_ok
            typo = differ & ~(l_ok & r_ok)
            for i in typo[typo].index:
                one = identifiers_differ_by_one_character(l_id[i], r_id[i])
                note[i] += (f"{words[key]} {'one character different, ' if one else 'differs, '}"
                            f"one fails its check letter (a mistyped {words[key]}, not a different child); ")
    return conflict, note


def common_full_name(people: dict[str, pd.DataFrame]) -> set[tuple[str, str]]:
    """(forename, surname) pairs of the records that are common names by ``COMMON_FULL_NAME_SHARE``."""
    frames = [f[["forename", "surname"]] for f in people.values() if len(f)]
    if not frames:
        return set()
    names = pd.concat(frames, ignore_index=True).dropna()
    if names.empty:
        return set()
    fore = names["forename"].value_counts(normalize=True)
    sur = names["surname"].value_counts(normalize=True)
    share = names["forename"].map(fore).to_numpy() * names["surname"].map(sur).to_numpy()
    common = names[share >= COMMON_FULL_NAME_SHARE]
    return set(zip(common["forename"], common["surname"]))


def why_review(gamma_forename: int, gamma_surname: int, gamma_dob: int, gamma_postcode: int,
               probability: float, common_name: bool, link_threshold: float, twin_risk: bool = False,
               namesake: bool = False) -> str | None:
    """The reason a scored pair goes to review rather than being linked, or None to link.
    Names first: a reviewer needs to know what disagrees, not only that the score is middling."""
    swapped = gamma_forename == FORENAME_SWAPPED and gamma_surname == SURNAME_SWAPPED
    forenames_agree = gamma_forename in FORENAMES_AGREE or swapped
    if gamma_forename == NAME_MISSING:
        return WHY_NO_FORENAME
    if not forenames_agree:
        return WHY_TWIN if gamma_surname in SURNAMES_AGREE else WHY_FORENAMES
    if gamma_surname == SURNAMES_DIFFER and gamma_dob == DOB_SAME:
        address = " and address" if gamma_postcode > POSTCODE_DIFFERENT_DISTRICT else ""
        return WHY_SURNAME_CHANGE.format(address=address)
    if probability < link_threshold:
        return WHY_SWAPPED if swapped else WHY_BELOW_LINK
    if gamma_forename == FORENAME_INITIAL and twin_risk:
        return WHY_INITIAL_TWIN
    if common_name and gamma_postcode == POSTCODE_DIFFERENT_DISTRICT and gamma_surname != SURNAME_SWAPPED:
        return WHY_COMMON_NAME
    if namesake and gamma_postcode != POSTCODE_SAME:
        return WHY_NAMESAKE
    return None


def namesakes(people: dict[str, pd.DataFrame]) -> set[tuple[str, str, str]]:
    """(forename, surname, date of birth) carried by two different children in one source that
    holds one record per child (two case-system children, two pupils: different UPNs): the name
    and date of birth alone cannot say which of them another record is."""
    keys: set[tuple[str, str, str]] = set()
    for source in (CASE_SYSTEM, "education"):
        frame = people.get(source)
        if frame is None or frame.empty:
            continue
        named = frame.dropna(subset=["forename", "surname", "dob"])
        repeated = named.groupby(["forename", "surname", "dob"])["unique_id"].nunique()
        keys |= set(repeated[repeated > 1].index)
    return keys


def initial_twins(people: dict[str, pd.DataFrame]) -> set[tuple[str, str, str]]:
    """(initial, surname, date of birth) shared by two different full forenames anywhere in the
    sources: a twin or a sibling whose initial alone cannot say which child a record is."""
    frames = [f[["forename", "surname", "dob"]] for f in people.values() if len(f)]
    if not frames:
        return set()
    names = pd.concat(frames, ignore_index=True).dropna()
    names = names[names["forename"].str.len() > 1]
    names = names.assign(initial=names["forename"].str[0])
    counts = names.drop_duplicates().groupby(["initial", "surname", "dob"])["forename"].nunique()
    return set(counts[counts > 1].index)


def _either_record_in(candidates: pd.DataFrame, people: dict[str, pd.DataFrame], keys: set, key_of) -> pd.Series:
    """For each candidate pair: whether the child's or the record's key (``key_of(forename,
    surname, dob)``) is in ``keys`` (a namesake's name, an initial twins share)."""
    if candidates.empty or not keys:
        return pd.Series(False, index=candidates.index)
    key = {(source, r): key_of(f, n, d) for source, frame in people.items()
           for r, f, n, d in zip(frame["unique_id"], frame["forename"], frame["surname"], frame["dob"])}
    return pd.Series([key.get((CASE_SYSTEM, c)) in keys or key.get((s, r)) in keys
                      for s, r, c in zip(candidates["source"], candidates["record_id"], candidates["child_id"])],
                     index=candidates.index)


def decide(people: dict[str, pd.DataFrame], scored: pd.DataFrame, decisions: pd.DataFrame,
           thresholds: Thresholds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The links and the review list, from the deterministic links, the scored pairs and the
    reviewers' decisions."""
    said_same = decisions[decisions["decision"] == "same"]
    said_not = set(zip(*[decisions.loc[decisions["decision"] == "not_same", c] for c in ("source", "record_id", "child_id")]))
    known = {s: set(people[s]["unique_id"]) for s in people}
    case_ids = known[CASE_SYSTEM]

    reviewer = _rows(said_same, [s in known and r in known[s] and c in case_ids for s, r, c in
                          zip(said_same["source"], said_same["record_id"], said_same["child_id"])])
    links = [reviewer.assign(method="reviewer", match_probability=None, match_weight=None,
                             reasons="Confirmed by " + reviewer["reviewer"].fillna("a reviewer"))
             [["source", "record_id", "child_id", "method", "match_probability", "match_weight", "reasons"]]]
    det = deterministic_links(people)
    det = _rows(det, [(s, r, c) not in said_not for s, r, c in zip(det["source"], det["record_id"], det["child_id"])])
    links.append(det)
    linked = pd.concat(links, ignore_index=True).drop_duplicates(["source", "record_id"])

    if scored.empty:
        via = _ccis_via_linked_pupils(people, linked, said_not)
        return pd.concat([linked, via], ignore_index=True).drop_duplicates(["source", "record_id"]), _empty_review()
    candidates = scored[(scored["match_probability"] >= thresholds.review) | possible_surname_change(scored)].copy()
    conflict, identifier_note = _identifier_evidence(candidates, people)
    candidates["reasons"] = identifier_note + candidates["reasons"]
    candidates = candidates[~conflict]
    candidates = _rows(candidates, [(s, r, c) not in said_not for s, r, c in
                                    zip(candidates["source"], candidates["record_id"], candidates["child_id"])])
    taken_records = set(zip(linked["source"], linked["record_id"]))
    candidates = _rows(candidates, [(s, r) not in taken_records for s, r in zip(candidates["source"], candidates["record_id"])])
    common = common_full_name(people)
    candidates["twin_risk"] = _either_record_in(candidates, people, initial_twins(people),
                                                lambda f, n, d: (f[0] if isinstance(f, str) and f else None, n, d))
    candidates["namesake"] = _either_record_in(candidates, people, namesakes(people), lambda f, n, d: (f, n, d))
    record_name = {(s, r): (f, n) for src, frame in people.items() if src != CASE_SYSTEM
                   for s, r, f, n in zip([src] * len(frame), frame["unique_id"], frame["forename"], frame["surname"])}
    # Pupils and detentions first, CCIS records second: a CCIS record carries a UPN but no
    # address, so the pupil that UPN names (once linked, by any method) is better evidence
    # than its name and date of birth, which at 100,000 children many young people share.
    first = candidates[candidates["source"] != "ccis"]
    auto, review = _settle(first, linked, common, record_name, thresholds)
    linked = pd.concat([linked, auto], ignore_index=True)
    via = _ccis_via_linked_pupils(people, linked, said_not)
    linked = pd.concat([linked, via], ignore_index=True).drop_duplicates(["source", "record_id"])
    ccis = candidates[candidates["source"] == "ccis"]
    taken_ccis = set(linked.loc[linked["source"] == "ccis", "record_id"])
    ccis = _rows(ccis, [r not in taken_ccis for r in ccis["record_id"]])
    pupils_in_review = {(r["record_id"], r["child_id"]) for r in review if r["source"] == "education"}
    ccis = ccis[~_ccis_upn_names_someone_else(ccis, people, linked, pupils_in_review)]
    ccis_auto, ccis_review = _settle(ccis, linked, common, record_name, thresholds)
    linked = pd.concat([linked, ccis_auto], ignore_index=True)
    review = review + ccis_review
    review = pd.DataFrame(review, columns=[c for c in _empty_review().columns if c != "previous_decisions"])
    review["previous_decisions"] = previous_decisions(review, decisions)
    return linked, review[_empty_review().columns]


def _settle(candidates: pd.DataFrame, linked: pd.DataFrame, common: set, record_name: dict,
            thresholds: Thresholds) -> tuple[pd.DataFrame, list[dict]]:
    """The automatic links and the review pairs among scored candidates: best score first,
    each record settled once, a pupil or CCIS record taking a child that has none yet."""
    child_has = {(s, c) for s, c in zip(linked["source"], linked["child_id"]) if s in ONE_RECORD_PER_CHILD}
    auto, review = [], []
    candidates = candidates.sort_values(["match_probability", "source", "record_id", "child_id"],
                                        ascending=[False, True, True, True])
    plausible = candidates["match_probability"] >= thresholds.review
    rivals = plausible.groupby([candidates["source"], candidates["record_id"]]).transform("sum")
    done: set[tuple[str, str]] = set()
    for row, n_rivals in zip(candidates.itertuples(index=False), rivals):
        record = (row.source, row.record_id)
        if record in done:
            continue
        if row.source in ONE_RECORD_PER_CHILD and (row.source, row.child_id) in child_has:
            continue
        done.add(record)
        why = why_review(row.gamma_forename, row.gamma_surname, row.gamma_dob, row.gamma_postcode,
                         row.match_probability, record_name.get(record) in common, thresholds.link,
                         bool(getattr(row, "twin_risk", False)), bool(getattr(row, "namesake", False)))
        if why is None and n_rivals > 1:
            why = WHY_RIVALS
        pair = {"source": row.source, "record_id": row.record_id, "child_id": row.child_id,
                "match_probability": row.match_probability, "match_weight": row.match_weight, "reasons": row.reasons}
        if why:
            review.append({**pair, "why_review": why})
            if n_rivals > 1:
                review.extend(_rivals_of(candidates, row, child_has, common, record_name, thresholds))
            continue
        auto.append({**pair, "method": "probabilistic"})
        if row.source in ONE_RECORD_PER_CHILD:
            child_has.add((row.source, row.child_id))
    return pd.DataFrame(auto, columns=linked.columns), review


def _rivals_of(candidates: pd.DataFrame, best, child_has: set, common: set, record_name: dict,
               thresholds: Thresholds) -> list[dict]:
    """Every other plausible child for the record of ``best`` (a pair going to review), each
    with the reason that applies to it (a middling score says less than "a rival"): a reviewer
    chooses between them side by side."""
    record = (best.source, best.record_id)
    rows = candidates[(candidates["source"] == best.source) & (candidates["record_id"] == best.record_id)
                      & (candidates["child_id"] != best.child_id) & (candidates["match_probability"] >= thresholds.review)]
    out = []
    for row in rows.itertuples(index=False):
        if row.source in ONE_RECORD_PER_CHILD and (row.source, row.child_id) in child_has:
            continue
        why = why_review(row.gamma_forename, row.gamma_surname, row.gamma_dob, row.gamma_postcode,
                         row.match_probability, record_name.get(record) in common, thresholds.link,
                         bool(getattr(row, "twin_risk", False)), bool(getattr(row, "namesake", False)))
        out.append({"source": row.source, "record_id": row.record_id, "child_id": row.child_id,
                    "match_probability": row.match_probability, "match_weight": row.match_weight,
                    "reasons": row.reasons, "why_review": WHY_RIVALS if why in (None, WHY_BELOW_LINK) else why})
    return out


def _ccis_via_linked_pupils(people: dict[str, pd.DataFrame], linked: pd.DataFrame, said_not: set) -> pd.DataFrame:
    """CCIS records carrying the UPN of a pupil linked to a child (by UPN, former UPN, the
    model or a reviewer) are that child, unless a reviewer said otherwise."""
    pupil_child = linked[linked["source"] == "education"].set_index("record_id")["child_id"]
    ccis = people["ccis"].dropna(subset=["upn"])
    via = ccis[ccis["upn"].isin(pupil_child.index) & ~ccis["unique_id"].isin(linked.loc[linked["source"] == "ccis", "record_id"])]
    via_links = pd.DataFrame({"source": "ccis", "record_id": via["unique_id"], "child_id": via["upn"].map(pupil_child).to_numpy(),
                              "method": "upn_via_education", "match_probability": 1.0, "match_weight": None,
                              "reasons": "UPN of a pupil already linked to this child"})
    return _rows(via_links, [(s, r, c) not in said_not for s, r, c in
                             zip(via_links["source"], via_links["record_id"], via_links["child_id"])])


def _ccis_upn_names_someone_else(ccis: pd.DataFrame, people: dict[str, pd.DataFrame], linked: pd.DataFrame,
                                 pupils_in_review: set[tuple[str, str]]) -> pd.Series:
    """For CCIS candidate pairs: the record's valid UPN says it is not this child. Either the
    UPN is not one of the child's, where the child's UPNs include those of the pupils linked
    to it (a child the case system holds no UPN for still has one through its pupil record;
    two valid UPNs are two children, as in ``_identifier_evidence``), or the UPN names a pupil
    that was compared with the child, address and sex included, and neither linked to it nor
    sent to review with it: the CCIS record is that pupil, whose evidence is the stronger."""
    if ccis.empty:
        return pd.Series(False, index=ccis.index)
    pupils = people["education"].set_index("unique_id")
    mine = linked[(linked["source"] == "education") & linked["record_id"].isin(pupils.index)]
    mine = mine[mine["record_id"].map(pupils["upn_valid"]).fillna(False).astype(bool)]
    known: dict[str, set[str]] = {}
    for child, pupil, former in zip(mine["child_id"], mine["record_id"], mine["record_id"].map(pupils["former_upn"])):
        known.setdefault(child, set()).update(u for u in (pupil, former) if isinstance(u, str))
    records = people["ccis"].set_index("unique_id")
    upn, valid = ccis["record_id"].map(records["upn"]), ccis["record_id"].map(records["upn_valid"]).fillna(False).astype(bool)
    pupil_upns = set(pupils.index)
    return pd.Series([bool(ok) and ((child in known and u not in known[child])
                                    or (u in pupil_upns and (u, child) not in pupils_in_review))
                      for child, u, ok in zip(ccis["child_id"], upn, valid)], index=ccis.index)


def previous_decisions(review: pd.DataFrame, decisions: pd.DataFrame) -> list[str | None]:
    """For each pair, what reviewers already decided about the same record or the same child
    (say, "not the same" as this child's twin), so a reviewer sees it beside the pair."""
    if review.empty or decisions.empty:
        return [None] * len(review)
    words = {"same": "same child as", "not_same": "not the same as"}
    by_record: dict[tuple, list[str]] = {}
    by_child: dict[str, list[str]] = {}
    for d in decisions.itertuples(index=False):
        who = f" ({d.reviewer})" if isinstance(getattr(d, "reviewer", None), str) and d.reviewer else ""
        by_record.setdefault((d.source, d.record_id), []).append(f"record {words.get(d.decision, d.decision)} child {d.child_id}{who}")
        by_child.setdefault(d.child_id, []).append(f"child {words.get(d.decision, d.decision)} {d.source} record {d.record_id}{who}")
    out = []
    for s, r, c in zip(review["source"], review["record_id"], review["child_id"]):
        notes = by_record.get((s, r), []) + [n for n in by_child.get(c, []) if f"record {r}" not in n]
        out.append("; ".join(dict.fromkeys(notes)) or None)
    return out


def _rows(frame: pd.DataFrame, keep: list[bool]) -> pd.DataFrame:
    """Rows where ``keep`` is true (an empty list must not turn into a column selection)."""
    return frame.loc[np.asarray(keep, dtype=bool)] if len(frame) else frame


def _empty_review() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "record_id", "child_id", "match_probability", "match_weight", "reasons", "why_review",
                                 "previous_decisions"])


def read_decisions(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(select(match_decision), conn)


def match_people(people: dict[str, pd.DataFrame], decisions: pd.DataFrame, thresholds: Thresholds) -> MatchResult:
    """Deterministic links, a model trained on them, and the decisions; no database."""
    from transforms.matching.model import train_and_predict

    log.info("matching: %s record(s) to match; finding exact identifier links",
             f"{sum(len(f) for s, f in people.items() if s != CASE_SYSTEM):,}")
    proven = deterministic_links(people)
    case = people[CASE_SYSTEM]
    others = pd.concat([people[s] for s in people if s != CASE_SYSTEM], ignore_index=True)
    model = None
    scored = pd.DataFrame()
    if len(proven) >= MIN_PROVEN_PAIRS and len(others):
        log.info("matching: %s proven pair(s); training the model and scoring candidate pairs", f"{len(proven):,}")
        case = with_known_surnames(case, people, proven)
        scored, model = train_and_predict(case, others, proven.rename(columns={"source": "source_dataset", "record_id": "unique_id"}),
                                          lowest_probability=min(thresholds.review, LOWEST_SCORED_PROBABILITY),
                                          review_from=thresholds.review)
    log.info("matching: deciding links and the pairs to review")
    links, review = decide(people, scored, decisions, thresholds)
    counts = {s: {"records": len(people[s]), "linked": int((links["source"] == s).sum()),
                  "review": int((review["source"] == s).sum())} for s in people if s != CASE_SYSTEM}
    return MatchResult(links=links, review=review, model=model, proven_pairs=len(proven), counts=counts, people=people)


def resolve_identities(engine: Engine, thresholds: Thresholds, now: dt.datetime | None = None) -> MatchResult:
    """Match every source, then publish ``core_identity_link`` and the review pairs in one
    transaction (the previous resolution stays live if anything fails before)."""
    ensure_schema(engine)
    now = now or dt.datetime.now().replace(microsecond=0)
    people = read_people(engine)
    result = match_people(people, read_decisions(engine), thresholds)
    with engine.begin() as conn:
        keys = dict(conn.execute(select(child_key.c.child_id, child_key.c.child_key)).all())
        register = {(s, r): k for s, r, k in conn.execute(select(person_key.c.source, person_key.c.record_id, person_key.c.person_key))}
        rows, new_keys = _identity_rows(people, result.links, keys, register, now)
        conn.execute(delete(identity_link))
        bulk_insert(conn, identity_link, rows)
        if new_keys:
            bulk_insert(conn, person_key, pd.DataFrame(new_keys))
        conn.execute(delete(match_review_pair))
        # Previous decisions are shown on the workbook; match_decision already holds them.
        bulk_insert(conn, match_review_pair, result.review.drop(columns="previous_decisions"))
        if result.model is not None:
            conn.execute(insert(match_model).values(trained_at=now, model_json=json.dumps(result.model),
                                                    proven_pairs=result.proven_pairs))
    return result


def _identity_rows(people, links, child_keys, register, now) -> tuple[pd.DataFrame, list[dict]]:
    """One row per record: linked records take the child's key; a record of someone the
    service does not know keeps a registered key of its own (a CCIS record shares its
    pupil's key through the UPN)."""
    case = people[CASE_SYSTEM]
    rows = [pd.DataFrame({"source": CASE_SYSTEM, "record_id": case["unique_id"], "child_id": case["unique_id"],
                          "method": "case_system", "match_probability": None, "match_weight": None, "reasons": None})]
    rows.append(links[["source", "record_id", "child_id", "method", "match_probability", "match_weight", "reasons"]])
    linked = set(zip(links["source"], links["record_id"]))
    for source in ("education", "ccis", "custody"):
        rest = _rows(people[source], [(source, r) not in linked for r in people[source]["unique_id"]])
        rows.append(pd.DataFrame({"source": source, "record_id": rest["unique_id"], "child_id": None, "method": "unlinked",
                                  "match_probability": None, "match_weight": None, "reasons": None}))
    out = pd.concat(rows, ignore_index=True)
    new_keys: list[dict] = []

    def key_for(source: str, record: str) -> str:
        if (source, record) not in register:
            register[(source, record)] = f"PK{secrets.token_hex(5).upper()}"
            new_keys.append({"source": source, "record_id": record, "person_key": register[(source, record)], "first_seen": now})
        return register[(source, record)]

    pupil_upns = set(people["education"]["unique_id"])
    ccis_upn = people["ccis"].set_index("unique_id")["upn"]
    keys = []
    for source, record, child in zip(out["source"], out["record_id"], out["child_id"]):
        if isinstance(child, str):
            keys.append(child_keys.get(child) or key_for(CASE_SYSTEM, child))
        elif source == "ccis" and isinstance(ccis_upn.get(record), str) and ccis_upn[record] in pupil_upns:
            keys.append(key_for("education", ccis_upn[record]))
        else:
            keys.append(key_for(source, record))
    out["person_key"] = keys
    # A CCIS record whose pupil links to a child was linked in decide(); an unlinked pupil's
    # CCIS record shares the pupil's key above. Nothing else shares a key.
    out["resolved_at"] = now
    return out, new_keys


def latest_model(engine: Engine) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(match_model.c.model_json).order_by(match_model.c.trained_at.desc()).limit(1)).first()
    model = json.loads(row[0]) if row else None
    # A model trained before the comparisons or their levels changed cannot score today's
    # records (its gammas mean other things); the next full matching run trains a new one.
    if model is not None and not model_is_current(model):
        return None
    return model


def links_for_new_records(engine: Engine, source: str, records: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Links for one source's records between full runs (the twice-daily custody refresh):
    a record the last full run resolved keeps its link; a new one goes through the same
    decisions, identifiers and rules, scored by the last trained model without retraining.
    Returns ``record_id, child_id, method, match_probability`` for the linked records."""
    from transforms.matching.model import score_with_model
    from transforms.matching.records import CASE_COLUMNS, COLUMNS, SOURCES, standardise

    ensure_schema(engine)
    with engine.connect() as conn:
        resolved = pd.read_sql_query(select(identity_link.c.record_id, identity_link.c.child_id, identity_link.c.method,
                                            identity_link.c.match_probability).where(identity_link.c.source == source), conn)
        case_raw = pd.read_sql_query(select(*[_child_column(c) for c in sorted(set(CASE_COLUMNS.values()) | {"date_of_birth"})]), conn)
    mine = standardise(records, source, SOURCES[source])
    new = mine[~mine["unique_id"].isin(resolved["record_id"])]
    kept = resolved[resolved["child_id"].notna() & resolved["record_id"].isin(mine["unique_id"])]
    if new.empty:
        return kept.reset_index(drop=True)
    case = standardise(case_raw, CASE_SYSTEM, CASE_COLUMNS)
    people = {CASE_SYSTEM: case, **{s: pd.DataFrame(columns=COLUMNS) for s in SOURCES}, source: new}
    model = latest_model(engine)
    scored = (score_with_model(case, new, model, min(thresholds.review, LOWEST_SCORED_PROBABILITY), thresholds.review)
              if model else pd.DataFrame())
    links, _review = decide(people, scored, read_decisions(engine), thresholds)
    fresh = links[["record_id", "child_id", "method", "match_probability"]]
    if model is None:
        # Before the first full matching run there is no trained model: fall back to the
        # exact forename, surname and date of birth of exactly one child.
        unique_case = case.drop_duplicates(["forename", "surname", "dob"], keep=False)
        exact = new[~new["unique_id"].isin(fresh["record_id"])].merge(unique_case, on=["forename", "surname", "dob"], suffixes=("", "_c"))
        fresh = pd.concat([fresh, pd.DataFrame({"record_id": exact["unique_id"], "child_id": exact["unique_id_c"],
                                                "method": "name_dob_exact", "match_probability": None})], ignore_index=True)
    return pd.concat([kept, fresh], ignore_index=True)


def _child_column(name: str):
    from transforms.warehouse.schema import CORE_TABLES

    return CORE_TABLES["child"].c[name]
