"""Children's data rights across every place the platform keeps data: the inventory of
personal data (``reference/personal_data_inventory.yaml``), subject access, retention and
erasure. Nothing here logs or audits a name, date of birth, UPN, PNC id or case-system id."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager


@contextmanager
def every_resource_locked(settings, holder: str):
    """Retention and erasure change tables of every kind of job: they take every warehouse
    lock, in one fixed order (so two such jobs cannot deadlock), and wait like any writer."""
    from transforms.warehouse.locks import RESOURCES, warehouse_lock

    with ExitStack() as stack:
        for resource in sorted(RESOURCES):
            stack.enter_context(warehouse_lock(settings.warehouse_url, resource, settings.lock_wait_seconds, holder))
        yield
