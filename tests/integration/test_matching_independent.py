"""The matching measured on the independent record set (tests/independent/, written from
the spec by a separate generator that cannot see our code), at a CI size: the issue 14
targets must hold, through the real loads and the real matching run."""
from __future__ import annotations

import pytest

from benchmarks.matching import independent_set
from transforms.matching.quality import TARGETS

pytestmark = pytest.mark.integration


def test_independent_set_meets_the_matching_targets(tmp_path):
    result = independent_set(tmp_path / "independent", children=1200, seed=11)
    q = result.quality
    assert q.true_links > 200 and q.case_children > 200, "the set is too small to say anything"
    assert q.precision >= TARGETS["precision"], q.lines()
    assert q.recall >= TARGETS["recall"], q.lines()
    assert q.recall_after_review >= TARGETS["recall_after_review"], q.lines()
    assert q.review_share <= TARGETS["review_share"], q.lines()
    assert not q.relatives_merged.get("twin"), q.lines()
    assert not q.relatives_merged.get("lookalike"), q.lines()  # no namesake linked
