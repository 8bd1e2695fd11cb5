"""What the marts read: the canonical core only (never a supplier's layout), with each
child's pseudonymous person key, ethnic group, and postcode district worked out once."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.canonical import ethnic_group_of
from transforms.identifiers import postcode_district

CORE = ("child", "outcome", "offence", "episode", "assessment", "need", "ete_status", "accommodation",
        "wider_services", "victim")
OPTIONAL = ("core_pupil", "core_suspension", "core_ccis_activity", "core_custody_detention", "core_identity_link",
            "core_board_attendance", "ref_population", "ref_ccis_activity", "ref_looked_after")
REF_KEYS = {"ref_population": "population", "ref_ccis_activity": "ccis_activity_ref", "ref_looked_after": "looked_after_population"}
DATE_COLUMNS = ("date_of_birth", "outcome_date", "offence_date", "start_date", "planned_end_date", "end_date",
                "completed_date", "screened_date", "meeting_date", "activity_start_date")


@dataclass
class CoreData:
    tables: dict[str, pd.DataFrame]
    as_of: dt.date
    # The areas whose residents count as first-time entrants (kpis.md); the settings' areas.
    service_areas: tuple[str, ...] = ("LEICESTERSHIRE", "RUTLAND")

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def age_on(dob: pd.Series, on: pd.Series) -> pd.Series:
    dob, on = pd.to_datetime(dob), pd.to_datetime(on)
    before_birthday = (on.dt.month < dob.dt.month) | ((on.dt.month == dob.dt.month) & (on.dt.day < dob.dt.day))
    return (on.dt.year - dob.dt.year - before_birthday.astype(int)).astype("Int64")


def read_core(engine: Engine, as_of: dt.date, service_areas: tuple[str, ...]) -> CoreData:
    # The areas are always passed in (the service's settings): a default read from the
    # environment once gave a partnership service another service's areas.
    existing = set(inspect(engine).get_table_names())
    tables = {}
    with engine.connect() as conn:
        for name in CORE:
            tables[name] = pd.read_sql_query(text(f"SELECT * FROM core_{name}"), conn)
        for name in OPTIONAL:
            key = REF_KEYS.get(name, name.removeprefix("core_"))
            tables[key] = pd.read_sql_query(text(f"SELECT * FROM {name}"), conn) if name in existing else pd.DataFrame()
        keys = pd.read_sql_query(text("SELECT child_id, child_key FROM core_child_key"), conn)
    for frame in tables.values():
        for col in DATE_COLUMNS:
            if col in frame:
                frame[col] = pd.to_datetime(frame[col], errors="coerce")
    child = tables["child"].merge(keys, on="child_id", how="left")
    child["person_key"] = child["child_key"]
    child["ethnic_group"] = child["ethnicity"].map(ethnic_group_of)
    child["postcode_district"] = child["postcode"].map(postcode_district)
    tables["child"] = child
    return CoreData(tables, as_of, tuple(service_areas))
