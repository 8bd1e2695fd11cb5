"""Assets the DAGs publish and consume (data-aware scheduling). Cheap to import."""
from airflow.sdk import Asset, AssetAlias

CORE_CASE_SYSTEM = Asset("yj://warehouse/core/case_system")
CORE_CUSTODY = Asset("yj://warehouse/core/police_custody")
CORE_EDUCATION = Asset("yj://warehouse/core/education")
CORE_CCIS = Asset("yj://warehouse/core/ccis")
# A new custody file in the landing folder (emitted by custody_file_watch, or by the police
# transfer job through Airflow's REST API: POST /api/v2/assets/events).
LANDING_CUSTODY = Asset("yj://landing/police_custody")
# Person keys resolved across sources (core_identity_link), republished by every matching run.
CORE_IDENTITY = Asset("yj://warehouse/core/identity")


def published_alias(asset: Asset) -> AssetAlias:
    """The outlet of a load task: the task adds an event for ``asset`` through this alias only
    when it published new data (yj_airflow.tasks._announce), so a load that found nothing new
    triggers no marts rebuild. Consumers still schedule on the asset itself."""
    return AssetAlias(f"published {asset.uri}")
