"""Run one step for every service of the partnership, or for one (issue 16 items 1 and 4).

A step is today's one-service code given one service's settings (its warehouse, landing folder,
outputs under ``<output>/<id>/``; ``scope.service_settings``): nothing in the step knows about
the partnership, so a forgotten filter cannot mix services. With no partnership file there is
one service with today's settings unchanged, so the step runs once exactly as before."""
from __future__ import annotations

from typing import Callable, TypeVar

from transforms.partnership.config import Partnership, Service, load_partnership
from transforms.partnership.scope import services_with_settings
from transforms.settings import Settings

T = TypeVar("T")


class UnknownService(ValueError):
    pass


def selected_services(settings: Settings, service_id: str | None = None,
                      partnership: Partnership | None = None) -> list[tuple[Service, Settings]]:
    """Every service with its settings, or only ``service_id`` (a one-line error when the
    partnership has no such service)."""
    partnership = partnership or load_partnership(settings)
    chosen = services_with_settings(settings, partnership)
    if service_id is None:
        return chosen
    chosen = [(s, ss) for s, ss in chosen if s.id == service_id]
    if not chosen:
        raise UnknownService(f"no service '{service_id}' in the partnership (services: {', '.join(partnership.service_ids)})")
    return chosen


def for_each_service(settings: Settings, step: Callable[[Settings], T], service_id: str | None = None,
                     partnership: Partnership | None = None) -> list[tuple[Service, T]]:
    """``step(service_settings)`` for each selected service, in the partnership file's order.
    A step's exception stops the run: a step that must not stop the others (a rejected delivery)
    reports it in its result instead."""
    return [(service, step(service_settings))
            for service, service_settings in selected_services(settings, service_id, partnership)]
