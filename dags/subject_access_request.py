"""
### Subject access request (triggered by hand)

Finds every record of one child across every place of the personal data inventory (through
the match links, by case-system id, UPN, PNC id, and by name with date of birth) and writes one
OFFICIAL-SENSITIVE pack under the service's output area
(`output/subject_access/subject_access_<ref>_<time>_INTERNAL.xlsx`, and a PDF when LibreOffice
is installed). Near matches are listed apart for a person to confirm. The request is audited in
`audit_rights` (reference, who asked, when, counts: no names).

Give `request_ref` and at least one of: `child_id`, `upn`, `pnc_id`, or `first_name`,
`last_name` and `date_of_birth`. The identifiers stay in this run's configuration in Airflow's
metadata database: clear old runs with `airflow db clean`, or use `yj subject-access`, which
keeps them out of Airflow.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`) and the output folder.
"""
from airflow.sdk import Param, dag, task

from yj_airflow import rights
from yj_airflow.defaults import START_DATE, default_args

_TEXT = {"type": ["null", "string"]}


@dag(
    description="Subject access: every record of one child across the platform, as one OFFICIAL-SENSITIVE pack",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=5),
    tags=["youth-justice", "operations", "data-rights"],
    params={
        "request_ref": Param("", type="string", description="The request's reference in the service's SAR log"),
        "requested_by": Param(None, **_TEXT, description="Who asked for the search (a name or role of staff)"),
        "child_id": Param(None, **_TEXT, description="The case system's child id"),
        "upn": Param(None, **_TEXT, description="Unique Pupil Number"),
        "pnc_id": Param(None, **_TEXT, description="Police National Computer id"),
        "first_name": Param(None, **_TEXT, description="First name (with last name and date of birth)"),
        "last_name": Param(None, **_TEXT, description="Last name"),
        "date_of_birth": Param(None, **_TEXT, description="Date of birth, yyyy-mm-dd"),
        "service": Param(None, **_TEXT, description="In a partnership, the service whose data to search"),
    },
)
def subject_access_request():
    @task
    def write_subject_access_pack(params: dict | None = None) -> dict:
        params = dict(params or {})
        return rights.subject_access_task(params, params.pop("service", None))

    write_subject_access_pack()


subject_access_request()
