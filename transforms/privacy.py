"""Small-number suppression for anything shared beyond the BI team, in one place: the
shared remand figures and the board pack both use it."""
from __future__ import annotations

import numbers

import pandas as pd

SUPPRESSION_THRESHOLD = 5  # counts from 1 to 4 are shown as "<5" (settings.suppression_threshold)


def is_small_count(n, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """A count that could identify a child: above 0 and below ``threshold``. A true zero
    discloses nothing about anyone, so it is shown."""
    return isinstance(n, numbers.Real) and not isinstance(n, bool) and not pd.isna(n) and 0 < n < threshold


def suppress_small_numbers(frame: pd.DataFrame, columns: list[str], threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """Small counts (``is_small_count``) in ``columns`` become the text "<threshold"."""
    out = frame.copy()
    for col in columns:
        out[col] = out[col].astype(object).map(lambda v: f"<{threshold}" if is_small_count(v, threshold) else v)
    return out


class Suppressor:
    """For pages built cell by cell (the board pack): small counts become "<threshold" (HTML
    escaped), shares of small groups are withheld, and every hidden cell is counted so the
    page can say how many it hid."""

    def __init__(self, threshold: int = SUPPRESSION_THRESHOLD):
        self.threshold = threshold
        self.hidden = 0

    def is_small(self, n) -> bool:
        return is_small_count(n, self.threshold)

    def hide(self, n) -> bool:
        """True (and counted) when ``n`` must not be shown."""
        small = self.is_small(n)
        self.hidden += small
        return small

    def count(self, n) -> str:
        if n is None or pd.isna(n):
            return "–"
        return f"&lt;{self.threshold}" if self.hide(n) else f"{int(n):,}"

    def share(self, numerator, denominator) -> str:
        if not denominator:
            return "–"
        if self.hide(denominator):
            return "withheld (small numbers)"
        return f"{100 * numerator / denominator:.1f}%"
