"""Outputs of a custody refresh: the duty briefing (xlsx and one-page HTML), the prevention
triage list, and the month's figures for the Remand Strategy Meeting (internal and shared,
the shared one with small numbers suppressed). Names appear only inside the briefing and
triage files, because the duty manager and the prevention team need them; no file name and
no log line carries one."""
from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from transforms.custody.enrich import TRIAGE_OUTCOMES
from transforms.excel import write_table
from transforms.privacy import SUPPRESSION_THRESHOLD, DisclosureControl

SHOWN = {"custody_ref": "Custody ref", "custody_suite": "Suite", "forenames": "Forenames", "surname": "Surname",
         "age_at_arrival": "Age", "sex": "Sex", "arrival_datetime": "Arrived", "release_datetime": "Released",
         "hours_detained": "Time in custody", "offence_description": "Offence", "outcome": "Outcome",
         "known_to_service": "Known to YJS", "child_id": "Case ref"}
MARKING = "OFFICIAL-SENSITIVE"
# Every sheet of the briefing: a title, the as-at line with the marking, a blank row, then the
# table (its header on this row), so a sheet read alone still says what it is and when.
TABLE_ROW = 4


def hours_and_minutes(hours) -> str:
    """7.083 -> "7 h 05 min": how a duty manager reads a time in custody (not 7.08 hours)."""
    if hours is None or pd.isna(hours):
        return ""
    minutes = int(round(float(hours) * 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _view(frame: pd.DataFrame, extra: dict[str, str] | None = None) -> pd.DataFrame:
    columns = {**SHOWN, **(extra or {})}
    out = frame[[c for c in columns if c in frame.columns]].rename(columns=columns).copy()
    for col in ("Arrived", "Released", "AA requested", "Transfer requested"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col]).dt.strftime("%d/%m %H:%M").where(out[col].notna(), "")
    if "Time in custody" in out.columns:
        out["Time in custody"] = out["Time in custody"].map(hours_and_minutes)
    if "Known to YJS" in out.columns:
        out["Known to YJS"] = out["Known to YJS"].map({True: "Yes", False: "No"})
    if "Case ref" in out.columns:
        out["Case ref"] = out["Case ref"].where(out["Case ref"].notna(), "")
    return out.sort_values(out.columns[0]).reset_index(drop=True)


def briefing_sections(enriched: pd.DataFrame, previous_as_at: dt.datetime | None) -> dict[str, pd.DataFrame]:
    e = enriched
    new = e[e["first_seen_extract"] > previous_as_at] if previous_as_at else e
    transfers = e[(e["pace_transfer_requested"] == True) & (e["pace_transfer_achieved"] != True)]  # noqa: E712
    return {
        "Still detained": _view(e[e["still_detained"]]),
        "New since last refresh": _view(new),
        "Overnight last night": _view(e[e["overnight_last_night"]]),
        "Transfers not achieved": _view(transfers, {"pace_transfer_type": "Transfer type",
                                                    "reason_not_transferred": "Reason not transferred"}),
        "Appropriate adult awaited": _view(e[e["aa_awaited"]], {"appropriate_adult_requested": "AA requested"}),
        "Not known to the service": _view(e[~e["known_to_service"]]),
    }


def triage_list(enriched: pd.DataFrame, since: dt.datetime, as_at: dt.datetime) -> pd.DataFrame:
    """Released under investigation, on pre-charge bail, with no further action or referred to
    the joint decision panel in the period, and not currently open to the service."""
    e = enriched
    released = pd.to_datetime(e["release_datetime"])
    chosen = e[e["outcome"].isin(TRIAGE_OUTCOMES) & ~e["open_to_service"] & (released > since) & (released <= as_at)]
    return _view(chosen, {"postcode": "Postcode"})


BREAKDOWNS = (("ethnic_group", "ethnic_group"), ("age", "age_at_arrival"), ("sex", "sex"))


def monthly_figures(enriched: pd.DataFrame, month: str) -> pd.DataFrame:
    """Detentions arriving in the month, overnight detentions, PACE transfer requests and
    outcomes, by ethnic group, age at arrival and sex (one row per measure and breakdown); for
    a partnership's force-area figures (a ``service`` column), by service too."""
    arrivals = pd.to_datetime(enriched["arrival_datetime"])
    e = enriched[arrivals.dt.strftime("%Y-%m") == month]
    requested = e["pace_transfer_requested"] == True  # noqa: E712
    measures = {
        "detentions": pd.Series(True, index=e.index), "overnight_detentions": e["overnight"].astype(bool),
        "transfer_requested": requested, "transfer_requested_secure": requested & (e["pace_transfer_type"] == "SECURE"),
        "transfer_requested_non_secure": requested & (e["pace_transfer_type"] == "NON_SECURE"),
        "transfer_achieved": e["pace_transfer_achieved"] == True,  # noqa: E712
    }
    rows = []
    for measure, mask in measures.items():
        rows.append({"month": month, "measure": measure, "breakdown": "TOTAL", "value": "TOTAL", "count": int(mask.sum())})
        for kind, column in BREAKDOWNS + ((("service", "service"),) if "service" in e.columns else ()):
            # Unrecorded values are a row of their own, so each breakdown adds up to TOTAL.
            for value, n in e[mask][column].astype(object).fillna("Not known").value_counts().sort_index(key=lambda i: i.astype(str)).items():
                rows.append({"month": month, "measure": measure, "breakdown": kind, "value": str(value), "count": int(n)})
    return pd.DataFrame(rows, columns=["month", "measure", "breakdown", "value", "count"])


ONE_GROUP = "all categories merged (one group holds every child)"
SHARED_AGE_BANDS = ((10, 13), (14, 15), (16, 17))  # single ages would single out a child (one 11-year-old detained)


def _age_band(value: str) -> str:
    try:
        age = int(float(value))
    except ValueError:
        return value
    for low, high in SHARED_AGE_BANDS:
        if low <= age <= high:
            return f"{low} to {high}"
    return "Not known"


def shared_monthly_figures(figures: pd.DataFrame, threshold: int = SUPPRESSION_THRESHOLD) -> pd.DataFrame:
    """The Remand Strategy figures fit to share: ages merged into bands, then every count
    protected by ``DisclosureControl`` with the relations a reader knows (each breakdown adds
    up to its measure's TOTAL), so no hidden count can be worked out from the others. The
    count column holds the number, "<threshold" or "withheld"."""
    banded = figures.assign(value=[_age_band(v) if b == "age" else v for b, v in zip(figures["breakdown"], figures["value"])])
    banded = banded.groupby(["month", "measure", "breakdown", "value"], sort=False, as_index=False)["count"].sum()
    control = DisclosureControl(threshold)
    keys = [control.cell("|".join(map(str, (r.month, r.measure, r.breakdown, r.value))), r.count)
            for r in banded.itertuples(index=False)]
    banded["key"] = keys
    for (month, measure), part in banded.groupby(["month", "measure"], sort=False):
        total = part.loc[part["breakdown"] == "TOTAL", "key"]
        for kind, rows in part[part["breakdown"] != "TOTAL"].groupby("breakdown", sort=False):
            # Only the values present are listed, so one row is a breakdown too (the rest are zeros).
            control.breakdown(total.iloc[0], list(rows["key"]))
    control.protect()
    banded["count"] = [control.text(k, html=False) if not control.shown(k) else control.values[k] for k in banded["key"]]
    # A breakdown in which every child falls in one group (all White boys aged 14 to 15) is
    # merged into one row, so not even the name of the group is published (group disclosure).
    merged = {k for _, parts in control.merged for k in parts}
    first = {parts[0] for _, parts in control.merged}
    keep = ~banded["key"].isin(merged) | banded["key"].isin(first)
    banded.loc[banded["key"].isin(first), ["value", "count"]] = [ONE_GROUP, "not published"]
    return banded[keep].drop(columns="key").reset_index(drop=True)


def write_refresh_outputs(enriched: pd.DataFrame, folder: Path, as_at: dt.datetime,
                          previous_as_at: dt.datetime | None, service: str,
                          suppression_threshold: int = SUPPRESSION_THRESHOLD,
                          other_services_children: int | None = None) -> list[Path]:
    """``other_services_children``: in a partnership, how many detentions in the force area
    are another service's children (a count only: this service may not see who they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = briefing_sections(enriched, previous_as_at)
    stamp = f"{as_at:%Y%m%d_%H%M}"
    xlsx = folder / f"duty_briefing_{stamp}.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    counts = {name: len(frame) for name, frame in sections.items()}
    if other_services_children is not None:
        counts[OTHER_SERVICES_CHILDREN] = other_services_children
    summary = pd.DataFrame([{"Section": name, "Children": n} for name, n in counts.items()])
    _head_sheet(ws, service, as_at, previous_as_at)
    write_table(ws, summary, "Summary", start_row=TABLE_ROW)
    for i, (name, frame) in enumerate(sections.items(), start=1):
        sheet = wb.create_sheet(name[:31])
        _head_sheet(sheet, service, as_at, previous_as_at, name)
        if frame.empty:
            sheet.cell(row=TABLE_ROW, column=1, value="None at this refresh.")
        else:
            write_table(sheet, frame, f"S{i}", start_row=TABLE_ROW)
    wb.save(xlsx)
    page = folder / f"duty_briefing_{stamp}.html"
    page.write_text(_html(sections, as_at, previous_as_at, service, other_services_children), encoding="utf-8")

    since = previous_as_at or (as_at - dt.timedelta(hours=48))
    triage = triage_list(enriched, since, as_at)
    triage_path = folder / f"prevention_triage_{stamp}.xlsx"
    wb = Workbook()
    if triage.empty:
        wb.active["A1"] = "No child to triage in this period."
    else:
        write_table(wb.active, triage, "Triage")
    wb.active.title = "Triage"
    wb.save(triage_path)

    return [xlsx, page, triage_path, *write_remand_figures(enriched, folder.parent, as_at, suppression_threshold)]


def write_remand_figures(enriched: pd.DataFrame, folder: Path, as_at: dt.datetime,
                         suppression_threshold: int = SUPPRESSION_THRESHOLD) -> list[Path]:
    """The month's Remand Strategy Meeting figures, internal and shared (disclosure-controlled)."""
    folder.mkdir(parents=True, exist_ok=True)
    month = f"{as_at:%Y-%m}"
    figures = monthly_figures(enriched, month)
    internal = folder / f"remand_strategy_{month}_internal.xlsx"
    shared = folder / f"remand_strategy_{month}_shared.xlsx"
    for path, frame in ((internal, figures), (shared, shared_monthly_figures(figures, suppression_threshold))):
        wb = Workbook()
        wb.active.title = "Figures"
        write_table(wb.active, frame, "Figures")
        wb.save(path)
    return [internal, shared]


OTHER_SERVICES_CHILDREN = "Detained in the area, another service's child"


def _as_at_line(as_at: dt.datetime, previous: dt.datetime | None) -> str:
    since = f" Changes since {previous:%d/%m/%Y %H:%M}." if previous else ""
    return f"Police custody data as at {as_at:%d/%m/%Y %H:%M} (Europe/London).{since} {MARKING}: contains children's names."


def _head_sheet(ws, service: str, as_at: dt.datetime, previous: dt.datetime | None, section: str | None = None) -> None:
    """Title, as-at time and marking on the sheet, and the marking printed on every page."""
    title = f"{service} Youth Justice: police custody duty briefing" + (f": {section}" if section else "")
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=_as_at_line(as_at, previous))
    ws.oddHeader.center.text = MARKING
    ws.oddFooter.left.text = f"As at {as_at:%d/%m/%Y %H:%M}"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.print_title_rows = f"{TABLE_ROW}:{TABLE_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1


def _html(sections: dict[str, pd.DataFrame], as_at: dt.datetime, previous: dt.datetime | None, service: str,
          other_services_children: int | None = None) -> str:
    def table(frame: pd.DataFrame) -> str:
        if frame.empty:
            return "<p class='none'>None.</p>"
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
                       for row in frame.itertuples(index=False))
        return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"

    cards = "".join(f"<div class='card'><b>{len(f)}</b><span>{html.escape(n)}</span></div>" for n, f in sections.items())
    if other_services_children is not None:
        cards += f"<div class='card'><b>{other_services_children}</b><span>{html.escape(OTHER_SERVICES_CHILDREN)}</span></div>"
    parts = "".join(f"<h2>{html.escape(n)} ({len(f)})</h2>{table(f)}" for n, f in sections.items())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Duty briefing {as_at:%d/%m/%Y %H:%M}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;margin:16px;color:#1d1d1d;font-size:12px}}
h1{{font-size:18px;margin:0 0 4px}} h2{{font-size:14px;margin:14px 0 4px;border-bottom:2px solid #005ea5}}
.meta{{color:#555;margin-bottom:8px}} .cards{{display:flex;gap:8px;flex-wrap:wrap}}
.card{{border:1px solid #ccc;border-left:4px solid #005ea5;padding:4px 10px;min-width:110px}}
.card b{{display:block;font-size:20px}} table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #ddd;padding:2px 6px;text-align:left}} th{{background:#f0f4f8}} .none{{color:#777}}
.scroll{{overflow-x:auto;-webkit-overflow-scrolling:touch}} td{{white-space:nowrap}}
@media (max-width:600px){{body{{margin:8px;font-size:14px}} .card{{flex:1 1 40%}} h1{{font-size:16px}}}}
</style></head><body>
<h1>{html.escape(service)} Youth Justice: police custody duty briefing</h1>
<div class="meta">{html.escape(_as_at_line(as_at, previous))}</div>
<div class="cards">{cards}</div>{parts}</body></html>"""
