"""``yj sample``: a complete, reproducible landing folder for every source."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from transforms.sample import defects as defect_kinds
from transforms.sample.cohort import make_cohort
from transforms.sample.sources import (
    make_ccis, make_custody, make_education, make_looked_after, make_population, write_board_register,
)
from transforms.sample.writers import write_delivery

DEFAULT_AS_OF = dt.date(2026, 11, 20)


@dataclass(frozen=True)
class SampleSummary:
    landing: Path
    delivery_id: str
    rows: dict[str, int]
    files: list[Path]


def delivery_id_for(supplier: str, as_of: dt.date) -> str:
    return f"{supplier}-{as_of:%Y%m%d}"


def generate_landing(out: Path, *, children: int = 2000, years: int = 5, layout: str = "corepl", seed: int = 1,
                     defects: bool = False, as_of: dt.date = DEFAULT_AS_OF, custody_days: int = 4,
                     custody_history: bool = False, pupils_per_child: float = 4.0,
                     progress: Callable[[str], None] = lambda _msg: None) -> SampleSummary:
    """Write ``landing/`` for a synthetic service under ``out``, and ``ground_truth/`` beside
    it. Everything is drawn from one random generator, so a seed gives the same files.

    ``custody_history`` writes one back-fill custody file covering ``custody_days`` instead
    of twice-daily files; ``pupils_per_child`` sets how many other pupils the education
    extract holds per service child (4 gives about 72,000 pupils for 15,000 children)."""
    if children < 1 or years < 1:
        raise ValueError("--children and --years must be at least 1")
    rng = np.random.default_rng(seed)
    out = Path(out)
    landing = out / "landing"
    progress(f"generating {children:,} children over {years} years")
    people, tables = make_cohort(rng, children, years, as_of)

    delivery_id = delivery_id_for(layout, as_of)
    extracted_at = dt.datetime.combine(as_of, dt.time(1, 30))
    progress(f"writing case-system delivery {delivery_id} ({layout} layout)")
    corrupt = defect_kinds.case_system_row_defects(np.random.default_rng(seed + 1)) if defects else None
    write_delivery(tables, landing / "case_system" / delivery_id, layout, delivery_id, extracted_at, corrupt=corrupt)

    progress("writing police custody, education and CCIS files")
    custody_files, custody_truth = make_custody(rng, people, as_of, custody_days, children, history=custody_history)
    education = make_education(rng, people, as_of, extra_ratio=pupils_per_child)
    ccis, ccis_truth = make_ccis(rng, people, as_of)
    edu_files = {k: education[k] for k in ("pupils", "suspensions", "attendance")}
    if defects:
        d_rng = np.random.default_rng(seed + 2)
        defect_kinds.other_source_row_defects(d_rng, custody_files)
        defect_kinds.other_source_row_defects(d_rng, {f"{k}.csv": v for k, v in edu_files.items()})
        defect_kinds.other_source_row_defects(d_rng, {f"ccis_activity_{as_of:%Y%m%d}.csv": ccis})

    written: list[Path] = []
    for name, frame in custody_files.items():
        written.append(_write_csv(frame, landing / "police_custody" / name))
    # The education snapshot is the one taken on the last quarter end before the extract (the
    # report date of the quarter the sample's return is for), so that return reads a snapshot
    # in force at its report date and can be READY (the nightly load keeps the newest folder).
    snapshot_day = education_snapshot_day(as_of)
    for name, frame in as_at_snapshot(edu_files, snapshot_day, as_of).items():
        written.append(_write_csv(frame, landing / "education" / f"{snapshot_day:%Y%m%d}" / f"{name}.csv"))
    written.append(_write_csv(ccis, landing / "ccis" / f"ccis_activity_{as_of:%Y%m%d}.csv"))
    write_board_register(landing / "board" / "board_attendance.xlsx", rng, as_of, years)
    written.append(landing / "board" / "board_attendance.xlsx")
    population = make_population({"LEICESTERSHIRE": 0.94, "RUTLAND": 0.06}, total=int(children * 5.2),
                                 first_year=as_of.year - years, last_year=as_of.year)
    written.append(_write_csv(population, landing / "reference" / "population.csv"))
    written.append(_write_csv(make_looked_after(population), landing / "reference" / "looked_after.csv"))

    truth = pd.concat([
        pd.DataFrame({"source": "case_system", "record_id": people["child_id"], "person_id": people["person_id"], "noise": ""}),
        education["_truth"], custody_truth, ccis_truth,
    ], ignore_index=True)
    truth_path = _write_csv(truth, out / "ground_truth" / "identity_links.csv")
    rows = {name: len(df) for name, df in tables.items()}
    rows.update({"custody_files": len(custody_files), "pupils": len(edu_files["pupils"]), "ccis": len(ccis),
                 "ground_truth_links": len(truth)})
    return SampleSummary(landing=landing, delivery_id=delivery_id, rows=rows, files=written + [truth_path])


def education_snapshot_day(as_of: dt.date) -> dt.date:
    """The last quarter end on or before ``as_of``: the report date the sample's return needs."""
    from transforms.periods import quarter_containing

    quarter = quarter_containing(as_of)
    return as_of if as_of == quarter.end else quarter.previous.end


def as_at_snapshot(files: dict[str, pd.DataFrame], day: dt.date, drawn_on: dt.date) -> dict[str, pd.DataFrame]:
    """The education files drawn on ``drawn_on`` as a snapshot taken on ``day`` would hold
    them: no suspension starting between the two, attendance counted up to ``day`` (sessions
    in proportion to the days). A date after ``drawn_on`` is a defect, left for the load."""
    out = dict(files)
    suspensions = files["suspensions"]
    starts = pd.to_datetime(suspensions["start_date"], errors="coerce", format="%Y-%m-%d")
    later = (starts > pd.Timestamp(day)) & (starts <= pd.Timestamp(drawn_on))
    out["suspensions"] = suspensions[~later].reset_index(drop=True)
    att = files["attendance"].copy()
    if len(att):
        # Rows a defect made unreadable or inconsistent are left as they are (the load
        # quarantines them for what the defect did).
        start = pd.to_datetime(att["period_start"], errors="coerce", format="%Y-%m-%d")
        end = pd.to_datetime(att["period_end"], errors="coerce", format="%Y-%m-%d")
        counts = {c: pd.to_numeric(att[c], errors="coerce") for c in ("possible_sessions", "attended_sessions",
                                                                       "unauthorised_sessions")}
        readable = start.notna() & end.notna() & pd.concat(counts, axis=1).notna().all(axis=1) & (
            counts["attended_sessions"] + counts["unauthorised_sessions"] <= counts["possible_sessions"])
        att = att[~(readable & (start > pd.Timestamp(day)))].copy()
        cut = (readable & (end > pd.Timestamp(day)))[att.index]
        if cut.any():
            rows = att.index[cut]
            share = ((pd.Timestamp(day) - start[rows]).dt.days / (end[rows] - start[rows]).dt.days.clip(lower=1)).clip(0, 1)
            # Rounded down, each: attended + unauthorised stays within possible.
            possible, attended, unauthorised = ((counts[c][rows] * share).astype(int) for c in (
                "possible_sessions", "attended_sessions", "unauthorised_sessions"))
            att = att.astype({c: object for c in ("period_end", *counts)})
            att.loc[rows, "period_end"] = day.isoformat()
            att.loc[rows, "possible_sessions"] = possible
            att.loc[rows, "attended_sessions"] = attended
            att.loc[rows, "unauthorised_sessions"] = unauthorised
    out["attendance"] = att.reset_index(drop=True)
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path
