"""The partnership board pack: one page comparing the services side by side for one quarter
(issue 16 item 4), written to the partnership area's output.

Nothing is defined or counted twice: each service's column is that service's own board pack
planned from its own warehouse (``board_pack.plan_board_pack``: the return's stored figures,
recomputed by the same rules only where none are stored) and protected by the same disclosure
control, so a cell hidden in a service's pack is hidden here too and no figure differs between
the two pages. No partnership total is printed: percentages do not add, and a total beside
the services' counts would let a reader work out a hidden one.

A service whose pack cannot be made (marts not built, no data for the quarter) gets a column
saying why, in one line, and the others are still compared."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from transforms.marts.board_pack import (HEADLINES, LOCAL, MartsNotBuilt, PlannedPack, QuarterRefused, figure_key,
                                         plan_board_pack)
from transforms.periods import Quarter
from transforms.settings import name_slug

ORIGIN_WORDS = {"submitted": "as submitted", "returned": "as returned", "recomputed": "recomputed (no return stored)"}


@dataclass(frozen=True)
class ServiceWarehouse:
    """One column of the page: a service and the warehouse its figures are read from."""
    id: str
    name: str
    engine: Engine
    areas: tuple[str, ...]


@dataclass(frozen=True)
class PartnershipPack:
    path: Path
    quarter: Quarter
    compared: tuple[str, ...]
    not_compared: dict[str, str]  # service id -> why it has no figures

    def summary(self) -> str:
        text = f"partnership board pack {self.quarter.label}: {len(self.compared)} service(s) side by side"
        if self.not_compared:
            text += f"; without figures: {', '.join(self.not_compared)}"
        return text


def write_partnership_board_pack(services: list[ServiceWarehouse], quarter: Quarter, out_dir: Path,
                                 partnership_name: str, threshold: int = 5,
                                 produced: dt.datetime | None = None) -> PartnershipPack:
    produced = produced or dt.datetime.now().replace(microsecond=0)
    planned: dict[str, PlannedPack] = {}
    not_compared: dict[str, str] = {}
    for service in services:
        try:
            planned[service.id] = plan_board_pack(service.engine, quarter, service.areas, threshold, produced.date())
        except (MartsNotBuilt, QuarterRefused) as exc:
            not_compared[service.id] = str(exc)

    def row(title: str, what: str, cell) -> str:
        cells = "".join(cell(planned[s.id]) if s.id in planned else "<td class='x'>no figures</td>" for s in services)
        return f"<tr><th>{html.escape(title)}<div class='sub'>{html.escape(what)}</div></th>{cells}</tr>"

    def headline(num: str, den: str):
        def cell(pack: PlannedPack) -> str:
            n_key, d_key = figure_key(num, quarter), figure_key(den, quarter)
            control = pack.page.control
            return (f"<td class='n' data-cell='{html.escape(n_key)}'><b>{pack.page.pct(n_key, d_key)}</b>"
                    f"<div class='sub'>{control.text(n_key)} of {control.text(d_key)}</div></td>")
        return cell

    def count(measure: str):
        def cell(pack: PlannedPack) -> str:
            return pack.page.td(figure_key(measure, quarter))
        return cell

    def origin(pack: PlannedPack) -> str:
        return f"<td>{html.escape(ORIGIN_WORDS[pack.trend[-1].source])}</td>"

    header = "".join(f"<th>{html.escape(s.name)}</th>" for s in services)
    rows = [row(title, f"% of {share_of}", headline(num, den)) for _, num, den, title, share_of in HEADLINES]
    rows += [row(title, what, count(measure)) for measure, title, what in LOCAL]
    rows.append(row("Figures", "where the figures come from", origin))
    notes = "".join(f"<li>{html.escape(next(s.name for s in services if s.id == sid))}: {html.escape(why)}</li>"
                    for sid, why in not_compared.items())
    doc = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(partnership_name)} partnership board pack {quarter.label}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;margin:20px;color:#1d2b36;font-size:13px;max-width:1400px}}
h1{{font-size:22px;margin:0}} .meta{{color:#555;margin:4px 0 12px}} .sub{{color:#555;font-size:11px;font-weight:normal}}
table{{border-collapse:collapse}} td,th{{border:1px solid #d5dde3;padding:4px 8px;text-align:left;vertical-align:top}}
thead th{{background:#eef3f7}} td.n{{text-align:right;min-width:90px}} td.x{{color:#888}}
@media print{{body{{margin:0;max-width:none}} table,tr{{break-inside:avoid;page-break-inside:avoid}}}}
</style></head><body>
<h1>{html.escape(partnership_name)}: the services side by side, {quarter.label}</h1>
<div class="meta">Quarter {quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}, the same definitions for every service: each
column holds the figures of that service's own board pack, hidden where that pack hides them (counts from 1 to
{threshold - 1} show as &lt;{threshold}; "withheld" protects them from subtraction). No partnership total is shown.
Produced {produced:%d/%m/%Y %H:%M}.</div>
<table><thead><tr><th>Measure</th>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>
{f"<h2>Services without figures</h2><ul>{notes}</ul>" if notes else ""}
</body></html>"""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"partnership_board_pack_{name_slug(partnership_name)}_{quarter.code}.html"
    path.write_text(doc, encoding="utf-8")
    return PartnershipPack(path, quarter, tuple(planned), not_compared)
