"""Self-check of a generated set: manifest hashes and counts, headers, identifiers, ground truth coverage.

    python -m tests.independent.check OUT
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

from .generate import LAYOUT_CSV
from .ids import pnc_is_valid, upn_is_valid


def check(out: Path) -> list[str]:
    out = Path(out)
    errors: list[str] = []
    # published example (DfE guidance via python-stdnum): B801200005001 valid, A801200005001 not
    if not upn_is_valid("B801200005001") or upn_is_valid("A801200005001"):
        errors.append("UPN check-letter algorithm disagrees with the published example")
    gt = list(csv.DictReader((out / "ground_truth.csv").open(encoding="utf-8")))
    keys = {(r["source"], r["record_id"]) for r in gt}
    if len(keys) != len(gt):
        errors.append("ground_truth: duplicate (source, record_id)")
    # case system
    (delivery,) = list((out / "landing" / "case_system").iterdir())
    man = json.loads((delivery / "manifest.json").read_text(encoding="utf-8"))
    layout = list(csv.DictReader(LAYOUT_CSV.splitlines()))
    want = {}
    for row in layout:
        want.setdefault(row["corepl_file"], []).append(row["corepl_header"])
    if sorted(f["name"] for f in man["files"]) != sorted(want):
        errors.append("manifest: file list differs from layouts.csv")
    child_ids: set[str] = set()
    for f in man["files"]:
        data = (delivery / f["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            errors.append(f"manifest: sha256 mismatch {f['name']}")
        if not data.startswith(b"\xef\xbb\xbf"):
            errors.append(f"{f['name']}: no BOM")
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
        if rows[0] != want[f["name"]]:
            errors.append(f"{f['name']}: header differs")
        if list(f["rows"].values())[0] != len(rows) - 1:
            errors.append(f"{f['name']}: row count differs")
        if f["name"] == "YJ_Children.csv":
            child_ids = {r[0] for r in rows[1:]}
        elif "Child ID" in rows[0]:
            i = rows[0].index("Child ID")
            if not {r[i] for r in rows[1:]} <= child_ids:
                errors.append(f"{f['name']}: child id not in YJ_Children.csv")
    if child_ids != {r for s, r in keys if s == "case_system"}:
        errors.append("ground truth: case_system ids differ from YJ_Children.csv")
    # education
    (edir,) = list((out / "landing" / "education").iterdir())
    pupils = list(csv.DictReader((edir / "pupils.csv").open(encoding="utf-8")))
    bad = [p["upn"] for p in pupils if not upn_is_valid(p["upn"])]
    if bad:
        errors.append(f"pupils: {len(bad)} invalid UPNs e.g. {bad[:3]}")
    bad = [p["former_upn"] for p in pupils if p["former_upn"] and not upn_is_valid(p["former_upn"])]
    if bad:
        errors.append(f"pupils: {len(bad)} invalid former UPNs e.g. {bad[:3]}")
    if {p["upn"] for p in pupils} != {r for s, r in keys if s == "education"}:
        errors.append("ground truth: education ids differ from pupils.csv")
    # custody
    refs = set()
    for f in (out / "landing" / "police_custody").glob("custody_*.csv"):
        for r in csv.DictReader(f.open(encoding="utf-8")):
            refs.add(r["custody_ref"])
    if refs != {r for s, r in keys if s == "police_custody"}:
        errors.append("ground truth: custody refs differ from custody files")
    # ccis
    (cf,) = list((out / "landing" / "ccis").glob("ccis_activity_*.csv"))
    cc = {r["ccis_id"] for r in csv.DictReader(cf.open(encoding="utf-8"))}
    if cc != {r for s, r in keys if s == "ccis"}:
        errors.append("ground truth: ccis ids differ")
    # noise refers to records that exist; PNC ids without pnc noise are valid
    noisy = {(r["source"], r["record_id"]) for r in csv.DictReader((out / "noise.csv").open(encoding="utf-8"))}
    if not noisy <= keys:
        errors.append("noise.csv: unknown records")
    people = {r["person_id"] for r in gt}
    for r in csv.DictReader((out / "relations.csv").open(encoding="utf-8")):
        if r["person_id_a"] not in people or r["person_id_b"] not in people:
            errors.append(f"relations: unknown person {r}")
            break
    for f in (out / "landing" / "police_custody").glob("custody_*.csv"):
        for r in csv.DictReader(f.open(encoding="utf-8")):
            if r["pnc_id"] and not pnc_is_valid(r["pnc_id"]):
                errors.append(f"custody: invalid PNC {r['pnc_id']}")
                break
    errors += _check_honest(out)
    return errors


NAME_NOISE_FREE = ("postcode_", "dob_", "upn_", "pnc_", "sex_")


def _check_honest(out: Path) -> list[str]:
    """A record whose noise rows name no name class carries the legal first and last name; no dob class, the
    true date of birth; no postcode class, the current postcode."""
    people = {r["person_id"]: r for r in csv.DictReader((out / "people.csv").open(encoding="utf-8"))}
    gt = {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader((out / "ground_truth.csv").open(encoding="utf-8"))}
    noise: dict = {}
    for r in csv.DictReader((out / "noise.csv").open(encoding="utf-8")):
        noise.setdefault((r["source"], r["record_id"]), set()).add(r["noise"])
    recs = []
    (delivery,) = list((out / "landing" / "case_system").iterdir())
    for r in csv.DictReader((delivery / "YJ_Children.csv").open(encoding="utf-8-sig")):
        d, m, y = r["Date of Birth"].split("/") if r["Date of Birth"] else ("", "", "")
        recs.append(("case_system", r["Child ID"], r["First Name"], r["Last Name"], f"{y}-{m}-{d}" if y else "", r["Postcode"]))
    for f in (out / "landing" / "police_custody").glob("custody_*.csv"):
        for r in csv.DictReader(f.open(encoding="utf-8")):
            recs.append(("police_custody", r["custody_ref"], r["forenames"], r["surname"], r["date_of_birth"], r["postcode"]))
    (edir,) = list((out / "landing" / "education").iterdir())
    for r in csv.DictReader((edir / "pupils.csv").open(encoding="utf-8")):
        recs.append(("education", r["upn"], r["forename"], r["surname"], r["date_of_birth"], r["postcode"]))
    (cf,) = list((out / "landing" / "ccis").glob("ccis_activity_*.csv"))
    for r in csv.DictReader(cf.open(encoding="utf-8")):
        recs.append(("ccis", r["ccis_id"], r["forename"], r["surname"], r["date_of_birth"], None))
    bad = []
    for src, rid, first, last, dob, pc in recs:
        p = people[gt[(src, rid)]]
        nz = noise.get((src, rid), set())
        if not any(not c.startswith(NAME_NOISE_FREE) for c in nz):
            f = first.split()[0] if src == "police_custody" and p["first_name"].count(" ") == 0 and first else first
            if (f, last) != (p["first_name"], p["last_name"]):
                bad.append((src, rid, "name", first, last, p["first_name"], p["last_name"]))
        if not any(c.startswith("dob_") for c in nz) and dob != p["date_of_birth"]:
            bad.append((src, rid, "dob", dob, p["date_of_birth"]))
        if pc is not None and not any(c.startswith("postcode_") for c in nz) and pc != p["postcode"]:
            bad.append((src, rid, "postcode", pc, p["postcode"]))
    return [f"noise.csv not honest: {len(bad)} records, e.g. {bad[:3]}"] if bad else []


if __name__ == "__main__":
    errs = check(Path(sys.argv[1]))
    print("\n".join(errs) or "ok")
    sys.exit(1 if errs else 0)
