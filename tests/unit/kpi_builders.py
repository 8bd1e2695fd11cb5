"""Hand-built cohorts for KPI tests: a few rows per table, every other column defaulted."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from transforms.kpis.common import KpiInputs

D = dt.date.fromisoformat

COLUMNS = {
    "child": ["child_id", "child_key", "date_of_birth", "sex", "ethnicity", "upn", "local_authority"],
    "episode": ["episode_id", "child_id", "episode_type", "start_date", "planned_end_date", "end_date", "end_reason", "outcome_id"],
    "outcome": ["outcome_id", "child_id", "outcome_date", "outcome_type"],
    "offence": ["offence_id", "child_id", "offence_date", "offence_code", "offence_category", "gravity_score", "outcome_id"],
    "need": ["need_id", "child_id", "episode_id", "domain", "screened_date", "need_identified", "intervention_planned", "intervention_attended"],
    "ete_status": ["child_id", "episode_id", "recorded_at", "ete_type", "hours_offered", "hours_attended", "suitable"],
    "accommodation": ["child_id", "episode_id", "recorded_at", "accommodation_type", "suitable"],
    "wider_services": ["child_id", "status", "start_date", "end_date"],
    "victim": ["victim_id", "offence_id", "victim_kind", "age_band", "sex", "ethnicity", "contact_consent", "views_sought",
               "kept_informed", "rj_offered", "rj_participated"],
    "board": ["meeting_date", "partner", "member_role", "attended", "senior"],
    "population": ["area", "year", "age", "sex", "ethnic_group", "population", "source"],
}
DEFAULTS = {"sex": "M", "ethnicity": "W1", "local_authority": "LEICESTERSHIRE", "end_reason": "COMPLETED",
            "date_of_birth": D("2009-01-15"), "start_date": D("2025-01-01")}


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    cols = COLUMNS[table]
    data = [{c: row.get(c, DEFAULTS.get(c)) for c in cols} for row in rows]
    return pd.DataFrame(data, columns=cols).astype(object)


def children(*ids: str, **per_child) -> list[dict]:
    return [{"child_id": c, "child_key": f"K-{c}", **per_child.get(c, {})} for c in ids]


def make_inputs(**tables) -> KpiInputs:
    pupil = tables.pop("pupil", None)
    frames = {name: frame(name, tables.get(name, [])) for name in COLUMNS}
    if frames["population"].empty:
        frames["population"] = frame("population", [{"area": "LEICESTERSHIRE", "year": 2025, "age": a, "sex": "M",
                                                    "ethnic_group": "White", "population": 2500} for a in range(10, 18)])
    frames["population"]["year"] = frames["population"]["year"].astype(int)
    frames["population"]["age"] = frames["population"]["age"].astype(int)
    frames["population"]["population"] = frames["population"]["population"].astype(int)
    frames["offence"]["gravity_score"] = pd.to_numeric(frames["offence"]["gravity_score"])
    return KpiInputs(**frames, pupil=pupil, service_areas=("LEICESTERSHIRE", "RUTLAND"))


def figures_by(figures) -> dict[tuple[str, str], float]:
    return {(f.measure, f.breakdown): f.value for f in figures}
