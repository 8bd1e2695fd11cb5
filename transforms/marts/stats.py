"""Exact intervals for small counts (disproportionality).

Counts of children at a stage are small, so normal approximations mislead: these are the
exact (Garwood) Poisson interval for a rate and the exact interval for a ratio of two
Poisson rates, from the Clopper-Pearson interval of the conditional binomial
(k1 given k1 + k0 is binomial with p = RR * n1 / (RR * n1 + n0)).
"""
from __future__ import annotations

import math

from scipy.stats import beta, chi2

CONFIDENCE = 0.95


def poisson_rate_interval(count: int, population: float, per: float = 1000, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact interval for ``count / population * per``."""
    if not population:
        return (math.nan, math.nan)
    a = 1 - confidence
    low = 0.0 if count == 0 else chi2.ppf(a / 2, 2 * count) / 2
    high = chi2.ppf(1 - a / 2, 2 * count + 2) / 2
    return (low / population * per, high / population * per)


def rate_ratio_interval(k1: int, n1: float, k0: int, n0: float, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Relative rate of group 1 against group 0 with its exact interval."""
    if not n1 or not n0 or k0 == 0:
        return (math.nan, math.nan, math.nan)
    rr = (k1 / n1) / (k0 / n0)
    a = 1 - confidence
    total = k1 + k0
    p_low = 0.0 if k1 == 0 else beta.ppf(a / 2, k1, total - k1 + 1)
    p_high = 1.0 if k1 == total else beta.ppf(1 - a / 2, k1 + 1, total - k1)
    to_rr = lambda p: (p / (1 - p)) * (n0 / n1) if p < 1 else math.inf  # noqa: E731
    return (rr, to_rr(p_low), to_rr(p_high))


def flag(low: float, high: float) -> str:
    """Over or under-represented only when the whole interval is on one side of 1."""
    if math.isnan(low) or math.isnan(high):
        return "NOT_ASSESSED"
    if low > 1:
        return "OVER_REPRESENTED"
    if high < 1:
        return "UNDER_REPRESENTED"
    return "NOT_SIGNIFICANT"
