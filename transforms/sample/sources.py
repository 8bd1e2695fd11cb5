"""Police custody, education, CCIS, board register and population files for the sample.

The same children appear across sources with the noise real records carry; each record's
true person is written to the ground-truth file, never to the landing files."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from transforms.sample import noise
from transforms.sample.people import POPULATION_ETHNICITY, make_people, random_dobs, random_postcodes, random_upns

DFE_ETHNICITY = {"W1": "WBRI", "W2": "WIRI", "W3": "WIRT", "W9": "WOTH", "M1": "MWBC", "M2": "MWBA", "M3": "MWAS",
                 "M9": "MOTH", "A1": "AIND", "A2": "APKN", "A3": "ABAN", "A4": "CHNE", "A9": "AOTH", "B1": "BCRB",
                 "B2": "BAFR", "B9": "BOTH", "O2": "OARA", "O9": "OOTH", "NS": "NOBT"}
IC_CODE = {"White": "IC1", "Black": "IC3", "Asian": "IC4", "Mixed": "IC3", "Other": "IC6"}
CUSTODY_SUITES = ["Euston Street", "Keyham Lane", "Beaumont Leys", "Loughborough", "Coalville"]
CUSTODY_OUTCOMES = {"RUI": .24, "NFA": .14, "CHARGED_BAILED": .14, "CHARGED_REMANDED": .06, "PRE_CHARGE_BAIL": .10,
                    "COMMUNITY_RESOLUTION": .08, "YOUTH_CAUTION": .05, "YOUTH_CONDITIONAL_CAUTION": .02,
                    "REFERRED_TO_PANEL": .13, "OTHER": .04}
OFFENCE_DESCRIPTIONS = [("Common assault", "10501"), ("Assault occasioning actual bodily harm", "00801"),
                        ("Theft from a shop", "04601"), ("Robbery of personal property", "03401"),
                        ("Possession of a bladed article", "08106"), ("Criminal damage", "05801"),
                        ("Possession with intent to supply class A", "09204"), ("Burglary dwelling", "02801"),
                        ("Public order offence", "12500"), ("Taking a vehicle without consent", "80701")]
CCIS_CODES = ["110", "120", "130", "210", "220", "310", "320", "540", "610", "615", "620", "810", "820"]
CCIS_WEIGHTS = [.20, .12, .25, .05, .06, .05, .03, .04, .10, .02, .03, .03, .02]
BOARD_PARTNERS = [("POLICE", "Superintendent"), ("PROBATION", "Head of Service"), ("HEALTH", "Designated Nurse"),
                  ("CHILDRENS_SOCIAL_CARE", "Assistant Director"), ("EDUCATION", "Head of Inclusion"),
                  ("OPCC", "Deputy Commissioner"), ("HOUSING", "Housing Manager")]


def _fmt_dt(values) -> pd.Series:
    s = pd.Series(pd.to_datetime(values))
    return s.dt.strftime("%Y-%m-%dT%H:%M:%S").where(s.notna(), "")


def _noisy_names(rng, people: pd.DataFrame, rate: float, surname_pool: np.ndarray) -> pd.DataFrame:
    """Another agency's copy of each person's name, date of birth and postcode."""
    out = people[["first_name", "last_name", "date_of_birth", "postcode"]].copy()
    n = len(out)
    kind = np.where(rng.random(n) < rate, rng.integers(0, 7, size=n), -1)
    first, last = out["first_name"].to_numpy().copy(), out["last_name"].to_numpy().copy()
    dob = out["date_of_birth"].to_numpy().copy()
    postcode = out["postcode"].to_numpy().copy()
    for i in np.flatnonzero(kind >= 0):
        k = kind[i]
        if k == 0:
            first[i] = noise.typo(first[i], rng)
        elif k == 1:
            last[i] = noise.typo(last[i], rng)
        elif k == 2:
            first[i] = noise.nickname(first[i], rng)
        elif k == 3:
            last[i] = noise.hyphenate(last[i], surname_pool[int(rng.integers(0, len(surname_pool)))])
        elif k == 4:
            first[i], last[i] = last[i], first[i]
        elif k == 5:
            dob[i] = noise.transpose_day_month(dob[i])
        else:
            postcode[i] = random_postcodes(rng, np.array(["LEICESTERSHIRE"]))[0]
    out["first_name"], out["last_name"], out["date_of_birth"], out["postcode"] = first, last, dob, postcode
    out["noise"] = pd.Series(kind).map({-1: "", 0: "typo_first", 1: "typo_last", 2: "nickname", 3: "hyphenated",
                                        4: "swapped", 5: "dob_transposed", 6: "moved"}).to_numpy()
    return out


def _age_on(dob: pd.Series, on: dt.date) -> np.ndarray:
    d = pd.to_datetime(dob)
    return ((pd.Timestamp(on) - d).dt.days / 365.25).to_numpy()


def make_education(rng, children: pd.DataFrame, as_of: dt.date, extra_ratio: float = 4.0) -> dict[str, pd.DataFrame]:
    """pupils, suspensions and attendance for the LA's children aged 5 to 18, the service's
    children among them (with noise), plus twins and namesakes that must not be linked."""
    age = _age_on(children["date_of_birth"], as_of)
    known = children[(age >= 10) & (age < 18.5)].reset_index(drop=True)
    n_extra = int(extra_ratio * max(len(children), 50))
    extra = make_people(rng, n_extra, dob=random_dobs(rng, n_extra, as_of.replace(year=as_of.year - 18), as_of.replace(year=as_of.year - 10)),
                        ethnicity=POPULATION_ETHNICITY, male_share=0.51, prefix="Q")
    # Twins of service children: same surname, address and date of birth, another first name.
    twins = known.sample(n=max(1, len(known) // 100), random_state=int(rng.integers(0, 2**31))).copy() if len(known) else known.copy()
    if len(twins):
        twins["person_id"] = [f"T{i:07d}" for i in range(len(twins))]
        twins["first_name"] = [("Sophie" if f != "Sophie" else "Grace") if s == "F" else ("Callum" if f != "Callum" else "Owen")
                               for f, s in zip(twins["first_name"], twins["sex"])]
        twins["upn"] = extra["upn"].to_numpy()[: len(twins)][::-1] if len(extra) >= len(twins) else twins["upn"]
        extra = extra.iloc[len(twins):]
    pool = pd.concat([known, extra, twins], ignore_index=True)
    # UPNs are unique: people drawn in separate batches can collide, so give the later a new one.
    clash = pool["upn"].duplicated()
    if clash.any():
        fresh = random_upns(rng, pool.loc[clash, "local_authority"].to_numpy(),
                            pd.to_datetime(pool.loc[clash, "date_of_birth"]).dt.year.to_numpy())
        pool.loc[clash, "upn"] = fresh
        pool = pool[~pool["upn"].duplicated()].reset_index(drop=True)
    copy = _noisy_names(rng, pool, 0.25, pool["last_name"].unique())
    n = len(pool)
    nc_year = np.clip(np.floor(_age_on(pool["date_of_birth"], dt.date(as_of.year if as_of.month >= 9 else as_of.year - 1, 8, 31))).astype(int) - 4, 1, 14)
    is_known = pool["person_id"].str.startswith("P").to_numpy()
    sen = rng.choice(np.array(["N", "K", "E"], dtype=object), size=n, p=[.83, .13, .04])
    sen[is_known] = rng.choice(np.array(["N", "K", "E"], dtype=object), size=int(is_known.sum()), p=[.55, .30, .15])
    ehe = rng.random(n) < np.where(is_known, 0.03, 0.01)
    cme = rng.random(n) < np.where(is_known, 0.02, 0.003)
    part_time = rng.random(n) < np.where(is_known, 0.08, 0.005)
    urn = rng.integers(120000, 140000, size=n)
    pupils = pd.DataFrame({
        "upn": pool["upn"], "former_upn": "", "surname": copy["last_name"], "forename": copy["first_name"],
        "date_of_birth": pd.to_datetime(copy["date_of_birth"]).dt.strftime("%Y-%m-%d"), "sex": pool["sex"].replace({"U": "M"}),
        "ethnicity": pool["ethnicity"].map(DFE_ETHNICITY), "postcode": copy["postcode"],
        "school_urn": np.where(ehe, "", urn.astype(str)), "school_name": np.where(ehe, "", [f"School {u}" for u in urn]),
        "nc_year": nc_year.astype(str), "sen_provision": sen,
        "ehcp_start_date": np.where(sen == "E", (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(100, 1500, size=n), unit="D")).strftime("%Y-%m-%d"), ""),
        "ehcp_last_review_date": np.where(sen == "E", (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(10, 360, size=n), unit="D")).strftime("%Y-%m-%d"), ""),
        "ehe": np.where(ehe, "Y", "N"), "ehe_start_date": np.where(ehe, (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(10, 700, size=n), unit="D")).strftime("%Y-%m-%d"), ""),
        "cme": np.where(cme, "Y", "N"), "part_time_timetable": np.where(part_time, "Y", "N"),
        "part_time_hours": np.where(part_time, rng.integers(5, 20, size=n).astype(str), ""),
    })
    # Some pupils' UPNs changed (a temporary UPN replaced by a permanent one).
    pupils.loc[rng.random(n) < 0.01, "former_upn"] = pool["upn"].str[:-1].str.cat(["A"] * n)

    sus_rate = np.where(is_known, 0.30, 0.04)
    sus_n = np.where(rng.random(n) < sus_rate, rng.integers(1, 4, size=n), 0)
    six = np.repeat(np.arange(n), sus_n)
    m = len(six)
    term_start = pd.Timestamp(as_of) - pd.Timedelta(days=300)
    category = np.where(rng.random(m) < 0.04, "PERMANENT_EXCLUSION", "SUSPENSION")
    suspensions = pd.DataFrame({
        "upn": pool["upn"].to_numpy()[six], "school_urn": urn[six].astype(str),
        "start_date": (term_start + pd.to_timedelta(rng.integers(0, 300, size=m), unit="D")).strftime("%Y-%m-%d"),
        "category": category, "sessions": np.where(category == "SUSPENSION", rng.integers(1, 11, size=m), 0).astype(str),
        "reason_code": rng.choice(["PA", "PP", "VA", "VP", "DA", "PD", "OW", "OT"], size=m, p=[.25, .30, .10, .05, .08, .12, .05, .05]),
    }).drop_duplicates(["upn", "start_date", "category"]).reset_index(drop=True)

    periods = _terms(as_of)
    att = []
    for start, end, possible in periods:
        rate = np.clip(rng.normal(np.where(is_known, 0.82, 0.93), 0.08), 0.2, 1.0)
        attended = np.floor(possible * rate).astype(int)
        unauth = np.floor((possible - attended) * rng.uniform(0.2, 0.8, size=n)).astype(int)
        att.append(pd.DataFrame({"upn": pool["upn"], "period_start": start, "period_end": end,
                                 "possible_sessions": str(possible), "attended_sessions": attended.astype(str),
                                 "unauthorised_sessions": unauth.astype(str)}))
    attendance = pd.concat(att, ignore_index=True)
    truth = pd.DataFrame({"source": "education", "record_id": pool["upn"], "person_id": pool["person_id"],
                          "noise": copy["noise"]})
    return {"pupils": pupils, "suspensions": suspensions, "attendance": attendance, "_truth": truth, "_pool": pool}


def _terms(as_of: dt.date) -> list[tuple[str, str, int]]:
    """The academic terms up to the as-of date (autumn from 1 Sept, spring from 1 Jan,
    summer from mid-April), with possible sessions to date (two a school day)."""
    y = as_of.year if as_of.month >= 9 else as_of.year - 1
    terms = [(dt.date(y, 9, 1), dt.date(y, 12, 20)), (dt.date(y + 1, 1, 3), dt.date(y + 1, 4, 1)),
             (dt.date(y + 1, 4, 15), dt.date(y + 1, 7, 20))]
    out = []
    for start, end in terms:
        if start > as_of:
            break
        end = min(end, as_of)
        school_days = int(np.busday_count(start, end + dt.timedelta(days=1)))
        out.append((start.isoformat(), end.isoformat(), 2 * school_days))
    return out


def make_ccis(rng, children: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Post-16 activity for young people aged 16 to 18 (service children among them)."""
    age = _age_on(children["date_of_birth"], as_of)
    known = children[(age >= 16) & (age < 19)].reset_index(drop=True)
    n_extra = 2 * max(len(known), 25)
    extra = make_people(rng, n_extra, dob=random_dobs(rng, n_extra, as_of.replace(year=as_of.year - 19), as_of.replace(year=as_of.year - 16)),
                        ethnicity=POPULATION_ETHNICITY, male_share=0.51, prefix="R")
    pool = pd.concat([known, extra], ignore_index=True)
    copy = _noisy_names(rng, pool, 0.2, pool["last_name"].unique())
    n = len(pool)
    is_known = pool["person_id"].str.startswith("P").to_numpy()
    codes = rng.choice(CCIS_CODES, size=n, p=np.array(CCIS_WEIGHTS) / sum(CCIS_WEIGHTS))
    neet_known = is_known & (rng.random(n) < 0.3)
    codes[neet_known] = rng.choice(["540", "610", "615", "620"], size=int(neet_known.sum()))
    ccis = pd.DataFrame({
        "ccis_id": [f"CC{i:07d}" for i in range(1, n + 1)],
        "upn": np.where(rng.random(n) < 0.85, pool["upn"], ""),
        "surname": copy["last_name"], "forename": copy["first_name"],
        "date_of_birth": pd.to_datetime(copy["date_of_birth"]).dt.strftime("%Y-%m-%d"),
        "activity_code": codes,
        "activity_start_date": (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(1, 400, size=n), unit="D")).strftime("%Y-%m-%d"),
    })
    truth = pd.DataFrame({"source": "ccis", "record_id": ccis["ccis_id"], "person_id": pool["person_id"], "noise": copy["noise"]})
    return ccis, truth


def make_custody(rng, children: pd.DataFrame, as_of: dt.date, days: int, n_children_scale: int,
                 history: bool = False) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Detentions over ``days`` days and the twice-daily files that report them (or, with
    ``history``, one file with them all)."""
    per_day = max(1.0, 4.0 * n_children_scale / 15000)
    first_day = pd.Timestamp(as_of) - pd.Timedelta(days=days)
    n = int(rng.poisson(per_day * (days + 2)))
    arrival = first_day - pd.Timedelta(days=2) + pd.to_timedelta(rng.uniform(0, (days + 2) * 24, size=n), unit="h")
    arrival = arrival.floor("min")
    age_now = _age_on(children["date_of_birth"], as_of)
    eligible = children[(age_now >= 10.2) & (age_now < 17.8)]
    known_n = int(0.72 * n)
    known = eligible.sample(n=min(known_n, len(eligible)), replace=len(eligible) < known_n,
                            random_state=int(rng.integers(0, 2**31))).reset_index(drop=True)
    unknown = make_people(rng, n - len(known), dob=random_dobs(rng, n - len(known), as_of.replace(year=as_of.year - 17), as_of.replace(year=as_of.year - 11)),
                          ethnicity=POPULATION_ETHNICITY, male_share=0.85, prefix="S")
    unknown["pnc_id"] = None
    who = pd.concat([known, unknown], ignore_index=True)
    copy = _noisy_names(rng, who, 0.15, who["last_name"].unique())
    hours = np.clip(rng.lognormal(np.log(9), 0.7, size=n), 1.5, 40)
    release = arrival + pd.to_timedelta(hours, unit="h")
    release = release.floor("min")
    outcome = rng.choice(list(CUSTODY_OUTCOMES), size=n, p=np.array(list(CUSTODY_OUTCOMES.values())))
    aa_req = arrival + pd.to_timedelta(rng.uniform(0.1, 1.0, size=n), unit="h")
    aa_arr = aa_req + pd.to_timedelta(rng.lognormal(np.log(2.5), 0.6, size=n), unit="h")
    aa_arr = pd.Series(aa_arr).where(aa_arr < release, release - pd.Timedelta(minutes=30)).to_numpy()
    charged_remanded = outcome == "CHARGED_REMANDED"
    transfer_req = charged_remanded & (rng.random(n) < 0.85)
    transfer_type = np.where(transfer_req, np.where(rng.random(n) < 0.3, "SECURE", "NON_SECURE"), "")
    achieved = transfer_req & (rng.random(n) < 0.25)
    offence = [OFFENCE_DESCRIPTIONS[i] for i in rng.integers(0, len(OFFENCE_DESCRIPTIONS), size=n)]
    group = who["ethnic_group"].to_numpy()
    self_defined = who["ethnicity"].to_numpy().astype(object).copy()
    self_defined[rng.random(n) < 0.05] = "NS"
    self_defined[(self_defined == "A4") & (rng.random(n) < 0.5)] = "O1"  # older 16+1 code
    detentions = pd.DataFrame({
        "custody_ref": [f"LE{as_of:%y}-{i:06d}" for i in range(1, n + 1)],
        "custody_suite": rng.choice(CUSTODY_SUITES, size=n),
        "arrest_datetime": arrival - pd.to_timedelta(rng.uniform(0.2, 1.5, size=n), unit="h"),
        "arrival_datetime": arrival,
        "detention_authorised_datetime": arrival + pd.to_timedelta(rng.uniform(0.1, 0.6, size=n), unit="h"),
        "release_datetime": release,
        "surname": copy["last_name"].to_numpy(), "forenames": copy["first_name"].to_numpy(),
        "date_of_birth": pd.to_datetime(copy["date_of_birth"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "sex": who["sex"].to_numpy(), "self_defined_ethnicity": self_defined,
        "officer_defined_ethnicity": [IC_CODE.get(g, "IC9") for g in group],
        "postcode": copy["postcode"].to_numpy(), "pnc_id": who["pnc_id"].to_numpy(),
        "offence_description": [o[0] for o in offence], "offence_code": [o[1] for o in offence],
        "appropriate_adult_requested": aa_req, "appropriate_adult_arrived": aa_arr,
        "strip_search": np.where(rng.random(n) < 0.03, "Y", "N"),
        "outcome": outcome,
        "pace_transfer_requested": np.where(charged_remanded, np.where(transfer_req, "Y", "N"), ""),
        "pace_transfer_type": transfer_type,
        "pace_transfer_achieved": np.where(transfer_req, np.where(achieved, "Y", "N"), ""),
        "reason_not_transferred": np.where(transfer_req & ~achieved, rng.choice(
            ["No local authority accommodation available", "Secure bed not available", "Refused by local authority out of hours"], size=n), ""),
    })
    files = {}
    if history:
        # One back-fill file holding every detention of the period (a new service's first load).
        extract = first_day + pd.Timedelta(days=days, hours=7)
        files[f"custody_{extract:%Y%m%d}_0700.csv"] = _custody_snapshot(detentions, extract, window_hours=24 * (days + 3))
        days = 0
    for day in range(days):
        for hhmm in ("0700", "1500"):
            extract = first_day + pd.Timedelta(days=day + 1, hours=int(hhmm[:2]))
            files[f"custody_{extract:%Y%m%d}_{hhmm}.csv"] = _custody_snapshot(detentions, extract)
    truth = pd.DataFrame({"source": "custody", "record_id": detentions["custody_ref"], "person_id": who["person_id"],
                          "noise": copy["noise"]})
    return files, truth


def _custody_snapshot(detentions: pd.DataFrame, extract: pd.Timestamp, window_hours: int = 48) -> pd.DataFrame:
    """What the police system shows at ``extract``: detentions open in the last 48 hours,
    with anything later than the extract time not yet known."""
    window_start = extract - pd.Timedelta(hours=window_hours)
    visible = detentions[(detentions["arrival_datetime"] <= extract) & (detentions["release_datetime"] >= window_start)].copy()
    still_in = visible["release_datetime"] > extract
    visible.loc[still_in, ["outcome", "pace_transfer_requested", "pace_transfer_type", "pace_transfer_achieved", "reason_not_transferred"]] = ""
    visible["release_datetime"] = visible["release_datetime"].where(~still_in)
    aa_pending = visible["appropriate_adult_arrived"] > extract
    visible["appropriate_adult_arrived"] = visible["appropriate_adult_arrived"].where(~aa_pending)
    for col in ("arrest_datetime", "arrival_datetime", "detention_authorised_datetime", "release_datetime",
                "appropriate_adult_requested", "appropriate_adult_arrived"):
        visible[col] = _fmt_dt(visible[col]).to_numpy()
    return visible.sort_values("custody_ref").reset_index(drop=True)


def write_board_register(path: Path, rng, as_of: dt.date, years: int) -> None:
    """A hand-kept register: a merged title row, dates sometimes typed as text, stray spaces
    and case changes in partner names, and trailing blank rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Attendance"
    ws["A1"] = "Youth Justice Management Board: attendance register"
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["meeting_date", "partner", "member_role", "attended", "senior"])
    start_year = as_of.year - min(years, 5)
    for year in range(start_year, as_of.year + 1):
        for month in (3, 6, 9, 12):
            meeting = dt.date(year, month, 10 + int(rng.integers(0, 15)))
            if meeting > as_of:
                continue
            for partner, role in BOARD_PARTNERS:
                attended = rng.random() < 0.85
                senior = attended and rng.random() < 0.85
                name = partner
                if rng.random() < 0.15:
                    name = f" {partner.lower()} " if rng.random() < 0.5 else f"{partner} "
                date_cell = meeting if rng.random() < 0.8 else meeting.strftime("%d/%m/%Y")
                ws.append([date_cell, name, role, "Y" if attended else "N", "Y" if senior else "N"])
    for _ in range(3):
        ws.append([None, None, None, None, None])
    ws.append(["", "  ", None, None, None])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def make_population(areas_share: dict[str, float], total: int, first_year: int, last_year: int) -> pd.DataFrame:
    """A 10 to 17 population reference for the sample areas, scaled to the sample's size."""
    from transforms.sample.people import GROUP_OF

    group_share: dict[str, float] = {}
    for code, share in POPULATION_ETHNICITY.items():
        group_share[GROUP_OF[code[0]]] = group_share.get(GROUP_OF[code[0]], 0) + share
    rows = []
    for area, a_share in areas_share.items():
        for year in range(first_year, last_year + 1):
            for age in range(10, 18):
                for sex, s_share in (("M", 0.513), ("F", 0.487)):
                    for group, g_share in group_share.items():
                        rows.append({"area": area, "year": year, "age": age, "sex": sex, "ethnic_group": group,
                                     "population": int(round(total * a_share * s_share * g_share / 8)),
                                     "source": "Synthetic sample, shaped on ONS mid-year estimates; replace with your own"})
    return pd.DataFrame(rows)


# The sample's population is scaled to its caseload, so its looked-after share is scaled the same
# way (nationally about 1 in 100 children aged 10 to 17 is looked after; the sample's caseload
# is a far larger share of its population than a real service's).
SAMPLE_LOOKED_AFTER_SHARE = 0.04


def make_looked_after(population: pd.DataFrame) -> pd.DataFrame:
    """Children aged 10 to 17 looked after, by area and year, for the sample areas."""
    totals = population.groupby(["area", "year"], as_index=False)["population"].sum()
    return pd.DataFrame({"area": totals["area"], "year": totals["year"],
                         "looked_after": (totals["population"] * SAMPLE_LOOKED_AFTER_SHARE).round().astype(int),
                         "source": "Synthetic sample, shaped on DfE 'Children looked after in England' (31 March); "
                                   "replace with your own SSDA903 figures"})
