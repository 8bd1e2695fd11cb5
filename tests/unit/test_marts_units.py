"""Exact intervals, the generated data dictionary, and the board pack's suppression and charts."""
from __future__ import annotations

import math

import pytest

from transforms.marts import stats
from transforms.marts.charts import line_chart, relative_rate_chart
from transforms.marts.build import dictionary_markdown
from transforms.privacy import Suppressor
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


@pytest.mark.parametrize("threshold", [5, 10])
def test_small_counts_and_shares_of_small_groups_are_suppressed(threshold):
    suppress = Suppressor(threshold)
    assert suppress.count(0) == "0"  # a true zero discloses nothing
    assert [suppress.count(n) for n in range(1, threshold)] == [f"&lt;{threshold}"] * (threshold - 1)
    assert suppress.count(threshold) == str(threshold) and suppress.count(12345) == "12,345"
    assert suppress.share(1, threshold - 1) == "withheld (small numbers)"
    assert suppress.share(3, 20) == "15.0%"
    assert suppress.share(0, 0) == "–"
    assert suppress.hidden == threshold  # every hidden cell is counted, for the page's note


def test_shared_tables_use_the_same_rule_and_threshold():
    import numpy as np
    import pandas as pd

    assert Suppressor(10).count(np.int64(9)) == "&lt;10" and Suppressor().count(pd.NA) == "–"


def test_charts_are_self_contained_svg_with_gaps_for_suppressed_points():
    line = line_chart(["24Q1", "24Q2", "24Q3", "24Q4"], [40.0, "<5", None, 55.5], unit="%", title="KPI",
                      recomputed=[True, False, False, False])
    assert line.startswith("<svg") and "<script" not in line and "href" not in line
    assert "<polyline" not in line  # no line is drawn across the hidden or missing quarters
    assert line.count("<circle") == 2 and "55.5%" in line
    # Hidden, missing and recomputed are each drawn their own way, and the legend says which is which.
    assert "24Q2: &lt;5 (hidden to protect children)" in line and "24Q3: no data" in line
    assert 'fill="#fff" stroke="#1f5f8b"' in line and "recomputed from today" in line and "no data: not covered" in line
    rr = relative_rate_chart([{"group": "Black", "relative_rate": 2.5, "low": 1.2, "high": 4.8, "flag": "OVER_REPRESENTED"},
                              {"group": "Girls", "relative_rate": None, "note": "small numbers"}])
    assert "#b3261e" in rr and "small numbers" in rr and rr.count("<circle") == 1
