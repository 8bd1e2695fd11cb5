"""The warehouse schema, defined once in SQLAlchemy metadata and created by code on SQLite
and PostgreSQL alike.

Table name prefixes stand in for schemas so the same names work on every engine:
``core_`` canonical data (personal identifiers live only here), ``ref_`` code lists,
``audit_`` load records, ``quarantine`` rejected rows, ``mart_`` reporting tables.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text,
    UniqueConstraint,
)

from transforms.canonical import Table as ModelTable, canonical_tables, load_model

metadata = MetaData()

SQL_TYPES = {"str": Text, "int": Integer, "float": Float, "date": Date, "bool": Boolean}


def core_table_name(canonical_name: str) -> str:
    return f"core_{canonical_name}"


def _core_table(name: str, target: MetaData, table_name: str, spec: ModelTable | None = None) -> Table:
    spec = spec or canonical_tables()[name]
    return Table(
        table_name,
        target,
        *[
            Column(c.name, SQL_TYPES[c.type], primary_key=c.name in spec.key,
                   nullable=not (c.required or c.name in spec.key))
            for c in spec.columns
        ],
        comment=spec.description,
    )


CORE_TABLES: dict[str, Table] = {
    name: _core_table(name, metadata, core_table_name(name)) for name in canonical_tables()
}

# The latest education snapshot (sources.md, section 3): core_pupil, core_suspension, core_attendance.
EDUCATION_TABLES: dict[str, Table] = {
    name: _core_table(name, metadata, core_table_name(name), spec) for name, spec in load_model("education_model.yaml").items()
}


# Pseudonymous keys: a random key per child, kept for ever, so marts and outputs never carry
# the case system's id and a key cannot be recomputed from a name or a date of birth.
child_key = Table(
    "core_child_key", metadata,
    Column("child_id", Text, primary_key=True),
    Column("child_key", String(16), nullable=False, unique=True),
    Column("first_seen_delivery", Text, nullable=False),
)

ref_code = Table(
    "ref_code", metadata,
    Column("code_list", Text, primary_key=True),
    Column("code", Text, primary_key=True),
    Column("label", Text, nullable=False),
)

ref_ethnicity = Table(
    "ref_ethnicity", metadata,
    Column("scheme", Text, primary_key=True),
    Column("source_code", Text, primary_key=True),
    Column("code", Text),
    Column("ethnic_group", Text, nullable=False),
    Column("note", Text),
)

# Post-16 activity codes and their groups (education, employment, training, NEET, not known).
ref_ccis_activity = Table(
    "ref_ccis_activity", metadata,
    Column("code", Text, primary_key=True),
    Column("description", Text, nullable=False),
    Column("activity_group", Text, nullable=False),
)

# Which delivery of each source is live in the core layer.
core_publication = Table(
    "core_publication", metadata,
    Column("source", Text, primary_key=True),
    Column("delivery_id", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

# One row per attempt to load a delivery or file (issue 17): written as STARTED in its own
# transaction before any work, then set to LOADED, REJECTED, DUPLICATE, NOT_A_DELIVERY or
# FAILED; a later attempt of the same source turns a STARTED left by a killed one into
# ABANDONED. ``delivery_id`` repeats across attempts (a rerun, a corrected re-send).
audit_delivery = Table(
    "audit_delivery", metadata,
    Column("attempt_id", String(32), primary_key=True),
    Column("delivery_id", Text, nullable=False, index=True),
    Column("source", Text, nullable=False, index=True),
    Column("supplier", Text),
    Column("extracted_at", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", Text, nullable=False),
    Column("reason", Text),
    Column("file_hashes", JSON),
    Column("notes", JSON),
)

audit_table_count = Table(
    "audit_table_count", metadata,
    Column("attempt_id", String(32), primary_key=True),
    Column("table_name", Text, primary_key=True),
    Column("delivery_id", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
)

# The version of parts of the warehouse whose shape changed after warehouses were in use, so
# an older warehouse is upgraded on first use (transforms/warehouse/migrate.py): audit 2 is
# the attempt-keyed audit tables above (1: keyed by delivery).
warehouse_schema_version = Table(
    "warehouse_schema_version", metadata,
    Column("component", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

# Rows that failed row-level validation. The raw record is kept (this table is in the core
# layer, with the same protection as the personal data) so nothing is lost; the reason is
# written for the person fixing the source and never holds personal data.
quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("delivery_id", Text, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("rules", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw_record", JSON, nullable=False),
    UniqueConstraint("source", "delivery_id", "table_name", "line_number", name="uq_quarantine_line"),
)

# What a load attempt's report is built from, kept so that the report, load summary and Data
# Docs of any attempt (loaded or rejected) can be written again from the warehouse at any time
# (transforms/reports.py): every failing row, where and why (no values: the raw rows of a loaded
# delivery stay in ``quarantine``), and each validation's Great Expectations result with the
# failing values removed.
audit_attempt_row = Table(
    "audit_attempt_row", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("attempt_id", String(32), nullable=False, index=True),
    Column("table_name", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("line_number", Integer, nullable=False),
    Column("rules", Text, nullable=False),
    Column("reason", Text, nullable=False),
)
audit_validation = Table(
    "audit_validation", metadata,
    Column("attempt_id", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("suite", Text, nullable=False),
    Column("rows_failed", Integer, nullable=False),
    Column("result", JSON, nullable=False),
)
# Attempts whose report files are not written yet: added with the attempt's outcome, removed
# once its files are on disk. A run writes any report still due (an output disk that was full
# or read-only when the delivery was published loses nothing).
audit_report_due = Table(
    "audit_report_due", metadata,
    Column("attempt_id", String(32), primary_key=True),
    Column("source", Text, nullable=False),
)

# Reference data loaded from the landing folder (sources.md, section 5).
ref_population = Table(
    "ref_population", metadata,
    Column("area", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("age", Integer, primary_key=True),
    Column("sex", Text, primary_key=True),
    Column("ethnic_group", Text, primary_key=True),
    Column("population", Integer, nullable=False),
    Column("source", Text),
)

core_board_attendance = Table(
    "core_board_attendance", metadata,
    Column("meeting_date", Date, primary_key=True),
    Column("partner", Text, primary_key=True),
    Column("member_role", Text, primary_key=True),
    Column("attended", Boolean, nullable=False),
    Column("senior", Boolean, nullable=False),
)

# The figures of every KPI return produced, so marts can show trends and the Checks sheet
# can compare with the previous quarter.
kpi_figure = Table(
    "kpi_figure", metadata,
    Column("quarter", Text, primary_key=True),
    Column("kpi", Text, primary_key=True),
    Column("measure", Text, primary_key=True),
    Column("breakdown", Text, primary_key=True),
    Column("value", Float),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("rule_version", Text, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
)

# Police custody (sources.md, section 2). Datetimes are Europe/London wall-clock time, as the
# police send them; durations are worked out in UTC so clock changes are counted right.
_CUSTODY_COLUMNS = [
    ("custody_ref", Text), ("custody_suite", Text), ("arrest_datetime", DateTime), ("arrival_datetime", DateTime),
    ("detention_authorised_datetime", DateTime), ("release_datetime", DateTime), ("surname", Text),
    ("forenames", Text), ("date_of_birth", Date), ("sex", Text), ("self_defined_ethnicity", Text),
    ("officer_defined_ethnicity", Text), ("postcode", Text), ("pnc_id", Text), ("offence_description", Text),
    ("offence_code", Text), ("appropriate_adult_requested", DateTime), ("appropriate_adult_arrived", DateTime),
    ("strip_search", Boolean), ("outcome", Text), ("pace_transfer_requested", Boolean), ("pace_transfer_type", Text),
    ("pace_transfer_achieved", Boolean), ("reason_not_transferred", Text),
]
CUSTODY_COLUMNS = [name for name, _ in _CUSTODY_COLUMNS]

# Every version of every detention, as each file reported it (history is kept).
custody_detention_version = Table(
    "core_custody_detention_version", metadata,
    *[Column(name, kind, primary_key=name == "custody_ref") for name, kind in _CUSTODY_COLUMNS],
    Column("extract_time", DateTime, primary_key=True),
    Column("file_name", Text, nullable=False),
)

# The newest version of each detention by the file's own extract time, enriched.
custody_detention = Table(
    "core_custody_detention", metadata,
    *[Column(name, kind, primary_key=name == "custody_ref") for name, kind in _CUSTODY_COLUMNS],
    Column("extract_time", DateTime, nullable=False),
    Column("first_seen_extract", DateTime, nullable=False),
    Column("versions", Integer, nullable=False),
)


# Matching across sources (sources.md, section 4). ``core_identity_link`` is rebuilt by every
# matching run: one row per record of every source, with the person key it resolved to and
# how. Reviewers' decisions live in ``match_decision``, which no load or run ever clears.
identity_link = Table(
    "core_identity_link", metadata,
    Column("source", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
    Column("person_key", String(16), nullable=False),
    Column("child_id", Text, comment="The case-system child this record is, when it is one."),
    Column("method", Text, nullable=False,
           comment="case_system, upn, former_upn, pnc_id, upn_via_education, probabilistic, reviewer or unlinked"),
    Column("match_probability", Float),
    Column("match_weight", Float),
    Column("reasons", Text),
    Column("resolved_at", DateTime, nullable=False),
)

# A random key for each record (or UPN-joined group) that is not one of the service's
# children, kept for ever so the same pupil keeps the same key.
person_key = Table(
    "core_person_key", metadata,
    Column("source", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
    Column("person_key", String(16), nullable=False),
    Column("first_seen", DateTime, nullable=False),
)

match_review_pair = Table(
    "core_match_review_pair", metadata,
    Column("source", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
    Column("child_id", Text, primary_key=True),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("why_review", Text, nullable=False),
)

match_decision = Table(
    "match_decision", metadata,
    Column("source", Text, primary_key=True),
    Column("record_id", Text, primary_key=True),
    Column("child_id", Text, primary_key=True),
    Column("decision", Text, nullable=False, comment="same or not_same"),
    Column("reviewer", Text),
    Column("decided_on", Text),
    Column("imported_from", Text, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

# The trained model (Splink settings JSON) of the last full run, so the custody refresh can
# score a new detention in seconds without retraining.
match_model = Table(
    "match_model", metadata,
    Column("trained_at", DateTime, primary_key=True),
    Column("model_json", Text, nullable=False),
    Column("proven_pairs", Integer, nullable=False),
)

# Education alerts already raised, so each is raised once.
alert_raised = Table(
    "alert_raised", metadata,
    Column("alert_id", String(40), primary_key=True),
    Column("child_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("event_date", Date),
    Column("detail", Text, nullable=False),
    Column("raised_at", DateTime, nullable=False),
)


# --- Issue 12: as-at history and submitted returns --------------------------------------
# Every education and CCIS snapshot kept as a dated version (the core_ tables hold only the
# newest), so a quarter's return can read the snapshot in force at its report date. Same
# columns as the core table, plus which snapshot the row came from and when it was extracted.
def _history_table(name: str) -> Table:
    core = EDUCATION_TABLES[name]
    return Table(
        f"hist_{name}", metadata,
        *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in core.columns],
        Column("snapshot_delivery_id", Text, primary_key=True),
        Column("snapshot_extracted_at", DateTime, nullable=False),
        comment=f"Every snapshot of {core.name}, as delivered (kept, never replaced).",
    )


HISTORY_TABLES: dict[str, Table] = {name: _history_table(name) for name in ("pupil", "suspension", "attendance",
                                                                              "ccis_activity")}

# A return marked as submitted: its figures are frozen in kpi_figure_submitted and its
# workbook archived unchanged (the hash proves it was not touched).
kpi_submission = Table(
    "kpi_submission", metadata,
    Column("quarter", Text, primary_key=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("workbook_path", Text, nullable=False),
    Column("workbook_sha256", Text, nullable=False),
    Column("status_at_submission", Text, nullable=False),
    Column("submitted_by", Text),
    Column("sources", JSON, comment="source -> [delivery id, extracted at] the submitted return read"),
    # Added later (migrate.add_missing_columns): the sign-off, and the fingerprint of the figures
    # the archived workbook holds, equal to the frozen ones (transforms/kpis/submission.py).
    Column("figures_sha256", Text),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("approval_comment", Text),
    Column("draft_reason", Text, comment="why a DRAFT return was approved (required to approve a DRAFT)"),
)
# Columns added to a table after warehouses were made with it: nullable, added on first use.
ADDED_COLUMNS = {"kpi_submission": ("figures_sha256", "approved_by", "approved_at", "approval_comment", "draft_reason")}

kpi_figure_submitted = Table(
    "kpi_figure_submitted", metadata,
    *[Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in kpi_figure.columns],
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

# The source deliveries and snapshots each generated return read (id and extract time).
kpi_return_source = Table(
    "kpi_return_source", metadata,
    Column("quarter", Text, primary_key=True),
    Column("source", Text, primary_key=True),
    Column("delivery_id", Text, nullable=False),
    Column("extracted_at", Text),
    Column("generated_at", DateTime(timezone=True), nullable=False),
)

# --- Issue 13: looked-after children reference (the denominator of the looked-after
# dimension of disproportionality), loaded like ref_population from reference/looked_after.csv.
ref_looked_after = Table(
    "ref_looked_after", metadata,
    Column("area", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("looked_after", Integer, nullable=False, comment="children aged 10 to 17 looked after on 31 March of the year"),
    Column("source", Text),
)

# --- Children's data rights (transforms/rights/, ADR 0095): one row per subject access
# request, erasure or retention run. Counts per place and rule only: never a name, date of
# birth, UPN, PNC id or case-system id (a request is named by its own reference).
audit_rights = Table(
    "audit_rights", metadata,
    Column("run_id", String(32), primary_key=True),
    Column("action", Text, nullable=False, comment="SUBJECT_ACCESS, ERASURE, RETENTION or RETENTION_DRY_RUN"),
    Column("request_ref", Text, comment="the service's own reference for the request (no personal data)"),
    Column("requested_by", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("counts", JSON, comment="place -> rule or kind -> rows or files"),
    Column("note", Text),
)

# Keyed hashes (HMAC-SHA256, key YJ_RIGHTS_KEY) of the identifiers of every erased child, so a
# child a supplier sends again after an erasure is recognised and erased again by the next
# retention run; no identifier is stored in clear.
rights_erasure_register = Table(
    "rights_erasure_register", metadata,
    Column("digest", String(64), primary_key=True),
    Column("kind", Text, nullable=False, comment="child_id, upn or pnc_id"),
    Column("request_ref", Text, nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)
