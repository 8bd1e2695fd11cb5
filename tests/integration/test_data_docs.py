"""Data Docs a person can open on a machine with no network (issue 17 item 6): deliveries from
the independent corpus (tests/corpus/, built from the spec, not by our generator) loaded by the
real loads, and every page they produce checked for what it fetches, what it shows and what it
must not show."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.integration.ingest_harness import built_corpus, run_source, settings_for
from transforms.data_docs import DATA_DOCS_STATIC, offline_page
from transforms.settings import EXPECTATIONS_DIR

pytestmark = pytest.mark.integration

# A case per source whose delivery loads with rows quarantined by helper-column rules
# (a parent that does not resolve, a UPN check letter), so the pages have failures to show.
CASES = {"cs-corepl-orphan-rows": "case_system", "edu-upn-bad-check-letter": "education",
         "custody-impossible-dob": "police_custody", "ccis-unknown-activity-code": "ccis"}

# Anything a browser fetches by itself: stylesheets, scripts, images, frames, CSS url(...).
_FETCHED = re.compile(r"""<(?:link|script|img|iframe|source)\b[^>]*\b(?:href|src)\s*=\s*["']([^"']+)["']"""
                      r"""|url\(\s*["']?([^"')]+)""", re.I)


def _fetched(html: str) -> list[str]:
    return [a or b for a, b in _FETCHED.findall(html)]


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Path]:
    """Each case's Data Docs folder, after its real load."""
    root, _ = built_corpus()
    folders = {}
    for case, source in CASES.items():
        work = tmp_path_factory.mktemp(case)
        shutil.copytree(root / case / "landing", work / "landing", symlinks=True)
        settings = settings_for(work, work / "landing")
        run = run_source(source, settings)
        assert [r.outcome for r in run.reports if r.outcome == "LOADED"], [r.summary() for r in run.reports]
        assert sum(r.quarantined for r in run.reports) > 0, case
        index = [p for p in run.outputs if p.name == "index.html"]
        assert len(index) == 1, run.outputs
        folders[case] = index[0].parent
    return folders


def test_no_page_fetches_anything_from_the_network(docs):
    for case, folder in docs.items():
        pages = sorted(folder.glob("*.html"))
        assert len(pages) >= 2, case  # the index and at least one suite page
        for page in pages:
            html = page.read_text(encoding="utf-8")
            fetched = _fetched(html)
            remote = [u for u in fetched if re.match(r"(?:https?:)?//", u)]
            assert not remote, (case, page.name, remote)
            for url in fetched:  # and what it fetches locally is there
                assert (page.parent / url).resolve().is_file(), (case, page.name, url)
            if page.name != "index.html":
                assert f"{DATA_DOCS_STATIC}/bootstrap.min.css" in html and f"{DATA_DOCS_STATIC}/jquery.min.js" in html


def test_every_expectation_shows_its_rule_code_and_no_helper_column(docs):
    for case, folder in docs.items():
        for page in sorted(folder.glob("[0-9]*.html")):
            suite = page.stem.split("_", 1)[1]
            html = page.read_text(encoding="utf-8")
            text = re.sub(r"<[^>]+>", " ", html)
            expectations = json.loads((EXPECTATIONS_DIR / f"{suite}.json").read_text())["expectations"]
            rules = {e["meta"]["rule"] for e in expectations}
            missing = {r for r in rules if not re.search(rf"\b{re.escape(r)}\b", text)}
            assert not missing, (case, suite, missing)
            assert "Observed Value Rule Reason given when it fails" in re.sub(r"\s+", " ", text), (case, suite)
            helpers = {e["kwargs"]["column"] for e in expectations if str(e["kwargs"].get("column", "")).startswith("_")}
            shown = {h for h in helpers if h in text}
            assert not shown, (case, suite, shown)


def _rule_of(suite: str, helper_column: str) -> str:
    expectations = json.loads((EXPECTATIONS_DIR / f"{suite}.json").read_text())["expectations"]
    [rule] = [e["meta"]["rule"] for e in expectations if e["kwargs"].get("column") == helper_column]
    return rule


def test_the_index_names_the_rules_that_failed(docs):
    """The case's episode and offence name children who are not in the delivery: their suites'
    "child resolves" rules are the ones the index lists as failed."""
    html = (docs["cs-corepl-orphan-rows"] / "index.html").read_text(encoding="utf-8")
    failed = {re.search(r">case_system\.(\w+)<", row).group(1): row for row in re.findall(r"<tr>.*?</tr>", html)
              if "rows failed" in row}
    assert set(failed) == {"episode", "offence"}, html
    for table, row in failed.items():
        assert _rule_of(f"case_system.{table}", "_child_id_resolves") in row


def test_offline_page_replaces_every_cdn_tag_and_keeps_the_content():
    html = ("<html><head><meta charset='utf-8'>"
            "<link rel=\"stylesheet\" href=\"https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css\"/>"
            "<link rel='stylesheet' href='https://cdnjs.cloudflare.com/x/all.min.css'>"
            "<link rel=\"shortcut icon\" href=\"../../../../static/images/favicon.ico\" type=\"image/x-icon\"/>"
            "<script src=\"https://code.jquery.com/jquery-3.7.1.min.js\"></script>"
            "<script src=\"https://cdn.jsdelivr.net/npm/vega@5\" crossorigin=\"anonymous\"></script>"
            "<style>.logo { background: url('https://example.org/logo_dark.png') 0 0 no-repeat; }</style>"
            "</head><body><img src=\"https://example.org/logo.png?d=1\">"
            "<a href=\"../../../../../index.html\">Home</a><p>content kept</p></body></html>")
    page = offline_page(html, "../_static")
    assert not [u for u in _fetched(page) if u.startswith("http")]
    assert "favicon" not in page and "content kept" in page and 'href="index.html"' in page
    assert page.index("_static/jquery.min.js") < page.index("</head>")


def test_pages_say_what_helper_checks_mean_when_they_ran_and_carry_no_vendor_footer(docs):
    for case, folder in docs.items():
        for page in sorted(folder.glob("[0-9]*.html")):
            html = page.read_text(encoding="utf-8")
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
            assert "values must belong to this set: True" not in text, (case, page.name)
            assert "newsletter" not in html.lower(), (case, page.name)
            assert "__none__" not in text, (case, page.name)
            assert re.search(r"Run Time \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(Europe/London\)", text), (case, page.name)
            if "_key_unique" in (EXPECTATIONS_DIR / f"{page.stem.split('_', 1)[1]}.json").read_text():
                assert "Derived check: no row may fail it" in text, (case, page.name)


def test_one_index_lists_every_source_and_delivery(docs):
    roots = {folder.parents[2] for folder in docs.values()}
    for root in roots:
        home = (root / "index.html").read_text(encoding="utf-8")
        for index in root.glob("*/*/*/index.html"):
            source, delivery, attempt = index.relative_to(root).parts[:3]
            assert f"{source}/{delivery}/{attempt}/index.html" in home
            assert "Every delivery" in index.read_text(encoding="utf-8")
