"""Case-system deliveries in the landing folder: which are complete, and the newest one.

A delivery is complete only when its ``manifest.json`` has arrived (it is written last) and
every file it lists is present with the SHA-256 it gives. Row counts are checked while the
files are read (``readers``), because counting CSV rows needs a parse anyway."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from transforms.casesystem.mapping import SupplierMapping, known_suppliers, load_mapping


class DeliveryRejected(Exception):
    """The delivery as a whole cannot be loaded; the message says why, without personal data."""


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
    extracted_at: str
    files: list[ManifestFile]
    notes: list[str] = field(default_factory=list)
    sheet_cache: dict = field(default_factory=dict, repr=False)

    @property
    def mapping(self) -> SupplierMapping:
        return load_mapping(self.supplier)

    def expected_rows(self, table: str) -> int:
        for f in self.files:
            if table in f.rows:
                return int(f.rows[table])
        raise DeliveryRejected(f"the manifest gives no row count for table '{table}'")

    @property
    def file_hashes(self) -> dict[str, str]:
        return {f.name: f.sha256 for f in self.files}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> Delivery:
    path = folder / "manifest.json"
    if not path.exists():
        raise DeliveryRejected(f"delivery folder {folder.name} has no manifest.json yet (incomplete delivery)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
        files = [ManifestFile(name=f["name"], sha256=f["sha256"].lower(), rows=dict(f["rows"])) for f in raw["files"]]
        delivery = Delivery(folder=folder, delivery_id=str(raw["delivery_id"]), supplier=str(raw["supplier"]),
                            extracted_at=str(raw["extracted_at"]), files=files)
    except (ValueError, KeyError, TypeError) as exc:
        raise DeliveryRejected(f"manifest.json in {folder.name} is not valid: {exc.__class__.__name__} {exc}") from exc
    if delivery.supplier not in known_suppliers():
        raise DeliveryRejected(f"manifest names supplier '{delivery.supplier}', which has no mapping file "
                               f"(known: {', '.join(known_suppliers())})")
    return delivery


def verify_files(delivery: Delivery) -> None:
    """Every listed file is present and unchanged; every table of the layout is listed."""
    for f in delivery.files:
        path = delivery.folder / f.name
        if not path.exists():
            raise DeliveryRejected(f"the manifest lists {f.name}, which is not in the delivery")
        actual = file_sha256(path)
        if actual != f.sha256:
            raise DeliveryRejected(f"{f.name}: SHA-256 does not match the manifest (the file is truncated or "
                                   f"was changed after the manifest was written)")
    listed = {t for f in delivery.files for t in f.rows}
    missing = [t for t in delivery.mapping.tables if t not in listed]
    if missing:
        raise DeliveryRejected(f"the manifest does not list the table(s) {', '.join(missing)}")


def find_deliveries(case_system_dir: Path) -> list[Path]:
    """Delivery folders that have a manifest, oldest first by the manifest's extracted_at."""
    if not case_system_dir.exists():
        return []
    dated = []
    for folder in case_system_dir.iterdir():
        if folder.is_dir() and (folder / "manifest.json").exists():
            try:
                dated.append((read_manifest(folder).extracted_at, folder.name, folder))
            except DeliveryRejected:
                # An unreadable manifest sorts as newest, so it is reported rather than skipped.
                dated.append(("~", folder.name, folder))
    return [f for _, _, f in sorted(dated)]
