"""Where each service's data lives: one warehouse per service, so every load, match, mart and
return of one service is today's one-service code running on that service's settings
(docs/adr/0062-a-warehouse-per-service.md).

- PostgreSQL: one schema per service in the shared database (``yj_<id>``), chosen by the
  connection's ``search_path``; the shared police custody feed lands in ``yj_partnership``.
  Statements stay unqualified, so the same SQL runs for one service or thirty.
- SQLite and DuckDB (the embedded warehouse): one file per service beside the configured one
  (``warehouse.<id>.sqlite``), and ``warehouse.partnership.sqlite`` for the shared feed.
- Folders: a service's deliveries are under its landing folder in the usual layout
  (``case_system/``, ``education/``, ``ccis/``, ``reference/``); its outputs under
  ``<output>/<id>/`` and its raw archive under ``<raw>/<id>/``.

The one-service default (no partnership file) changes nothing: its settings are returned as they
are, so ``make run`` writes the same warehouse and folders as before."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from transforms.partnership.config import Partnership, Service, load_partnership
from transforms.settings import Settings
from transforms.warehouse.db import SEARCH_PATH

# The shared area: the partnership's own warehouse (the custody feed before routing, the joint
# figures). Not a service id (config.RESERVED_SERVICE_IDS).
PARTNERSHIP_AREA = "partnership"
SCHEMA_PREFIX = "yj"


def service_settings(settings: Settings, service: Service, partnership: Partnership) -> Settings:
    """The settings one service's work runs with. Unchanged for the one-service default."""
    if partnership.source is None:
        return settings
    return replace(
        settings,
        warehouse_url=area_warehouse_url(settings.warehouse_url, service.id),
        landing_dir=service.landing_dir,
        output_dir=settings.output_dir / service.id,
        raw_archive_dir=settings.raw_archive_dir / service.id,
        service_name=service.name,
        service_areas=service.local_authorities,
        service_id=service.id,
    )


def partnership_settings(settings: Settings, partnership: Partnership) -> Settings:
    """The settings of the shared area: the custody feed as it arrives, before routing."""
    if partnership.source is None:
        return settings
    return replace(
        settings,
        warehouse_url=area_warehouse_url(settings.warehouse_url, PARTNERSHIP_AREA),
        output_dir=settings.output_dir / PARTNERSHIP_AREA,
        raw_archive_dir=settings.raw_archive_dir / PARTNERSHIP_AREA,
        service_name=partnership.name,
        service_areas=tuple(la for s in partnership.services for la in s.local_authorities),
    )


def services_with_settings(settings: Settings, partnership: Partnership | None = None) -> list[tuple[Service, Settings]]:
    """Every service of the partnership (the one-service default when there is no file), each with
    the settings its work runs with."""
    partnership = partnership or load_partnership(settings)
    return [(service, service_settings(settings, service, partnership)) for service in partnership.services]


def area_warehouse_url(base_url: str, area: str) -> str:
    """The warehouse of one service (or of the shared area) derived from the configured one."""
    url = make_url(base_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return _with_search_path(url, f"{SCHEMA_PREFIX}_{area}").render_as_string(hide_password=False)
    if backend in ("sqlite", "duckdb"):
        if url.database in (None, "", ":memory:"):
            raise ValueError("a partnership needs a warehouse file or server, not an in-memory database")
        path = Path(url.database)
        return url.set(database=str(path.with_name(f"{path.stem}.{area}{path.suffix}"))).render_as_string(hide_password=False)
    raise ValueError(f"no per-service warehouse for the '{backend}' backend")


def _with_search_path(url: URL, schema: str) -> URL:
    options = url.query.get("options") or ""
    if isinstance(options, tuple):
        options = " ".join(options)
    options = SEARCH_PATH.sub("", options).strip()
    return url.update_query_dict({"options": f"{options} -csearch_path={schema}".strip()})
