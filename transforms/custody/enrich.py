"""What the duty manager and the prevention team need to know about each detention.

Times in the files are Europe/London wall-clock; every duration is worked out after
converting to UTC, so a night across a clock change has its real 23 or 25 hours."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from transforms.canonical import ethnicity_crosswalk

LONDON = ZoneInfo("Europe/London")
TRIAGE_OUTCOMES = ("RUI", "PRE_CHARGE_BAIL", "NFA", "REFERRED_TO_PANEL")


@dataclass(frozen=True)
class CustodyRules:
    overnight_from: dt.time = dt.time(0, 0)  # "in the suite at any time between midnight and 06:00"
    overnight_to: dt.time = dt.time(6, 0)


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    if local is None or pd.isna(local):
        return None
    return pd.Timestamp(local).to_pydatetime().replace(tzinfo=LONDON).astimezone(dt.timezone.utc)


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (to_utc(end) - to_utc(start)).total_seconds() / 3600


def was_overnight(arrival: dt.datetime, left: dt.datetime, rules: CustodyRules,
                  only_night_of: dt.date | None = None) -> bool:
    """In the suite at any moment of a night window (local time) between arrival and leaving;
    with ``only_night_of``, only that date's night window counts."""
    day = arrival.date() - dt.timedelta(days=1)
    last = left.date()
    if only_night_of is not None:
        day, last = only_night_of, only_night_of
    while day <= last:
        start = dt.datetime.combine(day, rules.overnight_from)
        end = dt.datetime.combine(day, rules.overnight_to)
        if arrival < end and left > start:
            return True
        day += dt.timedelta(days=1)
    return False


def _age(dob: dt.date, on: dt.datetime) -> int:
    on = on.date()
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def enrich(detentions: pd.DataFrame, links: pd.DataFrame, episodes: pd.DataFrame, as_at: dt.datetime,
           rules: CustodyRules = CustodyRules()) -> pd.DataFrame:
    """One row per live detention with the derived facts. ``links`` (record_id, child_id,
    method) come from the matching component; ``as_at`` is the newest extract time: "so far"
    for a child still detained means up to then."""
    by_ref = links.drop_duplicates("record_id").set_index("record_id")
    frame = detentions.assign(child_id=detentions["custody_ref"].map(by_ref["child_id"]),
                              match_method=detentions["custody_ref"].map(by_ref["method"]))
    groups = {r["source_code"]: r["ethnic_group"] for r in ethnicity_crosswalk() if r["scheme"] in ("18+1", "16+1")}
    officer = {r["source_code"]: r["ethnic_group"] for r in ethnicity_crosswalk() if r["scheme"] == "IC"}
    open_children = set(episodes.loc[episodes["end_date"].isna(), "child_id"])
    rows = []
    for r in frame.to_dict(orient="records"):
        arrival = pd.Timestamp(r["arrival_datetime"]).to_pydatetime()
        release = None if pd.isna(r["release_datetime"]) else pd.Timestamp(r["release_datetime"]).to_pydatetime()
        left = release or as_at
        self_defined = r.get("self_defined_ethnicity")
        if self_defined and self_defined in groups and self_defined != "NS":
            group, source = groups[self_defined], "self-defined"
        elif r.get("officer_defined_ethnicity") in officer:
            group, source = officer[r["officer_defined_ethnicity"]], "officer-defined"
        else:
            group, source = "Not known", "none"
        aa_req, aa_arr = r.get("appropriate_adult_requested"), r.get("appropriate_adult_arrived")
        rows.append({
            **r,
            "still_detained": release is None,
            "age_at_arrival": _age(pd.Timestamp(r["date_of_birth"]).date(), arrival),
            "hours_detained": round(hours_between(arrival, left), 2),
            "overnight": was_overnight(arrival, left, rules),
            "aa_wait_minutes": None if aa_req is None or pd.isna(aa_req) or aa_arr is None or pd.isna(aa_arr)
            else round(hours_between(aa_req, aa_arr) * 60),
            "aa_awaited": aa_req is not None and not pd.isna(aa_req) and (aa_arr is None or pd.isna(aa_arr)) and release is None,
            "ethnic_group": group, "ethnicity_source": source,
            "known_to_service": bool(pd.notna(r["child_id"])),
            "open_to_service": bool(pd.notna(r["child_id"])) and r["child_id"] in open_children,
            "overnight_last_night": was_overnight(arrival, left, rules, only_night_of=as_at.date()),
        })
    return pd.DataFrame(rows)
