"""The inventory of personal data, read from ``reference/personal_data_inventory.yaml``: the
one list of places (tables, raw archive folders, output files) that subject access, retention
and erasure all work from, with each place's retention rule."""
from __future__ import annotations

import datetime as dt
import fnmatch
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from transforms.settings import REFERENCE_DIR

INVENTORY_FILE = REFERENCE_DIR / "personal_data_inventory.yaml"
# Column names that hold a child's identifying data wherever they occur (the canonical models
# flag theirs ``pii``; these are the same names as the warehouse spells them).
IDENTIFYING_COLUMNS = frozenset({
    "first_name", "last_name", "forename", "forenames", "surname", "date_of_birth", "dob", "upn", "former_upn",
    "pnc_id", "postcode", "child_id", "raw_record",
})


@dataclass(frozen=True)
class Rule:
    name: str
    days: int | None  # None: never deleted by retention
    min_age_years: int | None
    starts: str
    basis: str

    def cutoff(self, today: dt.date) -> dt.date | None:
        """Anything dated before this day has passed the rule (None: the rule never deletes)."""
        if self.days is None:
            return None
        return today - dt.timedelta(days=self.days)


@dataclass(frozen=True)
class Place:
    place: str
    kind: str  # table, archive or output
    source: str
    retention: str
    holds: tuple[str, ...]
    purpose: str
    find: dict = field(default_factory=dict)
    redact: tuple[str, ...] = ()
    redact_other_child: str | None = None
    also: str | None = None
    dated_by: str | None = None

    def matches(self, name: str) -> bool:
        """A table name, or a file path relative to its area (``/`` separated), this place covers."""
        if self.kind == "table":
            return fnmatch.fnmatchcase(name, self.place)
        if self.place.endswith("/**"):
            return name.startswith(self.place[:-2])
        return fnmatch.fnmatchcase(name, self.place) or fnmatch.fnmatchcase(name, self.place + "/*")

    @property
    def personal(self) -> bool:
        return bool(self.holds)


@dataclass(frozen=True)
class Inventory:
    rules: dict[str, Rule]
    places: tuple[Place, ...]

    def tables(self) -> list[Place]:
        return [p for p in self.places if p.kind == "table" and "*" not in p.place]

    def table(self, name: str) -> Place | None:
        return next((p for p in self.places if p.kind == "table" and p.matches(name)), None)

    def file_place(self, kind: str, relative: str) -> Place | None:
        """The first place of ``kind`` (archive or output) covering ``relative``: specific
        entries come before the catch-alls in the file."""
        return next((p for p in self.places if p.kind == kind and p.matches(relative)), None)


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text())


def load_inventory(path: Path | None = None, environ: dict | None = None) -> Inventory:
    """The inventory, with each rule's days overridden by ``YJ_RETENTION_<RULE>_DAYS`` when set."""
    raw = _read(str(path or INVENTORY_FILE))
    env = os.environ if environ is None else environ
    rules = {}
    for name, spec in raw["rules"].items():
        days = spec.get("days")
        override = env.get(f"YJ_RETENTION_{name.upper()}_DAYS", "").strip()
        if override:
            days = int(override)
        rules[name] = Rule(name, days, spec.get("min_age_years"), spec.get("from", ""), " ".join(str(spec.get("basis", "")).split()))
    places = []
    known = {"place", "kind", "source", "retention", "holds", "purpose", "find", "redact", "redact_other_child", "also",
             "dated_by"}
    for p in raw["places"]:
        if set(p) - known:  # a comma in an unquoted flow value splits it into a stray key
            raise ValueError(f"inventory place {p['place']} has unknown keys {sorted(set(p) - known)} (quote text with commas)")
        if p["retention"] not in rules or (p.get("also") and p["also"] not in rules):
            raise ValueError(f"inventory place {p['place']} names an unknown retention rule")
        places.append(Place(place=p["place"], kind=p["kind"], source=p["source"], retention=p["retention"],
                            holds=tuple(p.get("holds") or ()), purpose=p.get("purpose", ""), find=p.get("find") or {},
                            redact=tuple(p.get("redact") or ()), redact_other_child=p.get("redact_other_child"),
                            also=p.get("also"), dated_by=p.get("dated_by")))
    return Inventory(rules, tuple(places))


def inventory_markdown(inventory: Inventory | None = None) -> str:
    """The inventory as the data dictionary's "Personal data" part (generated, never edited)."""
    inventory = inventory or load_inventory(environ={})

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["# Personal data: where a child's data is kept, and for how long", "",
             "Generated from `transforms/reference/personal_data_inventory.yaml`, the one list that subject access "
             "(`yj subject-access`), retention (`yj retention`, the `retention_daily` DAG) and erasure (`yj erase`) "
             "work from. Tables are warehouse tables; archive places are under the raw archive "
             "(`YJ_RAW_ARCHIVE_DIR`), output places under the output folder (`YJ_OUTPUT_DIR`).", "",
             "| place | kind | source | personal data held | retention rule | purpose |", "|---|---|---|---|---|---|"]
    for p in inventory.places:
        lines.append(f"| `{cell(p.place)}` | {p.kind} | {p.source} | {cell(', '.join(p.holds)) or 'none'} | "
                     f"{p.retention}{' + ' + p.also if p.also else ''} | {cell(p.purpose)} |")
    lines += ["", "## Retention rules and their defaults", "",
              "Each default is overridden by the setting `YJ_RETENTION_<RULE>_DAYS`.", "",
              "| rule | default | counted from | basis |", "|---|---|---|---|"]
    for r in inventory.rules.values():
        default = "never deleted" if r.days is None else f"{r.days} days" + (
            f", not before age {r.min_age_years}" if r.min_age_years else "")
        lines.append(f"| `{r.name}` | {default} | {cell(r.starts)} | {cell(r.basis)} |")
    lines.append("")
    return "\n".join(lines)
