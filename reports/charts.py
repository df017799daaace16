"""Charts drawn on the server as SVG: no script, no CDN, readable on a weak connection and in print.

This module only does the geometry (where each bar and point goes); the
templates in templates/reports/includes/ draw it. Every chart is drawn next to
a table holding the same figures, for screen readers and for print.
"""

import datetime as dt
from dataclasses import dataclass

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 150
VALUE_WIDTH = 70
CHART_WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float
    y: float
    href: str = ""
    tone: str = ""  # a CSS modifier: "", "warning", "danger", "success", "muted"

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT * 0.7


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: float
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def value_x(self) -> float:
        return self.label_width + 6

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - VALUE_WIDTH


def bar_chart(rows: list[tuple[str, int, str, str]]) -> BarChart:
    """Horizontal bars, one per (label, value, href, tone), scaled to the largest value."""
    top = max((value for _, value, _, _ in rows), default=0) or 1
    plot = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            label=label,
            value=value,
            width=round(plot * value / top, 1),
            y=n * (BAR_HEIGHT + BAR_GAP),
            href=href,
            tone=tone,
        )
        for n, (label, value, href, tone) in enumerate(rows)
    ]
    return BarChart(bars=bars, height=max(len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT))


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class MonthMark:
    month: dt.date
    x: float


@dataclass(frozen=True)
class LineChart:
    """Two series over the months of a year: what is left, and what the plan would have left."""

    actual: str  # SVG polyline points
    planned: str
    dots: list[tuple[float, float, int]]  # (x, y, value) of the actual series
    ticks: list[Tick]
    months: list[MonthMark]
    width: int
    height: int
    left: int
    bottom: float


LINE_WIDTH, LINE_HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 40, 12, 12, 28


def burndown_chart(points, goal: int, year: int) -> LineChart:
    """A burn-down over twelve months: x is the month, y the households still to lift (0 at the bottom)."""
    top = max([goal, *(p.remaining for p in points)]) or 1
    plot_w, plot_h = LINE_WIDTH - LEFT - RIGHT, LINE_HEIGHT - TOP - BOTTOM

    def x(month: int) -> float:
        return round(LEFT + plot_w * (month - 1) / 11, 1)

    def y(value: int) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    actual = [(x(p.month.month), y(p.remaining), p.remaining) for p in points]
    planned = [(x(m), y(round(goal * (12 - m) / 12))) for m in range(1, 13)]
    steps = sorted({0, top // 2, top})
    return LineChart(
        actual=" ".join(f"{px},{py}" for px, py, _ in actual),
        planned=" ".join(f"{px},{py}" for px, py in planned),
        dots=actual,
        ticks=[Tick(value, y(value)) for value in steps],
        months=[MonthMark(dt.date(year, m, 1), x(m)) for m in range(1, 13)],
        width=LINE_WIDTH,
        height=LINE_HEIGHT,
        left=LEFT,
        bottom=TOP + plot_h,
    )


@dataclass(frozen=True)
class Meter:
    """A progress bar as SVG (a width in percent), so that no inline style is needed."""

    percent: int

    @property
    def width(self) -> int:
        return max(0, min(100, self.percent))
