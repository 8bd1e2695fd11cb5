"""Every relative link in the README and under docs/ points at a file or folder that exists (and
an anchor, where given, at a heading of that file): a moved document never leaves a dead link."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from transforms.settings import PROJECT_ROOT

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_CODE_BLOCK = re.compile(r"```.*?```", re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def _documents() -> list[Path]:
    return [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]


def _anchor(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(line.lstrip("#")) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_relative_link_resolves(document):
    text = _CODE_SPAN.sub("", _CODE_BLOCK.sub("", document.read_text(encoding="utf-8")))
    dead = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            dead.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            dead.append(target)
    assert not dead, f"{document.relative_to(PROJECT_ROOT)}: dead links {dead}"
