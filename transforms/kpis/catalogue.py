"""Importing this module registers every rule (each module registers itself on import)."""
from transforms.kpis import (  # noqa: F401
    kpi01_accommodation, kpi02_ete, kpi03_send, kpi04_mental_health, kpi05_substance_misuse, kpi06_out_of_court,
    kpi07_wider_services, kpi08_board, kpi09_serious_violence, kpi10_victims, ni_national,
)
from transforms.kpis.registry import REGISTRY

__all__ = ["REGISTRY"]
