"""
### YJB quarterly KPI return

Runs at **06:00 Europe/London on the first day of each quarter** (1 January, April, July,
October) for the quarter just ended; the submission is due a month later.

The quarter comes from the run's data interval (the quarter that ended before its logical
date), never the wall clock, so a rerun or backfill reports the quarter the run was for.
Trigger it by hand with the `quarter` param (`2025Q2` or `2025-26 Q2`) to regenerate any
quarter; an old quarter is computed with the rules (and counting-rule settings) in force for
it, from the education snapshot in force at its report date. Set `submit` (with `approved_by`,
and `draft_reason` for a DRAFT) to produce and submit in one step: its figures are frozen
(`kpi_figure_submitted`), the workbook just written is archived under `submitted/` with
`signoff.json`, and a later regeneration gets a Revisions sheet instead.

Loads the board register and the population reference from the landing folder, computes
every measure (KPIs 1 to 10 and the local national indicators), runs the pre-submission
checks and writes to `output/kpi/<quarter>/`: the submission workbook
`yjb_kpi_return_<service>_<yyyy-yy>_Q<n>.xlsx` (DRAFT until every check passes),
`figures.csv`, and the INTERNAL evidence workbook (the pseudonymous keys behind every figure).
The figures are also stored in the warehouse table `kpi_figure`.

Then rebuilds the marts (so the board register just loaded is in them) and writes the
board pack `output/board_pack/board_pack_<service>_<quarter>.html`: KPI headlines with their
trend over eight quarters, local indicators, disproportionality by stage, custody and remand,
ETE, health and victims, with counts under `yj_suppression_threshold` (5) suppressed.

With a partnership file (`YJ_PARTNERSHIP_FILE`) all of this runs once per service, each on its
own warehouse and output folder (ADR 0063), and then the partnership board pack compares the
services side by side in `output/partnership/board_pack/`.

**Needs:** the `yj_warehouse` connection (or `YJ_WAREHOUSE_URL`), `yj_landing_dir` and
`yj_output_dir`; a loaded case-system core.
"""
from airflow.sdk import Param, dag, task, task_group

from yj_airflow import tasks
from yj_airflow.defaults import START_DATE, TIMEZONE, default_args
from yj_airflow.tasks import SERVICE_LABEL
from yj_airflow.timetables import QuarterlyReturnTimetable


@dag(
    schedule=QuarterlyReturnTimetable("0 6 1 1,4,7,10 *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_minutes=10),
    tags=["youth-justice", "kpi", "yjb-return"],
    description="Quarterly YJB KPI return (workbook, figures.csv, evidence) for the quarter just ended, then the board pack",
    # No pattern on the param: the task checks it and says how to write a quarter, where a
    # pattern would show its raw regular expression.
    params={"quarter": Param(None, type=["null", "string"],
                             description="Quarter to report, e.g. 2025Q2 or 2025-26 Q2; empty for the quarter that "
                                         "ended before the run's logical date"),
            "submit": Param(False, type="boolean",
                            description="Produce and submit in one step: freeze the figures and archive the workbook "
                                        "just written (needs approved_by)"),
            "approved_by": Param(None, type=["null", "string"], description="Who approved the return (to submit)"),
            "approval_comment": Param(None, type=["null", "string"], description="The approver's comment"),
            "draft_reason": Param(None, type=["null", "string"],
                                  description="Why a DRAFT return is approved (required to submit a DRAFT)")},
)
def yjb_kpi_quarterly():
    @task
    def resolve_quarter(params: dict | None = None, data_interval_end=None, logical_date=None) -> dict:
        return tasks.resolve_quarter((params or {}).get("quarter"), data_interval_end or logical_date)

    @task
    def list_services() -> list[str]:
        return tasks.service_ids()

    quarter = resolve_quarter()

    # One mapped group per service (ADR 0063): each service's return, marts and board pack from
    # its own warehouse; one service's failure leaves the others' returns written.
    @task_group(prefix_group_id=False)
    def for_each_service(service_id: str):
        @task(map_index_template=SERVICE_LABEL)
        def load_board_register_and_population(service_id: str) -> dict:
            return tasks.load_reference_sources(tasks.label_service(service_id))

        @task(map_index_template=SERVICE_LABEL)
        def produce_kpi_return(quarter: dict, _reference: dict, service_id: str, params: dict | None = None) -> dict:
            params = params or {}
            return tasks.produce_kpi_return(quarter, submit=bool(params.get("submit")),
                                            service_id=tasks.label_service(service_id),
                                            signoff={"approved_by": params.get("approved_by"),
                                                     "comment": params.get("approval_comment"),
                                                     "draft_reason": params.get("draft_reason")})

        @task(map_index_template=SERVICE_LABEL)
        def rebuild_marts_with_the_board_register(service_id: str) -> dict:
            return tasks.rebuild_marts(tasks.label_service(service_id))

        @task(map_index_template=SERVICE_LABEL)
        def write_board_pack(quarter: dict, _kpi: dict, _marts: dict, service_id: str) -> dict:
            return tasks.write_board_pack(quarter, tasks.label_service(service_id))

        reference = load_board_register_and_population(service_id)
        kpi = produce_kpi_return(quarter, reference, service_id)
        marts = rebuild_marts_with_the_board_register(service_id)
        reference >> marts
        return write_board_pack(quarter, kpi, marts, service_id)

    # The services side by side, from their stored figures; only when every service's pack was
    # written, since a comparison missing a service would mislead the board (ADR 0063).
    @task
    def write_partnership_board_pack(quarter: dict, _packs) -> dict:
        return tasks.write_partnership_board_pack(quarter)

    packs = for_each_service.expand(service_id=list_services())
    write_partnership_board_pack(quarter, packs)

yjb_kpi_quarterly()
