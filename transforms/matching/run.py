"""A matching run as the pipeline does it: import reviewers' decisions, resolve every
source, publish the person keys, write the review list and a summary without personal data."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from transforms.excel import unique_path
from transforms.matching.resolve import MatchResult, Thresholds, read_decisions, resolve_identities
from transforms.matching.review import still_undecided, write_review_workbook
from transforms.settings import Settings
from transforms.warehouse.db import make_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchingReport:
    result: MatchResult
    decisions_imported: int
    decisions_unreadable: int
    review_workbook: Path
    summary_file: Path
    seconds: float

    def message(self) -> str:
        linked = sum(c["linked"] for c in self.result.counts.values())
        return (f"{linked:,} record(s) linked to the service's children, {len(self.result.review):,} pair(s) to review, "
                f"{self.decisions_imported:,} reviewer decision(s) imported"
                + (f", {self.decisions_unreadable:,} unreadable (flagged on the review workbook)" if self.decisions_unreadable else "")
                + f" ({self.seconds:.1f}s)")


def review_workbook_path(folder: Path, now: dt.datetime) -> Path:
    """A name no other run takes: the time to the second, and a free name reserved at once
    (``unique_path``) when two runs (the education and CCIS steps) start in the same second.
    The name says nothing of the source: every run's workbook holds every source's pairs."""
    return unique_path(folder / f"match_review_{now:%Y%m%d_%H%M%S}_INTERNAL.xlsx")


def thresholds_from(settings: Settings) -> Thresholds:
    return Thresholds(link=settings.match_link_threshold, review=settings.match_review_threshold)


def run_matching(settings: Settings, now: dt.datetime | None = None) -> MatchingReport:
    from transforms.matching.review import import_decisions

    started = dt.datetime.now()
    now = now or started.replace(microsecond=0)
    engine = make_engine(settings.warehouse_url)
    log.info("matching: importing review decisions")
    imported = import_decisions(engine, settings.landing_dir / "match_review", now)
    if len(imported.unreadable):
        # File names and row numbers only: the pair reference holds identifiers.
        log.warning("matching: %d review decision(s) could not be read and were skipped: %s", len(imported.unreadable),
                    ", ".join(f"{f} row {r}" for f, r in zip(imported.unreadable["file"], imported.unreadable["excel_row"])))
    log.info("matching: reading people, scoring candidate pairs and linking")
    result = resolve_identities(engine, thresholds_from(settings), now)
    log.info("matching: %d linked, %d pair(s) to review; writing the review workbook", len(result.links), len(result.review))
    out = settings.output_dir / "matching"
    unreadable = still_undecided(imported.unreadable, read_decisions(engine))
    workbook = write_review_workbook(result.review, result.people, review_workbook_path(out, now), now, unreadable)
    summary = out / "matching_summary.json"
    summary.write_text(json.dumps({
        "resolved_at": now.isoformat(), "proven_pairs": result.proven_pairs, "by_source": result.counts,
        "review_pairs": len(result.review), "decisions_imported": imported.imported,
        "decisions_unreadable": [{"file": f, "excel_row": int(r)} for f, r in zip(unreadable["file"], unreadable["excel_row"])],
        "review_workbook": workbook.name,
        "thresholds": {"link": settings.match_link_threshold, "review": settings.match_review_threshold},
        "methods": result.links["method"].value_counts().to_dict(),
    }, indent=2), encoding="utf-8")
    return MatchingReport(result, imported.imported, len(unreadable), workbook, summary, (dt.datetime.now() - started).total_seconds())
