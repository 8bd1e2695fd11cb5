"""A delivery: the files of one source that are loaded together, with what the sender says
about them (a case-system manifest) or what the landing layout says (a dated folder or file).

A case-system delivery is complete only when its ``manifest.json`` has arrived (it is written
last) and every file it lists is present with the SHA-256 it gives. Row counts are checked
while the files are read, because counting CSV rows needs a parse anyway."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from transforms.ingest.mapping import MappingError, case_system_layouts, load_mapping
from transforms.ingest.report import DeliveryRejected

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ManifestFile:
    name: str
    sha256: str
    rows: dict[str, int]


@dataclass
class Delivery:
    folder: Path
    delivery_id: str
    supplier: str
    extracted_at: dt.datetime | None
    files: list[ManifestFile]
    mapping: SupplierMapping | None = None
    notes: list[str] = field(default_factory=list)
    sheet_cache: dict = field(default_factory=dict, repr=False)
    paths: dict[str, Path] = field(default_factory=dict)  # file name in the mapping -> actual path

    def expected_rows(self, table: str) -> int | None:
        """The manifest's row count for a table; None when the source has no manifest."""
        if not self.files:
            return None
        for f in self.files:
            if table in f.rows:
                return int(f.rows[table])
        raise DeliveryRejected(f"the manifest gives no row count for table '{table}'")

    def path_of(self, name: str) -> Path:
        return self.paths.get(name, self.folder / name)

    @property
    def file_hashes(self) -> dict[str, str]:
        if self.files:
            return {f.name: f.sha256 for f in self.files}
        return {name: file_sha256(p) for name, p in sorted(self.paths.items()) if p.is_file()}

    @property
    def extracted_text(self) -> str:
        return self.extracted_at.isoformat() if self.extracted_at else ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_timestamp(text: str) -> dt.datetime:
    """A manifest time as an aware datetime, whatever the sender wrote: ISO with or without a
    zone (``Z``, ``+01:00``; none means Europe/London wall-clock), or a spreadsheet-style
    ``dd/mm/yyyy hh:mm[:ss]``. Times are compared as times, never as text."""
    value = str(text).strip()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y%m%d%H%M%S", "%Y%m%d"):
            try:
                parsed = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise ValueError(f"'{value[:40]}' is not a date and time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed


def read_manifest(folder: Path, mappings_dir: Path | None = None) -> Delivery:
    path = folder / "manifest.json"
    if not path.is_file():
        raise DeliveryRejected(f"delivery folder {folder.name} has no manifest.json yet (incomplete delivery)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
        files = [ManifestFile(name=str(f["name"]), sha256=str(f["sha256"]).lower(),
                              rows={str(t): int(n) for t, n in dict(f["rows"]).items()}) for f in raw["files"]]
        delivery_id = str(raw["delivery_id"]).strip()
        supplier = str(raw["supplier"]).strip()
        extracted = parse_timestamp(raw["extracted_at"])
    except KeyError as exc:
        raise DeliveryRejected(f"manifest.json in {folder.name} is not valid: it has no {exc.args[0]!r}") from exc
    except (ValueError, TypeError, AttributeError, OSError) as exc:
        raise DeliveryRejected(f"manifest.json in {folder.name} is not valid: {exc.__class__.__name__} "
                               f"{str(exc)[:120]}") from exc
    if not delivery_id or not re.fullmatch(r"[\w.:+-]{1,120}", delivery_id):
        raise DeliveryRejected(f"manifest.json in {folder.name}: the delivery_id is empty or has characters "
                               "a delivery id cannot have")
    if supplier not in case_system_layouts(mappings_dir):
        raise DeliveryRejected(f"manifest names supplier '{supplier[:40]}', which has no case-system mapping file "
                               f"(known: {', '.join(case_system_layouts(mappings_dir))})")
    try:
        mapping = load_mapping(supplier, mappings_dir)
    except MappingError as exc:
        raise DeliveryRejected(str(exc)) from exc
    return Delivery(folder=folder, delivery_id=delivery_id, supplier=supplier, extracted_at=extracted, files=files,
                    mapping=mapping)


def verify_files(delivery: Delivery) -> None:
    """Every listed file is present and unchanged; every table of the layout is listed."""
    from transforms.ingest.readers import check_is_readable_file

    for f in delivery.files:
        path = delivery.folder / f.name
        if Path(f.name).name != f.name:
            raise DeliveryRejected(f"the manifest lists {f.name}, which is not a plain file name")
        if not path.exists() and not path.is_symlink():
            raise DeliveryRejected(f"the manifest lists {f.name}, which is not in the delivery")
        check_is_readable_file(path)
        if file_sha256(path) != f.sha256:
            raise DeliveryRejected(f"{f.name}: SHA-256 does not match the manifest (the file is truncated or "
                                   f"was changed after the manifest was written)")
    listed = {t for f in delivery.files for t in f.rows}
    missing = [t for t in delivery.mapping.tables if t not in listed]
    if missing:
        raise DeliveryRejected(f"the manifest does not list the table(s) {', '.join(missing)}")


def find_deliveries(case_system_dir: Path, mappings_dir: Path | None = None) -> list[Path]:
    """Delivery folders that have a manifest, oldest first by the manifest's parsed extracted_at."""
    if not case_system_dir.is_dir():
        return []
    dated = []
    for folder in case_system_dir.iterdir():
        if folder.is_dir() and (folder / "manifest.json").exists():
            try:
                stamp = read_manifest(folder, mappings_dir).extracted_at.astimezone(dt.timezone.utc)
                dated.append((0, stamp, folder.name, folder))
            except DeliveryRejected:
                # An unreadable manifest sorts as newest, so it is reported rather than skipped.
                dated.append((1, dt.datetime.max.replace(tzinfo=dt.timezone.utc), folder.name, folder))
    return [f for *_, f in sorted(dated)]
