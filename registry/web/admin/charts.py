"""Server-rendered SVG charts for the dashboard (no JavaScript, no CDN; prints and screenshots well)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = [
    "#2563eb",
    "#16a34a",
    "#f59e0b",
    "#dc2626",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#ea580c",
    "#475569",
    "#9333ea",
]
STATUS_COLOURS = {
    "applicant": "#64748b",
    "accredited": "#16a34a",
    "rejected": "#7f1d1d",
    "suspended": "#dc2626",
    "expired": "#f59e0b",
    "withdrawn": "#1e293b",
}


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    import math

    mag = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10 * mag


def nice_ticks(vmax: float, *, integer: bool = True, target: int = 4) -> list[float]:
    """Round tick values from 0 to at least `vmax`: steps of 1, 2 or 5 times a power of ten."""
    import math

    raw = max(vmax, 1 if integer else 1e-9) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1, round(step))
    top = step * math.ceil(max(vmax, step) / step)
    return [i * step for i in range(int(round(top / step)) + 1)]


def _fmt(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if v >= 10_000:
        return f"{v / 1000:.0f}k"
    if v >= 1000:
        return f"{v / 1000:.1f}k"
    return f"{v:g}"


def _legend(items: list[tuple[str, str]], x: int, y: int, width: int) -> tuple[list[str], int]:
    parts, cx, cy = [], x, y
    for label, colour in items:
        w = 16 + 7 * len(label) + 14
        if cx + w > x + width:
            cx, cy = x, cy + 18
        parts.append(
            f'<rect x="{cx}" y="{cy - 9}" width="10" height="10" rx="2" fill="{colour}"/>'
            f'<text x="{cx + 14}" y="{cy}" class="lg">{escape(label)}</text>'
        )
        cx += w
    return parts, cy + 14


def stacked_bars(
    title: str,
    columns: list[str],
    series: Mapping[str, Mapping[str, float]],
    *,
    colours: dict[str, str] | None = None,
    width: int = 560,
    height: int = 260,
) -> Markup:
    """Columns (e.g. months) of stacked values per series (e.g. fee category)."""
    names = sorted({k for col in series.values() for k, v in col.items() if v})
    if colours is None:
        colours = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    legend, legend_bottom = _legend(
        [(n.replace("_", " "), colours.get(n, "#888")) for n in names], 48, 16, width - 56
    )
    top, bottom, left, right = max(30, legend_bottom + 4), height - 28, 44, width - 8
    totals = [sum(series.get(c, {}).values()) for c in columns]
    ticks = nice_ticks(max(totals, default=0))
    vmax = ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    for v in ticks:
        y = bottom - (bottom - top) * v / vmax
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">{_fmt(v)}</text>'
        )
    n = max(len(columns), 1)
    slot = (right - left) / n
    bar = max(4.0, slot * 0.66)
    for i, col in enumerate(columns):
        x = left + slot * i + (slot - bar) / 2
        y = bottom
        for name in names:
            v = series.get(col, {}).get(name, 0)
            if not v:
                continue
            h = (bottom - top) * v / vmax
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours.get(name, "#888")}">'
                f"<title>{escape(col)} · {escape(name.replace('_', ' '))}: {_fmt(v)}</title></rect>"
            )
        label = col[2:] if len(col) == 7 else col  # YYYY-MM -> YY-MM
        if n <= 12 or i % 2 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{bottom + 16}" class="ax" text-anchor="middle">{escape(label)}</text>'
            )
    parts.extend(legend)
    if not any(totals):
        parts.append(
            f'<text x="{(left + right) / 2}" y="{(top + bottom) / 2}" class="empty" text-anchor="middle">No data yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value above is escaped or numeric


def horizontal_bars(
    title: str, rows: list[tuple[str, Decimal | float, str]], *, width: int = 560, unit: str = ""
) -> Markup:
    """One bar per row: (label, value, note)."""
    row_h, left, right = 26, 96, width - 110
    height = max(60, 12 + row_h * len(rows))
    vmax = _nice_max(max((float(v) for _l, v, _n in rows), default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    for i, (label, value, note) in enumerate(rows):
        y = 8 + i * row_h
        w = (right - left) * float(value) / vmax
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" class="ax" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" rx="3" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {unit}{float(value):,.0f} ({escape(note)})</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" class="val">{unit}{_fmt(float(value))} · {escape(note)}</text>'
        )
    if not rows:
        parts.append(
            f'<text x="{width / 2}" y="34" class="empty" text-anchor="middle">No reports with a USD value yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value above is escaped or numeric


def stacked_area(
    title: str,
    columns: list[str],
    series: dict[str, dict[str, int]],
    order: list[str],
    *,
    width: int = 560,
    height: int = 260,
) -> Markup:
    """Stacked areas over columns, e.g. recruiters per accreditation status at each month end."""
    names = [s for s in order if any(series.get(c, {}).get(s) for c in columns)]
    legend, legend_bottom = _legend([(n, STATUS_COLOURS.get(n, "#888")) for n in names], 48, 16, width - 56)
    top, bottom, left, right = max(30, legend_bottom + 4), height - 28, 44, width - 22
    totals = [sum(series.get(c, {}).get(s, 0) for s in names) for c in columns]
    ticks = nice_ticks(max(totals, default=0))
    vmax = ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    for v in ticks:
        y = bottom - (bottom - top) * v / vmax
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">{_fmt(v)}</text>'
        )
    n = len(columns)
    xs = [left + (right - left) * i / max(n - 1, 1) for i in range(n)]
    lower = [0.0] * n
    for name in names:
        upper = [lower[i] + series.get(c, {}).get(name, 0) for i, c in enumerate(columns)]

        def y_of(v):
            return bottom - (bottom - top) * v / vmax

        pts = [f"{xs[i]:.1f},{y_of(upper[i]):.1f}" for i in range(n)] + [
            f"{xs[i]:.1f},{y_of(lower[i]):.1f}" for i in range(n - 1, -1, -1)
        ]
        parts.append(
            f'<polygon points="{" ".join(pts)}" fill="{STATUS_COLOURS.get(name, "#888")}" fill-opacity="0.85">'
            f"<title>{escape(name)}</title></polygon>"
        )
        lower = upper
    for i, c in enumerate(columns):
        if n <= 12 or i % 2 == 0:
            parts.append(
                f'<text x="{xs[i]:.1f}" y="{bottom + 16}" class="ax" text-anchor="middle">{escape(c[2:])}</text>'
            )
    parts.extend(legend)
    if not any(totals):
        parts.append(
            f'<text x="{(left + right) / 2}" y="{(top + bottom) / 2}" class="empty" text-anchor="middle">No data yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated value above is escaped or numeric


def usd(v: Decimal | float) -> str:
    return f"{float(v):,.0f}"
