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
    # Ingest (issue 17): supplier mapping files are read from this folder (a volume in
    # production, so a new supplier needs no image rebuild).
    mappings_dir: Path = REFERENCE_DIR / "mappings"
    # Table-level rules that protect live data: a delivery is rejected when more than this share
    # of a table's rows is quarantined (per table: ``max_quarantined_share_by_table``), or when a
    # table would shrink by more than ``max_shrink_share`` compared with the live one.
    max_quarantined_share: float = 0.5
    max_quarantined_share_by_table: tuple[tuple[str, float], ...] = ()
    max_shrink_share: float = 0.5
    # Issue 15: how long a load, matching run or marts rebuild waits for another job writing
    # the same tables before it stops (transforms/warehouse/locks.py).
    lock_wait_seconds: float = 1800
    # Partnership (issue 16): the file listing several services; None is one service from
    # service_name and service_areas (transforms/partnership/config.py).
    partnership_file: Path | None = None
    # The service these settings are for, in a partnership (scope.service_settings); its id names
    # the service's output files. None: one service, named by service_name.
    service_id: str | None = None

    def quarantined_share_limit(self, table: str) -> float:
        return dict(self.max_quarantined_share_by_table).get(table, self.max_quarantined_share)

    @property
    def service_slug(self) -> str:
        if self.service_id:
            return self.service_id
        return name_slug(self.service_name)

    def with_overrides(self, **changes) -> "Settings":
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("landing_dir", "output_dir", "raw_archive_dir", "mappings_dir", "partnership_file"):
            if key in changes:
                changes[key] = Path(changes[key]).resolve()
        return replace(self, **changes)


def name_slug(name: str) -> str:
    """A name as it appears in file names: lower case, anything but letters and digits an underscore."""
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def embedded_warehouse_url() -> str:
    """The embedded default warehouse: the only one created on first use (issue 12)."""
    return f"sqlite:///{Path(_env('YJ_VAR_DIR', str(PROJECT_ROOT / 'var'))) / 'warehouse.sqlite'}"


def default_raw_archive_dir(warehouse_url: str, var: Path) -> Path:
    """Where the raw archive goes when ``YJ_RAW_ARCHIVE_DIR`` does not say: beside a SQLite
    warehouse file (so each warehouse keeps its own deliveries' bytes, whatever folder a command
    is run from), else under the var folder."""
    if warehouse_url.startswith("sqlite:///") and warehouse_url.removeprefix("sqlite:///") not in ("", ":memory:"):
        return Path(warehouse_url.removeprefix("sqlite:///")).resolve().parent / "raw"
    return var / "raw"


def output_folder_problem(path: Path) -> str | None:
    """Why nothing could be written under ``path`` (one line), or None when it can: checked
    before a load publishes anything, so a report is never lost to a wrong ``--out``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"the output folder {path} is a file, not a folder (check --out or YJ_OUTPUT_DIR)"
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"the output folder {path} cannot be made: {existing} is a file (check --out or YJ_OUTPUT_DIR)"
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".yj-write-check-"):
            pass
    except OSError as exc:
        return (f"the output folder {path} cannot be written ({exc.strerror or type(exc).__name__.lower()}"
                f"{'' if existing == path else f' in {existing}'}; check --out or YJ_OUTPUT_DIR)")
    return None


def load_settings() -> Settings:
    var = Path(_env("YJ_VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    warehouse_url = _env("YJ_WAREHOUSE_URL", embedded_warehouse_url())
    return Settings(
        warehouse_url=warehouse_url,
        landing_dir=Path(_env("YJ_LANDING_DIR", str(var / "landing"))).resolve(),
        output_dir=Path(_env("YJ_OUTPUT_DIR", str(var / "output"))).resolve(),
        raw_archive_dir=Path(_env("YJ_RAW_ARCHIVE_DIR", str(default_raw_archive_dir(warehouse_url, var)))).resolve(),
        service_name=_env("YJ_SERVICE_NAME", "Leicestershire"),
        service_areas=tuple(a.strip().upper() for a in _env("YJ_SERVICE_AREAS", "LEICESTERSHIRE,RUTLAND").split(",") if a.strip()),
        timezone=_env("YJ_TIMEZONE", "Europe/London"),
        csv_chunk_rows=int(_env("YJ_CSV_CHUNK_ROWS", "50000")),
        match_link_threshold=float(_env("YJ_MATCH_LINK_THRESHOLD", "0.99")),
        match_review_threshold=float(_env("YJ_MATCH_REVIEW_THRESHOLD", "0.80")),
        suppression_threshold=int(_env("YJ_SUPPRESSION_THRESHOLD", "5")),
        mappings_dir=Path(_env("YJ_MAPPINGS_DIR", str(REFERENCE_DIR / "mappings"))).resolve(),
        max_quarantined_share=float(_env("YJ_MAX_QUARANTINED_SHARE", "0.5")),
        max_quarantined_share_by_table=_shares(_env("YJ_MAX_QUARANTINED_SHARE_BY_TABLE", "")),
        max_shrink_share=float(_env("YJ_MAX_SHRINK_SHARE", "0.5")),
        lock_wait_seconds=float(_env("YJ_LOCK_WAIT_SECONDS", "1800")),
        partnership_file=Path(_env("YJ_PARTNERSHIP_FILE", "")).resolve() if _env("YJ_PARTNERSHIP_FILE", "") else None,
    )


def _shares(text: str) -> tuple[tuple[str, float], ...]:
    """``child=0.1,episode=0.2`` -> (("child", 0.1), ("episode", 0.2))."""
    pairs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        table, _, share = part.partition("=")
        pairs.append((table.strip(), float(share)))
    return tuple(pairs)
