"""The case system's records for the sample children, in the canonical model.

Shapes follow a county service: prevention and diversion far outnumber court orders,
custody is rare, a third of children come back, and later episodes tend to be more serious.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from transforms.kpis.common import GROUP_OF_TYPE as GROUP
from transforms.sample.people import COHORT_ETHNICITY, make_people, pnc_ids

UPN_UNRECORDED_SHARE = 0.35

EPISODE_TYPES = [
    "PREVENTION", "TURNAROUND", "COMMUNITY_RESOLUTION", "OUTCOME_22", "YOUTH_RESTORATIVE_DISPOSAL",
    "YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION", "REFERRAL_ORDER", "REPARATION_ORDER", "FINE",
    "CONDITIONAL_DISCHARGE", "ABSOLUTE_DISCHARGE", "YOUTH_REHABILITATION_ORDER", "YRO_ISS", "DTO", "S250", "S259",
]
FIRST_SPELL_WEIGHTS = [.30, .12, .10, .09, .02, .07, .05, .11, .01, .01, .015, .005, .045, .008, .006, .001, .0003]
REPEAT_SPELL_WEIGHTS = [.08, .05, .08, .08, .01, .08, .08, .20, .02, .02, .03, .01, .16, .04, .04, .006, .001]
# (min, max) length in days of the service's work for each type.
DURATION_DAYS = {
    "PREVENTION": (60, 200), "TURNAROUND": (90, 200), "COMMUNITY_RESOLUTION": (30, 90),
    "OUTCOME_22": (90, 150), "YOUTH_RESTORATIVE_DISPOSAL": (30, 60), "YOUTH_CAUTION": (60, 120),
    "YOUTH_CONDITIONAL_CAUTION": (60, 120), "REFERRAL_ORDER": (90, 365), "REPARATION_ORDER": (30, 90),
    "FINE": (1, 30), "CONDITIONAL_DISCHARGE": (1, 30), "ABSOLUTE_DISCHARGE": (1, 14),
    "YOUTH_REHABILITATION_ORDER": (180, 730), "YRO_ISS": (180, 365), "DTO": (120, 730),
    "S250": (365, 1500), "S259": (1000, 2000), "REMAND_YDA": (7, 90), "REMAND_LA": (7, 60),
    "BAIL_SUPERVISION": (14, 90),
}
OFFENCES = {  # category: (weight, gravity min, gravity max, Home Office code examples)
    "VIOLENCE_AGAINST_THE_PERSON": (0.30, 3, 7, ["00801", "00805", "10400", "19507"]),
    "ROBBERY": (0.05, 5, 7, ["03401", "03405"]),
    "DRUGS": (0.09, 3, 6, ["09201", "09204", "09206"]),
    "SEXUAL": (0.03, 5, 8, ["01901", "02006"]),
    "THEFT_AND_HANDLING": (0.15, 2, 4, ["04601", "04900", "05400"]),
    "BURGLARY": (0.05, 4, 6, ["02801", "03001"]),
    "CRIMINAL_DAMAGE": (0.10, 2, 4, ["05801", "14900"]),
    "PUBLIC_ORDER": (0.08, 2, 4, ["06600", "12500"]),
    "MOTORING": (0.06, 2, 4, ["80302", "80701"]),
    "POSSESSION_OF_WEAPONS": (0.05, 5, 6, ["08106", "08112"]),
    "FRAUD": (0.01, 3, 4, ["05300"]),
    "BREACH": (0.02, 3, 3, ["81600"]),
    "OTHER": (0.01, 2, 3, ["99999"]),
}
END_REASONS = {"COMPLETED": 0.85, "BREACHED": 0.06, "REVOKED": 0.03, "TRANSFERRED": 0.03, "OTHER": 0.0299, "DIED": 0.0001}
ACCOMMODATION = {"WITH_PARENTS": .70, "WITH_OTHER_FAMILY": .08, "FOSTER_CARE": .06, "CHILDRENS_HOME": .05,
                 "SUPPORTED_ACCOMMODATION": .03, "INDEPENDENT": .01, "BED_AND_BREAKFAST": .005,
                 "NO_FIXED_ABODE": .005, "OTHER": .01, "NOT_KNOWN": .05}
SCHOOL_ETE = {"SCHOOL_FULL_TIME": .62, "SCHOOL_PART_TIME_TIMETABLE": .09, "ALTERNATIVE_PROVISION": .09,
              "PRU": .06, "EHE": .04, "NEET": .06, "NOT_KNOWN": .04}
POST16_ETE = {"COLLEGE": .34, "TRAINING": .10, "APPRENTICESHIP": .05, "EMPLOYMENT": .10, "NEET": .33, "NOT_KNOWN": .08}
HOURS_OFFERED = {"SCHOOL_FULL_TIME": (25, 32), "SCHOOL_PART_TIME_TIMETABLE": (5, 20), "ALTERNATIVE_PROVISION": (10, 27),
                 "PRU": (15, 27), "EHE": (0, 10), "COLLEGE": (12, 20), "TRAINING": (16, 30),
                 "APPRENTICESHIP": (30, 37), "EMPLOYMENT": (16, 40)}
NEED_RATES = {"MENTAL_HEALTH": 0.38, "SUBSTANCE_MISUSE": 0.27, "SLCN": 0.30, "SEND": 0.25}


def _pick(rng, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(np.array(keys, dtype=object), size=n, p=p / p.sum())


def _days(n) -> np.ndarray:
    return np.asarray(n).astype("timedelta64[D]")


def _uniform_days(rng, lo, hi) -> np.ndarray:
    return _days(rng.integers(np.asarray(lo), np.asarray(hi) + 1))


def _age_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    return (on - dob).astype(int) / 365.25


def _to_date(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(values)).dt.date.astype(object).where(~pd.isna(values), None)


def make_cohort(rng: np.random.Generator, n_children: int, years: int, as_of: dt.date) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The children (true people) and the canonical case-system tables."""
    as_of64 = np.datetime64(as_of)
    go_live = np.datetime64(as_of.replace(year=as_of.year - years))
    window = int((as_of64 - go_live).astype(int)) - 14
    first_contact = go_live + _days(rng.integers(0, window, size=n_children))
    age_at_first = rng.choice(np.arange(10, 18), size=n_children, p=np.array([2, 4, 8, 12, 16, 19, 21, 18]) / 100)
    # At least four months past the tenth birthday, so a remand before the first order, and
    # the offence before it, still fall after the age of criminal responsibility.
    dob = first_contact - _days(age_at_first * 365.25 + rng.integers(125, 364, size=n_children))
    people = make_people(rng, n_children, dob=dob, ethnicity=COHORT_ETHNICITY, male_share=0.80, prefix="P")
    people["child_id"] = [f"CH{i:06d}" for i in range(1, n_children + 1)]

    # Spells of work: 1 for most children, with repeat contact for about a third.
    n_spells = 1 + rng.geometric(0.62, size=n_children) - 1
    n_spells = np.minimum(n_spells, 8)
    child_ix = np.repeat(np.arange(n_children), n_spells)
    spell_no = np.concatenate([np.arange(k) for k in n_spells])
    gaps = np.where(spell_no == 0, 0, rng.integers(30, 540, size=len(child_ix)))
    start = first_contact[child_ix] + _days(pd.Series(gaps).groupby(child_ix).cumsum().to_numpy())
    age_at_start = _age_years(dob[child_ix], start)
    keep = (start < as_of64 - 1) & (age_at_start < 17.9)
    child_ix, spell_no, start = child_ix[keep], spell_no[keep], start[keep]
    n = len(child_ix)
    first_types = rng.choice(EPISODE_TYPES, size=n, p=np.array(FIRST_SPELL_WEIGHTS) / sum(FIRST_SPELL_WEIGHTS))
    repeat_types = rng.choice(EPISODE_TYPES, size=n, p=np.array(REPEAT_SPELL_WEIGHTS) / sum(REPEAT_SPELL_WEIGHTS))
    etype = np.where(spell_no == 0, first_types, repeat_types).astype(object)
    group = np.array([GROUP[t] for t in etype], dtype=object)

    # Remands and bail supervision come before some court orders.
    court = np.isin(group, ["FIRST_TIER", "COMMUNITY", "CUSTODY"])
    heavy = np.isin(group, ["COMMUNITY", "CUSTODY"])
    u = rng.random(n)
    pre = np.full(n, None, dtype=object)
    pre[court & (u < np.where(group == "CUSTODY", 0.30, 0.01))] = "REMAND_YDA"
    pre[court & (pre == None) & (u > 0.97)] = "REMAND_LA"  # noqa: E711
    pre[court & (pre == None) & (rng.random(n) < np.where(heavy, 0.20, 0.06))] = "BAIL_SUPERVISION"  # noqa: E711
    pre_ix = np.flatnonzero(pre != None)  # noqa: E711
    pre_len = np.array([rng.integers(*DURATION_DAYS[t]) for t in pre[pre_ix]], dtype=int)
    pre_start = start[pre_ix] - _days(pre_len)

    ep_child = np.concatenate([child_ix, child_ix[pre_ix]])
    ep_type = np.concatenate([etype, pre[pre_ix]]).astype(object)
    ep_start = np.concatenate([start, pre_start])
    lo = np.array([DURATION_DAYS[t][0] for t in ep_type])
    hi = np.array([DURATION_DAYS[t][1] for t in ep_type])
    planned_end = ep_start + _uniform_days(rng, lo, hi)
    overrun = _days(np.round(rng.normal(0, 12, size=len(ep_type))).astype(int))
    actual_end = np.maximum(planned_end + overrun, ep_start)
    is_pre = np.arange(len(ep_type)) >= n
    actual_end[is_pre] = ep_start[is_pre] + _days(pre_len)
    open_ep = actual_end > as_of64
    order = np.lexsort((ep_start, ep_child))
    ep_child, ep_type, ep_start, planned_end, actual_end, open_ep = (
        a[order] for a in (ep_child, ep_type, ep_start, planned_end, actual_end, open_ep))
    n_ep = len(ep_child)
    episode_id = np.array([f"EP{i:07d}" for i in range(1, n_ep + 1)], dtype=object)
    end_reason = _pick(rng, END_REASONS, n_ep)
    end_reason[np.isin(ep_type, ["REMAND_YDA", "REMAND_LA", "BAIL_SUPERVISION"])] = "COMPLETED"
    end_reason[open_ep] = None

    # Outcomes: every episode but prevention, Turnaround and bail starts with a legal outcome.
    has_outcome = ~np.isin(ep_type, ["PREVENTION", "TURNAROUND", "BAIL_SUPERVISION"])
    oc_ep = np.flatnonzero(has_outcome)
    outcome_id = np.full(n_ep, None, dtype=object)
    outcome_id[oc_ep] = [f"OC{i:07d}" for i in range(1, len(oc_ep) + 1)]
    outcomes = pd.DataFrame({
        "outcome_id": outcome_id[oc_ep], "child_ix": ep_child[oc_ep],
        "outcome_date": ep_start[oc_ep] - _days(rng.integers(0, 3, size=len(oc_ep))),
        "outcome_type": ep_type[oc_ep],
    })
    # Some police contacts end in no further action, with no episode.
    nfa_n = max(1, int(0.08 * n_children))
    nfa_child = rng.integers(0, n_children, size=nfa_n)
    nfa_date = first_contact[nfa_child] + _days(rng.integers(-200, 200, size=nfa_n))
    nfa_ok = (nfa_date < as_of64) & (_age_years(dob[nfa_child], nfa_date) >= 10.1) & (_age_years(dob[nfa_child], nfa_date) < 17.9)
    nfa = pd.DataFrame({"outcome_id": [f"ON{i:07d}" for i in range(1, int(nfa_ok.sum()) + 1)],
                        "child_ix": nfa_child[nfa_ok], "outcome_date": nfa_date[nfa_ok], "outcome_type": "NFA"})
    outcomes = pd.concat([outcomes, nfa], ignore_index=True)

    # Offences: one to three for each outcome except remands.
    offence_parent = outcomes[~outcomes["outcome_type"].isin(["REMAND_YDA", "REMAND_LA"])].reset_index(drop=True)
    court_outcome = offence_parent["outcome_type"].map(lambda t: GROUP.get(t) in ("FIRST_TIER", "COMMUNITY", "CUSTODY")).to_numpy()
    n_off = np.where(court_outcome, rng.choice([1, 2, 3], size=len(offence_parent), p=[.65, .25, .10]), 1)
    off_parent_ix = np.repeat(np.arange(len(offence_parent)), n_off)
    cats = list(OFFENCES)
    cat_w = np.array([OFFENCES[c][0] for c in cats])
    category = rng.choice(np.array(cats, dtype=object), size=len(off_parent_ix), p=cat_w / cat_w.sum())
    gmin = np.array([OFFENCES[c][1] for c in category])
    gmax = np.array([OFFENCES[c][2] for c in category])
    # More serious disposals follow more serious offences.
    bump = np.where(court_outcome[off_parent_ix], 1, 0)
    gravity = np.clip(rng.integers(gmin, gmax + 1) + bump, gmin, gmax)
    code = np.array([OFFENCES[c][3][int(i) % len(OFFENCES[c][3])] for c, i in zip(category, rng.integers(0, 4, size=len(category)))], dtype=object)
    o_date = offence_parent["outcome_date"].to_numpy()[off_parent_ix]
    o_child = offence_parent["child_ix"].to_numpy()[off_parent_ix]
    lead = np.where(court_outcome[off_parent_ix], rng.integers(30, 200, size=len(o_date)), rng.integers(3, 90, size=len(o_date)))
    off_date = o_date - _days(lead)
    tenth_birthday = dob[o_child] + _days(3653)
    off_date = np.minimum(np.maximum(off_date, tenth_birthday), o_date)
    offences = pd.DataFrame({
        "offence_id": [f"OF{i:07d}" for i in range(1, len(off_parent_ix) + 1)], "child_ix": o_child,
        "offence_date": off_date, "offence_code": code, "offence_category": category,
        "gravity_score": gravity.astype(int), "outcome_id": offence_parent["outcome_id"].to_numpy()[off_parent_ix],
    })

    episodes = pd.DataFrame({
        "episode_id": episode_id, "child_ix": ep_child, "episode_type": ep_type, "start_date": ep_start,
        "planned_end_date": planned_end, "end_date": np.where(open_ep, np.datetime64("NaT"), actual_end),
        "end_reason": end_reason, "outcome_id": outcome_id,
    })

    tables = _episode_details(rng, episodes, dob, as_of64)
    tables["victim"] = _victims(rng, offences)
    tables["wider_services"] = _wider_services(rng, episodes, n_children, as_of64)

    # People: PNC ids for children with police contact that led to an outcome.
    has_pnc = np.zeros(n_children, dtype=bool)
    has_pnc[outcomes["child_ix"].to_numpy()] = True
    first_year = first_contact.astype("datetime64[Y]").astype(int) + 1970
    people["pnc_id"] = np.where(has_pnc, pnc_ids(rng, first_year), None)
    people["first_contact"] = pd.to_datetime(first_contact).date

    # Case systems often lack the UPN (it is typed in by hand, if at all), so a third of the
    # service's records have none and must be matched to education on name, birth date and postcode.
    child = people.assign(child_ix=np.arange(n_children),
                          upn=np.where(rng.random(n_children) < UPN_UNRECORDED_SHARE, None, people["upn"]))
    tables["child"] = child
    tables["episode"] = episodes
    tables["outcome"] = outcomes
    tables["offence"] = offences
    return people, _canonical(tables, people)


def _episode_details(rng, episodes: pd.DataFrame, dob: np.ndarray, as_of64) -> dict[str, pd.DataFrame]:
    worked = episodes[~episodes["episode_type"].isin(["REMAND_YDA", "REMAND_LA"])].reset_index(drop=True)
    m = len(worked)
    start = worked["start_date"].to_numpy()
    end = worked["end_date"].to_numpy()
    group = worked["episode_type"].map(GROUP).fillna("REMAND_BAIL").to_numpy()
    completed = np.minimum(start + _days(rng.integers(5, 35, size=m)), as_of64 - 1)
    assessment = pd.DataFrame({
        "assessment_id": [f"AS{i:07d}" for i in range(1, m + 1)], "child_ix": worked["child_ix"],
        "episode_id": worked["episode_id"],
        "assessment_type": np.where(group == "PREVENTION_DIVERSION", "PREVENTION_DIVERSION",
                                    np.where(rng.random(m) < 0.97, "ASSETPLUS", "OTHER")),
        "completed_date": completed,
        "likelihood_of_reoffending": rng.choice(np.array(["LOW", "MEDIUM", "HIGH", None], dtype=object), size=m, p=[.45, .35, .15, .05]),
        "risk_of_serious_harm": rng.choice(np.array(["LOW", "MEDIUM", "HIGH", "VERY_HIGH", None], dtype=object), size=m, p=[.55, .3, .1, .01, .04]),
        "safety_wellbeing": rng.choice(np.array(["LOW", "MEDIUM", "HIGH", "VERY_HIGH", None], dtype=object), size=m, p=[.4, .35, .18, .03, .04]),
    })

    needs = []
    for domain, rate in NEED_RATES.items():
        screened = rng.random(m) < 0.88
        identified = screened & (rng.random(m) < rate)
        planned = identified & (rng.random(m) < 0.75)
        attended = planned & (rng.random(m) < 0.70)
        needs.append(pd.DataFrame({
            "child_ix": worked["child_ix"], "episode_id": worked["episode_id"], "domain": domain,
            "screened_date": np.where(screened, np.minimum(start + _days(rng.integers(3, 40, size=m)), as_of64 - 1), np.datetime64("NaT")),
            "need_identified": identified, "intervention_planned": planned, "intervention_attended": attended,
        }))
    need = pd.concat(needs, ignore_index=True).sort_values(["episode_id", "domain"], kind="stable").reset_index(drop=True)
    need.insert(0, "need_id", [f"ND{i:07d}" for i in range(1, len(need) + 1)])

    ete_rows, acc_rows = [], []
    for stage, when in (("START", start), ("END", end)):
        present = ~pd.isna(when)
        idx = np.flatnonzero(present)
        on = when[idx]
        child_dob = dob[worked["child_ix"].to_numpy()[idx]]
        school_age = _age_years(child_dob, on) < 16.0
        k = len(idx)
        ete_type = np.where(school_age, _pick(rng, SCHOOL_ETE, k), _pick(rng, POST16_ETE, k)).astype(object)
        lo = np.array([HOURS_OFFERED.get(t, (0, 0))[0] for t in ete_type])
        hi = np.array([HOURS_OFFERED.get(t, (0, 0))[1] for t in ete_type])
        offered = rng.integers(lo, hi + 1).astype(float)
        offered[np.isin(ete_type, ["NEET", "NOT_KNOWN"])] = np.nan
        attended = np.floor(offered * rng.uniform(0.4, 1.0, size=k))
        threshold = np.where(school_age, 25, 16)
        derived = ~np.isin(ete_type, ["NEET", "NOT_KNOWN"]) & (np.nan_to_num(offered) >= threshold)
        flag = np.where(rng.random(k) < 0.6, derived, None).astype(object)
        ete_rows.append(pd.DataFrame({
            "child_ix": worked["child_ix"].to_numpy()[idx], "episode_id": worked["episode_id"].to_numpy()[idx],
            "recorded_at": stage, "ete_type": ete_type, "hours_offered": offered, "hours_attended": attended,
            "suitable": flag,
        }))
        acc_type = _pick(rng, ACCOMMODATION, k)
        in_custody = (stage == "END") & np.isin(worked["episode_type"].to_numpy()[idx], ["DTO", "S250", "S259"])
        acc_type[in_custody & (rng.random(k) < 0.5)] = "CUSTODY"
        acc_suitable = np.where(np.isin(acc_type, ["BED_AND_BREAKFAST", "NO_FIXED_ABODE"]), False, True).astype(object)
        acc_suitable[acc_type == "NOT_KNOWN"] = None
        acc_suitable[rng.random(k) < 0.3] = None
        acc_rows.append(pd.DataFrame({
            "child_ix": worked["child_ix"].to_numpy()[idx], "episode_id": worked["episode_id"].to_numpy()[idx],
            "recorded_at": stage, "accommodation_type": acc_type, "suitable": acc_suitable,
        }))
    ete = pd.concat(ete_rows, ignore_index=True).sort_values(["episode_id", "recorded_at"], ascending=[True, False], kind="stable")
    acc = pd.concat(acc_rows, ignore_index=True).sort_values(["episode_id", "recorded_at"], ascending=[True, False], kind="stable")
    return {"assessment": assessment, "need": need, "ete_status": ete.reset_index(drop=True),
            "accommodation": acc.reset_index(drop=True)}


def _victims(rng, offences: pd.DataFrame) -> pd.DataFrame:
    personal = offences["offence_category"].isin(["VIOLENCE_AGAINST_THE_PERSON", "ROBBERY", "SEXUAL", "BURGLARY",
                                                  "THEFT_AND_HANDLING", "CRIMINAL_DAMAGE", "PUBLIC_ORDER", "FRAUD"]).to_numpy()
    count = np.where(personal, rng.choice([0, 1, 2], size=len(offences), p=[.25, .65, .10]), 0)
    ix = np.repeat(np.arange(len(offences)), count)
    m = len(ix)
    kind = np.where(rng.random(m) < 0.75, "PERSON", "BUSINESS").astype(object)
    person = kind == "PERSON"
    consent = np.where(rng.random(m) < 0.92, rng.random(m) < 0.55, None).astype(object)
    consented = consent == True  # noqa: E712
    def _given(p):
        return np.where(consented, rng.random(m) < p, np.where(rng.random(m) < 0.5, False, None)).astype(object)
    offered = _given(0.6)
    return pd.DataFrame({
        "victim_id": [f"VI{i:07d}" for i in range(1, m + 1)], "offence_id": offences["offence_id"].to_numpy()[ix],
        "victim_kind": kind,
        "age_band": np.where(person, rng.choice(["0-9", "10-17", "18-24", "25-44", "45-64", "65+"], size=m, p=[.02, .38, .15, .25, .15, .05]), None),
        "sex": np.where(person, rng.choice(["M", "F", "U"], size=m, p=[.55, .43, .02]), None),
        "ethnicity": np.where(person, rng.choice(["W1", "W9", "A1", "A2", "B2", "M1", "NS"], size=m, p=[.7, .04, .08, .02, .02, .02, .12]), None),
        "contact_consent": consent, "views_sought": _given(0.85), "kept_informed": _given(0.8),
        "rj_offered": offered,
        "rj_participated": np.where(offered == True, rng.random(m) < 0.3, np.where(consented, False, None)).astype(object),  # noqa: E712
    })


def _wider_services(rng, episodes: pd.DataFrame, n_children: int, as_of64) -> pd.DataFrame:
    first = episodes.groupby("child_ix")["start_date"].min()
    rows = []
    for status, rate, before, length in (("EARLY_HELP", .20, 365, 300), ("CHILD_IN_NEED", .15, 300, 400),
                                         ("CHILD_PROTECTION", .07, 200, 400), ("LOOKED_AFTER", .11, 400, 900),
                                         ("CARE_LEAVER", .04, -200, 1500)):
        chosen = first[rng.random(len(first)) < rate]
        start = chosen.to_numpy() - _days(rng.integers(min(before, 0), max(before, 1), size=len(chosen)))
        end = start + _days(rng.integers(60, length, size=len(chosen)))
        rows.append(pd.DataFrame({"child_ix": chosen.index, "status": status, "start_date": start,
                                  "end_date": np.where(end > as_of64, np.datetime64("NaT"), end)}))
    out = pd.concat(rows, ignore_index=True)
    out = out[out["start_date"] < as_of64]
    return out.sort_values(["child_ix", "start_date", "status"], kind="stable").reset_index(drop=True)


def _canonical(tables: dict[str, pd.DataFrame], people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Swap the generator's child index for the case system's child_id and give every table
    exactly the canonical columns, with dates as ``datetime.date`` and booleans as bool/None."""
    from transforms.canonical import canonical_tables

    child_ids = people["child_id"].to_numpy()
    out = {}
    for name, spec in canonical_tables().items():
        df = tables[name].copy()
        if "child_ix" in df.columns:
            df["child_id"] = child_ids[df["child_ix"].to_numpy()]
        df = df[spec.column_names].reset_index(drop=True)
        for col in spec.columns:
            if col.type == "date":
                df[col.name] = _to_date(df[col.name].to_numpy())
            elif col.type == "int":
                df[col.name] = pd.array(pd.to_numeric(df[col.name]), dtype="Int64")
            elif col.type == "bool":
                df[col.name] = df[col.name].astype(object).where(df[col.name].notna(), None)
            else:
                df[col.name] = df[col.name].astype(object).where(df[col.name].notna(), None)
        out[name] = df
    return out
