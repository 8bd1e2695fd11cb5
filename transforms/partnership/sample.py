"""A synthetic partnership for trying the platform with several services: each service's own
case-system delivery, education snapshot, CCIS file and population reference in its own landing
folder, children who moved from one service to the next
(known to both), and one shared police custody feed whose detentions belong to either service,
to neither (children from outside the partnership) or to no known area (no usable postcode).

Written beside them: ``partnership.yaml`` describing the folders, and under ``ground_truth/`` who
is who (``identity_links.csv``) and which service each detention belongs to
(``custody_routing.csv``, with the rule that should decide it), for testing routing.

Homes are drawn from the postcode reference itself (a sector or a whole district of the child's
authority), so a postcode's authority is known for certain; the real geography's split districts
stay out of the sample rather than being guessed. Built on the one-service generator
(``transforms/sample``) without changing it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from transforms.partnership.config import Partnership, Service
from transforms.partnership.postcodes import PostcodeReference, postcode_reference
from transforms.partnership.routing import AREA_UNKNOWN, HOME_AREA, KNOWN_TO_SERVICE, OUTSIDE_PARTNERSHIP
from transforms.sample.cohort import make_cohort
from transforms.sample.landing import DEFAULT_AS_OF, delivery_id_for
from transforms.sample.sources import make_ccis, make_custody, make_education, make_population
from transforms.sample.writers import write_delivery

# The city's service and the county's (which covers Rutland too): the partnership of issue 16.
LEICESTER_LEICESTERSHIRE_RUTLAND = Partnership(
    name="Leicester, Leicestershire and Rutland",
    services=(
        Service("leicester_city", "Leicester City", ("LEICESTER",), Path("leicester_city/case_system"), "corepl"),
        Service("leicestershire", "Leicestershire", ("LEICESTERSHIRE", "RUTLAND"), Path("leicestershire/case_system"), "childview"),
    ),
    custody_landing_dir=Path("police_custody"),
)
IDENTITY_COLUMNS = ["first_name", "last_name", "date_of_birth", "sex", "ethnicity", "upn", "pnc_id"]
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code's unit
# Children detained who no service knows: where they live.
UNKNOWN_CHILD_HOMES = {"partnership": 0.80, "outside": 0.12, "no_postcode": 0.08}
NO_POSTCODE_SPELLINGS = ["NFA", "", "N/A", "NO FIXED ABODE"]


@dataclass(frozen=True)
class PartnershipSample:
    root: Path
    partnership_file: Path
    tables: dict[str, dict[str, pd.DataFrame]]  # service id -> canonical case-system tables written
    routing_truth: pd.DataFrame  # custody_ref, expected_service, expected_routed_by
    identity_truth: pd.DataFrame  # source, record_id, person_id


def home_postcodes(rng: np.random.Generator, local_authority: str, n: int, reference: PostcodeReference) -> np.ndarray:
    """n postcodes in ``local_authority`` for certain: in a sector the reference maps to it, or in
    a district the reference says lies wholly in it."""
    sectors = [s for s, la in reference.sectors.items() if la == local_authority]
    sectors += [f"{d} {digit}" for d, la in reference.whole_districts.items() if la == local_authority for digit in range(1, 10)]
    if not sectors:
        raise ValueError(f"the postcode reference has no sector or whole district in {local_authority}")
    chosen = rng.choice(np.array(sorted(sectors), dtype=object), size=n)
    units = rng.choice(list(_UNIT_LETTERS), size=(n, 2))
    return np.array([f"{s}{a}{b}" for s, (a, b) in zip(chosen, units)], dtype=object)


def generate_partnership_landing(out: Path, partnership: Partnership = LEICESTER_LEICESTERSHIRE_RUTLAND, *,
                                 children_per_service: int = 400, years: int = 3, moved_children: int = 10,
                                 custody_days: int = 4, custody_scale_children: int = 30_000, seed: int = 1, as_of: dt.date = DEFAULT_AS_OF,
                                 reference: PostcodeReference | None = None) -> PartnershipSample:
    """Write ``out/landing/<service>/case_system/<delivery>/`` per service, the shared
    ``out/landing/police_custody/`` files, ``out/partnership.yaml`` and ``out/ground_truth/``.
    ``moved_children`` children of each service also appear, with a new address, in the next
    service's case system (they moved). ``custody_scale_children`` sets the custody volume as the
    one-service generator does (15,000 children: about 4 detentions a day; 30,000 for a force area
    of two county-sized services)."""
    if len(partnership.services) < 2:
        raise ValueError("a partnership sample needs at least two services")
    if children_per_service < 2 * moved_children:
        raise ValueError("children_per_service must be at least twice moved_children")
    reference = reference or postcode_reference()
    rng = np.random.default_rng(seed)
    out = Path(out)
    landing = out / "landing"
    people_by_service: dict[str, pd.DataFrame] = {}
    tables_by_service: dict[str, dict[str, pd.DataFrame]] = {}
    for service in partnership.services:
        people, tables = make_cohort(rng, children_per_service, years, as_of)
        people["person_id"] = service.id + ":" + people["person_id"]
        people["service"] = service.id
        _rehome(rng, people, service, reference)
        people_by_service[service.id], tables_by_service[service.id] = people, tables

    # Children who moved: the next service's case system holds a child with the same identity
    # (the nearest date of birth, so that service's episodes stay plausible for their age) and
    # the new address; the previous service still has the old one.
    moved_to: dict[str, str] = {}  # person_id -> service now responsible
    for before, after in zip(partnership.services, partnership.services[1:]):
        old, new = people_by_service[before.id], people_by_service[after.id]
        leavers = old.sample(n=moved_children, random_state=int(rng.integers(0, 2**31))).index
        taken: set[int] = set()
        for i in leavers:
            gaps = (pd.to_datetime(new["date_of_birth"]) - pd.Timestamp(old.at[i, "date_of_birth"])).abs()
            j = gaps.drop(index=list(taken) + [k for k in new.index if new.at[k, "person_id"] in moved_to]).idxmin()
            taken.add(j)
            for column in IDENTITY_COLUMNS + ["person_id", "ethnic_group"]:
                new.at[j, column] = old.at[i, column]
            moved_to[old.at[i, "person_id"]] = after.id
            _transfer(tables_by_service[before.id]["episode"], old.at[i, "child_id"],
                      tables_by_service[after.id]["episode"], new.at[j, "child_id"], as_of)

    for service in partnership.services:
        people, tables = people_by_service[service.id], tables_by_service[service.id]
        child = tables["child"].set_index("child_id")
        current = people.set_index("child_id")
        for column in IDENTITY_COLUMNS + ["postcode", "local_authority"]:
            child[column] = current.loc[child.index, column].to_numpy()
        tables["child"] = child.reset_index()[tables["child"].columns]
        supplier = service.case_system or "corepl"
        delivery_id = delivery_id_for(supplier, as_of)
        write_delivery(tables, landing / service.id / "case_system" / delivery_id, supplier, delivery_id,
                       dt.datetime.combine(as_of, dt.time(1, 30)))

    other_sources_truth = [_write_other_sources(np.random.default_rng([seed, 2, i]), people_by_service[service.id], service,
                                                landing / service.id, as_of, years)
                           for i, service in enumerate(partnership.services)]

    # One custody feed for the force area. A moved child is detained at their new address.
    everyone = pd.concat(people_by_service.values(), ignore_index=True)
    current_home = everyone[~everyone["person_id"].isin(moved_to) | (everyone["service"] == everyone["person_id"].map(moved_to))]
    current_home = current_home.drop_duplicates("person_id", keep="last").reset_index(drop=True)
    files, custody_truth = make_custody(rng, current_home, as_of, custody_days, custody_scale_children)
    # Moved children are few; detain some of them on purpose so the feed always tests the rule.
    moved_people = current_home[current_home["person_id"].isin(moved_to)]
    more_files, more_truth = make_custody(rng, moved_people, as_of, custody_days, 1)
    renamed = {ref: ref.replace("-", "-M", 1) for ref in more_truth["record_id"]}
    more_truth["record_id"] = more_truth["record_id"].map(renamed)
    more_truth["person_id"] = [p if p in moved_to else f"M:{p}" for p in more_truth["person_id"]]
    for name, frame in more_files.items():
        frame["custody_ref"] = frame["custody_ref"].map(renamed)
        files[name] = pd.concat([files.get(name), frame], ignore_index=True) if name in files else frame
    custody_truth = pd.concat([custody_truth, more_truth], ignore_index=True)
    person_of = dict(zip(custody_truth["record_id"], custody_truth["person_id"]))
    responsible = {**dict(zip(everyone["person_id"], everyone["service"])), **moved_to}
    home_of = dict(zip(current_home["person_id"], current_home["postcode"]))
    expected, postcode_of_ref = {}, {}
    outside = sorted({la for la in list(reference.whole_districts.values()) + list(reference.sectors.values())
                      if partnership.service_covering(la) is None})
    for ref, person in person_of.items():
        if person in responsible:
            expected[ref] = (responsible[person], KNOWN_TO_SERVICE)
            if person in moved_to:
                postcode_of_ref[ref] = home_of[person]  # the new address, not a noisy copy
            continue
        kind = rng.choice(list(UNKNOWN_CHILD_HOMES), p=list(UNKNOWN_CHILD_HOMES.values()))
        if kind == "partnership":
            service = partnership.services[int(rng.integers(0, len(partnership.services)))]
            la = service.local_authorities[int(rng.integers(0, len(service.local_authorities)))]
            postcode_of_ref[ref] = home_postcodes(rng, la, 1, reference)[0]
            expected[ref] = (service.id, HOME_AREA)
        elif kind == "outside":
            postcode_of_ref[ref] = home_postcodes(rng, outside[int(rng.integers(0, len(outside)))], 1, reference)[0]
            expected[ref] = (None, OUTSIDE_PARTNERSHIP)
        else:
            postcode_of_ref[ref] = NO_POSTCODE_SPELLINGS[int(rng.integers(0, len(NO_POSTCODE_SPELLINGS)))]
            expected[ref] = (None, AREA_UNKNOWN)
    for name, frame in files.items():
        frame["postcode"] = [postcode_of_ref.get(ref, pc) for ref, pc in zip(frame["custody_ref"], frame["postcode"])]
        _write_csv(frame, landing / "police_custody" / name)

    partnership_file = out / "partnership.yaml"
    partnership_file.write_text(yaml.safe_dump({
        "partnership": partnership.name, "custody_landing": "police_custody",
        "services": [{"id": s.id, "name": s.name, "local_authorities": list(s.local_authorities),
                      "case_system": s.case_system or "corepl", "landing": s.id} for s in partnership.services],
    }, sort_keys=False), encoding="utf-8")
    identity_truth = pd.concat(
        [pd.DataFrame({"source": f"case_system:{sid}", "record_id": p["child_id"], "person_id": p["person_id"]})
         for sid, p in people_by_service.items()] + [custody_truth[["source", "record_id", "person_id"]]] + other_sources_truth,
        ignore_index=True)
    routing_truth = pd.DataFrame([(ref, svc, rule) for ref, (svc, rule) in sorted(expected.items())],
                                 columns=["custody_ref", "expected_service", "expected_routed_by"])
    _write_csv(identity_truth, out / "ground_truth" / "identity_links.csv")
    _write_csv(routing_truth, out / "ground_truth" / "custody_routing.csv")
    return PartnershipSample(out, partnership_file, tables_by_service, routing_truth, identity_truth)


def _write_other_sources(rng: np.random.Generator, people: pd.DataFrame, service: Service, service_landing: Path,
                         as_of: dt.date, years: int) -> pd.DataFrame:
    """The service's own education snapshot, CCIS file and population reference, in its landing
    folder's usual layout, written by the one-service generators (a separate random stream, so
    the case systems and the custody feed are the same with or without them). Returns their
    identity truth, sources named ``education:<id>`` and ``ccis:<id>``."""
    # The generators know the service's children by person ids starting with P: give them
    # such ids for the call, then put the partnership's ids back in the truth.
    temporary = [f"P{i:07d}" for i in range(len(people))]
    real_id = dict(zip(temporary, people["person_id"]))
    local = people.assign(person_id=temporary)
    education = make_education(rng, local, as_of)
    ccis, ccis_truth = make_ccis(rng, local, as_of)
    for name in ("pupils", "suspensions", "attendance"):
        _write_csv(education[name], service_landing / "education" / f"{as_of:%Y%m%d}" / f"{name}.csv")
    _write_csv(ccis, service_landing / "ccis" / f"ccis_activity_{as_of:%Y%m%d}.csv")
    shares = {la: (0.9 if i == 0 else 0.1 / max(len(service.local_authorities) - 1, 1)) if len(service.local_authorities) > 1 else 1.0
              for i, la in enumerate(service.local_authorities)}
    population = make_population(shares, total=int(len(people) * 5.2), first_year=as_of.year - years, last_year=as_of.year)
    _write_csv(population, service_landing / "reference" / "population.csv")
    truth = []
    for source, frame in (("education", education["_truth"]), ("ccis", ccis_truth)):
        frame = frame[["record_id", "person_id"]].assign(source=f"{source}:{service.id}")
        frame["person_id"] = frame["person_id"].map(lambda p: real_id.get(p, f"{service.id}:{p}"))
        truth.append(frame[["source", "record_id", "person_id"]])
    return pd.concat(truth, ignore_index=True)


TRANSFER_DAYS_AGO = 30


def _transfer(old_episodes: pd.DataFrame, old_child: str, new_episodes: pd.DataFrame, new_child: str,
              as_of: dt.date) -> None:
    """A move as services record it: the old service closes the child's open episodes as
    transferred, and the new service holds the case open (its latest episode reopened)."""
    transfer = pd.Timestamp(as_of - dt.timedelta(days=TRANSFER_DAYS_AGO))
    mine = (old_episodes["child_id"] == old_child) & old_episodes["end_date"].isna()
    starts = pd.to_datetime(old_episodes.loc[mine, "start_date"])
    old_episodes.loc[mine, "end_date"] = [max(transfer, start).date() for start in starts]
    old_episodes.loc[mine, "end_reason"] = "TRANSFERRED"
    theirs = new_episodes.index[new_episodes["child_id"] == new_child]
    if len(theirs) and not new_episodes.loc[theirs, "end_date"].isna().any():
        latest = pd.to_datetime(new_episodes.loc[theirs, "start_date"]).idxmax()
        new_episodes.loc[latest, ["end_date", "end_reason"]] = None


def _rehome(rng: np.random.Generator, people: pd.DataFrame, service: Service, reference: PostcodeReference) -> None:
    """Give a service's children homes in its own authorities (most in the first one)."""
    weights = np.array([0.9] + [0.1 / max(len(service.local_authorities) - 1, 1)] * (len(service.local_authorities) - 1))
    la = rng.choice(np.array(service.local_authorities, dtype=object), size=len(people), p=weights / weights.sum())
    postcodes = np.empty(len(people), dtype=object)
    for authority in service.local_authorities:
        where = la == authority
        postcodes[where] = home_postcodes(rng, authority, int(where.sum()), reference)
    people["local_authority"], people["postcode"] = la, postcodes


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m transforms.partnership.sample",
                                     description="write a two-service partnership sample (also: yj sample --partnership)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--children", type=int, default=400, help="children per service")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--moved", type=int, default=10, help="children who moved from the city to the county")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        sample = generate_partnership_landing(args.out, children_per_service=args.children, years=args.years,
                                              moved_children=args.moved, seed=args.seed)
    except ValueError as exc:
        parser.exit(2, f"error: {exc}\n")
    counts = sample.routing_truth["expected_routed_by"].value_counts().to_dict()
    print(f"partnership file {sample.partnership_file}; detentions by expected rule: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
