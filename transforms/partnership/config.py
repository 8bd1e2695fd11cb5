"""The partnership file: which youth justice services share this platform, the local authorities
each covers, each one's case-system supplier and landing folder, and where the shared police
custody feed lands.

```yaml
partnership: Leicester, Leicestershire and Rutland
custody_landing: police_custody          # the one custody feed the services share
services:
  - id: leicester_city                   # lower case, digits, underscores: used in role, table
    name: Leicester City                 #   and folder names
    local_authorities: [LEICESTER]       # codes, GSS codes or names from local_authorities.csv
    case_system: corepl                  # a supplier mapping file (mappings/corepl.yaml)
    landing: city                        # its deliveries (city/case_system/, city/education/, ...),
                                         #   relative to the landing folder, or absolute
  - id: leicestershire
    name: Leicestershire
    local_authorities: [LEICESTERSHIRE, RUTLAND]
    case_system: childview
    landing: county
```

With no file (setting ``partnership_file``, ``YJ_PARTNERSHIP_FILE``, unset) there is one service, derived from today's
settings (``service_name``, ``service_areas``, the landing folder), so a one-service install
needs nothing new. The file is checked when it is read, in the style of the supplier mappings: an
unknown key, a missing one, a local authority not in the reference, an authority claimed by two
services or a supplier with no mapping file is a ``PartnershipConfigError`` naming the file and
the key (``services[1].local_authorities[0]``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from transforms.ingest.mapping import case_system_layouts
from transforms.local_authorities import LocalAuthorities, local_authorities
from transforms.settings import Settings

# Service ids become PostgreSQL role names (yj_<id>_analyst, 63 bytes at most) and folder names.
SERVICE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names the shared area's warehouse and folders (transforms/partnership/scope.py).
RESERVED_SERVICE_IDS = ("partnership",)
DEFAULT_CUSTODY_LANDING = "police_custody"

_TOP_KEYS = {"partnership": str, "custody_landing": str, "services": list}
_SERVICE_KEYS = {"id": str, "name": str, "local_authorities": list, "case_system": str, "landing": str}
_SERVICE_REQUIRED = ("id", "name", "local_authorities", "landing")


class PartnershipConfigError(ValueError):
    """A partnership file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    local_authorities: tuple[str, ...]  # canonical codes, e.g. ("LEICESTERSHIRE", "RUTLAND")
    # The folder of the service's deliveries, in the landing layout (case_system/, education/,
    # ccis/, reference/); for the one-service default, the landing folder itself.
    landing_dir: Path
    # Supplier mapping of the case system; None: named by each delivery's manifest (today's default).
    case_system: str | None = None


@dataclass(frozen=True)
class Partnership:
    name: str
    services: tuple[Service, ...]
    custody_landing_dir: Path
    source: Path | None = None  # the file it was read from; None for the one-service default

    def service(self, service_id: str) -> Service:
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(f"no service '{service_id}' in the partnership (services: {', '.join(self.service_ids)})")

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.services)

    def service_covering(self, local_authority: str | None) -> Service | None:
        """The service whose area includes ``local_authority`` (a canonical code), if any."""
        for service in self.services:
            if local_authority in service.local_authorities:
                return service
        return None

    @property
    def is_single_service(self) -> bool:
        return len(self.services) == 1


def default_partnership(settings: Settings, authorities: LocalAuthorities | None = None) -> Partnership:
    """Today's one service, from the settings: no file needed."""
    authorities = authorities or local_authorities()
    codes = []
    for area in settings.service_areas:
        authority = authorities.resolve(area)
        if authority is None:
            raise PartnershipConfigError(
                f"setting service_areas: '{area}' is not an English or Welsh local authority in local_authorities.csv")
        codes.append(authority.code)
    service = Service(id=settings.service_slug or "service", name=settings.service_name,
                      local_authorities=tuple(codes), landing_dir=settings.landing_dir)
    return Partnership(name=settings.service_name, services=(service,),
                       custody_landing_dir=settings.landing_dir / DEFAULT_CUSTODY_LANDING)


def load_partnership(settings: Settings, path: Path | str | None = None) -> Partnership:
    """The partnership in ``path``, else in the setting ``partnership_file`` (``YJ_PARTNERSHIP_FILE``),
    else the one-service default."""
    chosen = path or settings.partnership_file
    if not chosen:
        return default_partnership(settings)
    return parse_partnership(Path(chosen), settings)


def _fail(path: Path, message: str) -> PartnershipConfigError:
    return PartnershipConfigError(f"partnership file {path.name}: {message}")


def _check_keys(path: Path, mapping: dict, known: dict, where: str) -> None:
    for key, value in mapping.items():
        if key not in known:
            raise _fail(path, f"unknown key '{where}{key}' (known: {', '.join(sorted(known))})")
        if value is not None and not isinstance(value, known[key]):
            raise _fail(path, f"key '{where}{key}' must be a {_kind(known[key])}, not {_kind(type(value))}")


def _kind(kind: type) -> str:
    return {"str": "text", "list": "list", "dict": "set of keys"}.get(kind.__name__, kind.__name__)


def parse_partnership(path: Path, settings: Settings, authorities: LocalAuthorities | None = None) -> Partnership:
    """Read and check one partnership file (see the module docstring)."""
    authorities = authorities or local_authorities()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PartnershipConfigError(f"partnership file {path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(path, f"cannot be read as YAML ({exc.__class__.__name__})") from exc
    if not isinstance(raw, dict):
        raise _fail(path, "the file must be a set of keys (partnership, custody_landing, services)")
    _check_keys(path, raw, _TOP_KEYS, "")
    for key in ("partnership", "services"):
        if raw.get(key) in (None, "", []):
            raise _fail(path, f"key '{key}' is missing")
    layouts = case_system_layouts(settings.mappings_dir)
    services: list[Service] = []
    claimed: dict[str, str] = {}  # local authority -> where it was first claimed
    landings: dict[Path, str] = {}
    for index, entry in enumerate(raw["services"]):
        where = f"services[{index}]"
        if not isinstance(entry, dict):
            raise _fail(path, f"key '{where}' must be a set of keys ({', '.join(_SERVICE_REQUIRED)})")
        _check_keys(path, entry, _SERVICE_KEYS, f"{where}.")
        for key in _SERVICE_REQUIRED:
            if entry.get(key) in (None, "", []):
                raise _fail(path, f"key '{where}.{key}' is missing")
        service_id = entry["id"]
        if not SERVICE_ID.match(service_id):
            raise _fail(path, f"key '{where}.id': '{service_id}' must start with a lower-case letter and hold only "
                              f"lower-case letters, digits and underscores (40 at most): it names database roles and folders")
        if service_id in RESERVED_SERVICE_IDS:
            raise _fail(path, f"key '{where}.id': '{service_id}' is reserved for the partnership's shared area")
        if service_id in (s.id for s in services):
            raise _fail(path, f"key '{where}.id': '{service_id}' is used by another service")
        codes = []
        for la_index, value in enumerate(entry["local_authorities"]):
            la_where = f"{where}.local_authorities[{la_index}]"
            authority = authorities.resolve(str(value)) if isinstance(value, str) else None
            if authority is None:
                raise _fail(path, f"key '{la_where}': '{value}' is not an English or Welsh upper-tier local authority "
                                  f"(a code, GSS code or name from local_authorities.csv)")
            if authority.code in claimed:
                raise _fail(path, f"key '{la_where}': {authority.code} is already covered by {claimed[authority.code]}; "
                                  f"a local authority belongs to one service")
            claimed[authority.code] = f"service '{service_id}'"
            codes.append(authority.code)
        supplier = entry.get("case_system")
        if supplier is not None and supplier not in layouts:
            raise _fail(path, f"key '{where}.case_system': no case-system mapping '{supplier}' in "
                              f"{settings.mappings_dir.name}/ (known: {', '.join(layouts)})")
        landing = _resolve(settings.landing_dir, entry["landing"])
        if landing in landings:
            raise _fail(path, f"key '{where}.landing': the folder is also {landings[landing]}'s; each service needs its own")
        landings[landing] = f"service '{service_id}'"
        services.append(Service(id=service_id, name=entry["name"].strip(), local_authorities=tuple(codes),
                                landing_dir=landing, case_system=supplier))
    custody = _resolve(settings.landing_dir, raw.get("custody_landing") or DEFAULT_CUSTODY_LANDING)
    if custody in landings:
        raise _fail(path, f"key 'custody_landing': the folder is also {landings[custody]}'s case-system landing")
    return Partnership(name=raw["partnership"].strip(), services=tuple(services), custody_landing_dir=custody, source=path)


def _resolve(root: Path, folder: str) -> Path:
    folder_path = Path(folder)
    return (folder_path if folder_path.is_absolute() else root / folder_path).resolve()
