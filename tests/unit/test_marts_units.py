"""Exact intervals and the generated data dictionary."""
from __future__ import annotations

import math

import pytest

from transforms.marts import stats
from transforms.marts.build import dictionary_markdown
from transforms.settings import PROJECT_ROOT


def test_exact_poisson_interval_matches_published_values():
    # Garwood 95% limits for 0 and 5 events (e.g. Ulm 1990 tables): 0-3.689 and 1.623-11.668.
    assert stats.poisson_rate_interval(0, 1000) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert stats.poisson_rate_interval(5, 1000) == pytest.approx((1.623, 11.668), abs=1e-3)


def test_rate_ratio_interval_is_exact_and_flags_only_clear_differences():
    rr, low, high = stats.rate_ratio_interval(12, 200, 117, 8320)
    assert rr == pytest.approx((12 / 200) / (117 / 8320))
    assert 1 < low < rr < high
    assert stats.flag(low, high) == "OVER_REPRESENTED"
    rr, low, high = stats.rate_ratio_interval(1, 120, 117, 8320)  # one child: wide interval, no flag
    assert low < 1 < high and stats.flag(low, high) == "NOT_SIGNIFICANT"
    assert stats.flag(*stats.rate_ratio_interval(3, 100, 0, 100)[1:]) == "NOT_ASSESSED"
    assert math.isnan(stats.rate_ratio_interval(3, 100, 0, 100)[0])


def test_the_committed_data_dictionary_is_the_generated_one():
    assert (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8") == dictionary_markdown()
