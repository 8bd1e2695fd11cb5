"""One place for every setting. Values come from environment variables (in production the
Airflow glue in ``yj_airflow.config`` fills them from Airflow connections and variables);
the defaults give the embedded setup: a SQLite warehouse file and folders under ``var/``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
EXPECTATIONS_DIR = Path(os.environ.get("YJ_EXPECTATIONS_DIR", PROJECT_ROOT / "expectations"))


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    landing_dir: Path
    output_dir: Path
    raw_archive_dir: Path
    service_name: str
    service_areas: tuple[str, ...]
    timezone: str = "Europe/London"
    csv_chunk_rows: int = 50_000
    # Matching (issue 5): pairs at or above ``match_link_threshold`` link automatically;
    # pairs between the two thresholds go to the review list; below, no link.
    match_link_threshold: float = 0.99
    match_review_threshold: float = 0.80
    # Anything shared beyond the BI team (board pack, shared remand figures) shows counts
    # from 1 to this minus one as "<N".
    suppression_threshold: int = 5
    # Issue 15: how long a load, matching run or marts rebuild waits for another job writing
    # the same tables before it stops (transforms/warehouse/locks.py).
    lock_wait_seconds: float = 1800

    @property
    def service_slug(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.service_name.lower()).strip("_")

    def with_overrides(self, **changes) -> "Settings":
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("landing_dir", "output_dir", "raw_archive_dir"):
            if key in changes:
                changes[key] = Path(changes[key]).resolve()
        return replace(self, **changes)


def load_settings() -> Settings:
    var = Path(_env("YJ_VAR_DIR", str(PROJECT_ROOT / "var")))
    return Settings(
        warehouse_url=_env("YJ_WAREHOUSE_URL", f"sqlite:///{var / 'warehouse.sqlite'}"),
        landing_dir=Path(_env("YJ_LANDING_DIR", str(var / "landing"))).resolve(),
        output_dir=Path(_env("YJ_OUTPUT_DIR", str(var / "output"))).resolve(),
        raw_archive_dir=Path(_env("YJ_RAW_ARCHIVE_DIR", str(var / "raw"))).resolve(),
        service_name=_env("YJ_SERVICE_NAME", "Leicestershire"),
        service_areas=tuple(a.strip().upper() for a in _env("YJ_SERVICE_AREAS", "LEICESTERSHIRE,RUTLAND").split(",") if a.strip()),
        timezone=_env("YJ_TIMEZONE", "Europe/London"),
        csv_chunk_rows=int(_env("YJ_CSV_CHUNK_ROWS", "50000")),
        match_link_threshold=float(_env("YJ_MATCH_LINK_THRESHOLD", "0.99")),
        match_review_threshold=float(_env("YJ_MATCH_REVIEW_THRESHOLD", "0.80")),
        suppression_threshold=int(_env("YJ_SUPPRESSION_THRESHOLD", "5")),
        lock_wait_seconds=float(_env("YJ_LOCK_WAIT_SECONDS", "1800")),
    )
