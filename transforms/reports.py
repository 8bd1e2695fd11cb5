"""Files written after a load for the BI team: the quarantine report, the audit summary and
Data Docs. None of them carries personal data: reasons are written without values from
personal columns, and the raw rows stay in the warehouse's quarantine table."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import func, select

from transforms.excel import write_table
from transforms.settings import Settings
from transforms.validation import build_data_docs
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import CORE_TABLES, core_publication, quarantine


def write_load_outputs(report, settings: Settings) -> list[str]:
    if report.outcome not in ("LOADED",):
        return []
    folder = settings.output_dir / "case_system" / report.delivery_id
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        rows = pd.read_sql_query(
            select(quarantine.c.table_name, quarantine.c.file_name, quarantine.c.line_number, quarantine.c.rules,
                   quarantine.c.reason).where((quarantine.c.delivery_id == report.delivery_id)
                                              & (quarantine.c.source == "case_system"))
            .order_by(quarantine.c.table_name, quarantine.c.line_number), conn)
    counts = pd.DataFrame([{"table": t, "rows_read": c.read, "rows_loaded": c.loaded, "rows_quarantined": c.quarantined}
                           for t, c in report.counts.items()])
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    write_table(ws, counts, "LoadCounts")
    ws = wb.create_sheet("Quarantined rows")
    write_table(ws, rows.rename(columns={"table_name": "table", "file_name": "file", "line_number": "row"}), "Quarantine")
    xlsx = folder / "quarantine_report.xlsx"
    wb.save(xlsx)
    audit = folder / "load_summary.json"
    audit.write_text(json.dumps({"delivery_id": report.delivery_id, "outcome": report.outcome,
                                 "seconds": round(report.seconds, 2),
                                 "tables": counts.to_dict(orient="records")}, indent=2))
    docs = build_data_docs(report.validations, settings.output_dir / "data_docs" / "case_system" / report.delivery_id,
                           f"Case-system delivery {report.delivery_id}: validation")
    return [str(xlsx), str(audit), str(docs)]


def write_core_inventory(settings: Settings) -> tuple[Path, dict]:
    """Row counts of the core tables and the live delivery of each source."""
    engine = make_engine(settings.warehouse_url)
    from transforms.warehouse.db import ensure_schema

    ensure_schema(engine)
    with engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(t)).scalar_one() for name, t in CORE_TABLES.items()}
        live = {r.source: r.delivery_id for r in conn.execute(select(core_publication)).all()}
    path = settings.output_dir / "core_inventory.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"live_deliveries": live, "core_rows": counts}, indent=2))
    return path, counts
