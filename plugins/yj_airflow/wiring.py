"""Task wiring more than one DAG shares, so the DAG files stay the schedule and the order of
their own steps."""
from __future__ import annotations

from airflow.sdk import task

from yj_airflow import tasks
from yj_airflow.assets import CORE_IDENTITY
from yj_airflow.tasks import SERVICE_LABEL


def match_then_raise_education_alerts(loaded, service_id):
    """After an education or CCIS load (``loaded``), inside a service's mapped group: rematch the
    service's children across sources, then raise its education alerts (each once). Both run
    after every load, since the case system may have changed since the last one."""

    @task(outlets=[CORE_IDENTITY], map_index_template=SERVICE_LABEL)
    def match_children_across_sources(service_id: str) -> dict:
        return tasks.match_identities(tasks.label_service(service_id))

    @task(map_index_template=SERVICE_LABEL)
    def raise_education_alerts(service_id: str) -> dict:
        return tasks.raise_education_alerts(tasks.label_service(service_id))

    return loaded >> match_children_across_sources(service_id) >> raise_education_alerts(service_id)
