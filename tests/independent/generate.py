"""Independent record set with ground truth for evaluating cross-source matching of children.

Written from the source specification and public research only (see README.md). It writes a landing
folder (case system in the corepl layout, police custody, education, CCIS) plus ground_truth.csv,
relations.csv and noise.csv.

    python -m tests.independent.generate OUT [--children N] [--seed S] [--as-of YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from . import names as N
from .ids import make_temp_upn, make_upn, pnc_long, pnc_short, pnc_short_padded

SOURCES = ("case_system", "police_custody", "education", "ccis")


# ----------------------------------------------------------------------------------------------
# people
# ----------------------------------------------------------------------------------------------
@dataclass
class Family:
    fid: int
    community: str
    surname: str  # legal family surname
    district: str
    la: str
    postcode: str
    prev_postcode: str | None  # address before a move (older records may still hold it)
    moved_kind: str | None  # postcode_moved_same_district | postcode_moved_other_district
    muhammad: str  # family's spelling of Muhammad
    father: str  # father's given name (Gujarati middle name, Somali patronym)
    alt_surname: str | None  # father's family name where the legal surname is Kaur/Singh/Begum
    step_surname: str | None  # a step-parent's surname some services use


@dataclass
class Person:
    pid: str
    fam: Family
    sex: str
    dob: date
    first: str  # legal first name
    middles: list[str]
    last: str  # legal surname
    nicknames: list[str]
    muhammad_prefix: bool = False  # first == Muhammad, calling name is middles[0]
    title: str | None = None  # Begum / Bibi / Khatun / Kaur / Singh held as a middle name
    ethnicity: str = "NS"
    dfe_eth: str = "NOBT"
    upn: str | None = None
    former_upn: str | None = None
    pnc: tuple[int, int] | None = None
    school: tuple | None = None
    in_case: bool = False
    in_edu: bool = False
    detentions: int = 0
    in_ccis: bool = False
    ids: dict = field(default_factory=dict)


def _age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _pick_weighted(rng: random.Random, items):
    total = sum(w for _, w in items)
    x = rng.uniform(0, total)
    for it, w in items:
        x -= w
        if x <= 0:
            return it
    return items[-1][0]


def _postcode(rng: random.Random, district: str) -> str:
    return f"{district} {rng.randint(0, 9)}{rng.choice(N.UNIT_LETTERS)}{rng.choice(N.UNIT_LETTERS)}"


class World:
    """The true population: families, children, identifiers."""

    def __init__(self, rng: random.Random, as_of: date):
        self.rng = rng
        self.as_of = as_of
        self.people: list[Person] = []
        self.relations: list[tuple[str, str, str]] = []
        self._fid = 0
        self._upn_serial: dict[tuple, int] = {}
        self._pnc_serial: dict[int, int] = {}

    # --- families
    def new_family(self, community: str | None = None, district: str | None = None) -> Family:
        rng = self.rng
        if community is None:
            community = _pick_weighted(rng, [(c[0], c[1]) for c in N.COMMUNITIES])
        if district is None:
            if community in ("gujarati_hindu", "punjabi_sikh", "muslim_indian", "muslim_pakistani",
                             "muslim_bangladeshi", "somali") and rng.random() < 0.8:
                district = rng.choice(N.ASIAN_DISTRICTS)
            else:
                district = _pick_weighted(rng, [(d, 3 if la == "LEICESTERSHIRE" else 1) for d, la in N.DISTRICTS])
        la = dict(N.DISTRICTS)[district]
        alt = step = None
        if community in ("white_british", "mixed", "irish_traveller", "other"):
            pool = N.TRAVELLER_SURNAMES if community == "irish_traveller" else N.WB_SURNAMES
            surname = rng.choice(pool)
            if community in ("white_british", "mixed") and rng.random() < 0.07:
                other = rng.choice(N.WB_SURNAMES)
                if other != surname and " " not in other and " " not in surname:
                    surname = f"{surname}-{other}"
        elif community == "gujarati_hindu":
            surname = rng.choice(N.GUJ_SURNAMES)
        elif community == "punjabi_sikh":
            surname = rng.choice(N.SIKH_SURNAMES)
        elif community == "muslim_indian":
            surname = rng.choice(N.MUSLIM_SURNAMES_IN)
        elif community == "muslim_pakistani":
            surname = rng.choice(N.MUSLIM_SURNAMES_PK)
        elif community == "muslim_bangladeshi":
            surname = rng.choice(N.MUSLIM_SURNAMES_BD)
        elif community == "somali":
            surname = rng.choice(N.SOMALI_PATRONYMS)  # the grandfather's name, registered as surname
        elif community == "polish":
            surname = rng.choice(N.POLISH_SURNAMES_M)
        elif community == "romanian":
            surname = rng.choice(N.ROMANIAN_SURNAMES)
        elif community == "black_caribbean":
            surname = rng.choice(N.BLACK_CAR_SURNAMES)
        else:  # black_african
            surname = rng.choice(N.BLACK_AF_SURNAMES)
        if community in ("white_british", "mixed", "black_caribbean") and rng.random() < 0.10:
            step = rng.choice(N.WB_SURNAMES)
            if step == surname:
                step = None
        father = rng.choice(N.SOMALI_PATRONYMS if community == "somali" else N.GUJ_FATHER)
        postcode = _postcode(rng, district)
        prev = kind = None
        if rng.random() < 0.22:  # moved house in the period the sources cover
            if rng.random() < 0.6:
                prev, kind = _postcode(rng, district), "postcode_moved_same_district"
            else:
                other = rng.choice([d for d, _ in N.DISTRICTS if d != district])
                prev, kind = _postcode(rng, other), "postcode_moved_other_district"
        self._fid += 1
        return Family(self._fid, community, surname, district, la, postcode, prev, kind,
                      rng.choice(N.MUHAMMAD_SPELLINGS[:6]), father, alt, step)

    # --- identifiers
    def _upn_for(self, p: Person) -> None:
        rng = self.rng
        school = rng.choice([s for s in N.SCHOOLS if s[3] != 857] if p.fam.la != "RUTLAND"
                            else [s for s in N.SCHOOLS if s[3] == 857])
        p.school = school
        # UPN allocated on first entry to school (reception, aged 4), by a primary school in the LA
        la_num = N.LA_NUMBERS.get(p.fam.la, 855)
        if rng.random() < 0.06:
            la_num = rng.choice([330, 891, 830, 937, 856])  # first went to school elsewhere
        estab = 2000 + rng.randrange(0, 400)
        year2 = (p.dob.year + 4 + (p.dob.month >= 9)) % 100
        key = (la_num, estab, year2)
        self._upn_serial[key] = self._upn_serial.get(key, rng.randrange(0, 40)) + 1
        p.upn = make_upn(la_num, estab, year2, self._upn_serial[key])
        if rng.random() < 0.07:  # a temporary UPN (or an earlier LA's) is still around as former_upn
            p.former_upn = make_temp_upn(la_num, estab, year2, rng.randrange(0, 100), rng.choice("ABCDEFGHJ"))

    def _twin_upn(self, a: Person, b: Person) -> None:
        # twins start school together: same school, consecutive serials
        la_num, estab, year2 = int(a.upn[1:4]), int(a.upn[4:8]), int(a.upn[8:10])
        key = (la_num, estab, year2)
        self._upn_serial[key] += 1
        b.upn = make_upn(la_num, estab, year2, self._upn_serial[key])
        b.school = a.school

    def _pnc_for(self, p: Person) -> None:
        first_arrest = p.dob.year + self.rng.randint(10, max(10, min(17, _age(p.dob, self.as_of))))
        first_arrest = min(first_arrest, self.as_of.year)
        self._pnc_serial[first_arrest] = self._pnc_serial.get(first_arrest, self.rng.randrange(1000, 90000)) \
            + self.rng.randint(1, 400)
        p.pnc = (first_arrest, self._pnc_serial[first_arrest])

    # --- children
    def _given(self, community: str, sex: str):
        rng = self.rng
        c = community
        if c == "mixed":
            c = rng.choice(["white_british", "black_caribbean", "white_british"])
        if c in ("white_british", "irish_traveller", "other"):
            pool = N.WB_MALE if sex == "M" else N.WB_FEMALE
        elif c == "gujarati_hindu":
            pool = N.GUJ_MALE if sex == "M" else N.GUJ_FEMALE
        elif c == "punjabi_sikh":
            pool = N.SIKH_GIVEN + ([] if sex == "M" else N.SIKH_FEMALE_ONLY)
        elif c.startswith("muslim"):
            pool = N.MUSLIM_MALE if sex == "M" else N.MUSLIM_FEMALE
        elif c == "somali":
            pool = N.SOMALI_MALE if sex == "M" else N.SOMALI_FEMALE
        elif c == "polish":
            pool = N.POLISH_MALE if sex == "M" else N.POLISH_FEMALE
        elif c == "romanian":
            pool = N.ROMANIAN_MALE if sex == "M" else N.ROMANIAN_FEMALE
        elif c == "black_caribbean":
            pool = N.BLACK_CAR_MALE if sex == "M" else N.BLACK_CAR_FEMALE
        else:
            pool = N.BLACK_AF_MALE if sex == "M" else N.BLACK_AF_FEMALE
        return rng.choice(pool)

    def new_child(self, fam: Family, dob: date | None = None, sex: str | None = None,
                  avoid_given: set[str] | None = None, given: tuple | None = None) -> Person:
        rng = self.rng
        sex = sex or ("M" if rng.random() < 0.5 else "F")  # custody skews male; set by caller
        if dob is None:
            age_days = rng.randint(10 * 365 + 3, 18 * 365 + 300)
            dob = self.as_of - timedelta(days=age_days)
        for _ in range(20):
            g = given or self._given(fam.community, sex)
            if not avoid_given or g[0] not in avoid_given:
                break
        first, nicks = g[0], list(g[1])
        c = fam.community
        middles: list[str] = []
        last = fam.surname
        p = Person(f"P{len(self.people) + 1:06d}", fam, sex, dob, first, middles, last, nicks)
        if c in ("white_british", "mixed", "irish_traveller", "black_caribbean", "other") and rng.random() < 0.6:
            middles.append(rng.choice(N.WB_MIDDLE_M if sex == "M" else N.WB_MIDDLE_F))
        elif c == "gujarati_hindu":
            middles.append(fam.father if rng.random() < 0.8 else fam.father + "bhai")
        elif c == "punjabi_sikh":
            p.title = "Singh" if sex == "M" else "Kaur"
            if rng.random() < 0.2:  # registered with the religious name as the surname
                fam.alt_surname = fam.alt_surname or fam.surname
                p.last = p.title
            else:
                middles.append(p.title)
        elif c.startswith("muslim"):
            if sex == "M" and rng.random() < 0.4:
                p.muhammad_prefix = True
                middles.append(first)
                nicks = ["Mo"] + nicks
                p.first = fam.muhammad
            elif sex == "F":
                title = {"muslim_bangladeshi": "Begum" if rng.random() < 0.8 else "Khatun",
                         "muslim_pakistani": "Bibi" if rng.random() < 0.5 else "Begum"}.get(c)
                if title and rng.random() < 0.7:
                    p.title = title
                    if c == "muslim_bangladeshi" and rng.random() < 0.4:
                        fam.alt_surname = fam.alt_surname or fam.surname
                        p.last = title
                    else:
                        middles.append(title)
        elif c == "somali":
            middles.append(fam.father)
        p.nicknames = nicks
        if c in ("polish",) and sex == "F" and last.endswith("ski"):
            p.last = last[:-1] + "a"  # feminine form
        p.ethnicity, p.dfe_eth = next((e, d) for k, _, e, d in N.COMMUNITIES if k == c)
        if c == "mixed":
            p.ethnicity, p.dfe_eth = rng.choice([("M1", "MWBC"), ("M2", "MWBA"), ("M3", "MWAS"), ("M9", "MOTH")])
        self.people.append(p)
        return p

    def build(self, n: int) -> None:
        rng = self.rng
        n_look = max(1, n // 60)
        while len(self.people) < n - n_look:
            fam = self.new_family()
            r = rng.random()
            if r < 0.017:  # twins (about 1 in 30 births are twins; a twin pair is 2 children)
                a = self.new_child(fam)
                sex = a.sex if rng.random() < 0.65 else ("F" if a.sex == "M" else "M")
                b = self.new_child(fam, dob=a.dob, sex=sex, avoid_given={a.first, *a.middles})
                self.relations.append((a.pid, b.pid, "twin"))
                a.twin = b
                b.twin_of = a
                kids = [a, b]
            else:
                kids = [self.new_child(fam)]
                if r < 0.30:  # siblings both aged 10-18
                    for _ in range(1 if r > 0.08 else 2):
                        gap = rng.choice([-1, 1]) * rng.randint(330, 1600)
                        dob = kids[0].dob + timedelta(days=gap)
                        if not (10 * 365 < (self.as_of - dob).days < 19 * 365 - 30):
                            continue
                        s = self.new_child(fam, dob=dob, avoid_given={k.first for k in kids})
                        for k in kids:
                            self.relations.append((k.pid, s.pid, "sibling"))
                        kids.append(s)
        # lookalikes: an unrelated child with the same common name and the same date of birth
        common = [p for p in self.people if p.last in ("Patel", "Khan", "Smith", "Hussain", "Ahmed", "Jones",
                                                      "Begum", "Kaur", "Singh", "Ali", "Mistry", "Taylor", "Miah")]
        rng.shuffle(common)
        for a in common[: max(0, n - len(self.people))]:
            fam = self.new_family(community=a.fam.community)
            while fam.district == a.fam.district:
                fam = self.new_family(community=a.fam.community)
            fam.surname = a.fam.surname if a.last == a.fam.surname else a.last
            g = a.middles[0] if a.muhammad_prefix else a.first
            b = self.new_child(fam, dob=a.dob, sex=a.sex, given=(g, a.nicknames[1:] if a.muhammad_prefix else a.nicknames))
            if b.muhammad_prefix:
                b.middles = b.middles[1:]
            b.first, b.last, b.muhammad_prefix, b.title = a.first, a.last, a.muhammad_prefix, a.title
            if a.muhammad_prefix:
                b.middles = [a.middles[0]]
            b.middles = [m for m in b.middles if m not in ("Kaur", "Singh", "Begum", "Bibi", "Khatun")]
            if a.title and a.title in a.middles:
                b.middles.append(a.title)
            self.relations.append((a.pid, b.pid, "lookalike"))
        # identifiers and source membership
        for p in self.people:
            if getattr(p, "twin_of", None) is not None:
                continue
            twin = getattr(p, "twin", None)
            self._upn_for(p)
            if twin is not None:
                self._twin_upn(p, twin)
        for p in self.people:
            age = _age(p.dob, self.as_of)
            known = rng.random() < 0.30
            p.in_case = known
            if known:
                p.in_edu = rng.random() < (0.92 if age < 16 else 0.55)
                p.detentions = _pick_weighted(rng, [(0, 55), (1, 28), (2, 10), (3, 5), (5, 2)])
                p.in_ccis = age >= 16 and rng.random() < 0.85
            else:
                out_of_area = p.fam.la not in ("LEICESTERSHIRE", "RUTLAND")
                p.in_edu = rng.random() < (0.25 if out_of_area else 0.95 if age < 16 else 0.6)
                p.detentions = _pick_weighted(rng, [(0, 93), (1, 6), (2, 1)]) if not out_of_area else \
                    _pick_weighted(rng, [(0, 60), (1, 35), (2, 5)])
                p.in_ccis = age >= 16 and rng.random() < 0.55
            if not (p.in_case or p.in_edu or p.detentions or p.in_ccis):
                p.in_edu = True
            if p.detentions or (p.in_case and rng.random() < 0.5):
                self._pnc_for(p)


# ----------------------------------------------------------------------------------------------
# noisy rendering
# ----------------------------------------------------------------------------------------------
# probability of each noise class per source (only drawn when the person is eligible for it)
RATES = {
    #                               edu    case   custody ccis
    "muhammad_dropped":            (0.10, 0.25, 0.35, 0.15),
    "muhammad_merged":             (0.05, 0.10, 0.15, 0.05),
    "muhammad_spelling":           (0.03, 0.10, 0.20, 0.08),
    "given_as_surname":            (0.01, 0.04, 0.08, 0.03),
    "muhammad_added":              (0.01, 0.03, 0.06, 0.02),  # Muhammad written before a given name that lacks it
    "begum_as_surname":            (0.10, 0.20, 0.30, 0.15),
    "family_surname_used":         (0.30, 0.35, 0.45, 0.30),  # legal surname Begum/Kaur/Singh, family name used
    "kaur_singh_as_surname":       (0.05, 0.20, 0.40, 0.10),
    "kaur_singh_with_surname":     (0.03, 0.05, 0.08, 0.03),
    "hindu_family_name_missing":   (0.01, 0.04, 0.08, 0.03),
    "somali_patronym_as_surname":  (0.10, 0.20, 0.30, 0.15),
    "somali_hyphenated":           (0.03, 0.05, 0.05, 0.05),  # father-grandfather as a hyphenated surname
    "hyphen_split":                (0.05, 0.10, 0.15, 0.08),
    "hyphen_partial":              (0.05, 0.15, 0.25, 0.10),
    "hyphen_joined":               (0.02, 0.03, 0.03, 0.02),
    "stepparent_surname":          (0.15, 0.35, 0.50, 0.25),
    "nickname":                    (0.02, 0.07, 0.20, 0.04),
    "name_swap":                   (0.01, 0.03, 0.04, 0.01),
    "name_merged":                 (0.01, 0.02, 0.03, 0.01),
    "transliteration":             (0.03, 0.10, 0.20, 0.08),
    "accent_stripped":             (0.30, 0.60, 0.98, 0.60),
    "apostrophe_dropped":          (0.10, 0.20, 0.40, 0.20),
    "mc_spacing":                  (0.05, 0.10, 0.10, 0.05),
    "case_upper":                  (0.02, 0.04, 0.70, 0.05),
    "case_lower":                  (0.01, 0.01, 0.00, 0.02),
    "extra_spaces":                (0.01, 0.02, 0.02, 0.02),
    "typo_first":                  (0.01, 0.025, 0.04, 0.02),
    "typo_last":                   (0.01, 0.025, 0.04, 0.02),
    "dob_day_month_swapped":       (0.003, 0.006, 0.010, 0.005),
    "dob_digit_off":               (0.003, 0.008, 0.012, 0.006),
    "dob_missing":                 (0.0, 0.003, 0.005, 0.002),
    "postcode_moved":              (0.05, 0.45, 0.40, 0.30),  # old address still held (if the family moved)
    "postcode_typo":               (0.01, 0.02, 0.03, 0.02),
    "postcode_missing":            (0.02, 0.08, 0.15, 0.10),
    "postcode_format":             (0.05, 0.25, 0.35, 0.20),
    "sex_unknown":                 (0.00, 0.01, 0.02, 0.01),
}
SRC_INDEX = {"education": 0, "case_system": 1, "police_custody": 2, "ccis": 3}

_ASCII_MAP = str.maketrans({"Ł": "L", "ł": "l", "ß": "ss", "ø": "o", "Ø": "O", "đ": "d"})


def strip_accents(s: str) -> str:
    s = s.translate(_ASCII_MAP)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def typo(rng: random.Random, s: str) -> str:
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if len(letters) < 3:
        return s
    i = rng.choice(letters[1:])  # first letter is usually right
    kind = rng.random()
    c = s[i]
    if kind < 0.4 and c.lower() in N.KEYBOARD:
        r = rng.choice(N.KEYBOARD[c.lower()])
        return s[:i] + (r.upper() if c.isupper() else r) + s[i + 1:]
    if kind < 0.65 and i + 1 < len(s) and s[i + 1].isalpha() and s[i + 1] != c:
        return s[:i] + s[i + 1] + c + s[i + 2:]
    if kind < 0.85:
        return s[:i] + s[i + 1:]
    return s[:i] + c + s[i:]


class Renderer:
    def __init__(self, rng: random.Random, world: World):
        self.rng = rng
        self.world = world
        self.noise: list[tuple[str, str, str]] = []

    def hit(self, cls: str, src: str) -> bool:
        return self.rng.random() < RATES[cls][SRC_INDEX[src]]

    def name(self, p: Person, src: str) -> tuple[str, str, list[str]]:
        """(forenames, surname, noise classes). Police forenames may carry middle names."""
        rng = self.rng
        got: list[str] = []
        first, middles, last = p.first, list(p.middles), p.last
        fam = p.fam

        def take(cls):
            if self.hit(cls, src):
                got.append(cls)
                return True
            return False

        # community naming conventions
        if p.muhammad_prefix and middles:
            if take("muhammad_dropped"):
                first = middles.pop(0)
            elif take("given_as_surname"):
                last = middles.pop(0)
            elif take("muhammad_merged"):
                first = f"{first} {middles.pop(0)}"
            if first.split()[0] in N.MUHAMMAD_SPELLINGS and take("muhammad_spelling"):
                parts = first.split(" ", 1)
                parts[0] = rng.choice([s for s in N.MUHAMMAD_SPELLINGS if s != parts[0]])
                first = " ".join(parts)
        elif fam.community.startswith("muslim") and p.sex == "M" and take("muhammad_added"):
            first = f"{fam.muhammad} {first}"
        if p.title in ("Begum", "Bibi", "Khatun"):
            if last == p.title and fam.alt_surname and take("family_surname_used"):
                last = fam.alt_surname
            elif p.title in middles and take("begum_as_surname"):
                middles.remove(p.title)
                last = p.title
        if p.title in ("Kaur", "Singh"):
            if last == p.title and fam.alt_surname and take("family_surname_used"):
                last = fam.alt_surname
            elif p.title in middles and take("kaur_singh_as_surname"):
                middles.remove(p.title)
                last = p.title
            elif p.title in middles and take("kaur_singh_with_surname"):
                middles.remove(p.title)
                last = f"{p.title} {last}" if rng.random() < 0.6 else f"{p.title}-{last}"
        if fam.community == "gujarati_hindu" and middles and take("hindu_family_name_missing"):
            last = middles.pop(0)
        if fam.community == "somali" and middles:
            if take("somali_patronym_as_surname"):
                last = middles.pop(0)
            elif take("somali_hyphenated"):
                last = f"{middles.pop(0)}-{last}"
        if "-" in last and last == p.last:
            if take("hyphen_split"):
                last = last.replace("-", " ")
            elif take("hyphen_partial"):
                last = rng.choice(last.split("-"))
            elif take("hyphen_joined"):
                last = last.replace("-", "")
        if fam.step_surname and last == p.last and take("stepparent_surname"):
            last = fam.step_surname
        # forenames
        if p.nicknames and first == p.first and take("nickname"):
            first = rng.choice(p.nicknames)
        personal_middle = fam.community not in ("gujarati_hindu", "somali")  # there the middle is the father's name
        if personal_middle and middles and first == p.first and not p.muhammad_prefix and \
                middles[0] not in ("Kaur", "Singh", "Begum", "Bibi", "Khatun"):
            if take("name_swap"):
                first, middles[0] = middles[0], first
            elif take("name_merged"):
                first = first + rng.choice(["-", " ", ""]) + middles.pop(0)
        # spelling
        toks = [t for t in (first.split() + last.split()) if t in N.TRANSLIT]
        if toks and take("transliteration"):
            t = rng.choice(toks)
            v = rng.choice(N.TRANSLIT[t])
            first = " ".join(v if x == t else x for x in first.split())
            last = " ".join(v if x == t else x for x in last.split())
        forenames = first
        if src == "police_custody" and middles and rng.random() < 0.5:
            forenames = " ".join([first] + middles)  # not noise: custody records hold all forenames
        if not (forenames + last).isascii() and take("accent_stripped"):
            forenames, last = strip_accents(forenames), strip_accents(last)
        if "'" in last and take("apostrophe_dropped"):
            last = last.replace("'", "" if rng.random() < 0.7 else " ")
        if (last.startswith("Mc") or last.startswith("Mac")) and take("mc_spacing"):
            last = last.replace("Mc", "Mc ", 1) if last.startswith("Mc") else last.replace("Mac", "Mac ", 1)
        if take("typo_first"):
            forenames = typo(rng, forenames)
        if take("typo_last"):
            last = typo(rng, last)
        if take("case_upper"):
            forenames, last = forenames.upper(), last.upper()
        elif take("case_lower"):
            forenames, last = forenames.lower(), last.lower()
        if take("extra_spaces"):
            last = last + " " if rng.random() < 0.5 else " " + last.replace(" ", "  ")
        return forenames, last, got

    def dob(self, p: Person, src: str) -> tuple[date | None, list[str]]:
        d = p.dob
        if self.hit("dob_missing", src):
            return None, ["dob_missing"]
        if d.day <= 12 and d.day != d.month and self.hit("dob_day_month_swapped", src):
            return date(d.year, d.day, d.month), ["dob_day_month_swapped"]
        if self.hit("dob_digit_off", src):
            rng = self.rng
            for _ in range(10):
                part = rng.choice(["day", "month", "year"])
                try:
                    if part == "day":
                        nd = d.replace(day=d.day + rng.choice([-1, 1, 10, -10]))
                    elif part == "month":
                        nd = d.replace(month=d.month + rng.choice([-1, 1]))
                    else:
                        nd = d.replace(year=d.year + rng.choice([-1, 1]))
                    return nd, ["dob_digit_off"]
                except ValueError:
                    continue
        return d, []

    def postcode(self, p: Person, src: str) -> tuple[str, list[str]]:
        rng = self.rng
        pc, got = p.fam.postcode, []
        if self.hit("postcode_missing", src):
            return "", ["postcode_missing"]
        if p.fam.prev_postcode and self.hit("postcode_moved", src):
            pc = p.fam.prev_postcode
            got.append(p.fam.moved_kind)
        if self.hit("postcode_typo", src):
            out, inw = pc.split(" ")
            if rng.random() < 0.5:
                inw = inw[0] + inw[2] + inw[1] if inw[1] != inw[2] else inw[0] + inw[1] + rng.choice(N.UNIT_LETTERS)
            else:
                inw = str((int(inw[0]) + rng.choice([1, 9])) % 10) + inw[1:]
            pc = f"{out} {inw}"
            got.append("postcode_typo")
        if self.hit("postcode_format", src):
            f = rng.random()
            pc = pc.replace(" ", "") if f < 0.5 else pc.lower() if f < 0.75 else pc.replace(" ", "  ")
            got.append("postcode_format")
        return pc, got

    def log(self, src: str, rid: str, classes) -> None:
        for c in classes:
            self.noise.append((src, rid, c))


# ----------------------------------------------------------------------------------------------
# writers
# ----------------------------------------------------------------------------------------------
SPEC_DIR = Path("/work/shared/spec")


def _layout():
    """corepl file -> (table, [(canonical column, header, code_list)]). Embedded copy of layouts.csv."""
    tables: dict[str, tuple[str, list]] = {}
    for row in csv.DictReader(io.StringIO(LAYOUT_CSV)):
        f = row["corepl_file"]
        tables.setdefault(f, (row["table"], []))[1].append((row["canonical_column"], row["corepl_header"],
                                                            row["code_list"], row["type"]))
    return tables


def _codes():
    out: dict[tuple[str, str], str] = {}
    for row in csv.DictReader(io.StringIO(CODES_CSV)):
        out[(row["code_list"], row["code"])] = row["corepl_label"]
    return out


def _dmy(d):
    return d.strftime("%d/%m/%Y") if d else ""


def _iso(d):
    return d.isoformat() if d else ""


def _write_csv(path: Path, header, rows, bom=False) -> tuple[str, int]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if bom else "\n")
    w.writerow(header)
    n = 0
    for r in rows:
        w.writerow(r)
        n += 1
    data = buf.getvalue().encode("utf-8-sig" if bom else "utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), n


IC = {"W": "IC1", "M": "IC9", "A": "IC4", "B": "IC3", "O": "IC9", "N": "IC9"}


def generate(out: Path, children: int = 3000, seed: int = 7, as_of: str = "2026-11-20") -> dict:
    t0 = time.perf_counter()
    out = Path(out)
    asof = date.fromisoformat(as_of)
    rng = random.Random(seed)
    world = World(random.Random(seed * 7919 + 1), asof)
    world.build(children)
    rnd = Renderer(random.Random(seed * 104729 + 3), world)
    rng_ids = random.Random(seed * 31 + 5)
    gt: list[tuple[str, str, str]] = []
    rend: dict[tuple[str, str], tuple] = {}
    landing = out / "landing"
    codes = _codes()
    people = world.people

    # ---------------- case system (corepl)
    case_people = [p for p in people if p.in_case]
    ids = rng_ids.sample(range(100000, 999999), len(case_people))
    child_rows, tables = [], {k: [] for k in ("episode", "offence", "outcome", "assessment", "need",
                                                "ete_status", "accommodation", "wider_services", "victim")}
    # the force's record of each child in custody (name, DOB, postcode as given in the custody suite)
    personas = {p.pid: (rnd.name(p, "police_custody"), rnd.dob(p, "police_custody"), rnd.postcode(p, "police_custody"))
                for p in people if p.detentions}
    for p, num in zip(case_people, ids):
        cid = f"YJ{num}"
        p.ids["case_system"] = cid
        gt.append(("case_system", cid, p.pid))
        if p.pid in personas and rng.random() < 0.35:
            # the case worker typed the child in from the police referral: police spelling, DOB and address
            (fn, ln, nz), (dob, nz2), (pc, nz3) = personas[p.pid]
            nz = ["copied_from_police"] + list(nz)
            if "case_upper" in nz and rng.random() < 0.6:
                fn, ln = fn.title(), ln.title()
                nz = [c for c in nz if c != "case_upper"] + ["title_cased"]
        else:
            fn, ln, nz = rnd.name(p, "case_system")
            dob, nz2 = rnd.dob(p, "case_system")
            pc, nz3 = rnd.postcode(p, "case_system")
        noise = nz + nz2 + nz3
        sex = p.sex
        if rnd.hit("sex_unknown", "case_system"):
            sex, noise = "U", noise + ["sex_unknown"]
        upn = p.upn
        r = rng.random()
        if r < 0.22:
            upn, noise = "", noise + ["upn_missing"]
        elif p.former_upn and rng.random() < 0.35:  # recorded before the UPN changed
            upn, noise = p.former_upn, noise + ["upn_former_used"]
        elif r < 0.25:
            i = rng.randint(1, 11)
            upn = upn[:i] + str((int(upn[i]) + rng.randint(1, 9)) % 10) + upn[i + 1:]
            noise.append("upn_digit_mistyped")
        pnc = ""
        if p.pnc:
            if rng.random() < 0.12:
                noise.append("pnc_missing")
            else:
                pnc = pnc_short(*p.pnc)
                if rng.random() < 0.08:
                    pnc = pnc_long(*p.pnc)
                    noise.append("pnc_long_form")
        eth = p.ethnicity if rng.random() > 0.06 else "NS"
        la = p.fam.la
        la_label = codes.get(("local_authority", la), la.title())
        rnd.log("case_system", cid, noise)
        rend[("case_system", cid)] = (p.pid, fn, ln, dob, pc)
        child_rows.append({"child_id": cid, "first_name": fn, "last_name": ln, "date_of_birth": dob,
                           "sex": sex, "ethnicity": eth, "postcode": pc, "upn": upn, "pnc_id": pnc,
                           "local_authority": la_label})
        # minimal, referentially consistent rows for the other tables
        off = rng.choice(N.OFFENCES)
        age = _age(p.dob, asof)
        odate = asof - timedelta(days=rng.randint(20, max(30, min(700, (age - 10) * 365))))
        odate = max(odate, p.dob + timedelta(days=10 * 366))
        oc_date = odate + timedelta(days=rng.randint(7, 90))
        if oc_date > asof:
            oc_date = asof - timedelta(days=1)
        otype = _pick_weighted(rng, [("COMMUNITY_RESOLUTION", 20), ("OUTCOME_22", 10), ("YOUTH_CAUTION", 12),
                                     ("YOUTH_CONDITIONAL_CAUTION", 10), ("REFERRAL_ORDER", 25),
                                     ("YOUTH_REHABILITATION_ORDER", 15), ("DTO", 3), ("CONDITIONAL_DISCHARGE", 5)])
        oid, eid, fid = f"OC{num}", f"EP{num}", f"OF{num}"
        tables["outcome"].append({"outcome_id": oid, "child_id": cid, "outcome_date": oc_date, "outcome_type": otype})
        tables["offence"].append({"offence_id": fid, "child_id": cid, "offence_date": odate, "offence_code": off[0],
                                  "offence_category": off[2], "gravity_score": off[3], "outcome_id": oid})
        ep_type = otype if otype not in ("CONDITIONAL_DISCHARGE",) else "PREVENTION"
        planned = oc_date + timedelta(days=rng.choice([90, 180, 365]))
        closed = planned < asof and rng.random() < 0.8
        tables["episode"].append({"episode_id": eid, "child_id": cid, "episode_type": ep_type, "start_date": oc_date,
                                  "planned_end_date": planned, "end_date": planned if closed else None,
                                  "end_reason": "COMPLETED" if closed else None, "outcome_id": oid})
        tables["assessment"].append({"assessment_id": f"AS{num}", "child_id": cid, "episode_id": eid,
                                     "assessment_type": "ASSETPLUS" if otype in ("REFERRAL_ORDER", "YOUTH_REHABILITATION_ORDER", "DTO")
                                     else "PREVENTION_DIVERSION",
                                     "completed_date": min(asof, oc_date + timedelta(days=14)),
                                     "likelihood_of_reoffending": rng.choice(["LOW", "MEDIUM", "HIGH"]),
                                     "risk_of_serious_harm": rng.choice(["LOW", "MEDIUM", "HIGH"]),
                                     "safety_wellbeing": rng.choice(["LOW", "MEDIUM", "HIGH"])})
        need_id = rng.random() < 0.4
        tables["need"].append({"need_id": f"ND{num}", "child_id": cid, "episode_id": eid, "domain": rng.choice(
            ["MENTAL_HEALTH", "SUBSTANCE_MISUSE", "SLCN", "SEND"]), "screened_date": min(asof, oc_date + timedelta(days=10)),
            "need_identified": need_id, "intervention_planned": need_id, "intervention_attended": need_id and rng.random() < 0.7})
        ete = "SCHOOL_FULL_TIME" if age < 16 else rng.choice(["COLLEGE", "NEET", "TRAINING", "APPRENTICESHIP"])
        tables["ete_status"].append({"child_id": cid, "episode_id": eid, "recorded_at": "START", "ete_type": ete,
                                     "hours_offered": 25 if ete == "SCHOOL_FULL_TIME" else None,
                                     "hours_attended": rng.randint(10, 25) if ete == "SCHOOL_FULL_TIME" else None,
                                     "suitable": ete != "NEET"})
        tables["accommodation"].append({"child_id": cid, "episode_id": eid, "recorded_at": "START",
                                        "accommodation_type": "WITH_PARENTS" if rng.random() < 0.85 else "FOSTER_CARE",
                                        "suitable": True})
        if rng.random() < 0.3:
            tables["wider_services"].append({"child_id": cid, "status": rng.choice(["EARLY_HELP", "CHILD_IN_NEED", "LOOKED_AFTER"]),
                                             "start_date": odate - timedelta(days=rng.randint(30, 400)), "end_date": None})
        if rng.random() < 0.4:
            tables["victim"].append({"victim_id": f"VI{num}", "offence_id": fid, "victim_kind": "PERSON",
                                     "age_band": rng.choice(["10-17", "18-24", "25-64"]), "sex": rng.choice(["M", "F"]),
                                     "ethnicity": "NS", "contact_consent": True, "views_sought": True,
                                     "kept_informed": rng.random() < 0.8, "rj_offered": True, "rj_participated": rng.random() < 0.3})
    tables["child"] = child_rows
    delivery_id = f"corepl-{asof:%Y%m%d}-0130"
    cdir = landing / "case_system" / delivery_id
    cdir.mkdir(parents=True, exist_ok=True)
    files = []
    for fname, (table, cols) in _layout().items():
        def conv(row, cols=cols):
            out_row = []
            for col, _h, code_list, typ in cols:
                v = row.get(col)
                if v is None or v == "":
                    out_row.append("")
                elif typ == "date":
                    out_row.append(_dmy(v))
                elif typ == "bool":
                    out_row.append("Yes" if v else "No")
                elif code_list and code_list != "local_authority":
                    out_row.append(codes[(code_list, v)])
                else:
                    out_row.append(str(v))
            return out_row
        sha, n = _write_csv(cdir / fname, [h for _c, h, _l, _t in cols], (conv(r) for r in tables[table]), bom=True)
        files.append({"name": fname, "sha256": sha, "rows": {table: n}})
    manifest = {"delivery_id": delivery_id, "supplier": "corepl",
                "extracted_at": datetime.combine(asof, datetime.min.time()).replace(hour=1, minute=30).isoformat(),
                "files": files}
    (cdir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    # ---------------- police custody
    custody_rows = []
    serial = 0
    cust_people = [p for p in people if p.detentions]
    for p in cust_people:
        persona, (dob_p, dn), (pc_p, pn) = personas[p.pid]
        pnc_form = None
        if p.pnc:
            r = rng.random()
            pnc_form = ("pnc_missing" if r < 0.18 else "pnc_long_form" if r < 0.63 else
                        "pnc_short_padded" if r < 0.73 else "pnc_lowercase" if r < 0.78 else "canonical")
        for k in range(p.detentions):
            serial += 1
            ref = f"LP/{asof.year % 100:02d}/{rng_ids.randint(10, 99)}{serial:06d}"
            p.ids.setdefault("police_custody", []).append(ref)
            gt.append(("police_custody", ref, p.pid))
            if k == 0 or rng.random() < 0.75:  # later detentions usually reuse the force's record of the child
                fn, ln, nz = persona
                dob, nz2, pc, nz3 = dob_p, dn, pc_p, pn
            else:
                fn, ln, nz = rnd.name(p, "police_custody")
                dob, nz2 = rnd.dob(p, "police_custody")
                pc, nz3 = rnd.postcode(p, "police_custody")
            noise = nz + nz2 + nz3
            pnc = ""
            if p.pnc and pnc_form:
                if pnc_form == "pnc_missing":
                    noise.append("pnc_missing")
                elif pnc_form == "pnc_long_form":
                    pnc = pnc_long(*p.pnc); noise.append(pnc_form)
                elif pnc_form == "pnc_short_padded":
                    pnc = pnc_short_padded(*p.pnc); noise.append(pnc_form)
                elif pnc_form == "pnc_lowercase":
                    pnc = pnc_short(*p.pnc).lower(); noise.append(pnc_form)
                else:
                    pnc = pnc_short(*p.pnc)
            sex = p.sex
            if rnd.hit("sex_unknown", "police_custody"):
                sex, noise = "U", noise + ["sex_unknown"]
            rnd.log("police_custody", ref, noise)
            arrival = datetime.combine(asof, datetime.min.time()) - timedelta(minutes=rng.randint(60, 60 * 24 * 400))
            arrival = max(arrival, datetime.combine(p.dob, datetime.min.time()) + timedelta(days=10 * 366))
            if p.pnc:  # the PNC id is created at the first arrest
                arrival = max(arrival, datetime(p.pnc[0], 1, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 60)))
            arrival = min(arrival, datetime.combine(asof, datetime.min.time()) + timedelta(hours=6))
            arrest = arrival - timedelta(minutes=rng.randint(15, 120))
            auth = arrival + timedelta(minutes=rng.randint(5, 60))
            release = auth + timedelta(minutes=rng.randint(120, 60 * 30))
            open_now = release > datetime.combine(asof, datetime.min.time()) + timedelta(hours=7)
            off = rng.choice(N.OFFENCES)
            outcome = "" if open_now else _pick_weighted(rng, [("RUI", 30), ("NFA", 20), ("CHARGED_BAILED", 15), (
                "CHARGED_REMANDED", 4), ("PRE_CHARGE_BAIL", 10), ("COMMUNITY_RESOLUTION", 8), ("YOUTH_CAUTION", 5),
                ("REFERRED_TO_PANEL", 6), ("OTHER", 2)])
            aa_req = arrival + timedelta(minutes=rng.randint(5, 90))
            aa_arr = aa_req + timedelta(minutes=rng.randint(30, 600)) if rng.random() < 0.9 else None
            self_eth = p.ethnicity if rng.random() < 0.8 else "NS"
            transfer = outcome == "CHARGED_REMANDED"
            rend[("police_custody", ref)] = (p.pid, fn, ln, dob, pc)
            custody_rows.append([ref, rng.choice(N.CUSTODY_SUITES), arrest.isoformat(timespec="seconds"),
                                 arrival.isoformat(timespec="seconds"), auth.isoformat(timespec="seconds"),
                                 "" if open_now else release.isoformat(timespec="seconds"), ln, fn, _iso(dob), sex,
                                 self_eth, IC.get(p.ethnicity[0], "IC9"), pc, pnc, off[1], off[0],
                                 aa_req.isoformat(timespec="seconds"),
                                 aa_arr.isoformat(timespec="seconds") if aa_arr else "",
                                 "Y" if rng.random() < 0.05 else "N", outcome,
                                 "Y" if transfer else "", "NON_SECURE" if transfer else "",
                                 ("Y" if rng.random() < 0.3 else "N") if transfer else "",
                                 "No local-authority bed available" if transfer else ""])
    custody_header = ["custody_ref", "custody_suite", "arrest_datetime", "arrival_datetime",
                      "detention_authorised_datetime", "release_datetime", "surname", "forenames", "date_of_birth",
                      "sex", "self_defined_ethnicity", "officer_defined_ethnicity", "postcode", "pnc_id",
                      "offence_description", "offence_code", "appropriate_adult_requested",
                      "appropriate_adult_arrived", "strip_search", "outcome", "pace_transfer_requested",
                      "pace_transfer_type", "pace_transfer_achieved", "reason_not_transferred"]
    custody_rows.sort(key=lambda r: r[3])
    pdir = landing / "police_custody"
    pdir.mkdir(parents=True, exist_ok=True)
    chunks = 3
    size = max(1, -(-len(custody_rows) // chunks))
    custody_files = []
    for i in range(chunks):
        part = custody_rows[i * size:(i + 1) * size]
        if not part and i:
            continue
        # twice-daily deliveries: yesterday 07:00 and 15:00, today 07:00
        stamp = [datetime.combine(asof - timedelta(days=1), datetime.min.time()) + timedelta(hours=7),
                 datetime.combine(asof - timedelta(days=1), datetime.min.time()) + timedelta(hours=15),
                 datetime.combine(asof, datetime.min.time()) + timedelta(hours=7)][i]
        name = f"custody_{stamp:%Y%m%d_%H%M}.csv"
        _write_csv(pdir / name, custody_header, part)
        custody_files.append(name)

    # ---------------- education
    edir = landing / "education" / f"{asof:%Y%m%d}"
    edir.mkdir(parents=True, exist_ok=True)
    pupils, susp, att = [], [], []
    term_start = date(asof.year if asof.month >= 9 else asof.year - 1, 9, 1)
    for p in people:
        if not p.in_edu:
            continue
        upn = p.upn
        p.ids["education"] = upn
        gt.append(("education", upn, p.pid))
        fn, ln, nz = rnd.name(p, "education")
        dob, nz2 = rnd.dob(p, "education")
        pc, nz3 = rnd.postcode(p, "education")
        rnd.log("education", upn, nz + nz2 + nz3)
        age31 = _age(p.dob, date(term_start.year, 8, 31))
        nc = age31 - 4
        urn, sname = (p.school[0], p.school[1]) if p.school and nc <= 13 else ("", "")
        sen = _pick_weighted(rng, [("N", 82), ("K", 13), ("E", 5)])
        ehcp = p.dob + timedelta(days=rng.randint(6 * 365, 10 * 365)) if sen == "E" else None
        ehe = rng.random() < 0.015 and nc <= 11
        cme = not ehe and rng.random() < 0.005
        ptt = rng.random() < (0.06 if p.in_case else 0.01)
        rend[("education", upn)] = (p.pid, fn, ln, dob, pc)
        pupils.append([upn, p.former_upn or "", ln, fn, _iso(dob), p.sex, p.dfe_eth if rng.random() > 0.04 else "REFU",
                       pc, "" if ehe else urn, "" if ehe else sname, nc if 0 < nc <= 14 else "", sen, _iso(ehcp),
                       _iso(min(asof, ehcp + timedelta(days=365))) if ehcp else "",
                       "Y" if ehe else "N", _iso(asof - timedelta(days=rng.randint(30, 600))) if ehe else "",
                       "Y" if cme else "N", "Y" if ptt else "N", rng.randint(6, 15) if ptt else ""])
        if urn and rng.random() < (0.25 if p.in_case else 0.04):
            susp.append([upn, urn, _iso(term_start + timedelta(days=rng.randint(3, max(4, (asof - term_start).days)))),
                         "PERMANENT_EXCLUSION" if rng.random() < 0.05 else "SUSPENSION", rng.randint(1, 10),
                         rng.choice(N.SUSPENSION_REASONS)])
        if urn:
            poss = 2 * max(1, min(70, (asof - term_start).days * 5 // 7))
            attd = int(poss * (rng.uniform(0.6, 1.0) if p.in_case else rng.uniform(0.85, 1.0)))
            att.append([upn, _iso(term_start), _iso(asof), poss, attd, int((poss - attd) * rng.uniform(0.2, 0.8))])
    _write_csv(edir / "pupils.csv", ["upn", "former_upn", "surname", "forename", "date_of_birth", "sex", "ethnicity",
                                     "postcode", "school_urn", "school_name", "nc_year", "sen_provision",
                                     "ehcp_start_date", "ehcp_last_review_date", "ehe", "ehe_start_date", "cme",
                                     "part_time_timetable", "part_time_hours"], pupils)
    _write_csv(edir / "suspensions.csv", ["upn", "school_urn", "start_date", "category", "sessions", "reason_code"], susp)
    _write_csv(edir / "attendance.csv", ["upn", "period_start", "period_end", "possible_sessions", "attended_sessions",
                                         "unauthorised_sessions"], att)

    # ---------------- CCIS
    ccdir = landing / "ccis"
    ccdir.mkdir(parents=True, exist_ok=True)
    ccis_rows = []
    cc_people = [p for p in people if p.in_ccis]
    cc_ids = rng_ids.sample(range(1000000, 9999999), len(cc_people))
    for p, num in zip(cc_people, cc_ids):
        cc = f"C{num}"
        p.ids["ccis"] = cc
        gt.append(("ccis", cc, p.pid))
        fn, ln, nz = rnd.name(p, "ccis")
        dob, nz2 = rnd.dob(p, "ccis")
        noise = nz + nz2
        r = rng.random()
        upn = p.upn
        if r < 0.30:
            upn, noise = "", noise + ["upn_missing"]
        elif p.former_upn and rng.random() < 0.2:
            upn, noise = p.former_upn, noise + ["upn_former_used"]
        elif r < 0.32:
            i = rng.randint(1, 11)
            upn = upn[:i] + str((int(upn[i]) + rng.randint(1, 9)) % 10) + upn[i + 1:]
            noise.append("upn_digit_mistyped")
        rnd.log("ccis", cc, noise)
        code = _pick_weighted(rng, N.CCIS_ACTIVITIES if not p.in_case else
                              [(c, w * (3 if c in ("540", "550", "710", "810") else 1)) for c, w in N.CCIS_ACTIVITIES])
        start = max(p.dob + timedelta(days=16 * 365 + 4), asof - timedelta(days=rng.randint(7, 400)))
        rend[("ccis", cc)] = (p.pid, fn, ln, dob, None)
        ccis_rows.append([cc, upn, ln, fn, _iso(dob), code, _iso(min(start, asof))])
    _write_csv(ccdir / f"ccis_activity_{asof:%Y%m%d}.csv",
               ["ccis_id", "upn", "surname", "forename", "date_of_birth", "activity_code", "activity_start_date"], ccis_rows)

    # ---------------- truth
    _write_csv(out / "ground_truth.csv", ["source", "record_id", "person_id"], gt)
    _write_csv(out / "relations.csv", ["person_id_a", "person_id_b", "relation"], world.relations)
    _write_csv(out / "noise.csv", ["source", "record_id", "noise"], rnd.noise)
    _write_csv(out / "people.csv", ["person_id", "community", "sex", "date_of_birth", "first_name", "middle_names",
                                    "last_name", "postcode", "previous_postcode", "upn", "former_upn", "pnc_id",
                                    "family_id"],
               ([p.pid, p.fam.community, p.sex, _iso(p.dob), p.first, " ".join(p.middles), p.last, p.fam.postcode,
                 p.fam.prev_postcode or "", p.upn or "", p.former_upn or "", pnc_short(*p.pnc) if p.pnc else "",
                 p.fam.fid] for p in people))

    counts = {s: sum(1 for g in gt if g[0] == s) for s in SOURCES}
    noise_counts: dict[str, int] = {}
    for s, _r, c in rnd.noise:
        noise_counts[f"{s}:{c}"] = noise_counts.get(f"{s}:{c}", 0) + 1
    summary = {
        "out": str(out), "children": len(people), "seed": seed, "as_of": as_of,
        "delivery_id": delivery_id, "custody_files": custody_files,
        "records": counts,
        "people_in_sources": {
            "case_system": sum(p.in_case for p in people), "education": sum(p.in_edu for p in people),
            "police_custody": sum(1 for p in people if p.detentions), "ccis": sum(p.in_ccis for p in people),
            "case_and_education": sum(p.in_case and p.in_edu for p in people),
            "case_and_custody": sum(bool(p.in_case and p.detentions) for p in people),
            "case_and_ccis": sum(p.in_case and p.in_ccis for p in people),
            "custody_only": sum(bool(p.detentions and not (p.in_case or p.in_edu or p.in_ccis)) for p in people),
            "education_only": sum(p.in_edu and not (p.in_case or p.detentions or p.in_ccis) for p in people),
        },
        "relations": {k: sum(1 for r in world.relations if r[2] == k) for k in ("twin", "sibling", "lookalike")},
        "noise": dict(sorted(noise_counts.items())),
        "pair_disagreement": _pair_stats(rend),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def _norm(s: str) -> str:
    return "".join(c for c in strip_accents(s or "").casefold() if c.isalpha())


def _first_token(s: str) -> str:
    toks = (s or "").replace("-", " ").split()
    return _norm(toks[0]) if toks else ""


def _pair_stats(rend: dict) -> dict:
    """Share of true same-person record pairs (one record per source) whose fields disagree after a simple
    normalisation (case, accents, spaces and punctuation ignored)."""
    by_person: dict[str, dict[str, tuple]] = {}
    for (src, _rid), v in rend.items():
        by_person.setdefault(v[0], {}).setdefault(src, v)
    out: dict[str, dict] = {}
    for i, a in enumerate(SOURCES):
        for b in SOURCES[i + 1:]:
            n = fdiff = ldiff = ddiff = pdiff = 0
            for recs in by_person.values():
                if a in recs and b in recs:
                    ra, rb = recs[a], recs[b]
                    n += 1
                    fdiff += _first_token(ra[1]) != _first_token(rb[1])
                    ldiff += _norm(ra[2]) != _norm(rb[2])
                    ddiff += ra[3] != rb[3]
                    if ra[4] is not None and rb[4] is not None:
                        pdiff += ra[4].replace(" ", "").upper() != rb[4].replace(" ", "").upper()
            if n:
                out[f"{a}~{b}"] = {"pairs": n, "first_name": round(fdiff / n, 3), "surname": round(ldiff / n, 3),
                                   "dob": round(ddiff / n, 3),
                                   "postcode": round(pdiff / n, 3) if "ccis" not in (a, b) else None}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--children", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default="2026-11-20")
    a = ap.parse_args(argv)
    s = generate(a.out, a.children, a.seed, a.as_of)
    print(json.dumps({k: s[k] for k in ("out", "children", "records", "people_in_sources", "relations",
                                        "pair_disagreement", "seconds")}, indent=2))


LAYOUT_CSV = ""  # filled below from layouts.csv (copied into this package so the generator is self-contained)
CODES_CSV = ""

_here = Path(__file__).parent
LAYOUT_CSV = (_here / "layouts.csv").read_text(encoding="utf-8")
CODES_CSV = (_here / "codes.csv").read_text(encoding="utf-8")

if __name__ == "__main__":
    main()
