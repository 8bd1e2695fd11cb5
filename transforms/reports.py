"""Files written after every load attempt, for every source: the delivery's report
(a header, the counts, a summary by rule, every quarantined row with where it is and why, an
orphan linked to its parent's reason; for a rejected delivery, the reason), a JSON summary and
Great Expectations Data Docs. Names carry the attempt id, so two loads never overwrite each
other's files. None of them carries personal data: reasons are written without values that
could be personal, and the raw rows stay in the warehouse's quarantine table."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import Engine, func, select

from transforms.excel import set_print_layout, write_table
from transforms.settings import Settings
from transforms.validation import validation_from_record
from transforms.warehouse.audit import report_written, reports_due
from transforms.warehouse.db import make_engine
from transforms.warehouse.schema import (
    CORE_TABLES, audit_attempt_row, audit_delivery, audit_table_count, audit_validation, core_publication, quarantine,
)

REPORTED_OUTCOMES = ("LOADED", "REJECTED")
MARKING = "OFFICIAL-SENSITIVE"
_ROW_COLUMNS = ["table", "file", "row", "rules", "reason"]
# Rules the protocol applies itself (no expectation carries them).
_OWN_RULES = {"ORPHAN": "depends on a row that was quarantined (its root cause is named in the reason)",
              "ROW-FIELDS": "the row has a different number of fields from the header"}
_ROOT_RULES = re.compile(r"the root cause is .*? row \d+ \[([^\]]+)\]")


class ReportUnavailable(Exception):
    """No load attempt with that id (or it has no report: a rerun, a duplicate)."""


def write_ingest_outputs(report, settings: Settings) -> list[str]:
    """The delivery report, JSON summary and Data Docs of one load attempt (LOADED or REJECTED),
    built from what the warehouse keeps of the attempt (``write_attempt_outputs``)."""
    if report.outcome not in REPORTED_OUTCOMES or not report.delivery_id or not report.attempt_id:
        return []
    return write_attempt_outputs(settings, report.attempt_id)


def write_due_reports(settings: Settings, source: str | None = None) -> list[str]:
    """Write every report still due (an earlier run published but could not write its files)."""
    engine = make_engine(settings.warehouse_url)
    try:
        return [path for attempt in reports_due(engine, source) for path in write_attempt_outputs(settings, attempt, engine)]
    finally:
        engine.dispose()


def write_attempt_outputs(settings: Settings, attempt_id: str, engine: Engine | None = None) -> list[str]:
    """An attempt's report (workbook), load summary (JSON) and Data Docs, from the warehouse
    alone: the same files whenever they are written, so a report lost to a full or read-only
    disk is written again by the next run or by ``yj report``."""
    own = engine is None
    engine = engine or make_engine(settings.warehouse_url)
    try:
        attempt, counts, rows, validations = _attempt_record(engine, attempt_id)
        if attempt.outcome not in REPORTED_OUTCOMES:
            raise ReportUnavailable(f"attempt {attempt_id} ended {attempt.outcome}: it has no report")
        outputs = _write_attempt_files(settings, attempt, counts, rows, validations)
        report_written(engine, attempt_id)
        return outputs
    finally:
        if own:
            engine.dispose()


def attempts_of(engine: Engine, source: str | None, delivery_id: str) -> list[str]:
    """The reported attempts of a delivery, oldest first (``yj report --delivery``)."""
    query = select(audit_delivery.c.attempt_id).where((audit_delivery.c.delivery_id == delivery_id)
                                                      & audit_delivery.c.outcome.in_(REPORTED_OUTCOMES))
    if source:
        query = query.where(audit_delivery.c.source == source)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(audit_delivery.c.started_at)).scalars())


def _attempt_record(engine: Engine, attempt_id: str):
    with engine.connect() as conn:
        attempt = conn.execute(select(audit_delivery).where(audit_delivery.c.attempt_id == attempt_id)).first()
        if attempt is None:
            raise ReportUnavailable(f"no load attempt {attempt_id} in the warehouse")
        counts = pd.read_sql_query(
            select(audit_table_count.c.table_name.label("table"), audit_table_count.c.rows_read,
                   audit_table_count.c.rows_loaded, audit_table_count.c.rows_quarantined)
            .where(audit_table_count.c.attempt_id == attempt_id).order_by(audit_table_count.c.table_name), conn)
        rows = pd.read_sql_query(
            select(audit_attempt_row.c.table_name.label("table"), audit_attempt_row.c.file_name.label("file"),
                   audit_attempt_row.c.line_number.label("row"), audit_attempt_row.c.rules, audit_attempt_row.c.reason)
            .where(audit_attempt_row.c.attempt_id == attempt_id)
            .order_by(audit_attempt_row.c.table_name, audit_attempt_row.c.line_number), conn)
        if rows.empty and attempt.outcome == "LOADED" and counts["rows_quarantined"].sum() > 0:
            # An attempt recorded before the warehouse kept each attempt's rows: its delivery's
            # quarantine rows (the newest attempt's).
            rows = pd.read_sql_query(
                select(quarantine.c.table_name.label("table"), quarantine.c.file_name.label("file"),
                       quarantine.c.line_number.label("row"), quarantine.c.rules, quarantine.c.reason)
                .where((quarantine.c.delivery_id == attempt.delivery_id) & (quarantine.c.source == attempt.source))
                .order_by(quarantine.c.table_name, quarantine.c.line_number), conn)
        validations = [validation_from_record(v.suite, v.rows_failed, v.result) for v in conn.execute(
            select(audit_validation).where(audit_validation.c.attempt_id == attempt_id)
            .order_by(audit_validation.c.seq)).all()]
    return attempt, counts, rows, validations


def _write_attempt_files(settings: Settings, attempt, counts: pd.DataFrame, rows: pd.DataFrame,
                         validations: list) -> list[str]:
    stamp = attempt.attempt_id
    folder = settings.output_dir / attempt.source / _safe(attempt.delivery_id)
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows.reindex(columns=_ROW_COLUMNS)
    by_rule = _by_rule(rows, _rule_descriptions(validations))
    read, loaded, held = (int(counts[c].sum()) for c in ("rows_read", "rows_loaded", "rows_quarantined"))
    rejected = attempt.outcome == "REJECTED"
    seconds = ((attempt.finished_at - attempt.started_at).total_seconds()
               if attempt.finished_at and attempt.started_at else 0.0)
    header = pd.DataFrame([
        ("source", attempt.source), ("delivery", attempt.delivery_id), ("outcome", attempt.outcome),
        ("reason", attempt.reason or ""), ("extracted at", attempt.extracted_at or ""), ("attempt", stamp),
        ("rows read", read), ("rows loaded", loaded),
        ("rows failing a rule" if rejected else "rows quarantined", held),
    ] + ([("what happens now", "nothing from this delivery was loaded; the previous data stays live. Fix the "
                               "rules below (most rows first) and send the delivery again")] if rejected else [])
        + [("note", n) for n in (attempt.notes or [])], columns=["item", "value"])
    kind = "rejection_report" if rejected else "quarantine_report"
    title = f"{'Rejected' if rejected else 'Loaded'}: {attempt.source} delivery {attempt.delivery_id}"
    wb = Workbook()
    ws = wb.active
    # What to fix comes first; the delivery's details after.
    ws.title = "Summary by rule"
    _titled_table(ws, by_rule, "ByRule", title, "Rows failing each rule, most first")
    _titled_table(wb.create_sheet("Delivery"), header, "Delivery", title, "The delivery and its outcome")
    _titled_table(wb.create_sheet("Counts"), counts, "LoadCounts", title, "Rows read, loaded and failing, by table")
    _titled_table(wb.create_sheet("Rows failing" if rejected else "Quarantined rows"), rows, "Quarantine", title,
                  "Every row that failed a rule: where it is and why (values are not shown)")
    xlsx = folder / f"{kind}_{stamp}.xlsx"
    _save_replacing(wb, xlsx)
    summary = folder / f"load_summary_{stamp}.json"
    _write_replacing(summary, json.dumps({
        "source": attempt.source, "delivery_id": attempt.delivery_id, "outcome": attempt.outcome,
        "reason": attempt.reason, "attempt": stamp, "seconds": round(seconds, 2), "notes": attempt.notes or [],
        "tables": counts.to_dict(orient="records"), "by_rule": by_rule.to_dict(orient="records")},
        indent=2, default=str))
    outputs = [str(xlsx), str(summary)]
    if validations:
        from transforms.data_docs import build_data_docs  # Great Expectations' renderers: only when needed

        docs_root = settings.output_dir / "data_docs"
        docs = build_data_docs(validations, docs_root / attempt.source / _safe(attempt.delivery_id) / stamp,
                               f"{attempt.source} delivery {attempt.delivery_id}: validation", docs_root=docs_root,
                               validated_at=attempt.started_at)
        outputs.append(str(docs))
    return outputs


def _titled_table(ws, frame: pd.DataFrame, name: str, title: str, subtitle: str) -> None:
    """A sheet that prints: its title above the table, the marking and page numbers on every
    page, the header row repeated, long reasons wrapped."""
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"{subtitle}. {MARKING}."
    write_table(ws, frame, name, start_row=4, max_width=90)
    ws.freeze_panes = "A5"
    for column, header in enumerate(frame.columns, start=1):
        if header in ("reason", "value", "description"):
            for (cell,) in ws.iter_rows(min_row=5, max_row=4 + len(frame), min_col=column, max_col=column):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    set_print_layout(ws, header_row=4, left=title, centre=ws.title, right=MARKING)


def _save_replacing(wb: Workbook, path: Path) -> None:
    """Written beside and renamed into place: a half-written report never replaces a whole one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        wb.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _write_replacing(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120]


def _rule_descriptions(validations: list) -> dict[str, str]:
    """Rule code -> what the rule checks, in words, from the suites' own reasons."""
    descriptions = dict(_OWN_RULES)
    for outcome in validations:
        for r in outcome.gx_result.results:
            config = r.expectation_config
            meta = config.meta or {}
            rule = meta.get("rule")
            if not rule or rule in descriptions:
                continue
            column = meta.get("column_label") or config.kwargs.get("column") or config.kwargs.get("column_A") or ""
            template = meta.get("reason", config.type).replace(" '{value}'", "")
            try:
                descriptions[rule] = template.format(column=str(column).lstrip("_"), value="", observed="…")
            except (KeyError, IndexError, ValueError):
                descriptions[rule] = template
    return descriptions


def _by_rule(rows: pd.DataFrame, descriptions: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows per rule and table, most first: what to fix first. A row is counted once: under
    its own rules, or, when it was held back only because a row it depends on failed (an
    orphan), under that row's rules as a dependent row."""
    columns = ["rule", "description", "table", "rows", "dependent rows"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    descriptions = descriptions or {}
    rules = rows["rules"].str.split(",")
    orphan = rules.map(lambda r: "ORPHAN" in r)
    root = rows["reason"].map(lambda text: (_ROOT_RULES.search(text).group(1).split(",")
                                            if _ROOT_RULES.search(text) else ["ORPHAN"]))
    own = rows[~orphan].assign(rule=rules[~orphan], kind="rows")
    dependent = rows[orphan].assign(rule=root[orphan], kind="dependent rows")
    exploded = pd.concat([own, dependent]).explode("rule")
    table = (exploded.groupby(["rule", "table", "kind"]).size().unstack("kind", fill_value=0)
             .reindex(columns=["rows", "dependent rows"], fill_value=0).reset_index())
    table.insert(1, "description", table["rule"].map(lambda r: descriptions.get(r, "")))
    table["total"] = table["rows"] + table["dependent rows"]
    return (table.sort_values(["total", "rule"], ascending=[False, True]).drop(columns="total")
            .reset_index(drop=True)[columns])


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
