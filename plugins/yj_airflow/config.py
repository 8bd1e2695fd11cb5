"""Settings for a running task: environment variables first (the embedded setup and `yj run`
set them), then Airflow's connection ``yj_warehouse`` and variables ``yj_landing_dir``,
``yj_output_dir``, ``yj_service_name`` (production). Called inside tasks only, never at parse
time, so importing a DAG never touches the metadata database."""
from __future__ import annotations

import logging
import os

from transforms.settings import Settings, load_settings

log = logging.getLogger(__name__)

WAREHOUSE_CONN_ID = "yj_warehouse"
VARIABLES = {"YJ_LANDING_DIR": "yj_landing_dir", "YJ_OUTPUT_DIR": "yj_output_dir",
             "YJ_SERVICE_NAME": "yj_service_name", "YJ_SERVICE_AREAS": "yj_service_areas",
             "YJ_MATCH_LINK_THRESHOLD": "yj_match_link_threshold", "YJ_MATCH_REVIEW_THRESHOLD": "yj_match_review_threshold",
             "YJ_SUPPRESSION_THRESHOLD": "yj_suppression_threshold", "YJ_MAPPINGS_DIR": "yj_mappings_dir",
             "YJ_MAX_QUARANTINED_SHARE": "yj_max_quarantined_share",
             "YJ_MAX_QUARANTINED_SHARE_BY_TABLE": "yj_max_quarantined_share_by_table",
             "YJ_MAX_SHRINK_SHARE": "yj_max_shrink_share",
             "YJ_LOCK_WAIT_SECONDS": "yj_lock_wait_seconds"}


def task_settings() -> Settings:
    overrides: dict[str, str] = {}
    if not os.environ.get("YJ_WAREHOUSE_URL"):
        url = _connection_uri(WAREHOUSE_CONN_ID)
        if url:
            overrides["YJ_WAREHOUSE_URL"] = url
    for env_name, variable in VARIABLES.items():
        if not os.environ.get(env_name):
            value = _variable(variable)
            if value:
                overrides[env_name] = value
    if overrides:
        os.environ.update(overrides)
    return load_settings()


def _connection_uri(conn_id: str) -> str | None:
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
    except Exception:  # no such connection: the embedded default applies
        return None
    if not conn.password and os.environ.get("YJ_WAREHOUSE_PASSWORD") and conn_id == WAREHOUSE_CONN_ID:
        # The Compose file keeps the password out of the connection's JSON (a quote in it
        # would break the JSON); get_uri() percent-encodes it like any other.
        conn.password = os.environ["YJ_WAREHOUSE_PASSWORD"]
    uri = conn.get_uri()
    # Airflow spells PostgreSQL "postgres://"; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def _variable(key: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)
    except Exception:
        return None


def service_task_settings(service_id: str | None = None):
    """The settings one mapped instance runs with: the service's own warehouse, folders and
    areas (transforms/partnership/scope.py); today's settings for the one-service default or
    when no service is named."""
    from transforms.partnership.run import selected_services

    settings = task_settings()
    if service_id is None:
        return settings
    ((_, scoped),) = selected_services(settings, service_id)
    return scoped
