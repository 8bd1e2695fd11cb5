"""The partnership file: the one-service default without a file, a two-service file, and an error
naming the file and the key for each kind of mistake (hand-written files)."""
from __future__ import annotations

from pathlib import Path

import pytest

from transforms.partnership.config import (
    PartnershipConfigError, default_partnership, load_partnership, parse_partnership,
)
from transforms.settings import REFERENCE_DIR, load_settings

EXAMPLE = REFERENCE_DIR / "partnership" / "example_leicester_leicestershire_rutland.yaml"

TWO_SERVICES = """
partnership: Leicester, Leicestershire and Rutland
services:
  - id: city
    name: Leicester City
    local_authorities: [LEICESTER]
    case_system: corepl
    landing: city
  - id: county
    name: Leicestershire
    local_authorities: [Leicestershire, E06000017]
    landing: /srv/yj/county
"""


@pytest.fixture
def settings(tmp_path):
    return load_settings().with_overrides(landing_dir=tmp_path / "landing")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partnership.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_todays_one_service(settings):
    assert settings.partnership_file is None
    partnership = load_partnership(settings)
    assert partnership.is_single_service and partnership.source is None
    (service,) = partnership.services
    assert (service.id, service.name, service.local_authorities) == ("leicestershire", "Leicestershire", ("LEICESTERSHIRE", "RUTLAND"))
    assert service.landing_dir == settings.landing_dir
    assert service.case_system is None  # the manifest names the layout, as today
    assert partnership.custody_landing_dir == settings.landing_dir / "police_custody"


def test_default_follows_the_service_settings(settings):
    city = settings.with_overrides(service_name="Leicester City", service_areas=("LEICESTER",))
    (service,) = default_partnership(city).services
    assert (service.id, service.local_authorities) == ("leicester_city", ("LEICESTER",))
    with pytest.raises(PartnershipConfigError, match="setting service_areas: 'LEICS' is not"):
        default_partnership(settings.with_overrides(service_areas=("LEICS",)))


def test_two_services(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("YJ_PARTNERSHIP_FILE", str(write(tmp_path, TWO_SERVICES)))
    settings = load_settings().with_overrides(landing_dir=settings.landing_dir)  # the setting read from the environment
    assert settings.partnership_file == tmp_path / "partnership.yaml"
    partnership = load_partnership(settings)
    assert partnership.name == "Leicester, Leicestershire and Rutland"
    assert partnership.service_ids == ("city", "county")
    county = partnership.service("county")
    assert county.local_authorities == ("LEICESTERSHIRE", "RUTLAND")  # a name and a GSS code, canonical
    assert county.landing_dir == Path("/srv/yj/county")
    assert partnership.service("city").landing_dir == settings.landing_dir / "city"
    assert partnership.service("city").case_system == "corepl"
    assert partnership.service_covering("RUTLAND").id == "county"
    assert partnership.service_covering("NOTTINGHAM") is None
    assert partnership.custody_landing_dir == settings.landing_dir / "police_custody"
    with pytest.raises(KeyError, match="no service 'rutland'"):
        partnership.service("rutland")


def test_shipped_example_loads(settings):
    partnership = parse_partnership(EXAMPLE, settings)
    assert partnership.service_ids == ("leicester_city", "leicestershire")


@pytest.mark.parametrize("text, message", [
    ("- a list\n", "the file must be a set of keys"),
    ("partnership: x\nservices: [\n", "cannot be read as YAML"),
    ("partnership: x\n", "key 'services' is missing"),
    (TWO_SERVICES + "custody_folder: police\n", "unknown key 'custody_folder'"),
    (TWO_SERVICES.replace("    landing: city\n", "    landing: city\n    landign: x\n"), r"unknown key 'services\[0\].landign'"),
    (TWO_SERVICES.replace("    name: Leicester City\n", ""), r"key 'services\[0\].name' is missing"),
    (TWO_SERVICES.replace("id: city", "id: City-YJS"), r"key 'services\[0\].id': 'City-YJS' must start with a lower-case letter"),
    (TWO_SERVICES.replace("id: county", "id: city"), r"key 'services\[1\].id': 'city' is used by another service"),
    (TWO_SERVICES.replace("[Leicestershire, E06000017]", "[Leicestershire, Charnwood]"),
     r"key 'services\[1\].local_authorities\[1\]': 'Charnwood' is not an English or Welsh upper-tier local authority"),
    (TWO_SERVICES.replace("[Leicestershire, E06000017]", "[Leicestershire, LEICESTER]"),
     r"key 'services\[1\].local_authorities\[1\]': LEICESTER is already covered by service 'city'"),
    (TWO_SERVICES.replace("local_authorities: [LEICESTER]", "local_authorities: LEICESTER"),
     r"key 'services\[0\].local_authorities' must be a list, not text"),
    (TWO_SERVICES.replace("case_system: corepl", "case_system: careworks"),
     r"key 'services\[0\].case_system': no case-system mapping 'careworks'.*known: caseflow, childview, corepl"),
    (TWO_SERVICES.replace("case_system: corepl", "case_system: la_education"),
     r"key 'services\[0\].case_system': no case-system mapping 'la_education'"),  # a mapping, but not of the case-system model
    (TWO_SERVICES.replace("landing: /srv/yj/county", "landing: city"), r"key 'services\[1\].landing': the folder is also service 'city''s"),
    (TWO_SERVICES + "custody_landing: city\n", "key 'custody_landing': the folder is also service 'city''s"),
    (TWO_SERVICES.replace("id: city", "id: 7"), r"key 'services\[0\].id' must be a text, not int"),
])
def test_mistakes_name_the_file_and_key(settings, tmp_path, text, message):
    with pytest.raises(PartnershipConfigError, match=r"partnership file partnership.yaml: " + message):
        parse_partnership(write(tmp_path, text), settings)


def test_missing_file(settings, tmp_path):
    with pytest.raises(PartnershipConfigError, match="no such file"):
        load_partnership(settings, tmp_path / "nowhere.yaml")
