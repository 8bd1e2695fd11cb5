"""Small inline SVG charts for the board pack: no JavaScript, no fonts or files fetched, so
the page shows the same offline, in any browser, and printed."""
from __future__ import annotations

from html import escape

INK, MUTED, ACCENT, ALERT, GOOD = "#1d2b36", "#6b7780", "#1f5f8b", "#b3261e", "#2e7d32"


def line_chart(labels: list[str], values: list, *, width: int = 420, height: int = 150,
               unit: str = "", title: str = "", recomputed: list[bool] | None = None) -> str:
    """A trend line. Each value is a number, ``None`` (the source has no data for the period:
    a gap marked "no data") or text (a hidden value, e.g. "<5" or "withheld": a grey diamond on
    the axis carrying that text), so missing, hidden and zero never look alike. A point whose
    ``recomputed`` flag is set is drawn hollow: it was worked out again from today's data, not
    read from the figures stored when the quarter was returned."""
    pad_l, pad_r, pad_t, pad_b = 40, 26, 18, 40
    marked = recomputed is not None  # only the return's figures are "as returned" or "recomputed"
    recomputed = recomputed or [False] * len(values)
    known = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    top = max(known + [1]) * 1.15
    if unit == "%" and max(known + [0]) <= 100:
        top = 100.0  # a percentage axis runs to 100%, so trends are not exaggerated
    n = max(len(values) - 1, 1)
    x = lambda i: pad_l + i * (width - pad_l - pad_r) / n  # noqa: E731
    y = lambda v: pad_t + (1 - v / top) * (height - pad_t - pad_b)  # noqa: E731
    base = height - pad_b
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{pad_l}" y1="{base}" x2="{width - pad_r}" y2="{base}" stroke="{MUTED}"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 4}" font-size="10" text-anchor="end" fill="{MUTED}">{top:.0f}{escape(unit)}</text>',
             f'<text x="{pad_l - 4}" y="{base}" font-size="10" text-anchor="end" fill="{MUTED}">0</text>']
    segment: list[str] = []
    used = set()
    for i, v in enumerate(values + [None]):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            if len(segment) > 1:
                parts.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="{" ".join(segment)}"/>')
            segment = []
            if i == len(values):
                continue
            if v is None:
                used.add("no data")
                parts.append(f'<text x="{x(i):.1f}" y="{base - 4}" font-size="8" text-anchor="middle" fill="{MUTED}">no data'
                             f'<title>{escape(labels[i])}: no data</title></text>')
            else:
                used.add("hidden")
                parts.append(f'<path d="M{x(i):.1f},{base - 5} l5,5 l-5,5 l-5,-5 z" fill="#fff" stroke="{MUTED}">'
                             f'<title>{escape(labels[i])}: {escape(str(v))} (hidden to protect children)</title></path>'
                             f'<text x="{x(i):.1f}" y="{base - 8}" font-size="9" text-anchor="middle" fill="{MUTED}">{escape(str(v))}</text>')
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
        hollow = recomputed[i]
        if marked:
            used.add("recomputed" if hollow else "stored")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{"#fff" if hollow else ACCENT}" stroke="{ACCENT}">'
                     f'<title>{escape(labels[i])}: {v:g}{escape(unit)}{" (recomputed)" if hollow else ""}</title></circle>')
    for i, label in enumerate(labels):
        if i % 2 == len(labels) % 2 or i == len(labels) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 22}" font-size="9" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>')
    if values and isinstance(values[-1], (int, float)) and not isinstance(values[-1], bool):
        parts.append(f'<text x="{x(len(values) - 1):.1f}" y="{y(values[-1]) - 7:.1f}" font-size="11" text-anchor="middle" '
                     f'fill="{INK}" font-weight="bold">{values[-1]:g}{escape(unit)}</text>')
    legend = {"stored": "● as returned", "recomputed": "○ recomputed from today's data", "hidden": "◇ hidden (small numbers)",
              "no data": "no data: not covered by the source"}
    shown = "   ".join(legend[k] for k in ("stored", "recomputed", "hidden", "no data") if k in used)
    parts.append(f'<text x="{pad_l}" y="{height - 6}" font-size="9" fill="{MUTED}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def relative_rate_chart(rows: list[dict], *, width: int = 460, title: str = "") -> str:
    """Relative rates (log scale) with their exact intervals; 1 = same rate as the reference
    group. Red: over-represented, green: under-represented (interval clear of 1)."""
    import math

    row_h, pad_l, pad_r, pad_t = 24, 90, 20, 24
    height = pad_t + row_h * len(rows) + 24
    lo, hi = math.log(0.1), math.log(10)
    x = lambda v: pad_l + (min(max(math.log(max(v, 1e-3)), lo), hi) - lo) / (hi - lo) * (width - pad_l - pad_r)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{x(1):.1f}" y1="{pad_t - 8}" x2="{x(1):.1f}" y2="{height - 20}" stroke="{MUTED}" stroke-dasharray="3,3"/>']
    for tick in (0.1, 0.25, 0.5, 1, 2, 4, 10):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="9" text-anchor="middle" fill="{MUTED}">{tick:g}</text>')
    for i, r in enumerate(rows):
        cy = pad_t + i * row_h + row_h / 2
        parts.append(f'<text x="{pad_l - 8}" y="{cy + 4:.1f}" font-size="11" text-anchor="end" fill="{INK}">{escape(str(r["group"]))}</text>')
        if r.get("relative_rate") is None:
            parts.append(f'<text x="{pad_l}" y="{cy + 4:.1f}" font-size="10" fill="{MUTED}">{escape(r.get("note", "not assessed"))}</text>')
            continue
        colour = {"OVER_REPRESENTED": ALERT, "UNDER_REPRESENTED": GOOD}.get(r.get("flag"), ACCENT)
        if r.get("low") is not None and r.get("high") is not None:
            parts.append(f'<line x1="{x(r["low"]):.1f}" y1="{cy:.1f}" x2="{x(r["high"]):.1f}" y2="{cy:.1f}" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<circle cx="{x(r["relative_rate"]):.1f}" cy="{cy:.1f}" r="4.5" fill="{colour}">'
                     f'<title>{escape(str(r["group"]))}: {r["relative_rate"]:.2f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
