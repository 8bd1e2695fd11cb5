"""Subject access (UK GDPR Art. 15): one child's records from every place of the inventory,
written as one OFFICIAL-SENSITIVE pack under the output area, and audited with counts only.

The pack is a workbook with an About sheet, a sheet per source (each record with where it is
held, its delivery and extract date), a sheet of the raw archive and output files that name the
child (file and row, never the row itself: it may hold other children), and a sheet of near
matches for a person to confirm before anything from them is disclosed. Other people's data in
the child's own records (a victim's age, sex and ethnicity; the other child of a review pair) is
redacted. A PDF copy is made with LibreOffice when it is installed."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Engine, insert, update

from transforms.excel import set_print_layout, unique_path, write_table
from transforms.rights.find import Found, Request, find_records
from transforms.rights.inventory import Inventory, load_inventory
from transforms.settings import Settings, name_slug
from transforms.warehouse.db import ensure_schema
from transforms.warehouse.schema import audit_rights

MARKING = "OFFICIAL-SENSITIVE"
REDACTED = "[redacted: another person]"
SOURCE_SHEETS = {"case_system": "Case system", "police_custody": "Police custody", "education": "Education",
                 "ccis": "CCIS post-16", "matching": "Matching", "all": "Quarantined rows"}
PACK_FOLDER = "subject_access"


@dataclass(frozen=True)
class PackResult:
    run_id: str
    workbook: Path
    pdf: Path | None
    pdf_note: str
    counts: dict[str, int]
    near_matches: int
    seconds: float

    def summary(self) -> str:
        total = sum(v for k, v in self.counts.items() if not k.startswith("files:"))
        return (f"subject access {self.run_id}: {total} record(s) in {sum(1 for k in self.counts if not k.startswith('files:'))} "
                f"place(s), {self.counts.get('files:archive', 0)} archive row(s), {self.counts.get('files:output', 0)} "
                f"output row(s), {self.near_matches} near match(es) to confirm ({self.seconds:.1f}s)")


def pack_folder(settings: Settings) -> Path:
    """Where packs go: under the service's output area only (INTERNAL files, like the review
    and evidence workbooks), never beside anything shared."""
    return settings.output_dir / PACK_FOLDER


def redact(found: Found, inventory: Inventory) -> dict[str, pd.DataFrame]:
    """The child's records with other people's data blanked."""
    out = {}
    for place_name, frame in found.records.items():
        place = inventory.table(place_name)
        frame = frame.copy()
        for col in place.redact if place else ():
            if col in frame.columns:
                frame[col] = frame[col].where(frame[col].isna(), REDACTED)
        if place and place.redact_other_child and place.redact_other_child in frame.columns:
            col = place.redact_other_child
            frame[col] = [v if v in found.subject.child_ids or v is None else REDACTED for v in frame[col]]
            # A pair of the child's case record with someone else's record: that record's id (a
            # pupil's UPN, another detention) is the other person's.
            if {"source", "record_id"} <= set(frame.columns):
                own = found.subject.records
                frame["record_id"] = [r if (src, r) in own else REDACTED for src, r in zip(frame["source"], frame["record_id"])]
        out[place_name] = frame
    return out


def write_pack(found: Found, folder: Path, request_ref: str, requested_by: str | None, now: dt.datetime,
               inventory: Inventory) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = unique_path(folder / f"subject_access_{name_slug(request_ref) or 'request'}_{now:%Y%m%d_%H%M}_INTERNAL.xlsx")
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about["A1"] = f"{MARKING}: subject access pack"
    about["A1"].font = Font(bold=True, size=14)
    counts = pd.DataFrame([{"place": p, "records": n} for p, n in found.counts().items()], columns=["place", "records"])
    lines = [("Request", request_ref), ("Requested by", requested_by or ""), ("Produced", f"{now:%d/%m/%Y %H:%M}"),
             ("Marking", f"{MARKING}: personal data of a child; handle and send as the service's SAR procedure says"),
             ("Places searched", ", ".join(found.places_searched)),
             ("How the child was found", "case-system id, linked records (matching), UPN, PNC id, and name with date of birth"),
             ("Redaction", f"other people's data in these records (victims' details, other children in review pairs) "
                           f"shows as {REDACTED}; file rows are listed by position only"),
             ("Near matches", f"{sum(len(f) for f in found.near.values())} record(s) with the same date of birth and one "
                              "name the same are NOT in this pack: they are listed in the _NEAR_MATCHES_ file beside it "
                              "for a person to confirm before anything from them is disclosed")]
    write_table(about, pd.DataFrame(lines, columns=["item", "value"]), "About", start_row=3)
    write_table(about, counts, "Counts", start_row=len(lines) + 6)
    _layout(about, 3, request_ref)
    by_sheet: dict[str, list[tuple[str, pd.DataFrame]]] = {}
    for place_name, frame in redact(found, inventory).items():
        place = inventory.table(place_name)
        by_sheet.setdefault(SOURCE_SHEETS.get(place.source, place.source), []).append((place_name, frame))
    for sheet, parts in by_sheet.items():
        ws = wb.create_sheet(sheet)
        row = 1
        ws.cell(row=row, column=1, value=f"{MARKING}: {sheet}").font = Font(bold=True)
        row += 2
        for place_name, frame in parts:
            ws.cell(row=row, column=1, value=f"{place_name}: {len(frame)} record(s)").font = Font(bold=True)
            write_table(ws, _text(frame), f"T_{place_name}", start_row=row + 1)
            row += len(frame) + 4
        _layout(ws, 4, request_ref)
    files = wb.create_sheet("Files")
    files["A1"] = f"{MARKING}: rows of archived deliveries and written outputs that name the child (position only)"
    write_table(files, found.files, "Files", start_row=3)
    _layout(files, 3, request_ref)
    wb.save(path)
    if found.near:
        write_near_matches(found, near_matches_path(path), request_ref)
    return path


def near_matches_path(pack: Path) -> Path:
    """The near matches go in a file of their own beside the pack: they may be other people,
    so they are never part of what is disclosed until a person has confirmed them."""
    return pack.with_name(pack.name.replace("_INTERNAL.xlsx", "_NEAR_MATCHES_INTERNAL.xlsx"))


def write_near_matches(found: Found, path: Path, request_ref: str) -> Path:
    wb = Workbook()
    near = wb.active
    near.title = "Near matches"
    near["A1"] = (f"{MARKING}: NOT part of the pack. Same date of birth and one name the same as the child of request "
                  f"{request_ref}: a person confirms each before anything from it is disclosed")
    row = 3
    for place_name, frame in found.near.items():
        near.cell(row=row, column=1, value=f"{place_name}: {len(frame)} record(s)").font = Font(bold=True)
        write_table(near, _text(frame), f"N_{place_name}", start_row=row + 1)
        row += len(frame) + 4
    _layout(near, 4, request_ref)
    wb.save(path)
    return path


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as text, so the pack reads the same in Excel and the PDF."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype(str).where(out[col].notna(), None)
    return out


def _layout(ws, header_row: int, request_ref: str) -> None:
    set_print_layout(ws, header_row=header_row, left=f"Subject access {request_ref}", centre=ws.title, right=MARKING)


def to_pdf(workbook: Path, timeout: int = 180) -> tuple[Path | None, str]:
    """A PDF beside the workbook, by LibreOffice; (None, why) when it is not installed or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None, "no PDF: LibreOffice (soffice) is not installed; the workbook is the pack"
    with tempfile.TemporaryDirectory(prefix="yj-soffice-") as profile:
        result = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                                 "--outdir", str(workbook.parent), str(workbook)], capture_output=True, timeout=timeout)
    pdf = workbook.with_suffix(".pdf")
    if result.returncode != 0 or not pdf.exists():
        return None, f"no PDF: LibreOffice stopped with exit code {result.returncode}"
    return pdf, "PDF written by LibreOffice"


def start_audit(engine: Engine, action: str, request_ref: str | None, requested_by: str | None,
                now: dt.datetime | None = None) -> str:
    run_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(insert(audit_rights).values(run_id=run_id, action=action, request_ref=request_ref,
                                                 requested_by=requested_by,
                                                 started_at=now or dt.datetime.now(dt.timezone.utc)))
    return run_id


def finish_audit(engine: Engine, run_id: str, counts: dict, note: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_rights).where(audit_rights.c.run_id == run_id).values(
            finished_at=dt.datetime.now(dt.timezone.utc), counts=counts, note=note))


def subject_access(settings: Settings, engine: Engine, request: Request, request_ref: str,
                   requested_by: str | None = None, pdf: bool = True, now: dt.datetime | None = None) -> PackResult:
    """Find, write the pack (and its PDF) and audit the request: who asked, when, counts found."""
    if not request.given():
        raise ValueError("give a case-system child id, a UPN, a PNC id, or first name, last name and date of birth")
    if not request_ref or not request_ref.strip():
        raise ValueError("give the request's reference (the service's SAR log number)")
    started = time.perf_counter()
    ensure_schema(engine)
    now = now or dt.datetime.now()
    run_id = start_audit(engine, "SUBJECT_ACCESS", request_ref, requested_by)
    inventory = load_inventory()
    found = find_records(engine, request, settings, inventory)
    workbook = write_pack(found, pack_folder(settings), request_ref, requested_by, now, inventory)
    pdf_path, pdf_note = to_pdf(workbook) if pdf else (None, "no PDF asked for")
    counts = found.counts()
    near = sum(len(f) for f in found.near.values())
    finish_audit(engine, run_id, {**counts, "near_matches": near}, pdf_note)
    return PackResult(run_id, workbook, pdf_path, pdf_note, counts, near, time.perf_counter() - started)


def request_from(values: dict) -> Request:
    """A Request from text values (CLI arguments, DAG params); empty values are not given."""
    def text(key):
        v = values.get(key)
        return str(v).strip() if v not in (None, "") and str(v).strip() else None

    dob = text("date_of_birth")
    try:
        dob_value = dt.date.fromisoformat(dob) if dob else None
    except ValueError:
        raise ValueError("date of birth must be written yyyy-mm-dd") from None
    return Request(child_id=text("child_id"), upn=text("upn"), pnc_id=text("pnc_id"), first_name=text("first_name"),
                   last_name=text("last_name"), date_of_birth=dob_value)


__all__ = ["subject_access", "request_from", "PackResult", "pack_folder", "MARKING", "REDACTED"]
