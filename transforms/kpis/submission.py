"""Submitted returns are frozen (ADR 0032), exactly as sent and signed off (ADR 0085).

Marking a quarter's return as submitted copies its workbook, unchanged, to
``output/kpi/<quarter>/submitted/`` (its SHA-256 in ``kpi_submission`` proves it stays so)
and freezes its figures in ``kpi_figure_submitted``. The workbook is archived only when the
figures it holds are the figures frozen: a fingerprint of its Figures sheet must equal the one
of the figures last produced (``kpi_figure``), so a workbook produced into another folder
before a correction was loaded is refused, never archived beside figures it does not show.
Every submission names its approver (a DRAFT needs a written reason too), recorded in
``kpi_submission`` and in ``signoff.json`` beside the archived workbook. Regenerating the quarter later writes a
new workbook beside it and never touches either; the new workbook's Revisions sheet lists every
figure that changed since submission and the source deliveries that explain it. The next
quarter's "change from the previous quarter" compares with the submitted figures."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
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
class SignOff:
    """Who approved the return and how (the Airflow approval, or ``yj submit-return``'s
    ``--approved-by``); ``submitted_by`` is the approver unless someone else sends it."""
    approved_by: str
    approved_at: dt.datetime | None = None
    comment: str = ""
    draft_reason: str = ""
    submitted_by: str = ""

    def refusal(self, status: str) -> str | None:
        """Why this sign-off cannot submit a return of ``status``, or None."""
        if not (self.approved_by or "").strip():
            return "a return is submitted only when an approver is named (--approved-by NAME)"
        if status != "READY" and not (self.draft_reason or "").strip():
            return (f"the return is {status}, not READY: it can be approved only with a written reason "
                    "(--reason TEXT), which is recorded")
        return None

    def cover_rows(self) -> list[tuple[str, str]]:
        at = self.approved_at.strftime("%Y-%m-%d %H:%M UTC") if self.approved_at else "not recorded"
        rows = [("Approved by", self.approved_by), ("Approved at", at),
                ("Approval comment", self.comment or "none")]
        if self.draft_reason:
            rows.append(("Approved as DRAFT because", self.draft_reason))
        rows.append(("Submitted by", self.submitter))
        return rows

    @property
    def submitter(self) -> str:
        return (self.submitted_by or "").strip() or self.approved_by.strip()


@dataclass(frozen=True)
class Submission:
    quarter: str
    submitted_at: dt.datetime
    workbook_path: str
    workbook_sha256: str
    status_at_submission: str
    sources: dict
    figures_sha256: str | None = None
    approved_by: str | None = None
    submitted_by: str | None = None


def submission_of(engine: Engine, quarter: Quarter) -> Submission | None:
    with engine.connect() as conn:
        row = conn.execute(select(kpi_submission).where(kpi_submission.c.quarter == quarter.code)).mappings().first()
    if row is None:
        return None
    return Submission(row["quarter"], row["submitted_at"], row["workbook_path"], row["workbook_sha256"],
                      row["status_at_submission"], row["sources"] or {}, row.get("figures_sha256"),
                      row.get("approved_by"), row.get("submitted_by"))


FINGERPRINT_COLUMNS = ["kpi", "measure", "breakdown", "value", "numerator", "denominator"]


def figures_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the figures (one line per figure, sorted; numbers to six decimal places, as
    the workbook keeps them), so the same figures give the same fingerprint whether read from a
    workbook's Figures sheet or from the warehouse."""
    lines = sorted("\x1f".join([str(r[0]), str(r[1]), str(r[2])] + [_canonical_number(v) for v in r[3:]])
                   for r in frame[FINGERPRINT_COLUMNS].itertuples(index=False, name=None))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _canonical_number(v) -> str:
    n = _number(v)
    return "" if n is None else f"{round(n, 6):.6f}"


def workbook_figures(workbook: Path) -> pd.DataFrame:
    """The Figures sheet of a return workbook as a frame."""
    from openpyxl import load_workbook

    wb = load_workbook(workbook, read_only=True, data_only=True)
    try:
        if "Figures" not in wb.sheetnames:
            raise SubmissionError(f"{workbook} is not a KPI return workbook (it has no Figures sheet)")
        rows = list(wb["Figures"].iter_rows(values_only=True))
    finally:
        wb.close()
    return pd.DataFrame(rows[1:], columns=list(rows[0])) if rows else pd.DataFrame(columns=FINGERPRINT_COLUMNS)


def stored_figures(engine: Engine, quarter: Quarter) -> pd.DataFrame:
    """The quarter's figures as last produced (``kpi_figure``)."""
    with engine.connect() as conn:
        return pd.read_sql_query(select(kpi_figure).where(kpi_figure.c.quarter == quarter.code), conn)


def submit_return(engine: Engine, quarter: Quarter, workbook: Path, status: str, signoff: SignOff,
                  now: dt.datetime | None = None) -> Submission:
    """Freeze the quarter's figures as produced last and archive ``workbook`` unchanged, when
    the workbook holds exactly those figures and the sign-off allows its status."""
    existing = submission_of(engine, quarter)
    if existing is not None:
        raise SubmissionError(f"{quarter.label} was already submitted on {existing.submitted_at:%d %B %Y %H:%M}; "
                              "regenerate it to see revisions, the submitted return stays as it was")
    if not workbook.exists():
        raise SubmissionError(f"no return has been produced for {quarter.label} ({workbook} is missing)")
    refusal = signoff.refusal(status)
    if refusal:
        raise SubmissionError(f"{quarter.label} not submitted: {refusal}")
    sent = figures_fingerprint(workbook_figures(workbook))
    now = now or dt.datetime.now(dt.timezone.utc)
    approved_at = signoff.approved_at or now
    archive = workbook.parent / "submitted" / workbook.name
    with engine.begin() as conn:
        # Read, compared and frozen in one transaction: what is frozen is what was compared.
        figures = conn.execute(select(kpi_figure).where(kpi_figure.c.quarter == quarter.code)).mappings().all()
        if not figures:
            raise SubmissionError(f"no figures stored for {quarter.label}: produce the return first")
        frozen = figures_fingerprint(pd.DataFrame([dict(f) for f in figures]))
        if sent != frozen:
            raise SubmissionError(
                f"{quarter.label} not submitted: the figures in {workbook} (fingerprint {sent[:12]}) are not the "
                f"figures last produced in the warehouse ({frozen[:12]}); produce and submit in one step "
                f"(yj kpi --quarter {quarter.code} --submit --approved-by NAME)")
        archive.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workbook, archive)
        sha = file_sha256(archive)
        sources = {r.source: [r.delivery_id, r.extracted_at] for r in conn.execute(
            select(kpi_return_source).where(kpi_return_source.c.quarter == quarter.code)).all()}
        conn.execute(insert(kpi_submission).values(
            quarter=quarter.code, submitted_at=now, workbook_path=str(archive), workbook_sha256=sha,
            status_at_submission=status, submitted_by=signoff.submitter, sources=sources, figures_sha256=frozen,
            approved_by=signoff.approved_by.strip(), approved_at=approved_at, approval_comment=signoff.comment or None,
            draft_reason=signoff.draft_reason or None))
        conn.execute(insert(kpi_figure_submitted), [{**dict(f), "submitted_at": now} for f in figures])
    record = {"quarter": quarter.code, "status": status, "submitted_at": now.isoformat(),
              "workbook": archive.name, "workbook_sha256": sha, "figures_sha256": frozen,
              **{k: v for k, v in asdict(signoff).items() if k != "approved_at"},
              "approved_at": approved_at.isoformat(), "submitted_by": signoff.submitter}
    (archive.parent / "signoff.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return Submission(quarter.code, now, str(archive), sha, status, sources, frozen, signoff.approved_by.strip(),
                      signoff.submitter)


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
    return stored_figures(engine, previous).assign(origin="last produced")


def revisions(current: pd.DataFrame, submitted: pd.DataFrame, submitted_sources: dict,
              current_sources: dict[str, tuple[str, str]], feeds=None) -> pd.DataFrame:
    """Every figure (value, numerator or denominator) that differs from the submitted one, each
    explained by the deliveries and rules that changed since submission among those that feed
    it (``feeds(kpi, measure)`` -> sources; every source when not given)."""
    changed = {s: _change(s, submitted_sources.get(s), current_sources.get(s))
               for s in sorted(set(current_sources) | set(submitted_sources))
               if (submitted_sources.get(s) or [None])[0] != (current_sources.get(s) or [None])[0]}
    key = ["kpi", "measure", "breakdown"]
    merged = current.merge(submitted[key + ["value", "numerator", "denominator"]], on=key, how="outer",
                           suffixes=("_now", "_submitted"))
    rows = []
    for r in merged.itertuples(index=False):
        fed_by = feeds(r.kpi, r.measure) if feeds else tuple(changed)
        explained = "; ".join(changed[s] for s in fed_by if s in changed) or (
            "no delivery or counting rule feeding this figure changed (the matching of children across sources "
            "or a reference did)")
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


def _change(source: str, old, new) -> str:
    """One source's change in plain words: a delivery's ids and new extract time, or a rule's
    settings that changed."""
    was, now = (old or [None])[0], (new or [None])[0]
    if source.startswith("rules:"):
        before = dict(p.split("=", 1) for p in (was or "").split("; ")[1:] if "=" in p)
        after = dict(p.split("=", 1) for p in (now or "").split("; ")[1:] if "=" in p)
        moved = [f"{k} {before.get(k, 'not set')} -> {after.get(k, 'not set')}"
                 for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        versions = [(was or "").split("; ")[0], (now or "").split("; ")[0]]
        if versions[0] != versions[1]:
            moved.insert(0, f"rule version {versions[0] or 'none'} -> {versions[1] or 'none'}")
        return f"counting rules for {source[6:]}: " + (", ".join(moved) if moved else "changed")
    extracted = (new or [None, None])[1]
    return f"{source}: {was or 'none'} -> {now or 'none'}" + (f" (extracted {extracted})" if now and extracted else "")


def _number(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return float(v)


def _whole(v):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else round(float(v), 6)
