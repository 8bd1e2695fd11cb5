"""Great Expectations Data Docs for a load attempt, written for the people who open them:
readable with no network (the CDN styles and scripts replaced by bundled copies,
``reference/data_docs/SOURCES.md``), every expectation with its rule code and reason, helper
columns shown under the column they check, and no failing value anywhere (``scrub_values``)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
from html import escape as html_escape
from pathlib import Path

from great_expectations.render.renderer import ValidationResultsPageRenderer
from great_expectations.render.renderer.content_block import ValidationResultsTableContentBlockRenderer
from great_expectations.render.view import DefaultJinjaPageView

from transforms.validation import ValidationOutcome, quiet_gx, scrub_values

log = logging.getLogger(__name__)

RULE_KEY, REASON_KEY, HELPER_KEY = "yj_rule", "yj_reason", "yj_helper"  # set on each result's meta for the page only
DATA_DOCS_ASSETS = Path(__file__).resolve().parent / "reference" / "data_docs"
DATA_DOCS_STATIC = "_static"  # beside the source folders in the Data Docs root, shared by every page
# The rendered page's CDN tags, replaced by the bundled copies (reference/data_docs/SOURCES.md).
_LOCAL_STYLES = ("bootstrap.min.css", "yj_data_docs.css")
_LOCAL_SCRIPTS = ("jquery.min.js", "bootstrap.bundle.min.js")
_EXTERNAL_ASSET = re.compile(r"""<link\b[^>]*\bhref=["']https?://[^>]*>|<script\b[^>]*\bsrc=["']https?://[^>]*>\s*</script>"""
                             r"""|<img\b[^>]*\bsrc=["']https?://[^>]*>""", re.I)
_REMOTE_CSS_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//[^)]*\)""", re.I)  # a background image in inline CSS
_SITE_LINK = re.compile(r"""(<link\b[^>]*rel=["']shortcut icon["'][^>]*>)|href=["'](?:\.\./)+([^"'#]*)["']""", re.I)



def docs_view(outcome: ValidationOutcome):
    """The kept suite result as the Data Docs page shows it: each expectation under the column a
    person knows (a helper column such as ``_child_id_resolves`` under ``child_id``), with its
    rule code and the reason the quarantine report or rejection gives (shown by ``RuleTableRenderer``)."""
    for r in outcome.gx_result.results:
        config = r.expectation_config
        meta = dict(config.meta or {})
        for key in ("column", "column_A"):
            name = config.kwargs.get(key)
            if isinstance(name, str) and name.startswith("_"):
                config.kwargs[key] = meta.get("column_label") or name.lstrip("_")
                meta[HELPER_KEY] = True  # a derived check: its "value set" {True} means nothing to a reader
        column = config.kwargs.get("column") or config.kwargs.get("column_A") or "row"
        template = meta.get("reason", config.type).replace(" '{value}'", " (value not shown)")
        try:
            reason = template.format(column=column, value="", observed="…")
        except (KeyError, IndexError, ValueError):
            reason = template
        meta[RULE_KEY], meta[REASON_KEY] = meta.get("rule", config.type), reason
        config.meta = meta
    return outcome.gx_result


class RuleTableRenderer(ValidationResultsTableContentBlockRenderer):
    """Great Expectations' validation table with two more columns: the rule code (as in the
    quarantine report and the audit) and the reason a failing row is given. (The library's own
    ``meta_properties_to_render`` is rejected by its 1.x expectation models.)"""

    @classmethod
    def _process_content_block(cls, content_block, has_failed_evr, render_object=None) -> None:
        super()._process_content_block(content_block, has_failed_evr, render_object)
        content_block.header_row = list(content_block.header_row) + ["Rule", "Reason given when it fails"]

    @classmethod
    def _get_content_block_fn(cls, expectation_type, expectation_config=None):
        row_fn = super()._get_content_block_fn(expectation_type=expectation_type, expectation_config=expectation_config)

        def row_with_rule(configuration=None, result=None, runtime_configuration=None, **kwargs):
            rows = row_fn(configuration=configuration, result=result, runtime_configuration=runtime_configuration,
                          **kwargs)
            meta = (result.expectation_config.meta or {}) if result is not None else {}
            for row in rows:
                if meta.get(HELPER_KEY) and len(row) > 1:
                    # Said as what the check means, not as the library's "values must belong to this set: True".
                    row[1] = f"Derived check: no row may fail it (it fails when {meta.get(REASON_KEY, '')})"
                row += [meta.get(RULE_KEY, ""), meta.get(REASON_KEY, "")]
            return rows

        return row_with_rule


_VENDOR_FOOTER = re.compile(r"<footer>.*?</footer>", re.S | re.I)
_RUN_FIELD = re.compile(r'(>Run (Name|Time)</div></td><td[^>]*><div class="show-scrollbars">)__none__(</div>)')


def _when(moment) -> str:
    """A validation time as a reader in England reads it (stored in UTC; SQLite returns it naive)."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return f"{aware.astimezone(ZoneInfo('Europe/London')):%d/%m/%Y %H:%M:%S} (Europe/London)"


def page_without_leftovers(html: str, validated_at, attempt: str | None) -> str:
    """No vendor newsletter footer, and the validation's time and attempt where the library
    shows "__none__" (the suites are run directly, not through a checkpoint with a run id)."""
    html = _VENDOR_FOOTER.sub("", html)
    shown = {"Time": _when(validated_at),
             "Name": f"load attempt {attempt}" if attempt else ""}
    html = _RUN_FIELD.sub(lambda m: m.group(1) + html_escape(shown[m.group(2)] or "not recorded") + m.group(3), html)
    return html.replace(" / __none__</li>", f" / {html_escape(shown['Name'] or 'not recorded')}</li>")


def offline_page(html: str, static: str) -> str:
    """A rendered Data Docs page that fetches nothing from the network: the CDN stylesheets and
    scripts Great Expectations links are replaced by the bundled copies in ``static`` (a path
    relative to the page), the remote logo is dropped and links into a Great Expectations site
    we do not build go to the run's index instead."""
    html = _REMOTE_CSS_URL.sub("none", _EXTERNAL_ASSET.sub("", html))
    html = _SITE_LINK.sub(lambda m: "" if m.group(1) else 'href="index.html"', html)
    local = "".join(f'<link rel="stylesheet" href="{static}/{name}">' for name in _LOCAL_STYLES)
    local += "".join(f'<script src="{static}/{name}"></script>' for name in _LOCAL_SCRIPTS)
    head_end = html.lower().find("</head>")
    return html[:head_end] + local + html[head_end:] if head_end >= 0 else local + html


def _copy_static(root: Path) -> Path:
    """The bundled assets in ``root/_static``, refreshed when a new release ships other bytes;
    each written beside and renamed into place, so a page opened meanwhile (or a load running
    at the same time) never sees half a file."""
    static = root / DATA_DOCS_STATIC
    static.mkdir(parents=True, exist_ok=True)
    for asset in DATA_DOCS_ASSETS.iterdir():
        target = static / asset.name
        if asset.suffix not in (".css", ".js") or (target.is_file() and target.read_bytes() == asset.read_bytes()):
            continue
        partial = static / f".{asset.name}.{os.getpid()}"
        shutil.copyfile(asset, partial)
        os.replace(partial, target)
    return static


def build_data_docs(outcomes: list[ValidationOutcome], folder: Path, title: str, *, docs_root: Path | None = None,
                    validated_at=None) -> Path:
    """Render each validation as a Great Expectations Data Docs page, with an index, readable
    with no network: styles and scripts come from ``<docs_root>/_static`` (copied once from the
    bundled assets; ``docs_root`` defaults to ``folder``), helper columns are shown under the
    column they check, and every expectation carries its rule code and reason."""
    quiet_gx()
    folder.mkdir(parents=True, exist_ok=True)
    static = os.path.relpath(_copy_static(docs_root or folder), folder).replace(os.sep, "/")
    renderer = ValidationResultsPageRenderer(column_section_renderer={
        "class_name": "ValidationResultsColumnSectionRenderer",
        "table_renderer": {"class_name": "RuleTableRenderer", "module_name": __name__}})
    view = DefaultJinjaPageView()
    links = []
    for i, outcome in enumerate(outcomes, start=1):
        scrub_values(outcome)
        if outcome.gx_result is None:
            continue
        page = f"{i:02d}_{outcome.suite}.html"
        try:
            rendered = page_without_leftovers(offline_page(view.render(renderer.render(docs_view(outcome))), static),
                                              validated_at, folder.name)
        except Exception as exc:  # the data is loaded by now: a page that cannot be drawn must not undo that
            log.error("Data Docs page for %s could not be rendered: %s", outcome.suite, type(exc).__name__)
            rendered = (f"<!doctype html><meta charset='utf-8'><p>The validation page for {html_escape(outcome.suite)} "
                        "could not be drawn; the quarantine report and the audit hold the results.</p>")
        (folder / page).write_text(rendered, encoding="utf-8")
        stats = outcome.gx_result.statistics
        status = "passed" if outcome.gx_result.success else "rows failed"
        failed_rules = sorted({r.expectation_config.meta[RULE_KEY]
                               for r in outcome.gx_result.results if not r.success})
        links.append(f'<tr><td><a href="{page}">{html_escape(outcome.suite)}</a></td><td>{status}</td>'
                     f'<td>{stats.get("successful_expectations")}/{stats.get("evaluated_expectations")}</td>'
                     f'<td>{outcome.failing_row_count}</td><td>{html_escape(", ".join(failed_rules)) or "-"}</td></tr>')
    index = folder / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>" + html_escape(title) + "</title>"
        f"<link rel='stylesheet' href='{static}/bootstrap.min.css'>"
        "<style>body{margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd}</style>"
        "</head><body><h1>" + html_escape(title) + "</h1><p>Great Expectations validation results"
        + (f", validated {_when(validated_at)}" if validated_at else "")
        + ". Failing values are never shown here; the quarantine report names the rows. "
        + (f"<a href='{os.path.relpath(docs_root / 'index.html', folder)}'>Every delivery</a>" if docs_root else "")
        + "</p><table class='table table-sm'><tr><th>Suite</th>"
        "<th>Result</th><th>Expectations met</th><th>Rows quarantined</th><th>Rules failed</th></tr>"
        + "".join(links) + "</table></body></html>",
        encoding="utf-8")
    if docs_root:
        write_docs_home(docs_root)
    return index


_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def write_docs_home(docs_root: Path) -> Path:
    """One index across every source and delivery: each attempt's validation index
    (``<source>/<delivery>/<attempt>/index.html``), newest first, written beside and renamed
    into place."""
    entries = []
    for index in docs_root.glob("*/*/*/index.html"):
        head = index.read_text(encoding="utf-8", errors="replace")[:2000]
        title = _TITLE.search(head)
        source, delivery, attempt = index.relative_to(docs_root).parts[:3]
        entries.append((index.stat().st_mtime, source, delivery, attempt, title.group(1) if title else delivery))
    rows = "".join(
        f"<tr><td>{html_escape(source)}</td><td><a href='{html_escape(f'{source}/{delivery}/{attempt}/index.html')}'>"
        f"{html_escape(delivery)}</a></td><td>{html_escape(attempt)}</td>"
        f"<td>{dt.datetime.fromtimestamp(mtime):%Y-%m-%d %H:%M}</td></tr>"
        for mtime, source, delivery, attempt, _ in sorted(entries, reverse=True))
    home = docs_root / "index.html"
    partial = docs_root / f".index.html.{os.getpid()}"
    partial.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Data Docs: every delivery</title>"
        f"<link rel='stylesheet' href='{DATA_DOCS_STATIC}/bootstrap.min.css'>"
        "<style>body{margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd}</style></head><body>"
        "<h1>Data Docs: every delivery</h1><p>The validation of every load attempt, newest first.</p>"
        "<table class='table table-sm'><tr><th>Source</th><th>Delivery</th><th>Attempt</th><th>Written</th></tr>"
        + rows + "</table></body></html>", encoding="utf-8")
    os.replace(partial, home)
    return home
