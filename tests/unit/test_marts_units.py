"""Exact intervals, the generated data dictionary, and the board pack's suppression and charts."""
from __future__ import annotations

import math

import pytest

from transforms.marts import stats
from transforms.marts.charts import line_chart, relative_rate_chart
from transforms.marts.build import dictionary_markdown
from transforms.privacy import DisclosureControl
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
    assert (PROJECT_ROOT / "docs" / "reference" / "data_dictionary.md").read_text(encoding="utf-8") == dictionary_markdown()


@pytest.mark.parametrize("threshold", [5, 10])
def test_small_counts_are_suppressed_at_the_configured_threshold(threshold):
    import numpy as np
    import pandas as pd

    control = DisclosureControl(threshold)
    for n in [0, *range(1, threshold), threshold, 12345]:
        control.cell(str(n), np.int64(n))
    control.cell("missing", pd.NA)
    control.protect()
    assert control.text("0") == "0"  # a true zero discloses nothing
    assert [control.text(str(n)) for n in range(1, threshold)] == [f"&lt;{threshold}"] * (threshold - 1)
    assert control.text(str(threshold)) == str(threshold) and control.text("12345") == "12,345"
    assert control.text("missing") == "no data" and control.hidden == threshold - 1


def test_charts_are_self_contained_svg_with_gaps_for_suppressed_points():
    plain = line_chart(["24Q1", "24Q2"], [3.0, 5.0], title="counts")
    assert "as returned" not in plain and "recomputed" not in plain  # only the return's figures carry that mark
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
