"""What has arrived in the landing folder, source by source (sources.md, layout)."""
from __future__ import annotations

from pathlib import Path

SOURCE_GLOBS = {
    "case_system": "case_system/*/manifest.json",
    "police_custody": "police_custody/custody_*.csv",
    "education": "education/*/*.csv",
    "ccis": "ccis/ccis_activity_*.csv",
    "board": "board/*.xlsx",
    "reference": "reference/*.csv",
}


def inventory_source(landing: Path, source: str) -> list[dict]:
    """File name, size and modification time of every file of a source (no content read)."""
    if source not in SOURCE_GLOBS:
        raise ValueError(f"unknown source '{source}' (known: {', '.join(SOURCE_GLOBS)})")
    found = []
    for path in sorted(Path(landing).glob(SOURCE_GLOBS[source])):
        stat = path.stat()
        found.append({"file": str(path.relative_to(landing)), "bytes": stat.st_size, "modified": stat.st_mtime})
    return found
