"""Layers that point one way, checked on the source (every import, at module level or inside a
function): reference data and the canonical model at the bottom, then the warehouse, then the
ingest protocol, then the domain (custody, education, matching, KPIs, marts, partnership, ...),
then the Airflow glue. A module may import its own layer or a lower one, never a higher one, and
no two modules import each other, directly or through others."""
from __future__ import annotations

import ast
from pathlib import Path

from transforms.settings import PROJECT_ROOT

# Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("reference and the canonical model", (
        "transforms.settings", "transforms.canonical", "transforms.local_authorities", "transforms.identifiers",
        "transforms.periods", "transforms.frames", "transforms.excel", "transforms.privacy")),
    ("warehouse", ("transforms.warehouse",)),
    ("ingest protocol", ("transforms.ingest", "transforms.validation", "transforms.data_docs", "transforms.reports")),
    ("domain", ("transforms.custody", "transforms.education", "transforms.matching", "transforms.kpis",
                "transforms.measures", "transforms.marts", "transforms.partnership", "transforms.sample",
                "transforms.notices", "transforms.rights")),
    ("Airflow glue", ("yj_airflow", "yj_timetables_plugin")),
]


def _layer(module: str) -> int | None:
    best = None
    for level, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (level, len(prefix))
    return best[0] if best else None


def _modules() -> dict[str, Path]:
    found = {}
    for root, strip in ((PROJECT_ROOT / "transforms", PROJECT_ROOT), (PROJECT_ROOT / "plugins", PROJECT_ROOT / "plugins")):
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(strip).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from a.b import c`` counts ``a.b.c`` when that is a module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                out.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in known}


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _modules() if m not in ("transforms", "yj_airflow") and _layer(m) is None)
    assert not unplaced, f"give these modules a layer in {__file__}: {unplaced}"


def test_no_layer_imports_a_higher_one():
    modules = _modules()
    upward = []
    for module, path in modules.items():
        level = _layer(module)
        for target in _imports(path, set(modules)):
            target_level = _layer(target)
            if level is not None and target_level is not None and target_level > level:
                upward.append(f"{module} ({LAYERS[level][0]}) imports {target} ({LAYERS[target_level][0]})")
    assert not upward, "\n".join(sorted(upward))


def test_no_import_circle():
    modules = _modules()
    graph = {m: _imports(p, set(modules)) - {m} for m, p in modules.items()}
    # A package's __init__ importing its own modules is not a circle worth naming.
    graph = {m: {t for t in targets if not m or not t.startswith(m + ".")} for m, targets in graph.items()}
    circles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join(stack[stack.index(target):] + [node, target]) if target in stack
                               else f"{node} -> {target}")
            elif target not in state:
                visit(target, stack + [node])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert not circles, "\n".join(circles)
