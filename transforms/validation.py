"""Run a Great Expectations suite over a frame and turn the result into decisions a person
can read: which rows to quarantine and why, and whether the table as a whole is broken.

Suites live in ``expectations/`` as JSON. Each expectation's ``meta`` carries a short
``rule`` code, a ``reason`` sentence (``{column}`` is replaced by the supplier's header,
``{value}`` by the offending value only when it cannot be personal data: a known code or
label, a yes/no spelling or a small number; see ``shown_value``) and a
``level``: ``row`` (quarantine failing rows, the default) or ``table`` (stop the load).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.ingest.mapping import UNPARSED_DATE_MARK
from transforms.settings import EXPECTATIONS_DIR

# Great Expectations draws a progress bar per validation and logs at INFO on import.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass
class RowFailure:
    rule: str
    column: str | None
    reason: str


# Result keys that can hold the values of failing cells: dropped before a result is kept in
# the warehouse or written to Data Docs, which may be opened by people who must not see
# personal data.
_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_unexpected_index_list",
               "unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows",
               "details")


@dataclass
class ValidationOutcome:
    suite: str
    table_failures: list[str] = field(default_factory=list)
    row_failures: dict[Any, list[RowFailure]] = field(default_factory=dict)
    results: list[dict] = field(default_factory=list)  # sanitised, for audit
    gx_result: Any = None  # the suite result with unexpected values removed, for Data Docs

    rows_failed: int | None = None  # kept with a result read back from the warehouse

    @property
    def failed_rows(self) -> set:
        return set(self.row_failures)

    @property
    def failing_row_count(self) -> int:
        return self.rows_failed if self.rows_failed is not None else len(self.row_failures)


def scrub_values(outcome: ValidationOutcome) -> None:
    """Remove every failing value from the kept result (counts and percentages stay)."""
    if outcome.gx_result is None:
        return
    for r in outcome.gx_result.results:
        for key in _VALUE_KEYS:
            r.result.pop(key, None)
        if isinstance(r.result.get("observed_value"), (list, dict)):
            r.result.pop("observed_value", None)  # a file's column names: a data row when the header is missing
        if r.expectation_config.kwargs.get("value_set") and len(r.expectation_config.kwargs["value_set"]) > 50:
            r.expectation_config.kwargs["value_set"] = r.expectation_config.kwargs["value_set"][:0]


def validation_records(outcomes: list[ValidationOutcome]) -> list[dict]:
    """Each validation as the warehouse keeps it (``audit_validation``): suite, rows failed and
    the result without failing values."""
    records = []
    for outcome in outcomes:
        if outcome.gx_result is None:
            continue
        scrub_values(outcome)
        records.append({"suite": outcome.suite, "rows_failed": outcome.failing_row_count,
                        "result": outcome.gx_result.to_json_dict()})
    return records


def validation_from_record(suite: str, rows_failed: int, result: dict) -> ValidationOutcome:
    """A kept validation, ready for Data Docs."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    return ValidationOutcome(suite=suite, gx_result=ExpectationSuiteValidationResultSchema().load(result),
                             rows_failed=rows_failed)


def quiet_gx() -> None:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


@lru_cache(maxsize=None)
def load_suite_dict(name: str) -> dict:
    path = suite_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite {path}")
    return json.loads(path.read_text())


def run_suite(name: str, frame: pd.DataFrame, parameters: dict[str, Any], *,
              headers: dict[str, str] | None = None, pii_columns: frozenset[str] = frozenset()) -> ValidationOutcome:
    """Validate ``frame`` (its index is what failures are reported against, e.g. line numbers)."""
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.validator.v1_validator import Validator

    suite_dict = load_suite_dict(name)
    suite = ExpectationSuite(name=suite_dict["name"], expectations=suite_dict["expectations"])
    ctx = _context()
    source_name = "yj_frames"
    try:
        source = ctx.data_sources.get(source_name)
    except (KeyError, ValueError):
        source = ctx.data_sources.add_pandas(source_name)
    asset_name = name.replace(".", "_")
    try:
        asset = source.get_asset(asset_name)
    except (LookupError, ValueError):
        asset = source.add_dataframe_asset(asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, ValueError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    # The validator Batch.validate would build, built directly: getting a Batch first loads
    # (and fingerprints, hashing every cell) the frame a second time for nothing.
    # Validated by position: the index lists below are then positions into ``frame``, exact
    # even where two records share a row number (a row holding START and END).
    labels = frame.index
    by_position = frame.reset_index(drop=True)
    validator = Validator(batch_definition=batch_definition, batch_parameters={"dataframe": by_position},
                          result_format={"result_format": "COMPLETE"})
    result = validator.validate_expectation_suite(suite, expectation_parameters=parameters)

    headers = headers or {}
    outcome = ValidationOutcome(suite=name, gx_result=result)
    for r in result.results:
        config = r.expectation_config
        meta = config.meta or {}
        # Derived check columns (e.g. _child_id_resolves) report against the column they test.
        column = meta.get("column_label") or config.kwargs.get("column") or config.kwargs.get("column_A")
        shown = headers.get(column, column or "")
        rule = meta.get("rule", config.type)
        outcome.results.append({"rule": rule, "expectation": config.type, "column": column, "success": bool(r.success),
                                "unexpected_count": int(r.result.get("unexpected_count") or 0),
                                "level": meta.get("level", "row"), "reason": meta.get("reason", config.type)})
        if r.success:
            continue
        if r.exception_info and r.exception_info.get("raised_exception"):
            # The library's message can quote a cell, so only its kind is kept.
            outcome.table_failures.append(f"{rule}: the check could not run on column {shown}")
            continue
        reason_template = meta.get("reason", config.type)
        if meta.get("level") == "table":
            known = {c for c in set(headers) | set(headers.values()) | set(frame.columns) if not str(c).startswith("_")}
            outcome.table_failures.append(f"{rule}: " + reason_template.format(column=shown, value="",
                                                                               **_observed(r.result, known)))
            continue
        positions = _failing_positions(r.result)
        if positions is None:
            outcome.table_failures.append(
                f"{rule}: Great Expectations counted {int(r.result.get('unexpected_count') or 0):,} failing rows "
                f"in column {shown} but did not name them all; the table is held back so that none of them loads")
            continue
        # The values come from the frame: the result's ``unexpected_list`` holds at most 200
        # (MAX_RESULT_RECORDS), while the index list under COMPLETE names every failing row.
        values = by_position[column].to_numpy()[positions] if column in by_position.columns else [None] * len(positions)
        observed = _observed(r.result, set())
        reasons: dict[str | None, str] = {}
        for position, value in zip(positions, values):
            safe = None if column in pii_columns else shown_value(value)
            if safe not in reasons:
                template = reason_template if safe is not None else reason_template.replace(" '{value}'", " (value not shown)")
                reasons[safe] = template.format(column=shown, value=safe or "", **observed)
            outcome.row_failures.setdefault(labels[position], []).append(RowFailure(rule, column, reasons[safe]))
    return outcome


def _failing_positions(result: dict) -> list[int] | None:
    """Every failing row of a row-level expectation, as positions, or None when Great
    Expectations named fewer rows than it counted (never let the difference load)."""
    positions = result.get("unexpected_index_list") or []
    if positions and isinstance(positions[0], dict):  # with unexpected_index_column_names set
        return None
    if len(positions) != int(result.get("unexpected_count") or 0):
        return None
    return [int(p) for p in positions]


@lru_cache(maxsize=1)
def _safe_words() -> frozenset[str]:
    """Values that are never personal data: every canonical code and label (not the local
    authorities'), and the code spellings in every supplier mapping shipped with the project."""
    from transforms.canonical import code_lists
    from transforms.ingest.mapping import DEFAULT_MAPPINGS_DIR

    words = set()
    for name, codes in code_lists().items():
        if name == "local_authority":
            continue  # every English and Welsh authority: place names are surnames too (Sutton, Bolton, Kent)
        for code, label in codes.items():
            words.update({code.upper(), str(label).upper()})
    for path in DEFAULT_MAPPINGS_DIR.glob("*.yaml"):
        import yaml

        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for labels in (raw.get("codes") or {}).values():
            words.update(str(k).upper() for k in (labels or {}))
        words.update(str(k).upper() for k in (raw.get("booleans") or {}))
    words.update({"Y", "N", "YES", "NO", "TRUE", "FALSE", "1", "0"})
    return frozenset(words)


def shown_value(value) -> str | None:
    """The value as it may appear in a reason, or None when it could be personal data: a
    shifted row can put a surname or a date of birth in any column, so only values that are
    known codes or labels, single characters, or numbers of up to three digits, are ever
    echoed (an unknown code such as 'WBRT' is not: it could as well be a surname)."""
    if value is None:
        return None
    text = str(value).lstrip(UNPARSED_DATE_MARK).strip()
    if (len(text) <= 3 and text.lstrip("-").isdigit()) or len(text) == 1:
        return text
    if text.upper() in _safe_words():
        return text[:60]
    return None


def quarantine_rows(*, source: str, delivery_id: str, table: str, file_label: str, headers: dict[str, str],
                    column_letter, raw: pd.DataFrame, bad: dict, malformed: dict | None = None) -> list[dict]:
    """Rows for the quarantine table: where (file, Excel row, column letter and header), which
    rules, why in plain words, and the raw record so nothing is lost."""
    rows = []
    # Every failing row's raw values in one selection (a row at a time costs a frame lookup each).
    held = raw[raw.index.isin(list(bad))]
    held = held[~held.index.duplicated()]
    records = dict(zip(held.index, held.astype(object).where(held.notna(), None).to_dict("records")))
    wheres: dict[str | None, str] = {}
    for line, failures in sorted(bad.items()):
        parts = []
        for f in failures:
            if f.column not in wheres:
                header = headers.get(f.column, f.column) if f.column else ""
                wheres[f.column] = f"column {column_letter(header)} ({header})" if header else "row"
            parts.append(f"{wheres[f.column]}: {f.reason} [{f.rule}]")
        record = {k: (None if v is None else str(v)) for k, v in records.get(line, {}).items()}
        if malformed and line in malformed:
            record = {"_fields": list(malformed[line])}  # every field as sent: nothing is lost
        rows.append({"source": source, "delivery_id": delivery_id, "table_name": table, "file_name": file_label,
                     "line_number": int(line), "rules": ",".join(sorted({f.rule for f in failures})),
                     "reason": f"{file_label} row {line}: " + "; ".join(parts), "raw_record": record})
    return rows


def _observed(result: dict, known: set | None = None) -> dict:
    """The observed value for a table-level reason. A column list shows only the headers the
    mapping knows: a file without its header row has a data row there, names and all."""
    observed = result.get("observed_value")
    if isinstance(observed, list):
        shown = [str(o) for o in observed if known is None or str(o) in known]
        hidden = len(observed) - len(shown)
        observed = ", ".join(shown) + (f"{', ' if shown else ''}{hidden} other column(s) not shown" if hidden else "")
    return {"observed": observed if observed is not None else ""}
