"""Code lists and crosswalks, shipped as data files, loaded into ``ref_`` tables so the
marts and any BI tool can label codes without reading the project's files."""
from __future__ import annotations

from sqlalchemy import Engine, delete, insert

from transforms.canonical import code_lists, ethnicity_crosswalk, reference_rows
from transforms.warehouse.schema import ref_ccis_activity, ref_code, ref_ethnicity


def load_reference_tables(engine: Engine) -> None:
    codes = [{"code_list": name, "code": code, "label": label}
             for name, entries in code_lists().items() for code, label in entries.items()]
    crosswalk = [{**row, "code": row["code"] or None, "note": row["note"] or None} for row in ethnicity_crosswalk()]
    with engine.begin() as conn:
        conn.execute(delete(ref_code))
        conn.execute(insert(ref_code), codes)
        conn.execute(delete(ref_ethnicity))
        conn.execute(insert(ref_ethnicity), crosswalk)
        activity = reference_rows("ccis_activity_codes.csv")
        conn.execute(delete(ref_ccis_activity))
        conn.execute(insert(ref_ccis_activity), activity)
