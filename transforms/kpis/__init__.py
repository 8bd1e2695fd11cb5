"""The YJB key performance indicators and the local national indicators (kpis.md).

Each measure family is one registered rule module (``kpi01_accommodation`` ...); the
registry knows which version of each rule was in force for a quarter."""
