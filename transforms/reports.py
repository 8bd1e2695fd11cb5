"""Files written after every load attempt, for every source: the delivery's report
(a header, the counts, a summary by rule, every quarantined row with where it is and why, an
orphan linked to its parent's reason; for a rejected delivery, the reason), a JSON summary and
Great Expectations Data Docs. Names carry the attempt id, so two loads never overwrite each
other's files. None of them carries personal data: reasons are written without values that
could be personal, and the raw rows stay in the warehouse's quarantine table."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import func, select

from transforms.excel import write_table
from transforms.settings import Settings
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import CORE_TABLES, core_publication, quarantine

REPORTED_OUTCOMES = ("LOADED", "REJECTED")


def write_ingest_outputs(report, settings: Settings) -> list[str]:
    """The delivery report, JSON summary and Data Docs of one load attempt (LOADED or REJECTED)."""
    if report.outcome not in REPORTED_OUTCOMES or not report.delivery_id:
        return []
    stamp = report.attempt_id or "run"
    folder = settings.output_dir / report.source / _safe(report.delivery_id)
    folder.mkdir(parents=True, exist_ok=True)
    rows = _quarantined(settings, report) if report.outcome == "LOADED" else pd.DataFrame(
        columns=["table", "file", "row", "rules", "reason"])
    counts = pd.DataFrame([{"table": t, "rows_read": c.read, "rows_loaded": c.loaded, "rows_quarantined": c.quarantined}
                           for t, c in report.counts.items()], columns=["table", "rows_read", "rows_loaded",
                                                                        "rows_quarantined"])
    by_rule = _by_rule(rows)
    header = pd.DataFrame([
        ("source", report.source), ("delivery", report.delivery_id), ("outcome", report.outcome),
        ("reason", report.reason or ""), ("extracted at", str(report.extracted_at or "")), ("attempt", stamp),
        ("rows read", report.read), ("rows loaded", report.loaded), ("rows quarantined", report.quarantined),
    ] + [("note", n) for n in report.notes], columns=["item", "value"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Delivery"
    write_table(ws, header, "Delivery")
    write_table(wb.create_sheet("Summary by rule"), by_rule, "ByRule")
    write_table(wb.create_sheet("Counts"), counts, "LoadCounts")
    write_table(wb.create_sheet("Quarantined rows"), rows, "Quarantine")
    kind = "quarantine_report" if report.outcome == "LOADED" else "rejection_report"
    xlsx = folder / f"{kind}_{stamp}.xlsx"
    wb.save(xlsx)
    summary = folder / f"load_summary_{stamp}.json"
    summary.write_text(json.dumps({"source": report.source, "delivery_id": report.delivery_id, "outcome": report.outcome,
                                   "reason": report.reason, "attempt": stamp, "seconds": round(report.seconds, 2),
                                   "notes": report.notes, "tables": counts.to_dict(orient="records"),
                                   "by_rule": by_rule.to_dict(orient="records")}, indent=2, default=str))
    outputs = [str(xlsx), str(summary)]
    if report.validations:
        from transforms.data_docs import build_data_docs  # Great Expectations' renderers: only when needed

        docs_root = settings.output_dir / "data_docs"
        docs = build_data_docs(report.validations, docs_root / report.source / _safe(report.delivery_id) / stamp,
                               f"{report.source} delivery {report.delivery_id}: validation", docs_root=docs_root)
        outputs.append(str(docs))
    return outputs


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120]


def _quarantined(settings: Settings, report) -> pd.DataFrame:
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        rows = pd.read_sql_query(
            select(quarantine.c.table_name, quarantine.c.file_name, quarantine.c.line_number, quarantine.c.rules,
                   quarantine.c.reason).where((quarantine.c.delivery_id == report.delivery_id)
                                              & (quarantine.c.source == report.source))
            .order_by(quarantine.c.table_name, quarantine.c.line_number), conn)
    engine.dispose()
    return rows.rename(columns={"table_name": "table", "file_name": "file", "line_number": "row"})


def _by_rule(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows per rule and table, most first: what to fix first."""
    if rows.empty:
        return pd.DataFrame(columns=["rule", "table", "rows"])
    exploded = rows.assign(rule=rows["rules"].str.split(",")).explode("rule")
    return (exploded.groupby(["rule", "table"]).size().rename("rows").reset_index()
            .sort_values(["rows", "rule"], ascending=[False, True]).reset_index(drop=True))


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
