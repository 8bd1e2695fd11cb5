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
    for name, frame in edu_files.items():
        written.append(_write_csv(frame, landing / "education" / f"{as_of:%Y%m%d}" / f"{name}.csv"))
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


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")
    return path
