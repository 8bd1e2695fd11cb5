"""Rules as registered units: each KPI module declares its id, title, the spec version it
implements, the inputs it reads and the first quarter it applies to, and the registry picks
the version in force for any quarter, so an old quarter is re-run with the rules of its time.
A new version of a rule is a new registration with a later ``valid_from``; nothing is edited
in place."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from transforms.periods import Quarter


@dataclass(frozen=True)
class Figure:
    kpi: str
    measure: str
    breakdown: str
    value: float
    numerator: float | None = None
    denominator: float | None = None
    members: tuple[str, ...] = ()  # pseudonymous keys counted (children, victims, offences, meetings)
    member_kind: str = "child_key"


@dataclass(frozen=True)
class Rule:
    kpi: str
    title: str
    spec_version: str
    valid_from: Quarter
    inputs: tuple[str, ...]
    compute: Callable
    description: str = ""


@dataclass
class Registry:
    rules: list[Rule] = field(default_factory=list)

    def register(self, rule: Rule) -> Rule:
        if any(r.kpi == rule.kpi and r.valid_from == rule.valid_from for r in self.rules):
            raise ValueError(f"{rule.kpi} already has a version valid from {rule.valid_from.label}")
        self.rules.append(rule)
        return rule

    def in_force(self, quarter: Quarter) -> list[Rule]:
        """For each KPI, the latest version whose valid_from is not after the quarter."""
        chosen: dict[str, Rule] = {}
        for rule in sorted(self.rules, key=lambda r: r.valid_from):
            if rule.valid_from <= quarter:
                chosen[rule.kpi] = rule
        return [chosen[k] for k in sorted(chosen, key=_kpi_order)]


def _kpi_order(kpi: str) -> tuple:
    return (1, 0) if kpi == "ni" else (0, int(kpi[3:]))


REGISTRY = Registry()
KPIS_INTRODUCED = Quarter(2023, 1)  # the ten KPIs apply from April 2023
