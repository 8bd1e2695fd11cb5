"""The one report and the one rejection every load returns or raises, whatever the source."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DeliveryRejected(Exception):
    """The delivery (or file) as a whole cannot be loaded; the message says why in one line,
    without personal data, and the previous data stays live."""


@dataclass
class TableCount:
    read: int = 0
    loaded: int = 0
    quarantined: int = 0

    def reconciles(self) -> bool:
        return self.read == self.loaded + self.quarantined


# Outcomes: LOADED (quarantined rows, if any, are in the counts), REJECTED (reason), DUPLICATE
# (the same bytes as a loaded delivery), ALREADY_LOADED (a rerun: nothing to do), NOT_A_DELIVERY
# (a name that does not follow the contract), NO_DELIVERY (nothing in the landing folder).
@dataclass
class IngestReport:
    source: str
    delivery_id: str | None
    outcome: str
    reason: str = ""
    counts: dict[str, TableCount] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    validations: list[Any] = field(default_factory=list)
    attempt_id: str | None = None
    extracted_at: Any = None
    touched: list[str] = field(default_factory=list)  # keys changed (custody: the detentions)
    # Earlier deliveries of the same source taken (or superseded) in the same run, oldest first:
    # a backlog of dated snapshots, each with its own audit row and report.
    backlog: list["IngestReport"] = field(default_factory=list)

    @property
    def file_name(self) -> str | None:
        return self.delivery_id

    @property
    def read(self) -> int:
        return sum(c.read for c in self.counts.values())

    @property
    def loaded(self) -> int:
        return sum(c.loaded for c in self.counts.values())

    @property
    def quarantined(self) -> int:
        return sum(c.quarantined for c in self.counts.values())

    @property
    def failed(self) -> bool:
        return self.outcome in ("REJECTED", "NOT_A_DELIVERY", "FAILED")

    @property
    def all_reports(self) -> list["IngestReport"]:
        """This report and the earlier deliveries taken in the same run, oldest first."""
        return [*self.backlog, self]

    @property
    def published(self) -> bool:
        """Whether this run loaded anything (the newest delivery or one from the backlog)."""
        return any(r.outcome == "LOADED" for r in self.all_reports)

    def summary(self) -> str:
        """One line for logs and ``yj run``: the outcome, the delivery, the counts or the reason."""
        head = f"{self.source} {self.outcome}: {self.delivery_id or '-'}"
        if self.outcome == "LOADED":
            return (f"{head} read {self.read:,} rows, loaded {self.loaded:,}, quarantined {self.quarantined:,}"
                    f" ({self.seconds:.1f}s)")
        return f"{head} - {self.reason}" if self.reason else head
