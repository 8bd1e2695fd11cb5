"""A custody refresh end to end: load new files, enrich the live detentions, write outputs."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from openpyxl import Workbook

from transforms.custody.briefing import _view as briefing_view
from transforms.custody.briefing import write_refresh_outputs, write_remand_figures
from transforms.custody.enrich import enrich
from transforms.custody.load import SOURCE, custody_files, live_detentions, load_new_custody_files
from transforms.excel import write_table
from transforms.ingest.report import IngestReport
from transforms.matching.resolve import links_for_new_records
from transforms.matching.run import thresholds_from
from transforms.partnership.config import Partnership
from transforms.partnership.routing import (
    AREA_UNKNOWN, OUTSIDE_PARTNERSHIP, involvements_from_links, route_detentions, split_by_service, write_routed_custody_files,
)
from transforms.partnership.scope import partnership_settings, services_with_settings
from transforms.settings import Settings
from transforms.warehouse.audit import audit_outcome
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import CORE_TABLES, audit_delivery


@dataclass
class RefreshReport:
    files: list[IngestReport]
    as_at: dt.datetime | None
    outputs: list[Path] = field(default_factory=list)
    live: int = 0
    seconds: float = 0.0
    services: dict[str, "RefreshReport"] = field(default_factory=dict)  # a partnership: each service's refresh
    routed: dict[str, int] = field(default_factory=dict)  # a partnership: live detentions per service or route

    def summary(self) -> str:
        loaded = [f for f in self.files if f.outcome == "LOADED"]
        rejected = [f for f in self.files if f.outcome == "REJECTED"]
        return (f"{len(loaded)} file(s) loaded ({sum(f.loaded for f in loaded)} rows, "
                f"{sum(f.quarantined for f in loaded)} quarantined), {len(rejected)} rejected; "
                f"{self.live} detention(s) live as at {self.as_at:%d/%m/%Y %H:%M}" if self.as_at else "no custody data yet"
                ) + ("; routed: " + ", ".join(f"{k} {v}" for k, v in self.routed.items()) if self.routed else "")


def _extract_times(engine: Engine) -> list[dt.datetime]:
    """Extract times of every custody file loaded, empty files included: a file with no
    detention still says that, as at its time, no child was in custody. A later extract with
    the same bytes as a loaded one (DUPLICATE, not loaded again) still says so as at its time."""
    with engine.connect() as conn:
        values = conn.execute(select(audit_delivery.c.extracted_at).where(
            (audit_delivery.c.source == SOURCE) & audit_delivery.c.outcome.in_(("LOADED", "DUPLICATE")))).scalars().all()
    return sorted({dt.datetime.fromisoformat(v) for v in values if v})


def refresh_custody(settings: Settings, engine: Engine | None = None, now: dt.datetime | None = None) -> RefreshReport:
    """The twice-daily custody refresh. One service (no partnership file): today's path. A
    partnership: the shared feed loaded once into the partnership area, each detention routed to
    the service that knows the child or covers their home, each service refreshed on its share."""
    if not settings.partnership_file:
        return refresh_service_custody(settings, engine, now)
    from transforms.partnership.config import load_partnership

    return refresh_partnership_custody(settings, load_partnership(settings), now)


def custody_feed(settings: Settings) -> tuple[Settings, Path]:
    """Where the police custody feed is loaded (its settings) and the folder it arrives in: the
    service's own for one service, the partnership area's for a partnership."""
    if not settings.partnership_file:
        return settings, settings.landing_dir / "police_custody"
    from transforms.partnership.config import load_partnership
    from transforms.partnership.scope import partnership_settings

    partnership = load_partnership(settings)
    return partnership_settings(settings, partnership), partnership.custody_landing_dir


def refresh_service_custody(settings: Settings, engine: Engine | None = None, now: dt.datetime | None = None,
                            folder: Path | None = None, other_services_children: int | None = None) -> RefreshReport:
    """One service's refresh: load its new custody files (from ``folder``, by default its landing
    folder's ``police_custody``), match, enrich, write its briefing, triage list and figures."""
    started = time.perf_counter()
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    files = load_new_custody_files(settings, engine, now, folder)
    return _write_service_outputs(settings, engine, files, started, other_services_children)


def rewrite_latest_briefing(settings: Settings, engine: Engine | None = None) -> RefreshReport:
    """The latest refresh's briefing, triage list and figures written again (same names) with
    the links of the matching run that has just finished: on a first run, or whenever matching
    runs after a refresh, a child matching now knows is never left listed as "not known". Loads
    nothing. (In a partnership the count of other services' children is left out: only the
    routed refresh knows it.)"""
    engine = engine or make_engine(settings.warehouse_url)
    ensure_schema(engine)
    return _write_service_outputs(settings, engine, [], time.perf_counter(), None)


def _write_service_outputs(settings: Settings, engine: Engine, files: list[IngestReport], started: float,
                           other_services_children: int | None) -> RefreshReport:
    times = _extract_times(engine)
    if not times:
        return RefreshReport(files, None)
    as_at = times[-1]
    previous = times[-2] if len(times) > 1 else None
    with engine.connect() as conn:
        episodes = pd.read_sql_query(select(CORE_TABLES["episode"].c.child_id, CORE_TABLES["episode"].c.end_date), conn)
    detentions = live_detentions(engine)
    detentions["date_of_birth"] = pd.to_datetime(detentions["date_of_birth"]).dt.date
    links = links_for_new_records(engine, "custody", detentions, thresholds_from(settings))
    enriched = enrich(detentions, links, episodes, as_at)
    outputs = write_refresh_outputs(enriched, settings.output_dir / "custody" / f"{as_at:%Y%m%d_%H%M}", as_at, previous,
                                    settings.service_name, settings.suppression_threshold, other_services_children)
    return RefreshReport(files, as_at, outputs, live=len(enriched), seconds=time.perf_counter() - started)


def refresh_partnership_custody(settings: Settings, partnership: Partnership, now: dt.datetime | None = None) -> RefreshReport:
    """The shared feed once into the partnership area; every live detention routed (a service,
    area unknown, or outside the partnership; rows the checks refused stay in the area's
    quarantine); each service's warehouse loaded with its own detentions through the same
    custody load, and refreshed as one service is; the area-unknown list for the duty manager
    and the force-area Remand Strategy figures written in the partnership area's output."""
    started = time.perf_counter()
    shared = partnership_settings(settings, partnership)
    shared_engine = make_engine(shared.warehouse_url)
    ensure_schema(shared_engine)
    files = load_new_custody_files(shared, shared_engine, now, partnership.custody_landing_dir)
    times = _extract_times(shared_engine)
    if not times:
        return RefreshReport(files, None)
    as_at = times[-1]
    detentions = live_detentions(shared_engine)
    detentions["date_of_birth"] = pd.to_datetime(detentions["date_of_birth"]).dt.date
    services = services_with_settings(settings, partnership)
    engines = {service.id: make_engine(own.warehouse_url) for service, own in services}
    involvements = pd.concat([_involvements(engines[service.id], service.id, detentions, own, as_at)
                              for service, own in services], ignore_index=True)
    routes = route_detentions(detentions, involvements, partnership)
    shares, unresolved = split_by_service(detentions, routes, partnership)

    # Every file of the feed the partnership area settled (loaded, or the same bytes as one
    # loaded) goes to each service, cut to its own rows; rejected files stay with the area.
    settled = [p for p in custody_files(shared.landing_dir, partnership.custody_landing_dir)
               if audit_outcome(shared_engine, SOURCE, p.name) in ("LOADED", "DUPLICATE")]
    service_reports = {}
    for service, own in services:
        folder = routed_custody_folder(own)
        write_routed_custody_files(settled, shares[service.id].own["custody_ref"], folder)
        service_reports[service.id] = refresh_service_custody(
            own, engines[service.id], now, folder, other_services_children=shares[service.id].other_services_children)

    out = shared.output_dir / "custody" / f"{as_at:%Y%m%d_%H%M}"
    outputs = [write_area_unknown_list(unresolved, out, as_at)]
    names = {s.id: s.name for s in partnership.services}
    force_area = enrich(detentions, pd.DataFrame(columns=["record_id", "child_id", "method"]),
                        pd.DataFrame(columns=["child_id", "end_date"]), as_at)
    if len(force_area):
        by_ref = routes.set_index("custody_ref")
        force_area["service"] = [names.get(s) if isinstance(s, str) else rule.capitalize()
                                 for s, rule in zip(force_area["custody_ref"].map(by_ref["service"]),
                                                    force_area["custody_ref"].map(by_ref["routed_by"]))]
    outputs += write_remand_figures(force_area, out.parent, as_at, shared.suppression_threshold)
    routed = {**{s.id: len(shares[s.id].own) for s in partnership.services},
              AREA_UNKNOWN: len(unresolved), OUTSIDE_PARTNERSHIP: int((routes["routed_by"] == OUTSIDE_PARTNERSHIP).sum())}
    return RefreshReport(files, as_at, outputs, live=len(detentions), seconds=time.perf_counter() - started,
                         services=service_reports, routed=routed)


def routed_custody_folder(service_settings: Settings) -> Path:
    """Where the feed's files cut to one service's rows are kept: beside its raw archive, not in
    any landing folder (the platform writes them; nobody delivers them)."""
    return service_settings.raw_archive_dir / "custody_routed" / "police_custody"


def _involvements(engine: Engine, service: str, detentions: pd.DataFrame, settings: Settings,
                  as_at: dt.datetime) -> pd.DataFrame:
    """Which detentions are of a child this service knows (its own matching of custody records
    against its children: PNC id, else name and date of birth), with when it last worked with
    them (an open episode: as at now) and whether an episode is still open."""
    ensure_schema(engine)
    links = links_for_new_records(engine, "custody", detentions, thresholds_from(settings))
    episode = CORE_TABLES["episode"]
    with engine.connect() as conn:
        episodes = pd.read_sql_query(select(episode.c.child_id, episode.c.start_date, episode.c.end_date), conn)
    ended = pd.to_datetime(episodes["end_date"]).fillna(pd.Timestamp(as_at))
    last = ended.groupby(episodes["child_id"]).max()
    # An open episode decides between two services that both know the child (ADR 0090).
    is_open = episodes["end_date"].isna().groupby(episodes["child_id"]).any().reindex(last.index, fill_value=False)
    children = pd.DataFrame({"service": service, "person_key": last.index.astype(str), "last_involvement": last.to_numpy(),
                             "open": is_open.to_numpy()})
    known = links[links["child_id"].notna()]
    return involvements_from_links(
        pd.DataFrame({"source": "custody", "record_id": known["record_id"], "person_key": known["child_id"].astype(str)}),
        children)


def write_area_unknown_list(unresolved: pd.DataFrame, folder: Path, as_at: dt.datetime) -> Path:
    """The detentions no service holds yet, for the duty manager to resolve (names included:
    they are the partnership duty manager's to resolve, as a briefing's are the service's)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"area_unknown_{as_at:%Y%m%d_%H%M}.xlsx"
    wb = Workbook()
    wb.active.title = "Area unknown"
    if unresolved.empty:
        wb.active["A1"] = "No detention with an unknown area at this refresh."
    else:
        write_table(wb.active, briefing_view(unresolved, {"reason": "Why no service"}), "AreaUnknown")
    wb.save(path)
    return path
