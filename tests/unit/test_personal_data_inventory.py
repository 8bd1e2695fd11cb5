"""The inventory of personal data (transforms/reference/personal_data_inventory.yaml) names
every table that can hold a child's identifying data, and every rule it uses is defined and
sourced. Files are checked where they are written: tests/integration/test_data_rights.py runs
the chain and fails on any file the inventory does not cover."""
from __future__ import annotations

from transforms.canonical import load_model
from transforms.rights.inventory import IDENTIFYING_COLUMNS, load_inventory
from transforms.settings import REFERENCE_DIR
from transforms.warehouse.schema import metadata


def _pii_columns() -> set[str]:
    """Every column a source model flags ``pii``, plus the identifying names the warehouse uses."""
    names = set(IDENTIFYING_COLUMNS)
    for model in sorted(REFERENCE_DIR.glob("*model.yaml")):
        for table in load_model(model.name).values():
            names |= {c.name for c in table.columns if c.pii}
    return names


def test_every_table_with_identifying_columns_is_in_the_inventory():
    inventory = load_inventory()
    pii = _pii_columns()
    missing = sorted(t.name for t in metadata.tables.values()
                     if {c.name for c in t.columns} & pii and inventory.table(t.name) is None)
    assert not missing, f"tables holding personal data but not in personal_data_inventory.yaml: {missing}"


def test_pii_columns_of_the_models_are_known_to_the_inventory():
    # A new pii column in a model (say ``nhs_number``) must be added to IDENTIFYING_COLUMNS, so
    # the table test above and the file scans look for it.
    flagged = set()
    for model in sorted(REFERENCE_DIR.glob("*model.yaml")):
        for table in load_model(model.name).values():
            flagged |= {c.name for c in table.columns if c.pii}
    assert flagged <= IDENTIFYING_COLUMNS, sorted(flagged - IDENTIFYING_COLUMNS)


def test_inventory_tables_exist_and_their_search_columns_too():
    inventory = load_inventory()
    for place in inventory.tables():
        table = metadata.tables.get(place.place)
        assert table is not None, f"{place.place} is in the inventory but not in the warehouse schema"
        cols = {c.name for c in table.columns}
        wanted = set(place.redact) | ({place.redact_other_child} - {None}) | ({place.dated_by} - {None})
        for key, value in place.find.items():
            if key in ("child_id", "pnc_id", "key", "json"):
                wanted.add(value)
            elif key in ("upn", "name", "records"):
                wanted |= set(value if isinstance(value, list) else [value])
            elif key == "related":
                wanted.add(value["column"])
        assert wanted <= cols, (place.place, sorted(wanted - cols))
        assert set(place.holds) - {"raw values"} <= cols | {"record_id"}, (place.place, place.holds)


def test_every_rule_is_used_defined_and_sourced():
    inventory = load_inventory()
    used = {p.retention for p in inventory.places} | {p.also for p in inventory.places if p.also}
    assert used <= set(inventory.rules)
    for rule in inventory.rules.values():
        assert rule.basis and rule.starts, rule.name
        assert rule.days is None or rule.days >= 0


def test_a_personal_place_is_searchable_or_kept_as_aggregate():
    # Subject access must be able to find the child wherever the inventory says data is held.
    inventory = load_inventory()
    for place in inventory.tables():
        if place.personal and place.retention not in ("aggregate", "kept"):
            assert place.find, f"{place.place} holds personal data but says nothing of how to find a child in it"


def test_retention_days_are_settings():
    inventory = load_inventory(environ={"YJ_RETENTION_CUSTODY_VERSION_DAYS": "7"})
    assert inventory.rules["custody_version"].days == 7
    assert load_inventory(environ={}).rules["custody_version"].days == 31
