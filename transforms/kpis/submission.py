"""Submitted returns are frozen (issue 12, ADR 0032).

Marking a quarter's return as submitted copies its workbook, unchanged, to
``output/kpi/<quarter>/submitted/`` (its SHA-256 in ``kpi_submission`` proves it stays so)
and freezes its figures in ``kpi_figure_submitted``. Regenerating the quarter later writes a
new workbook beside it and never touches either; the new workbook's Revisions sheet lists every
figure that changed since submission and the source deliveries that explain it. The next
quarter's "change from the previous quarter" compares with the submitted figures."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert, select

from transforms.ingest.delivery import file_sha256
from transforms.periods import Quarter
from transforms.warehouse.schema import kpi_figure, kpi_figure_submitted, kpi_return_source, kpi_submission

REVISION_COLUMNS = ["kpi", "measure", "breakdown", "figure", "submitted", "now", "change", "explained_by"]


class SubmissionError(Exception):
    """A submission that cannot be made (nothing produced, or already submitted)."""


@dataclass(frozen=True)
class Submission:
    quarter: str
    submitted_at: dt.datetime
    workbook_path: str
    workbook_sha256: str
    status_at_submission: str
    sources: dict


def submission_of(engine: Engine, quarter: Quarter) -> Submission | None:
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission).where(kpi_submission.c.quarter == quarter.code)).mappings().first()
    if row is None:
        return None
    return Submission(row["quarter"], row["submitted_at"], row["workbook_path"], row["workbook_sha256"],
                      row["status_at_submission"], row["sources"] or {})


def submit_return(engine: Engine, quarter: Quarter, workbook: Path, status: str, submitted_by: str | None = None,
                  now: dt.datetime | None = None) -> Submission:
    """Freeze the quarter's figures as produced last and archive ``workbook`` unchanged."""
    existing = submission_of(engine, quarter)
    if existing is not None:
        raise SubmissionError(f"{quarter.label} was already submitted on {existing.submitted_at:%d %B %Y %H:%M}; "
                              "regenerate it to see revisions, the submitted return stays as it was")
    if not workbook.exists():
        raise SubmissionError(f"no return has been produced for {quarter.label} ({workbook} is missing)")
    now = now or dt.datetime.now(dt.timezone.utc)
    archive = workbook.parent / "submitted" / workbook.name
    archive.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(workbook, archive)
    sha = file_sha256(archive)
    with engine.begin() as conn:
        figures = conn.execute(select(kpi_figure).where(kpi_figure.c.quarter == quarter.code)).mappings().all()
        if not figures:
            raise SubmissionError(f"no figures stored for {quarter.label}: produce the return first")
        sources = {r.source: [r.delivery_id, r.extracted_at] for r in conn.execute(
            select(kpi_return_source).where(kpi_return_source.c.quarter == quarter.code)).all()}
        conn.execute(insert(kpi_submission).values(quarter=quarter.code, submitted_at=now, workbook_path=str(archive),
                                                   workbook_sha256=sha, status_at_submission=status,
                                                   submitted_by=submitted_by, sources=sources))
        conn.execute(insert(kpi_figure_submitted), [{**dict(f), "submitted_at": now} for f in figures])
    return Submission(quarter.code, now, str(archive), sha, status, sources)


def submitted_figures(engine: Engine, quarter: Quarter) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(select(kpi_figure_submitted).where(kpi_figure_submitted.c.quarter == quarter.code), conn)


def previous_figures(engine: Engine, quarter: Quarter) -> pd.DataFrame:
    """The previous quarter's figures to compare with: as submitted when it was, else as last
    produced. An ``origin`` column says which."""
    previous = quarter.previous
    submitted = submitted_figures(engine, previous)
    if not submitted.empty:
        return submitted.assign(origin="submitted")
    with engine.connect() as conn:
        produced = pd.read_sql_query(select(kpi_figure).where(kpi_figure.c.quarter == previous.code), conn)
    return produced.assign(origin="last produced")


def revisions(current: pd.DataFrame, submitted: pd.DataFrame, submitted_sources: dict,
              current_sources: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Every figure (value, numerator or denominator) that differs from the submitted one."""
    explained = "; ".join(
        f"{s}: {(submitted_sources.get(s) or ['none'])[0]} -> {current_sources[s][0]} (extracted {current_sources[s][1]})"
        for s in sorted(current_sources) if (submitted_sources.get(s) or [None])[0] != current_sources[s][0]
    ) or "no source delivery changed (a rule or reference data did)"
    key = ["kpi", "measure", "breakdown"]
    merged = current.merge(submitted[key + ["value", "numerator", "denominator"]], on=key, how="outer",
                           suffixes=("_now", "_submitted"))
    rows = []
    for r in merged.itertuples(index=False):
        for part in ("value", "numerator", "denominator"):
            old, new = _number(getattr(r, f"{part}_submitted")), _number(getattr(r, f"{part}_now"))
            if old is None and new is None:
                continue
            if old is not None and new is not None and abs(old - new) <= 1e-6 * max(1.0, abs(old)):
                continue
            change = None if old is None or new is None else _whole(new - old)
            rows.append({"kpi": r.kpi, "measure": r.measure, "breakdown": r.breakdown, "figure": part,
                         "submitted": _whole(old), "now": _whole(new), "change": change, "explained_by": explained})
    return pd.DataFrame(rows, columns=REVISION_COLUMNS)


def _number(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return float(v)


def _whole(v):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(float(v), 6)
