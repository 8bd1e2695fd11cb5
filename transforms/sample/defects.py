"""Realistic data-quality problems, for ``yj sample --defects`` and for the tests.

Two kinds: row-level defects written into a delivery before its manifest (the load must
quarantine those rows and load the rest), and damage done to a delivery after its manifest
was written (the load must reject the whole delivery and keep the previous one live)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_TEXT = "=HYPERLINK(\"http://example.invalid\",\"click\")"


def case_system_row_defects(rng: np.random.Generator, per_kind: int = 2):
    """A ``corrupt`` callback for ``write_delivery``: each kind of row-level defect a few times.

    Frames arrive with the supplier's headers; defects are placed by column position so the
    same code serves every layout (positions follow the canonical model)."""
    from transforms.canonical import canonical_tables

    def corrupt(table: str, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if len(frame) < 4 * per_kind + 4:
            return frame
        headers = dict(zip(canonical_tables()[table].column_names, frame.columns))
        picks = iter(rng.choice(np.arange(1, len(frame)), size=min(len(frame) - 1, 12 * per_kind), replace=False))

        def take(k=per_kind):
            return [next(picks) for _ in range(k)]

        def put(rows, column, value):
            col = headers[column]
            frame[col] = frame[col].astype(object)
            frame.loc[frame.index[rows], col] = value

        is_csv = frame.attrs.get("layout") != "xlsx"
        if table == "child":
            put(take(), "date_of_birth", "31/02/2009" if is_csv else "2009-02-31")  # impossible date
            put(take(), "date_of_birth", "03/04/2031" if is_csv else "2031-04-03")  # in the future
            put(take(), "sex", "Unknown gender" if is_csv else "X")  # not in the code list
            put(take(1), "first_name", FORMULA_TEXT)  # must load as text, never become a formula
            put(take(1), "last_name", "Zoë-Brontë")
            if is_csv:  # the supplier's export tool fell back to Windows-1252 for this file
                frame.attrs["encoding"] = "cp1252"
            put(take(1), "postcode", "NULL")
            put(take(1), "upn", "N/A")
            put(take(1), "pnc_id", "   ")
        elif table == "episode":
            put(take(), "start_date", "2024-03-05" if is_csv else "05/03/2024")  # wrong date format
            put(take(), "episode_type", "Refferal Order" if is_csv else "REFFERAL_ORDER")
            put(take(), "child_id", "CH999999")  # orphan: no such child
            rows = take()
            end = headers["end_date"]
            start = headers["start_date"]
            for r in rows:  # end before start
                frame.loc[frame.index[r], end] = "01/01/2015" if is_csv else "2015-01-01"
                frame.loc[frame.index[r], start] = "01/06/2016" if is_csv else "2016-06-01"
            put(take(1), "planned_end_date", "-")
            dup = frame.iloc[take()]  # duplicate keys: the same episode twice
            frame = pd.concat([frame, dup], ignore_index=True)
        elif table == "offence":
            put(take(), "gravity_score", "12")
            put(take(), "offence_category", "Shoplifting" if is_csv else "SHOPLIFTING")
        return frame

    return corrupt


def other_source_row_defects(rng: np.random.Generator, files: dict[str, pd.DataFrame], per_kind: int = 2) -> None:
    """The custody and education equivalents, changed in place in the frames about to be written."""
    for name, frame in files.items():
        if len(frame) < 8 * per_kind:
            continue
        rows = rng.choice(frame.index.to_numpy(), size=8 * per_kind, replace=False)
        r = iter(rows)
        take = lambda: [next(r) for _ in range(per_kind)]  # noqa: E731
        if name.startswith("custody_"):
            for i in take():  # release before arrival
                frame.loc[i, "release_datetime"] = frame.loc[i, "arrival_datetime"][:10] + "T00:00:01"
            frame.loc[take(), "date_of_birth"] = "2000-01-01"  # aged over 17
            for i in take():  # transfer achieved without a request
                frame.loc[i, ["pace_transfer_requested", "pace_transfer_achieved"]] = ["N", "Y"]
            frame.loc[take(), "outcome"] = "RELEASED_NO_CHARGE"  # not in the outcome code list
        elif name == "pupils.csv":
            rows = take()  # a check letter that does not match the digits (a mistyped UPN)
            frame.loc[rows, "upn"] = frame.loc[rows, "upn"].map(lambda u: _other_check_letter(u[0]) + u[1:])
            frame.loc[take(), "ethnicity"] = "WBRT"
            frame.loc[take(), "sen_provision"] = "S"
        elif name == "attendance.csv":
            for i in take():  # more attended sessions than possible
                frame.loc[i, "attended_sessions"] = str(int(frame.loc[i, "possible_sessions"]) + 5)
        elif name.startswith("ccis_activity"):
            frame.loc[take(), "activity_code"] = "999"  # not in the activity code list
            rows = [i for i in take() if frame.loc[i, "upn"]]
            frame.loc[rows, "upn"] = frame.loc[rows, "upn"].map(lambda u: _other_check_letter(u[0]) + u[1:])
        elif name == "suspensions.csv":
            frame.loc[take(), "start_date"] = "2099-01-01"


def _other_check_letter(letter: str) -> str:
    from transforms.identifiers import UPN_CHECK_ALPHABET

    return UPN_CHECK_ALPHABET[(UPN_CHECK_ALPHABET.index(letter) + 1) % len(UPN_CHECK_ALPHABET)]


# Damage done after the manifest: each of these must make the loader reject the delivery.

def truncate_file(path: Path, keep_share: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_share)])


def drop_column(path: Path, header: str, encoding: str = "utf-8-sig", update_manifest: bool = True) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    frame.drop(columns=[header]).to_csv(path, index=False, encoding=encoding)
    if update_manifest:
        rehash(path.parent)


def rehash(folder: Path) -> None:
    """Recompute the manifest's hashes and row counts, as a supplier would for a file it
    changed before sending (so the damage is inside the contract, not a transfer fault)."""
    from transforms.ingest.delivery import file_sha256

    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"]:
        path = folder / entry["name"]
        if path.exists():
            entry["sha256"] = file_sha256(path)
            if path.suffix == ".csv":
                (table,) = entry["rows"]
                entry["rows"][table] = len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace"))
    manifest_path.write_text(json.dumps(manifest, indent=2))
