"""What ``docker compose build`` sends to the Docker engine: the files ``.dockerignore`` lets
through (Docker's rules: patterns in order, the last match wins, ``!`` lets a path back in, a
folder that matches takes its contents with it). No virtualenv, no data folder, no outputs, no
secrets, no .git; and everything the Dockerfile copies is there. Also: the data folder and
outputs are ignored by git."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEVER = (".venv/", "venv/", "data/", "var/", "output/", ".airflow/", ".git/", ".env", "__pycache__/")


def _rules(root: Path) -> list[tuple[bool, str]]:
    rules = []
    for line in (root / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, line.lstrip("!").strip("/")))
    return rules


def _matches(pattern: str, path: str) -> bool:
    """Docker's match: the pattern against the path or any folder above it; ``**`` any depth."""
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*") \
        .replace(r"\?", "[^/]")
    parts = path.split("/")
    return any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1))


def _excluded(rules, path: str) -> bool:
    excluded = False
    for negated, pattern in rules:
        if _matches(pattern, path):
            excluded = not negated
    return excluded


def build_context(root: Path) -> list[str]:
    """The context's files, skipping a folder only when no ``!`` rule could let anything under
    it back in (as Docker does; it keeps the walk out of .venv)."""
    rules = _rules(root)
    reinclude = [p for negated, p in rules if negated]
    files = []
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root).as_posix()
        rel = "" if rel == "." else rel + "/"
        keep = []
        for d in dirs:
            path = rel + d
            if _excluded(rules, path) and not any(p.startswith(path + "/") or _matches(p, path) for p in reinclude):
                continue
            keep.append(d)
        dirs[:] = keep
        files += [rel + n for n in names if not _excluded(rules, rel + n)]
    return sorted(files)


def _assert_nothing_personal_or_secret(files: list[str]):
    bad = [f for f in files if any(f.startswith(n) or f"/{n}" in f"/{f}" for n in NEVER)]
    assert not bad, bad[:20]


def test_the_matcher_follows_dockers_rules():
    rules = [(False, "*"), (False, "x"), (True, "plugins"), (False, "**/__pycache__")]
    assert _excluded(rules, ".venv/bin/python") and _excluded(rules, "data/landing/a.csv")
    assert not _excluded(rules, "plugins/yj_airflow/deploy.py")
    assert _excluded(rules, "plugins/yj_airflow/__pycache__/deploy.cpython-311.pyc")


def test_the_build_context_holds_what_the_image_needs_and_nothing_personal(tmp_path):
    # A checkout as an operator's looks after a few nights: data, outputs, a venv, secrets.
    for path in ["data/landing/police_custody/custody_20261123_0700.csv", "data/output/kpi/figures.csv",
                 ".venv/bin/python", "venv/lib/x.py", "var/landing/case_system/YJ_Children.csv",
                 "output/board.html", ".git/HEAD", ".env", "plugins/yj_airflow/__pycache__/a.pyc",
                 "transforms/__pycache__/b.pyc", ".airflow/airflow.db", "tests/unit/test_x.py"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    for path in [".dockerignore", "Dockerfile", "pyproject.toml", "constraints.txt", "README.md",
                 "deploy/airflow-init.sh", "dags/a.py", "plugins/yj_airflow/deploy.py", "transforms/a.py",
                 "expectations/s.json"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes((ROOT / path).read_bytes() if (ROOT / path).is_file() else b"x")
    files = build_context(tmp_path)
    _assert_nothing_personal_or_secret(files)
    assert {"pyproject.toml", "deploy/airflow-init.sh", "plugins/yj_airflow/deploy.py", "dags/a.py"} <= set(files)
    assert not [f for f in files if f.startswith("tests/")]


def test_this_checkouts_context_has_every_file_the_dockerfile_copies():
    files = build_context(ROOT)
    _assert_nothing_personal_or_secret(files)
    dockerfile = (ROOT / "Dockerfile").read_text()
    sources = [s for line in dockerfile.splitlines() if line.startswith("COPY ")
               for s in line.split()[1:-1] if not s.startswith("--")]
    assert sources
    for source in sources:
        assert any(f == source or f.startswith(source.rstrip("/") + "/") for f in files), f"{source} not in context"


@pytest.mark.parametrize("path", ["data/landing/police_custody/custody_20261123_0700.csv", "data/output/a.xlsx",
                                  "output/board.html", "var/x", ".env", "extract.hyper"])
def test_git_ignores_the_data_folder_outputs_and_secrets(path):
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
    assert result.returncode == 0, f"git would track {path}"
