"""The independent corpus (tests/corpus/, built from the spec by someone who never saw the
loaders) through the real loads: no traceback, the outcome the spec implies, every row loaded
or quarantined, the previous data live when a delivery is not accepted, a rerun changes
nothing, and no personal value in any message, audit row, report or log.

Part of `make test` (docs/developers/tests-and-benchmarks.md). To keep it to a few minutes the
corpus is built once per session, and each distinct before/ delivery is loaded once per session: its warehouse, raw
archive and outputs are copied into every case that starts from it, so a case pays only for
its own delivery (tests/integration/ingest_harness.py, ``BeforeCache``)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.ingest_harness import (
    BeforeCache, audit, built_corpus, live_state, rows_read_when_loaded, run_source, settings_for, visible_text,
)

pytestmark = [pytest.mark.integration, pytest.mark.corpus]

CORPUS_ROOT, CASES = built_corpus()


@pytest.fixture(scope="session")
def before_cache(tmp_path_factory) -> BeforeCache:
    return BeforeCache(tmp_path_factory.mktemp("corpus-before"))


@pytest.mark.parametrize("case_id", [c["case"] for c in CASES])
def test_corpus_case(case_id, before_cache, tmp_path):
    case = CORPUS_ROOT / case_id
    expect = json.loads((case / "expect.json").read_text())
    source = expect["source"]
    work = tmp_path / "work"
    shutil.copytree(case, work, symlinks=True)
    before_state = None
    if (work / "before" / "landing").exists():
        # The before/ delivery loaded (asserted LOADED when first loaded), its warehouse copied here.
        before_state = before_cache.load_into(source, work / "before" / "landing", tmp_path)
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
        # A re-send of a loaded delivery is settled, not loaded again: its rows were read then.
        read = sum(r.read for r in loaded) + sum(rows_read_when_loaded(settings, source, r.delivery_id)
                                                 for r in settled if r.outcome == "ALREADY_LOADED")
        assert read == given, (summary, expect["rows_given"])

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
