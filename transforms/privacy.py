"""Small-number suppression for anything shared beyond the BI team, in one place."""
from __future__ import annotations

import pandas as pd

SUPPRESSION_THRESHOLD = 5  # counts from 1 to 4 are shown as "<5"


def suppress_small_numbers(frame: pd.DataFrame, columns: list[str], threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """Counts above 0 and below ``threshold`` become the text "<threshold" (zeros stay: a
    true zero discloses nothing about a child)."""
    out = frame.copy()
    for col in columns:
        out[col] = out[col].astype(object).map(lambda v: f"<{threshold}" if isinstance(v, (int, float)) and 0 < v < threshold else v)
    return out
