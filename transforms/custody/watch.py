"""The custody file watch's one rule: announce each new file once."""
from __future__ import annotations

from typing import Iterable


def files_to_announce(unloaded: Iterable[str], earlier_event_extras: Iterable[dict | None]) -> list[str]:
    """Unloaded custody files that no earlier landing event named (``{"file": name}``), in
    name order (which is extract-time order for ``custody_<yyyymmdd>_<hhmm>.csv``). Events
    without a file name (a transfer job posting to the REST API) announce nothing in particular."""
    announced = {extra.get("file") for extra in earlier_event_extras if isinstance(extra, dict)}
    return sorted(name for name in set(unloaded) if name not in announced)
