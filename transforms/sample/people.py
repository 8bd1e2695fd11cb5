"""The true people behind the sample: children known to the service and other children who
appear only in education or police records. Every source's records are drawn from these, so
the ground truth of who is who is known exactly."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from transforms.identifiers import pnc_check_letter, upn_check_letter
from transforms.sample.names import FEMALE, MALE, SURNAMES

# Ethnicity of children known to a county youth justice service (18+1 codes, shares).
COHORT_ETHNICITY = {
    "W1": 0.70, "W2": 0.003, "W3": 0.012, "W9": 0.03, "M1": 0.04, "M2": 0.01, "M3": 0.02, "M9": 0.02,
    "A1": 0.04, "A2": 0.02, "A3": 0.005, "A4": 0.002, "A9": 0.01, "B1": 0.015, "B2": 0.02, "B9": 0.008,
    "O2": 0.003, "O9": 0.007, "NS": 0.035,
}
# The general 10 to 17 population of the same county is less White British and more Asian.
POPULATION_ETHNICITY = {
    "W1": 0.72, "W2": 0.003, "W3": 0.004, "W9": 0.04, "M1": 0.012, "M2": 0.005, "M3": 0.012, "M9": 0.01,
    "A1": 0.09, "A2": 0.015, "A3": 0.005, "A4": 0.006, "A9": 0.015, "B1": 0.004, "B2": 0.012, "B9": 0.003,
    "O2": 0.004, "O9": 0.008, "NS": 0.033,
}
GROUP_OF = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other", "N": "White"}

# Postcode districts of Leicestershire (LE15 is Rutland).
LEICESTERSHIRE_DISTRICTS = ["LE2", "LE3", "LE4", "LE7", "LE8", "LE9", "LE10", "LE11", "LE12", "LE13",
                            "LE14", "LE16", "LE17", "LE18", "LE19", "LE65", "LE67"]
RUTLAND_DISTRICTS = ["LE15"]
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Leicestershire's DfE local authority number, used in synthetic UPNs.
LA_NUMBER = {"LEICESTERSHIRE": "855", "RUTLAND": "857"}


def _choice(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return rng.choice(np.array(keys, dtype=object), size=n, p=p / p.sum())


def random_postcodes(rng: np.random.Generator, local_authority: np.ndarray) -> np.ndarray:
    n = len(local_authority)
    lei = rng.choice(LEICESTERSHIRE_DISTRICTS, size=n)
    district = np.where(local_authority == "RUTLAND", RUTLAND_DISTRICTS[0], lei)
    sector = rng.integers(1, 10, size=n)
    a = rng.choice(list(_INWARD_LETTERS), size=n)
    b = rng.choice(list(_INWARD_LETTERS), size=n)
    return np.array([f"{d} {s}{x}{y}" for d, s, x, y in zip(district, sector, a, b)], dtype=object)


def random_upns(rng: np.random.Generator, local_authority: np.ndarray, dob_year: np.ndarray) -> np.ndarray:
    serial = rng.choice(10_000_000, size=len(local_authority), replace=False)
    out = []
    for la, year, s in zip(local_authority, dob_year, serial):
        body = f"{LA_NUMBER.get(la, '855')}{(int(year) + 5) % 100:02d}{s:07d}"
        out.append(upn_check_letter(body) + body)
    return np.array(out, dtype=object)


def random_names(rng: np.random.Generator, sex: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(sex)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for g in SURNAMES:
        in_group = group == g
        for s, pool in (("M", MALE), ("F", FEMALE)):
            mask = in_group & ((sex == s) if s == "F" else (sex != "F"))
            first[mask] = rng.choice(pool[g], size=int(mask.sum()))
        last[in_group] = rng.choice(SURNAMES[g], size=int(in_group.sum()))
    return first, last


def make_people(rng: np.random.Generator, n: int, *, dob: np.ndarray,
                ethnicity: dict[str, float], male_share: float, prefix: str) -> pd.DataFrame:
    """n people with names, sex, ethnicity, address and UPN, born on the given dates."""
    sex = np.where(rng.random(n) < male_share, "M", "F").astype(object)
    sex[rng.random(n) < 0.004] = "U"
    eth = _choice(rng, ethnicity, n)
    group = np.array([GROUP_OF[e[0]] for e in eth], dtype=object)
    first, last = random_names(rng, sex, group)
    la = np.where(rng.random(n) < 0.93, "LEICESTERSHIRE", "RUTLAND").astype(object)
    dob_year = dob.astype("datetime64[Y]").astype(int) + 1970
    return pd.DataFrame({
        "person_id": [f"{prefix}{i:07d}" for i in range(n)],
        "first_name": first, "last_name": last,
        "date_of_birth": pd.to_datetime(dob).date,
        "sex": sex, "ethnicity": eth, "ethnic_group": group,
        "local_authority": la, "postcode": random_postcodes(rng, la),
        "upn": random_upns(rng, la, dob_year),
    })


def random_dobs(rng: np.random.Generator, n: int, born_from: dt.date, born_to: dt.date) -> np.ndarray:
    span = max((born_to - born_from).days, 1)
    return np.datetime64(born_from) + rng.integers(0, span, size=n).astype("timedelta64[D]")


def pnc_ids(rng: np.random.Generator, first_contact_years: np.ndarray) -> np.ndarray:
    serial = rng.choice(9_000_000, size=len(first_contact_years), replace=False) + 100_000
    years = [f"{int(y) % 100:02d}" for y in first_contact_years]
    return np.array([f"{y}/{s}{pnc_check_letter(y, str(s))}" for y, s in zip(years, serial)], dtype=object)
