"""Several youth justice services on one platform (issue 16): the partnership file, the local
authority and postcode references, routing of the shared custody feed to services, and isolation
between services on PostgreSQL. Plain Python (no Airflow imports); not yet wired into the loads,
the custody refresh or the DAGs (see docs/operators/partnership.md)."""
