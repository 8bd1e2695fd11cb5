"""The install lists its packages explicitly (the glue lives in plugins/, outside the source
tree); a package added or removed without updating pyproject.toml breaks a fresh install
while an old virtualenv keeps working, so this checks the list against the tree."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_transforms_package_is_installed_and_every_listed_package_exists():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "transforms").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert {p for p in listed if p.startswith("transforms")} - on_disk == set(), "remove these from pyproject.toml"
