"""Server-rendered SVG chart of a topic's mastery over time, with its confidence band.

Every point carries a <title> naming its evidence, the chart has a <title> and <desc> for
screen readers, and pages show the same data as a table next to it. No JavaScript needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 36
SCORE_MAX = 100.0
GRID_STEP = 25
# Mastery at which reviews start to space out (engine.REVIEW_MASTERY_THRESHOLD); drawn as a
# reference line so the chart shows how far the topic is from "solid".
REFERENCE_SCORE = 70.0
POINT_RADIUS = 4


@dataclass(frozen=True)
class ChartPoint:
    at: datetime
    mastery: float
    confidence: float
    evidence: str


def _clamp(value: float) -> float:
    return max(0.0, min(SCORE_MAX, value))


def _y(score: float) -> float:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return round(MARGIN_TOP + plot_height * (1 - _clamp(score) / SCORE_MAX), 2)


def _x_positions(points: Sequence[ChartPoint]) -> list[float]:
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    if len(points) == 1:
        return [MARGIN_LEFT + plot_width / 2]
    start = points[0].at.timestamp()
    span = points[-1].at.timestamp() - start
    if span <= 0:
        # Same instant for all: spread evenly so no point hides another.
        return [
            round(MARGIN_LEFT + plot_width * i / (len(points) - 1), 2) for i in range(len(points))
        ]
    return [round(MARGIN_LEFT + plot_width * (p.at.timestamp() - start) / span, 2) for p in points]


def _coords(pairs: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in pairs)


def mastery_chart_svg(points: Sequence[ChartPoint], *, topic_name: str) -> SafeString:
    """An accessible SVG line chart with a CI band; an explanatory empty chart for no points."""
    points = sorted(points, key=lambda p: p.at)
    title = f"Mastery of {topic_name} over time"
    if points:
        latest = points[-1]
        desc = (
            f"{len(points)} measurements from {points[0].at:%Y-%m-%d} to {latest.at:%Y-%m-%d}. "
            f"Latest mastery {latest.mastery:.0f} out of 100, plus or minus "
            f"{latest.confidence:.0f}. The shaded band is the confidence interval."
        )
    else:
        desc = "No evidence yet: take a quiz or record a grade to start the chart."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mastery-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for score in range(0, int(SCORE_MAX) + 1, GRID_STEP):
        y = _y(score)
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y2="{y}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11" '
            f'fill="#57606a">{score}</text>'
        )
    reference_y = _y(REFERENCE_SCORE)
    parts.append(
        f'<line class="reference" x1="{MARGIN_LEFT}" y1="{reference_y}" '
        f'x2="{WIDTH - MARGIN_RIGHT}" y2="{reference_y}" stroke="#57606a" '
        f'stroke-dasharray="4 4" stroke-width="1"><title>Review threshold, 70</title></line>'
    )
    if points:
        xs = _x_positions(points)
        upper = [(x, _y(p.mastery + p.confidence)) for x, p in zip(xs, points, strict=True)]
        lower = [(x, _y(p.mastery - p.confidence)) for x, p in zip(xs, points, strict=True)]
        if len(points) == 1:
            # A band needs width: a short bar around the single point.
            (x, top), (_, bottom) = upper[0], lower[0]
            upper = [(x - 8, top), (x + 8, top)]
            lower = [(x - 8, bottom), (x + 8, bottom)]
        parts.append(
            f'<polygon class="ci-band" points="{_coords(upper + lower[::-1])}" '
            f'fill="#0b5cad" fill-opacity="0.18" stroke="none">'
            f"<title>Confidence interval</title></polygon>"
        )
        line = [(x, _y(p.mastery)) for x, p in zip(xs, points, strict=True)]
        parts.append(
            f'<polyline class="mastery-line" points="{_coords(line)}" fill="none" '
            f'stroke="#0b5cad" stroke-width="2"/>'
        )
        for (x, y), point in zip(line, points, strict=True):
            label = (
                f"{point.at:%Y-%m-%d}: mastery {point.mastery:.0f} ± {point.confidence:.0f} "
                f"after {point.evidence}"
            )
            parts.append(
                f'<circle class="point" cx="{x}" cy="{y}" r="{POINT_RADIUS}" fill="#0b5cad" '
                f'stroke="#fff" stroke-width="1"><title>{escape(label)}</title></circle>'
            )
        parts.append(
            f'<text x="{MARGIN_LEFT}" y="{HEIGHT - 10}" font-size="11" fill="#57606a">'
            f"{points[0].at:%Y-%m-%d}</text>"
            f'<text x="{WIDTH - MARGIN_RIGHT}" y="{HEIGHT - 10}" font-size="11" '
            f'text-anchor="end" fill="#57606a">{points[-1].at:%Y-%m-%d}</text>'
        )
    parts.append("</svg>")
    # Every interpolated text above is escaped or a number formatted by us.
    return mark_safe("".join(parts))  # noqa: S308


CALIBRATION_SIZE = 300
CALIBRATION_MARGIN = 40


def _calibration_xy(value: float) -> float:
    plot = CALIBRATION_SIZE - 2 * CALIBRATION_MARGIN
    return round(CALIBRATION_MARGIN + plot * max(0.0, min(1.0, value)), 2)


def _calibration_y(value: float) -> float:
    return round(CALIBRATION_SIZE - _calibration_xy(value), 2)


def calibration_chart_svg(bins: Sequence[dict], *, answers: int) -> SafeString:
    """Predicted against observed share correct, one circle per bin (area ~ answers), with the
    diagonal of perfect calibration. Presentation attributes only, no style: CSP-safe."""
    title = "How well the forecast is calibrated"
    if bins:
        desc = (
            f"{len(bins)} groups of predictions over {answers} answers. A point on the "
            "diagonal means the forecast's probability matched how often students were right."
        )
    else:
        desc = "Not enough answers on the platform yet to check the forecast."
    low, high = _calibration_xy(0.0), _calibration_xy(1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="calibration-chart" role="img" '
        f'viewBox="0 0 {CALIBRATION_SIZE} {CALIBRATION_SIZE}" width="100%" '
        f'aria-labelledby="calibration-title calibration-desc">',
        f'<title id="calibration-title">{escape(title)}</title>',
        f'<desc id="calibration-desc">{escape(desc)}</desc>',
        f'<rect x="{low}" y="{_calibration_y(1.0)}" width="{high - low}" height="{high - low}" '
        f'fill="none" stroke="#d0d7de"/>',
        f'<line class="diagonal" x1="{low}" y1="{_calibration_y(0.0)}" x2="{high}" '
        f'y2="{_calibration_y(1.0)}" stroke="#57606a" stroke-dasharray="4 4">'
        f"<title>Perfect calibration</title></line>",
        f'<text x="{CALIBRATION_SIZE / 2}" y="{CALIBRATION_SIZE - 8}" text-anchor="middle" '
        f'font-size="11" fill="#57606a">predicted</text>',
        f'<text x="12" y="{CALIBRATION_SIZE / 2}" text-anchor="middle" font-size="11" '
        f'fill="#57606a" transform="rotate(-90 12 {CALIBRATION_SIZE / 2})">observed</text>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{_calibration_xy(tick)}" y="{_calibration_y(0.0) + 14}" '
            f'text-anchor="middle" font-size="10" fill="#57606a">{tick:.0%}</text>'
            f'<text x="{low - 4}" y="{_calibration_y(tick) + 4}" text-anchor="end" '
            f'font-size="10" fill="#57606a">{tick:.0%}</text>'
        )
    largest = max((int(b["count"]) for b in bins), default=1)
    for row in bins:
        predicted, observed = float(row["mean_predicted"]), float(row["observed_rate"])
        radius = round(3 + 7 * (int(row["count"]) / largest) ** 0.5, 2)
        label = (
            f"predicted {predicted:.0%}, observed {observed:.0%} over {int(row['count'])} answers"
        )
        parts.append(
            f'<circle class="calibration-point" cx="{_calibration_xy(predicted)}" '
            f'cy="{_calibration_y(observed)}" r="{radius}" fill="#0b5cad" fill-opacity="0.6" '
            f'stroke="#fff"><title>{escape(label)}</title></circle>'
        )
    parts.append("</svg>")
    # Every interpolated text above is escaped or a number formatted by us.
    return mark_safe("".join(parts))  # noqa: S308
