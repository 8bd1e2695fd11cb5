"""The independent corpus (tests/corpus/, built from the spec by someone who never saw the
loaders) through the real loads: no traceback, the outcome the spec implies, every row loaded
or quarantined, the previous data live when a delivery is not accepted, a rerun changes
nothing, and no personal value in any message, audit row, report or log."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.corpus.build import build_corpus
from tests.integration.ingest_harness import audit, live_state, run_source, settings_for, visible_text

# About 15 minutes for all its cases: run by `make test-corpus`, not by `make test` (see README, Tests).
pytestmark = [pytest.mark.integration, pytest.mark.corpus]

_CORPUS: dict[str, Path] = {}


def _corpus_root(tmp_path_factory) -> Path:
    if "root" not in _CORPUS:
        root = tmp_path_factory.mktemp("corpus")
        build_corpus(root)
        _CORPUS["root"] = root
    return _CORPUS["root"]


def _case_ids() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [c["case"] for c in build_corpus(Path(tmp))]


@pytest.mark.parametrize("case_id", _case_ids())
def test_corpus_case(case_id, tmp_path_factory, tmp_path):
    case = _corpus_root(tmp_path_factory) / case_id
    expect = json.loads((case / "expect.json").read_text())
    source = expect["source"]
    work = tmp_path / "work"
    shutil.copytree(case, work, symlinks=True)
    before_state = None
    if (work / "before" / "landing").exists():
        before = run_source(source, settings_for(tmp_path, work / "before" / "landing"))
        assert any(r.outcome == "LOADED" for r in before.reports), [r.summary() for r in before.reports]
        before_state = live_state(settings_for(tmp_path, work / "landing"), source)
    settings = settings_for(tmp_path, work / "landing")

    run = run_source(source, settings)  # any exception other than a report fails here: a traceback
    outcomes = [r.outcome for r in run.reports]
    loaded = [r for r in run.reports if r.outcome == "LOADED"]
    # The same bytes as a delivery already loaded (a re-send): the data is loaded, nothing to do.
    settled = [r for r in run.reports if r.outcome in ("ALREADY_LOADED", "DUPLICATE")]
    rejected = [r for r in run.reports if r.outcome in ("REJECTED", "FAILED")]
    deliveries, _ = audit(settings)
    assert "FAILED" not in outcomes and "FAILED" not in set(deliveries["outcome"]), run.reports

    wanted = expect["outcome"]
    summary = [r.summary() for r in run.reports]
    if wanted == "LOADED":
        assert (loaded or settled) and not rejected and all(r.quarantined == 0 for r in loaded), summary
    elif wanted == "LOADED_WITH_QUARANTINE":
        assert loaded and not rejected, summary
        assert sum(r.quarantined for r in loaded) >= max(1, expect.get("min_quarantined") or 1), summary
    elif wanted == "REJECTED":
        assert rejected and not loaded, summary
        assert all(r.reason and "\n" not in r.reason for r in rejected)
    elif wanted == "NOT_A_DELIVERY":
        assert not loaded, summary
        assert "NOT_A_DELIVERY" in set(deliveries["outcome"]) or "NOT_A_DELIVERY" in outcomes, summary
    else:  # LOADED_OR_REJECTED: any settled, explained outcome
        assert loaded or settled or rejected or "NOT_A_DELIVERY" in set(deliveries["outcome"]), summary

    # Every row given is loaded or quarantined (per table, checked by the load; in total here).
    for r in loaded:
        assert all(c.read == c.loaded + c.quarantined for c in r.counts.values())
    if wanted in ("LOADED", "LOADED_WITH_QUARANTINE") and source != "police_custody":
        given = sum(expect["rows_given"].values())
        assert sum(r.read for r in loaded) == given, (summary, expect["rows_given"])

    if before_state is not None and expect["previous_stays_live"] and not loaded:
        assert live_state(settings, source) == before_state

    # A rerun changes nothing in the live data.
    state = live_state(settings, source)
    again = run_source(source, settings)
    assert not [r for r in again.reports if r.outcome == "LOADED"], [r.summary() for r in again.reports]
    assert live_state(settings, source) == state

    text = visible_text(settings, run) + visible_text(settings, again)
    leaked = [p for p in expect["pii"] if p and p in text]
    assert not leaked, f"personal data in messages: {len(leaked)} value(s)"
