"""The counting rules marked configurable in kpis.md, with the spec's defaults, versioned
like the rule modules: each change names the first quarter it applies to, so an old quarter
is recomputed with the settings in force then and a new default never rewrites the past
(ADR 0031).

``KpiRules()`` holds the defaults in force from 2023-24 Q1 (when the ten KPIs began). A later
change of default is a new ``RulesChange`` in ``RULE_CHANGES``, never an edit of a default.
The service's own overrides come from ``YJ_KPI_RULES``: a JSON list of changes, each with
its ``valid_from`` quarter (``[{"valid_from": "2026Q1", "ete_hours_school_age": 20}]``); a
plain object (``{"ete_hours_school_age": 20}``) is a change from the first quarter. The
workbook's cover sheet lists the values in force for its quarter."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace

from transforms.periods import BadQuarter, Quarter

RULES_INTRODUCED = Quarter(2023, 1)


@dataclass(frozen=True)
class KpiRules:
    # The KPI cohort: episodes ending in the quarter, except these types.
    cohort_excluded_types: tuple[str, ...] = ("REMAND_YDA", "REMAND_LA", "BAIL_SUPERVISION")
    # Most serious first: decides a child's group when several episodes end in the quarter.
    group_seriousness: tuple[str, ...] = ("CUSTODY", "COMMUNITY", "FIRST_TIER", "OUT_OF_COURT", "PREVENTION_DIVERSION")
    accommodation_unsuitable_types: tuple[str, ...] = ("BED_AND_BREAKFAST", "NO_FIXED_ABODE")
    accommodation_unknown_types: tuple[str, ...] = ("NOT_KNOWN",)
    ete_unsuitable_types: tuple[str, ...] = ("NEET", "NOT_KNOWN")
    ete_hours_school_age: int = 25
    ete_hours_above_school_age: int = 16
    serious_violence_categories: tuple[str, ...] = ("VIOLENCE_AGAINST_THE_PERSON", "ROBBERY", "DRUGS")
    serious_violence_min_gravity: int = 5
    # kpis.md leaves "dated in the quarter" open for KPI 9: the outcome's date is used, as for
    # KPI 10 and as proven offences are counted nationally.
    serious_violence_dated_by: str = "outcome_date"
    unknown_share_warning: float = 0.10
    change_warning: float = 0.5

    @classmethod
    def from_env(cls, quarter: Quarter | None = None) -> "KpiRules":
        """The rules in force for ``quarter`` (the newest when None): defaults, the project's
        changes, then the service's overrides from ``YJ_KPI_RULES``, each from its quarter."""
        return rules_in_force(quarter, RULE_CHANGES + overrides_from_env())

    def with_changes(self, changes: dict) -> "KpiRules":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown counting rule(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})

    def as_rows(self) -> list[tuple[str, str]]:
        return [(k, ", ".join(v) if isinstance(v, tuple) else str(v)) for k, v in asdict(self).items()]


# Which KPIs each counting rule feeds, so a changed rule explains only the figures it can move
# (a revision's "explained by"). The warning levels feed the checks, not the figures.
_COHORT_KPIS = ("kpi1", "kpi2", "kpi3", "kpi4", "kpi5", "kpi7")
RULE_FEEDS: dict[str, tuple[str, ...]] = {
    "cohort_excluded_types": _COHORT_KPIS, "group_seriousness": _COHORT_KPIS,
    "accommodation_unsuitable_types": ("kpi1",), "accommodation_unknown_types": ("kpi1",),
    "ete_unsuitable_types": ("kpi2", "kpi3"), "ete_hours_school_age": ("kpi2", "kpi3"),
    "ete_hours_above_school_age": ("kpi2", "kpi3"),
    "serious_violence_categories": ("kpi9",), "serious_violence_min_gravity": ("kpi9",),
    "serious_violence_dated_by": ("kpi9",),
    "unknown_share_warning": (), "change_warning": (),
}


def rules_feeding(rules: KpiRules, kpi: str) -> str:
    """The counting rules that feed ``kpi``, as ``name=value`` text (empty when none does)."""
    return "; ".join(f"{name}={value}" for name, value in rules.as_rows() if kpi in RULE_FEEDS[name])


@dataclass(frozen=True)
class RulesChange:
    valid_from: Quarter
    changes: dict = field(default_factory=dict)
    why: str = ""


# Changes of default made by the project, oldest first. None yet: the spec's defaults have held
# since 2023-24 Q1.
RULE_CHANGES: list[RulesChange] = []


def rules_in_force(quarter: Quarter | None, changes: list[RulesChange], base: KpiRules | None = None) -> KpiRules:
    """``base`` with every change whose valid_from is not after ``quarter`` applied, oldest first."""
    rules = base or KpiRules()
    for change in sorted(changes, key=lambda c: c.valid_from):
        if quarter is None or change.valid_from <= quarter:
            rules = rules.with_changes(change.changes)
    return rules


def overrides_from_env() -> list[RulesChange]:
    raw = os.environ.get("YJ_KPI_RULES", "").strip()
    if not raw:
        return []
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"YJ_KPI_RULES is not valid JSON ({exc.msg} at character {exc.pos})") from None
    items = [parsed] if isinstance(parsed, dict) else parsed
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("YJ_KPI_RULES must be a JSON object or a list of objects with a valid_from quarter")
    out = []
    for item in items:
        item = dict(item)
        try:
            valid_from = Quarter.parse(item.pop("valid_from")) if "valid_from" in item else RULES_INTRODUCED
        except BadQuarter as exc:
            raise ValueError(f"YJ_KPI_RULES: {exc}") from None
        KpiRules().with_changes(item)  # unknown names are reported now, not when a quarter is run
        out.append(RulesChange(valid_from, item, "YJ_KPI_RULES"))
    return out
