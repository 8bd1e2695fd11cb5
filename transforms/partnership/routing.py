"""Which youth justice service a detention in the shared police custody feed belongs to
(sources.md, section 7): the service that already knows the child (matching), else the service
covering the child's home local authority (from the postcode), else "area unknown" for the duty
manager to resolve, or "outside the partnership".

A child known to more than one service (they moved from the city to the county) belongs to the
one with an open involvement; if both or neither is open, to the one that worked with them most
recently; only then to the one covering where they live (the police often still hold the old
address); a tie stays "area unknown": a person decides rather than the platform guessing,
because a detention routed to the wrong service lands on a briefing whose readers have no right
to see that child (docs/adr/0090-custody-routing-at-the-edges.md).

A postcode whose district (or sector) is split between authorities that all belong to one
service is that service's; split between authorities of no service, outside the partnership;
split across services, area unknown. A pseudo-postcode (ZZ99 3VZ) or "NFA" is area unknown."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from transforms.partnership.config import Partnership
from transforms.partnership.postcodes import AREA_UNKNOWN_NOT_IN_REFERENCE, PostcodeReference, postcode_reference

KNOWN_TO_SERVICE = "known to the service"
HOME_AREA = "home area"
AREA_UNKNOWN = "area unknown"
OUTSIDE_PARTNERSHIP = "outside the partnership"
ROUTE_COLUMNS = ["custody_ref", "service", "routed_by", "home_local_authority", "reason"]


@dataclass(frozen=True)
class Involvement:
    """A service that knows the child behind a detention, and when it last worked with them."""
    service: str
    last_involvement: dt.date | None = None
    open: bool | None = None  # an episode still open with the service; None when not known


@dataclass(frozen=True)
class Route:
    service: str | None  # a service id; None for area unknown and outside the partnership
    routed_by: str  # KNOWN_TO_SERVICE, HOME_AREA, AREA_UNKNOWN or OUTSIDE_PARTNERSHIP
    home_local_authority: str | None  # canonical code when the postcode gave one
    reason: str  # one plain sentence for the duty manager; never the postcode or a name


def route_detention(postcode: str | None, involvements: Sequence[Involvement], partnership: Partnership,
                    reference: PostcodeReference | None = None) -> Route:
    reference = reference or postcode_reference()
    area = reference.lookup(postcode)
    home = area.local_authority
    covering = partnership.service_covering(home)
    knowing = {i.service for i in involvements if i.service in partnership.service_ids}
    unknown_services = sorted({i.service for i in involvements} - set(partnership.service_ids))
    if unknown_services:
        raise ValueError(f"involvement names services not in the partnership: {', '.join(unknown_services)}")
    if len(knowing) == 1:
        service = next(iter(knowing))
        return Route(service, KNOWN_TO_SERVICE, home, f"the child is known to {partnership.service(service).name}")
    if len(knowing) > 1:
        return _known_to_several(involvements, knowing, covering, home, partnership)
    if covering is None and home is None and area.candidates:
        return _split_area(area.candidates, partnership, area.reason)
    if covering is not None:
        return Route(covering.id, HOME_AREA, home, f"not known to any service; home area {home} is covered by {covering.name}")
    if home is not None:
        return Route(None, OUTSIDE_PARTNERSHIP, home, f"not known to any service; home area {home} is outside the partnership")
    if area.reason == AREA_UNKNOWN_NOT_IN_REFERENCE:
        # The reference lists every district touching a partnership authority (its header says
        # so), so a real postcode in any other district is outside the partnership.
        return Route(None, OUTSIDE_PARTNERSHIP, None, "not known to any service; the postcode is outside the districts of the partnership")
    return Route(None, AREA_UNKNOWN, None, f"not known to any service; {area.reason}")


def _known_to_several(involvements: Sequence[Involvement], knowing: set[str], covering, home: str | None,
                      partnership: Partnership) -> Route:
    """ADR 0090: the open involvement, else the latest, else the home area, else a person."""
    n = len(knowing)
    open_services = {i.service for i in involvements if i.open and i.service in knowing}
    if len(open_services) == 1:
        service = next(iter(open_services))
        return Route(service, KNOWN_TO_SERVICE, home,
                     f"the child is known to {n} services; only {partnership.service(service).name} has an open involvement")
    latest = _most_recent([i for i in involvements if i.service in open_services] if open_services else involvements)
    if latest is not None:
        return Route(latest, KNOWN_TO_SERVICE, home,
                     f"the child is known to {n} services; {partnership.service(latest).name} worked with them most recently")
    if covering is not None and covering.id in knowing:
        return Route(covering.id, KNOWN_TO_SERVICE, home,
                     f"the child is known to {n} services, none more recently; {covering.name} covers their home area")
    return Route(None, AREA_UNKNOWN, home, f"the child is known to {n} services and neither open involvement, dates "
                                           f"of involvement nor home area decide which")


def _split_area(candidates: frozenset[str], partnership: Partnership, reason: str | None) -> Route:
    """A child not known to any service whose postcode lies in a split district or sector whose
    authorities the reference lists: one service when they all belong to it."""
    services = {partnership.service_covering(la) for la in candidates}
    names = " and ".join(sorted(candidates))
    if len(services) == 1 and None not in services:
        service = next(iter(services))
        return Route(service.id, HOME_AREA, None,
                     f"not known to any service; home district lies in {names}, all covered by {service.name}")
    if services == {None}:
        return Route(None, OUTSIDE_PARTNERSHIP, None,
                     f"not known to any service; home district lies in {names}, all outside the partnership")
    return Route(None, AREA_UNKNOWN, None, f"not known to any service; {reason} ({names})")


def _most_recent(involvements: Iterable[Involvement]) -> str | None:
    """The service with the latest involvement date, or None when dates are missing or tied."""
    latest: dict[str, dt.date] = {}
    for i in involvements:
        if i.last_involvement is None:
            return None
        latest[i.service] = max(latest.get(i.service, i.last_involvement), i.last_involvement)
    ranked = sorted(latest.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0] if ranked else None


def involvements_from_links(links: pd.DataFrame, service_children: pd.DataFrame) -> pd.DataFrame:
    """Which services know the child behind each detention, from the matching's links.

    ``links``: the custody rows of ``core_identity_link`` (``record_id`` is the custody reference,
    ``person_key`` the person it resolved to). ``service_children``: one row per child a service
    works with (``service``, ``person_key``, ``last_involvement``, and ``open`` when known: an
    episode still open). Returns ``custody_ref``, ``service``, ``last_involvement``, ``open``."""
    custody = links.loc[links["source"] == "custody", ["record_id", "person_key"]].rename(columns={"record_id": "custody_ref"})
    columns = ["service", "person_key", "last_involvement"] + (["open"] if "open" in service_children else [])
    known = custody.merge(service_children[columns], on="person_key", how="inner")
    if "open" not in known:
        known["open"] = None
    return known[["custody_ref", "service", "last_involvement", "open"]].reset_index(drop=True)


def route_detentions(detentions: pd.DataFrame, involvements: pd.DataFrame, partnership: Partnership,
                     reference: PostcodeReference | None = None) -> pd.DataFrame:
    """One route per detention (``detentions``: ``custody_ref``, ``postcode``; ``involvements``:
    ``custody_ref``, ``service``, ``last_involvement``). Every detention in gets exactly one row
    out, so the briefings of all services and the unknown-area list add up to the feed."""
    reference = reference or postcode_reference()
    by_ref: dict[str, list[Involvement]] = {}
    for row in involvements.itertuples(index=False):
        last = None if pd.isna(row.last_involvement) else pd.Timestamp(row.last_involvement).date()
        is_open = getattr(row, "open", None)
        by_ref.setdefault(row.custody_ref, []).append(
            Involvement(row.service, last, None if is_open is None or pd.isna(is_open) else bool(is_open)))
    rows = []
    for ref, postcode in zip(detentions["custody_ref"], detentions["postcode"]):
        route = route_detention(None if pd.isna(postcode) else postcode, by_ref.get(ref, []), partnership, reference)
        rows.append((ref, route.service, route.routed_by, route.home_local_authority, route.reason))
    routed = pd.DataFrame(rows, columns=ROUTE_COLUMNS)
    if len(routed) != len(detentions) or routed["custody_ref"].duplicated().any():
        raise ValueError("custody references must be unique: every detention is routed once")
    return routed


@dataclass(frozen=True)
class ServiceShare:
    """What one service's custody briefing and triage list may hold: its own detentions, and only
    counts of the rest ("detained in the area, another service's child")."""
    service: str
    own: pd.DataFrame
    other_services_children: int
    outside_partnership: int
    area_unknown: int


def split_by_service(detentions: pd.DataFrame, routed: pd.DataFrame, partnership: Partnership) -> tuple[dict[str, ServiceShare], pd.DataFrame]:
    """Each service's share of the feed, and the detentions no service holds yet (area unknown),
    for the duty manager to resolve. Every detention is in exactly one service's ``own``, the
    unresolved frame, or the outside-the-partnership count, which is checked."""
    merged = detentions.merge(routed[["custody_ref", "service", "routed_by", "reason"]], on="custody_ref", how="left",
                              validate="one_to_one")
    if merged["routed_by"].isna().any():
        raise ValueError(f"{int(merged['routed_by'].isna().sum())} detentions have no route; route every detention first")
    unresolved = merged[merged["routed_by"] == AREA_UNKNOWN].drop(columns=["service"]).reset_index(drop=True)
    outside = int((merged["routed_by"] == OUTSIDE_PARTNERSHIP).sum())
    shares = {}
    for service in partnership.services:
        mine = merged["service"] == service.id
        shares[service.id] = ServiceShare(
            service=service.id, own=merged[mine].drop(columns=["service"]).reset_index(drop=True),
            other_services_children=int((merged["service"].notna() & ~mine).sum()),
            outside_partnership=outside, area_unknown=len(unresolved))
    placed = sum(len(s.own) for s in shares.values()) + len(unresolved) + outside
    if placed != len(detentions):
        raise ValueError(f"{len(detentions)} detentions in, {placed} placed: a route names a service not in the partnership")
    return shares, unresolved


def write_routed_custody_files(feed_files: Sequence[Path], own_refs: Iterable[str], folder: Path) -> list[Path]:
    """One service's copy of each settled file of the shared custody feed: the header and the
    raw rows of the detentions routed to it, byte for byte as the police sent their fields, so
    the service's own custody load (the one ingest protocol) reads them as it reads the feed.
    A file whose copy has not changed is not rewritten (the load then sees a rerun); a copy that
    changed (a detention now routed elsewhere) is a correction, which replaces that extract's
    rows in the service's warehouse. A file with no detention of the service is still written,
    header only: it says, as at its time, that none of its children was in custody."""
    from transforms.ingest.mapping import load_mapping
    from transforms.ingest.readers import csv_chunks, open_csv

    own = set(own_refs)
    mapping = load_mapping("police_custody")
    ref_header = mapping.tables["custody_detention"].columns["custody_ref"]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in feed_files:
        source = open_csv(path, mapping)
        chunks = list(csv_chunks(path, source, mapping, 1_000_000))
        raw = pd.concat(chunks) if chunks else pd.DataFrame(columns=source.headers)
        ref_column = next(h for h in source.headers if h.strip().lower() == ref_header.lower())
        mine = raw[raw[ref_column].str.strip().isin(own)]
        text = mine.to_csv(index=False, lineterminator="\n")
        target = folder / path.name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
