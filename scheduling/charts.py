"""Server-rendered SVG charts for the stats, course and onboarding pages. They live here, with
the stats page that draws most of them; the journey pages above reuse them.

Each chart is an `<svg role="img">` with a <title> and a <desc> that states the data in
words; bars carry their value as text and series are told apart by marker shape and a label
as well as by colour. Pages also show the numbers as a table. No JavaScript is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_RIGHT = 16
MARGIN_TOP = 20
MARGIN_BOTTOM = 44
AXIS_COLOR = "#57606a"
GRID_COLOR = "#d0d7de"
BAR_COLOR = "#0b5cad"
FONT_SIZE = 12
# Five lines put round numbers on the axis for tops of 1, 2, 5 or 10 times a power of ten.
GRID_LINES = 5
# Labels under many narrow bars would overlap; beyond this only every n-th one is written.
MAX_AXIS_LABELS = 10
MARKER_SIZE = 4
# Distinct shapes, so two series never differ by colour alone.
MARKERS = ("circle", "square", "triangle", "diamond")
# Dark enough for 3:1 against white as graphics (WCAG 1.4.11), distinct from each other.
# Room for one legend entry (marker and a course code) under a line chart.
LEGEND_SPACING = 110
SERIES_COLORS = ("#0b5cad", "#a40e26", "#116329", "#7d4e00", "#6639ba", "#1b1f24")

_chart_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[date, float]]


def _open(title: str, desc: str, css_class: str) -> tuple[list[str], str]:
    chart_id = f"chart-{next(_chart_ids)}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ], chart_id


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    # Every interpolated text is escaped above or is a number we formatted.
    return mark_safe("".join(parts))  # noqa: S308


def _nice_max(value: float) -> float:
    """The axis top: the value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _grid(parts: list[str], top: float, unit: str) -> None:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    for index in range(GRID_LINES + 1):
        value = top * index / GRID_LINES
        y = round(MARGIN_TOP + plot_height * (1 - index / GRID_LINES), 2)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4}" text-anchor="end" '
            f'font-size="{FONT_SIZE}" fill="{AXIS_COLOR}">{value:g}</text>'
        )
    parts.append(
        f'<text x="4" y="{MARGIN_TOP - 6}" font-size="{FONT_SIZE}" fill="{AXIS_COLOR}">'
        f"{escape(unit)}</text>"
    )


def bar_chart_svg(bars: Sequence[Bar], *, title: str, unit: str, empty: str) -> SafeString:
    if bars and any(bar.value for bar in bars):
        described = "; ".join(f"{bar.label}: {bar.value:g} {unit}" for bar in bars)
        desc = f"{title}. {described}."
    else:
        desc = empty
    parts, _ = _open(title, desc, "bar-chart")
    top = _nice_max(max((bar.value for bar in bars), default=0))
    _grid(parts, top, unit)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / max(len(bars), 1)
    label_every = max(1, -(-len(bars) // MAX_AXIS_LABELS))
    for index, bar in enumerate(bars):
        height = round(plot_height * max(bar.value, 0) / top, 2)
        x = round(MARGIN_LEFT + slot * index + slot * 0.15, 2)
        y = round(MARGIN_TOP + plot_height - height, 2)
        text = f"{bar.label}: {bar.value:g} {unit}" + (f" ({bar.note})" if bar.note else "")
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(slot * 0.7, 2)}" height="{height}" '
            f'fill="{BAR_COLOR}"><title>{escape(text)}</title></rect>'
        )
        center = round(MARGIN_LEFT + slot * index + slot / 2, 2)
        if bar.value and len(bars) <= MAX_AXIS_LABELS * 2:
            parts.append(
                f'<text x="{center}" y="{y - 3}" text-anchor="middle" font-size="{FONT_SIZE}" '
                f'fill="#1b1f24">{bar.value:g}</text>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{center}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" '
                f'font-size="{FONT_SIZE}" fill="{AXIS_COLOR}">{escape(bar.label)}</text>'
            )
    if not bars or not any(bar.value for bar in bars):
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" '
            f'fill="{AXIS_COLOR}">{escape(empty)}</text>'
        )
    return _close(parts)


def _marker(shape: str, x: float, y: float, color: str, label: str) -> str:
    title = f"<title>{escape(label)}</title>"
    size = MARKER_SIZE
    if shape == "square":
        return (
            f'<rect x="{x - size}" y="{y - size}" width="{2 * size}" height="{2 * size}" '
            f'fill="{color}">{title}</rect>'
        )
    if shape == "triangle":
        points = f"{x},{y - size - 1} {x - size - 1},{y + size} {x + size + 1},{y + size}"
        return f'<polygon points="{points}" fill="{color}">{title}</polygon>'
    if shape == "diamond":
        points = f"{x},{y - size - 1} {x + size + 1},{y} {x},{y + size + 1} {x - size - 1},{y}"
        return f'<polygon points="{points}" fill="{color}">{title}</polygon>'
    return f'<circle cx="{x}" cy="{y}" r="{size}" fill="{color}">{title}</circle>'


def line_chart_svg(
    series: Sequence[Series], *, title: str, unit: str, y_max: float, empty: str
) -> SafeString:
    """Lines over dates, one per series, each with its own marker shape and an end label."""
    populated = [s for s in series if s.points]
    if populated:
        described = "; ".join(
            f"{s.name}: {s.points[0][1]:.0f} on {s.points[0][0]:%b %d}, "
            f"{s.points[-1][1]:.0f} on {s.points[-1][0]:%b %d}"
            for s in populated
        )
        desc = f"{title}. {described}."
    else:
        desc = empty
    parts, _ = _open(title, desc, "line-chart")
    _grid(parts, y_max, unit)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    days = sorted({day for s in populated for day, _ in s.points})
    if not days:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" '
            f'fill="{AXIS_COLOR}">{escape(empty)}</text>'
        )
        return _close(parts)
    first, span = days[0], max((days[-1] - days[0]).days, 1)

    def x_of(day: date) -> float:
        if len(days) == 1:
            return round(MARGIN_LEFT + plot_width / 2, 2)
        return round(MARGIN_LEFT + plot_width * (day - first).days / span, 2)

    def y_of(value: float) -> float:
        clamped = max(0.0, min(y_max, value))
        return round(MARGIN_TOP + plot_height * (1 - clamped / y_max), 2)

    for index, item in enumerate(populated):
        color = SERIES_COLORS[index % len(SERIES_COLORS)]
        shape = MARKERS[index % len(MARKERS)]
        coords = [(x_of(day), y_of(value)) for day, value in item.points]
        parts.append(
            f'<polyline points="{" ".join(f"{x},{y}" for x, y in coords)}" fill="none" '
            f'stroke="{color}" stroke-width="2"/>'
        )
        for (x, y), (day, value) in zip(coords, item.points, strict=True):
            label = f"{item.name}, {day:%Y-%m-%d}: {value:.0f} {unit}"
            parts.append(_marker(shape, x, y, color, label))
        legend_x = MARGIN_LEFT + index * LEGEND_SPACING
        parts.append(_marker(shape, legend_x, HEIGHT - 12, color, item.name))
        parts.append(
            f'<text x="{legend_x + 8}" y="{HEIGHT - 8}" font-size="{FONT_SIZE}" '
            f'fill="#1b1f24">{escape(item.name)}</text>'
        )
    parts.append(
        f'<text x="{MARGIN_LEFT}" y="{HEIGHT - MARGIN_BOTTOM + 16}" font-size="{FONT_SIZE}" '
        f'text-anchor="middle" fill="{AXIS_COLOR}">{days[0]:%b %d}</text>'
        f'<text x="{MARGIN_LEFT + plot_width}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
        f'text-anchor="end" font-size="{FONT_SIZE}" fill="{AXIS_COLOR}">{days[-1]:%b %d}</text>'
    )
    return _close(parts)


def scatter_svg(
    points: Sequence[tuple[float, float, str]], *, title: str, unit: str, empty: str
) -> SafeString:
    """Estimated (x) against actual (y) minutes, with the line where they are equal."""
    if points:
        over = sum(1 for x, y, _ in points if y > x)
        desc = (
            f"{title}. {len(points)} completed blocks; {over} took longer than estimated and "
            f"{len(points) - over} took as long or less. Points above the diagonal ran over."
        )
    else:
        desc = empty
    parts, _ = _open(title, desc, "scatter-chart")
    top = _nice_max(max((max(x, y) for x, y, _ in points), default=60))
    _grid(parts, top, f"actual {unit}")
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            round(MARGIN_LEFT + plot_width * min(x, top) / top, 2),
            round(MARGIN_TOP + plot_height * (1 - min(y, top) / top), 2),
        )

    (x0, y0), (x1, y1) = at(0, 0), at(top, top)
    parts.append(
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{AXIS_COLOR}" '
        f'stroke-dasharray="4 4"><title>Actual equals estimate</title></line>'
    )
    for x, y, label in points:
        cx, cy = at(x, y)
        text = f"{label}: estimated {x:g}, actual {y:g} {unit}"
        parts.append(_marker("circle", cx, cy, BAR_COLOR, text))
    parts.append(
        f'<text x="{WIDTH - MARGIN_RIGHT}" y="{HEIGHT - 8}" text-anchor="end" '
        f'font-size="{FONT_SIZE}" fill="{AXIS_COLOR}">'
        f"estimated {escape(unit)} (0 to {top:g})</text>"
    )
    if not points:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" '
            f'fill="{AXIS_COLOR}">{escape(empty)}</text>'
        )
    return _close(parts)


def prerequisite_graph_svg(
    nodes: Sequence[tuple[str, str, int]], edges: Sequence[tuple[str, str]], *, title: str
) -> SafeString:
    """Topics in layers by prerequisite depth, left to right, with arrows from prerequisite to
    topic. `nodes` are (id, name, depth); the desc lists every edge in words."""
    by_depth: dict[int, list[tuple[str, str]]] = {}
    for node_id, name, depth in nodes:
        by_depth.setdefault(depth, []).append((node_id, name))
    names = {node_id: name for node_id, name, _ in nodes}
    if edges:
        described = "; ".join(f"{names[a]} comes before {names[b]}" for a, b in edges)
    else:
        described = "No topic has a prerequisite."
    desc = f"{len(nodes)} topics. {described}" if nodes else "No topics yet."
    column_width, row_height, box_w, box_h = 170, 46, 150, 30
    columns = max(by_depth, default=0) + 1
    rows = max((len(v) for v in by_depth.values()), default=1)
    width, height = max(columns * column_width + 20, 200), max(rows * row_height + 20, 60)
    chart_id = f"chart-{next(_chart_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart graph-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{chart_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{AXIS_COLOR}"/></marker></defs>',
    ]
    position = {}
    for depth, members in by_depth.items():
        for row, (node_id, _) in enumerate(members):
            position[node_id] = (10 + depth * column_width, 10 + row * row_height)
    for source, target in edges:
        (sx, sy), (tx, ty) = position[source], position[target]
        parts.append(
            f'<line x1="{sx + box_w}" y1="{sy + box_h / 2}" x2="{tx}" y2="{ty + box_h / 2}" '
            f'stroke="{AXIS_COLOR}" stroke-width="1.5" marker-end="url(#{chart_id}-arrow)"/>'
        )
    for node_id, name, _ in nodes:
        x, y = position[node_id]
        label = name if len(name) <= 22 else name[:21] + "…"
        parts.append(
            f'<g><title>{escape(name)}</title><rect x="{x}" y="{y}" width="{box_w}" '
            f'height="{box_h}" rx="5" fill="#f6f8fa" stroke="{AXIS_COLOR}"/>'
            f'<text x="{x + box_w / 2}" y="{y + box_h / 2 + 4}" text-anchor="middle" '
            f'font-size="{FONT_SIZE + 1}" fill="#1b1f24">{escape(label)}</text></g>'
        )
    return _close(parts)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
GRID_FIRST_HOUR, GRID_LAST_HOUR = 6, 24
AVAILABLE_COLOR = "#116329"


def _minutes(value: object) -> int | None:
    try:
        hours, minutes = str(value).split(":")
        return int(hours) * 60 + int(minutes)
    except (TypeError, ValueError):
        return None


def week_grid_svg(availability: dict) -> SafeString:
    """The weekly availability as a grid: a row per weekday, hours across, each range a
    filled bar labelled with its times (the label, not the fill, carries the information)."""
    label_width, row_height, top = 92, 30, 22
    hours = GRID_LAST_HOUR - GRID_FIRST_HOUR
    hour_width = (WIDTH - label_width - MARGIN_RIGHT) / hours
    height = top + row_height * len(WEEKDAYS) + 6
    described = []
    for day in WEEKDAYS:
        ranges = availability.get(day) or []
        text = ", ".join(f"{r.get('start')} to {r.get('end')}" for r in ranges) or "not available"
        described.append(f"{day.capitalize()}: {text}")
    chart_id = f"chart-{next(_chart_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart week-grid" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">Your weekly study availability</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(described))}.</desc>',
    ]
    for hour in range(GRID_FIRST_HOUR, GRID_LAST_HOUR + 1, 3):
        x = round(label_width + (hour - GRID_FIRST_HOUR) * hour_width, 2)
        parts.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{height - 6}" stroke="{GRID_COLOR}"/>'
            f'<text x="{x}" y="{top - 8}" text-anchor="middle" font-size="{FONT_SIZE}" '
            f'fill="{AXIS_COLOR}">{hour:02d}:00</text>'
        )
    for index, day in enumerate(WEEKDAYS):
        y = top + index * row_height
        parts.append(
            f'<text x="4" y="{y + row_height / 2 + 4}" font-size="{FONT_SIZE + 1}" '
            f'fill="#1b1f24">{day.capitalize()}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{round(hours * hour_width, 2)}" '
            f'height="{row_height - 6}" fill="#f6f8fa" stroke="{GRID_COLOR}"/>'
        )
        for item in availability.get(day) or []:
            start, end = _minutes(item.get("start")), _minutes(item.get("end"))
            if start is None or end is None or end <= start:
                continue
            first = max(start, GRID_FIRST_HOUR * 60)
            last = min(end, GRID_LAST_HOUR * 60)
            if last <= first:
                continue
            x = round(label_width + (first / 60 - GRID_FIRST_HOUR) * hour_width, 2)
            width = round((last - first) / 60 * hour_width, 2)
            label = f"{item.get('start')}–{item.get('end')}"
            parts.append(
                f"<g><title>{escape(day.capitalize())} {escape(label)}</title>"
                f'<rect x="{x}" y="{y + 3}" width="{width}" height="{row_height - 6}" '
                f'fill="{AVAILABLE_COLOR}" rx="3"/>'
                f'<text x="{x + width / 2}" y="{y + row_height / 2 + 4}" text-anchor="middle" '
                f'font-size="{FONT_SIZE}" fill="#ffffff">{escape(label)}</text></g>'
            )
    return _close(parts)
