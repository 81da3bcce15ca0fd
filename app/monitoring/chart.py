"""The run chart of an indicator as a standalone SVG picture a district can put in its report.

It shows the series in time order (dates to scale), the median it is read against, the target (a
line at the target value and a marker at the target date) with the straight path from the baseline to
it, and the points behind any run-chart signal, drawn larger and ringed so they stand out without
colour. Every piece of text is escaped; ids (`series`, `median`, `target`, `trajectory`) and classes
(`point`, `signal`) let a stylesheet or a test find each part.
"""

from __future__ import annotations

import html
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.labels import label
from app.initiatives.models import Indicator
from app.monitoring import measurements as service
from app.monitoring.models import Measurement
from app.monitoring.signals import RunChartAnalysis, run_chart_signals

WIDTH, HEIGHT = 760, 400
LEFT, RIGHT, TOP, BOTTOM = 72, 44, 56, 92
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
INK = "#1f2933"
SERIES = "#1f4e79"
SIGNAL = "#d95f02"
MEDIAN = "#52606d"
TARGET = "#1b7f5f"
GRID = "#e4e7eb"

# Where each part of the picture goes: a list's `append`.
Emit = Callable[[str], None]

STATUS_WORDS = {"on_track": "on track", "at_risk": "at risk", "off_track": "off track", "no_data": "no data"}


async def indicator_chart(
    session: AsyncSession,
    principal: Principal,
    indicator_id: uuid.UUID,
    *,
    school_id: uuid.UUID | None = None,
) -> str:
    """The indicator's run chart (its own series, or one school's) as an SVG document. `NotFound` /
    `PermissionDenied` as reading the indicator."""
    indicator = await service.get_indicator(session, principal, indicator_id)
    rows = await service.series(session, indicator, school_id)
    status = service.assess(indicator, rows, school_id=school_id).status.value
    return render_run_chart(indicator, rows, status=status)


@dataclass(frozen=True, slots=True)
class _Scale:
    low: float
    high: float
    # Ordinal days at the plot's edges, and of the first and last day it must show.
    start: int
    end: int
    first: date
    last: date

    def x(self, day: date) -> float:
        span = self.end - self.start
        return LEFT + (day.toordinal() - self.start) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + (self.high - value) / (self.high - self.low) * (HEIGHT - TOP - BOTTOM)


def render_run_chart(indicator: Indicator, rows: Sequence[Measurement], *, status: str | None = None) -> str:
    """The SVG document for `rows` (the indicator's series, oldest first)."""
    analysis = run_chart_signals([r.value for r in rows])
    title = f"{indicator.name} ({indicator.unit})"
    parts: list[str] = []
    add = parts.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="{_e(FONT)}" font-size="12" fill="{INK}">'
    )
    add(f'<title id="chart-title">{_e(title)}: run chart</title>')
    add(f'<desc id="chart-desc">{_e(_description(indicator, rows, analysis, status))}</desc>')
    add(f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>')
    add(f'<text x="{LEFT}" y="24" font-size="16" font-weight="600">{_e(title)}</text>')
    subtitle = "Run chart"
    if status is not None:
        subtitle += f" · status: {STATUS_WORDS.get(status, status)}"
    add(f'<text x="{LEFT}" y="42" font-size="12" fill="{MEDIAN}">{_e(subtitle)}</text>')
    if not rows:
        _axes_frame(add)
        add(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{(TOP + HEIGHT - BOTTOM) / 2:.1f}" '
            f'text-anchor="middle" font-size="14" fill="{MEDIAN}">No measurements yet</text>'
        )
        _target(add, indicator, None)
        add("</svg>")
        return "\n".join(parts) + "\n"
    scale = _scale(indicator, rows, analysis)
    _grid_and_axes(add, scale, indicator)
    _target(add, indicator, scale)
    _median(add, scale, rows, analysis)
    _series(add, scale, rows, analysis)
    _legend(add, indicator, analysis)
    add("</svg>")
    return "\n".join(parts) + "\n"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: float | Decimal) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _description(
    indicator: Indicator, rows: Sequence[Measurement], analysis: RunChartAnalysis, status: str | None
) -> str:
    if not rows:
        return "No measurements yet."
    words = [
        f"{len(rows)} measurement(s) from {rows[0].measured_on.isoformat()} to "
        f"{rows[-1].measured_on.isoformat()}; latest {_num(rows[-1].value)} {indicator.unit}.",
        f"Median {_num(analysis.median or 0)}.",
    ]
    if indicator.target_value is not None:
        by = f" by {indicator.target_date.isoformat()}" if indicator.target_date else ""
        words.append(f"Target {_num(indicator.target_value)}{by}.")
    if status is not None:
        words.append(f"Status: {STATUS_WORDS.get(status, status)}.")
    signalled = analysis.signalled_points
    rules = sorted({f"{label(s.rule_set)} {label(s.rule)}" for s in analysis.signals})
    words.append(
        f"{len(signalled)} point(s) behind signals ({', '.join(rules)})."
        if rules
        else "No run-chart signals."
    )
    return " ".join(words)


def _scale(indicator: Indicator, rows: Sequence[Measurement], analysis: RunChartAnalysis) -> _Scale:
    values = [float(r.value) for r in rows]
    if analysis.median is not None:
        values.append(float(analysis.median))
    for extra in (indicator.target_value, indicator.baseline_value):
        if extra is not None:
            values.append(float(extra))
    low, high = min(values), max(values)
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    low, high, _ = _nice_range(low, high)
    days = [r.measured_on for r in rows]
    for extra_day in (indicator.baseline_date, indicator.target_date):
        if extra_day is not None:
            days.append(extra_day)
    start, end = min(days), max(days)
    if start == end:
        start, end = start - timedelta(days=15), end + timedelta(days=15)
    span = (end - start).days
    margin = max(span // 40, 1)
    return _Scale(low, high, start.toordinal() - margin, end.toordinal() + margin, start, end)


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10**exponent
    nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10**exponent


def _nice_range(low: float, high: float, ticks: int = 5) -> tuple[float, float, float]:
    step = _nice_step((high - low) / ticks)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _axes_frame(add: Emit) -> None:
    bottom = HEIGHT - BOTTOM
    add(
        f'<g id="axes" stroke="{INK}" stroke-width="1">'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>'
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/></g>'
    )


def _grid_and_axes(add: Emit, scale: _Scale, indicator: Indicator) -> None:
    bottom = HEIGHT - BOTTOM
    _, _, step = _nice_range(scale.low, scale.high)
    add(f'<g id="grid" stroke="{GRID}" stroke-width="1">')
    tick = scale.low
    labels = []
    while tick <= scale.high + step / 2:
        y = scale.y(tick)
        add(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        labels.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_e(_num(tick))}</text>')
        tick += step
    add("</g>")
    _axes_frame(add)
    add('<g id="y-ticks" font-size="11">' + "".join(labels) + "</g>")
    add('<g id="x-ticks" font-size="11" text-anchor="middle">')
    for day in _date_ticks(scale):
        x = scale.x(day)
        add(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" stroke="{INK}"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}">{_e(day.isoformat())}</text>'
        )
    add("</g>")
    middle_y = (TOP + bottom) / 2
    add(
        f'<text id="y-label" x="18" y="{middle_y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 18 {middle_y:.1f})">{_e(indicator.unit)}</text>'
    )
    add(
        f'<text id="x-label" x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{bottom + 38}" '
        'text-anchor="middle">Date measured</text>'
    )


def _date_ticks(scale: _Scale, most: int = 6) -> list[date]:
    span = (scale.last - scale.first).days
    if span <= most:
        return [scale.first + timedelta(days=i) for i in range(span + 1)]
    return [scale.first + timedelta(days=round(i * span / (most - 1))) for i in range(most)]


def _target(add: Emit, indicator: Indicator, scale: _Scale | None) -> None:
    if indicator.target_value is None or scale is None:
        return
    y = scale.y(float(indicator.target_value))
    label = f"Target {_num(indicator.target_value)}"
    if indicator.target_date is not None:
        label += f" by {indicator.target_date.isoformat()}"
    add(
        f'<g id="target" stroke="{TARGET}" fill="{TARGET}" data-value="{_e(_num(indicator.target_value))}"'
        + (f' data-date="{indicator.target_date.isoformat()}"' if indicator.target_date else "")
        + ">"
    )
    add(
        f'<line class="target-line" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
        'stroke-width="1.5" stroke-dasharray="8 4"/>'
    )
    if indicator.target_date is not None:
        x = scale.x(indicator.target_date)
        add(
            f'<path class="target-marker" d="M {x:.1f} {y - 7:.1f} L {x + 7:.1f} {y:.1f} L {x:.1f} '
            f'{y + 7:.1f} L {x - 7:.1f} {y:.1f} Z" stroke="#ffffff" stroke-width="1"/>'
        )
    add(f'<text x="{WIDTH - RIGHT}" y="{y - 6:.1f}" text-anchor="end" stroke="none">{_e(label)}</text></g>')
    if (
        indicator.baseline_value is not None
        and indicator.baseline_date is not None
        and indicator.target_date is not None
    ):
        add(
            f'<line id="trajectory" x1="{scale.x(indicator.baseline_date):.1f}" '
            f'y1="{scale.y(float(indicator.baseline_value)):.1f}" x2="{scale.x(indicator.target_date):.1f}" '
            f'y2="{y:.1f}" stroke="{TARGET}" stroke-width="1" stroke-dasharray="2 4" opacity="0.8"/>'
        )


def _median(add: Emit, scale: _Scale, rows: Sequence[Measurement], analysis: RunChartAnalysis) -> None:
    if analysis.median is None:
        return
    y = scale.y(float(analysis.median))
    x1, x2 = scale.x(rows[0].measured_on), scale.x(rows[-1].measured_on)
    if x2 - x1 < 1:
        x1, x2 = LEFT, WIDTH - RIGHT
    add(
        f'<g id="median-group"><line id="median" x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
        f'stroke="{MEDIAN}" stroke-width="1.5" stroke-dasharray="4 3" data-value="{_e(_num(analysis.median))}"/>'
        f'<text x="{x1 + 4:.1f}" y="{y + 14:.1f}" fill="{MEDIAN}">Median {_e(_num(analysis.median))}</text></g>'
    )


def _series(add: Emit, scale: _Scale, rows: Sequence[Measurement], analysis: RunChartAnalysis) -> None:
    coordinates = [(scale.x(r.measured_on), scale.y(float(r.value))) for r in rows]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    add(
        f'<polyline id="series" points="{points}" fill="none" stroke="{SERIES}" stroke-width="2" '
        'stroke-linejoin="round"/>'
    )
    rules_of: dict[int, list[str]] = {}
    for signal in analysis.signals:
        for index in signal.points:
            rules_of.setdefault(index, []).append(f"{label(signal.rule_set)} {label(signal.rule)}")
    add('<g id="points">')
    for index, (row, (x, y)) in enumerate(zip(rows, coordinates, strict=True)):
        rules = rules_of.get(index)
        tooltip = f"{row.measured_on.isoformat()}: {_num(row.value)}"
        common = f'data-index="{index}" data-date="{row.measured_on.isoformat()}" data-value="{_e(_num(row.value))}"'
        if rules:
            tooltip += " (" + ", ".join(sorted(set(rules))) + ")"
            add(
                f'<circle class="point signal" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{SIGNAL}" '
                f'stroke="{INK}" stroke-width="1.5" {common}><title>{_e(tooltip)}</title></circle>'
            )
        else:
            add(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{SERIES}" {common}>'
                f"<title>{_e(tooltip)}</title></circle>"
            )
    add("</g>")


def _legend(add: Emit, indicator: Indicator, analysis: RunChartAnalysis) -> None:
    y = HEIGHT - 22
    entries = [
        f'<line x1="0" y1="0" x2="22" y2="0" stroke="{SERIES}" stroke-width="2"/>'
        f'<circle cx="11" cy="0" r="3.5" fill="{SERIES}"/><text x="28" y="4">Measurement</text>',
        f'<line x1="0" y1="0" x2="22" y2="0" stroke="{MEDIAN}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        '<text x="28" y="4">Median</text>',
    ]
    if indicator.target_value is not None:
        entries.append(
            f'<line x1="0" y1="0" x2="22" y2="0" stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="8 4"/>'
            '<text x="28" y="4">Target</text>'
        )
    if analysis.signals:
        entries.append(
            f'<circle cx="11" cy="0" r="6" fill="{SIGNAL}" stroke="{INK}" stroke-width="1.5"/>'
            '<text x="28" y="4">Run-chart signal</text>'
        )
    add('<g id="legend" font-size="11">')
    for i, entry in enumerate(entries):
        add(f'<g transform="translate({LEFT + i * 150} {y})">{entry}</g>')
    add("</g>")
