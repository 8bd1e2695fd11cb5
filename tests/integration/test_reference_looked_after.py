"""The looked-after children reference goes through the ingest protocol like the population:
it shares landing/reference/ with population.csv without either calling the other's file a
stray, good rows load, bad rows are quarantined with a reason, and every row reconciles."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from tests.integration.ingest_harness import settings_for
from transforms.ingest.sources import load_reference_sources
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import audit_delivery, quarantine, ref_looked_after

pytestmark = pytest.mark.integration

POPULATION = """area,year,age,sex,ethnic_group,population,source
RUTLAND,2025,10,M,White,180,ONS mid-2025 (hand-written test figure)
RUTLAND,2025,10,F,White,170,ONS mid-2025 (hand-written test figure)
"""

# Written by hand: five good rows, a negative count, a year that is not a year, and a repeated
# area and year (both copies are held back: which one is right cannot be known).
LOOKED_AFTER = """area,year,looked_after,source
Rutland,2025,21,DfE SSDA903 2025 (test)
LEICESTERSHIRE,2025,310,DfE SSDA903 2025 (test)
LEICESTERSHIRE,2024,295,DfE SSDA903 2024 (test)
RUTLAND,2024,19,DfE SSDA903 2024 (test)
DERBYSHIRE,2025,402,DfE SSDA903 2025 (test)
LEICESTER,2025,-4,DfE SSDA903 2025 (test)
LEICESTER,twenty,200,DfE SSDA903 2025 (test)
NORTHAMPTONSHIRE,2024,400,DfE SSDA903 2024 (test)
NORTHAMPTONSHIRE,2024,401,DfE SSDA903 2024 (test)
"""


def test_looked_after_reference_loads_beside_the_population_and_quarantines_bad_rows(tmp_path):
    landing = tmp_path / "landing"
    (landing / "reference").mkdir(parents=True)
    (landing / "reference" / "population.csv").write_text(POPULATION)
    (landing / "reference" / "looked_after.csv").write_text(LOOKED_AFTER)
    settings = settings_for(tmp_path, landing)

    reports = load_reference_sources(settings)

    assert reports["population"].outcome == "LOADED" and reports["population"].quarantined == 0
    report = reports["looked_after"]
    assert report.outcome == "LOADED", report.reason
    assert (report.read, report.loaded, report.quarantined) == (9, 5, 4)
    engine = make_engine(settings.warehouse_url)
    live = pd.read_sql_table(ref_looked_after.name, engine).sort_values(["area", "year"])
    assert live[["area", "year", "looked_after"]].values.tolist() == [
        ["DERBYSHIRE", 2025, 402], ["LEICESTERSHIRE", 2024, 295], ["LEICESTERSHIRE", 2025, 310],
        ["RUTLAND", 2024, 19], ["RUTLAND", 2025, 21]]
    with engine.connect() as conn:
        reasons = conn.execute(select(quarantine.c.rules, quarantine.c.reason)
                               .where(quarantine.c.source == "looked_after")).all()
        strays = conn.execute(select(audit_delivery.c.source, audit_delivery.c.delivery_id)
                              .where(audit_delivery.c.outcome == "NOT_A_DELIVERY")).all()
    assert len(reasons) == 4 and all(reason for _, reason in reasons)
    assert {"LAC-06", "LAC-07"} <= {r for rules, _ in reasons for r in rules.replace(",", " ").split()}
    assert strays == []  # neither source calls the other's file a stray

    # A rerun of the same files changes nothing.
    again = load_reference_sources(settings)
    assert again["looked_after"].outcome == "ALREADY_LOADED"
    assert pd.read_sql_table(ref_looked_after.name, engine).shape[0] == 5
