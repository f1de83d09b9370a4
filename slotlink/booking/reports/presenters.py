"""The dashboard's figures and its chart, as display strings and bar sizes."""

from dataclasses import dataclass
from datetime import date, timedelta

_BAR_HEIGHT, _BAR_GAP, _GROUP_GAP = 12, 2, 18
_LABEL_WIDTH, _PLOT_WIDTH = 220, 360


@dataclass(frozen=True)
class RuleWeek:
    """One rule's links in one week."""

    rule: str
    sent: int
    opened: int
    booked: int
    expired: int
    median_to_book: timedelta | None


def duration_words(span: timedelta | None) -> str:
    if span is None:
        return "–"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under 1 min"


@dataclass(frozen=True)
class Bar:
    measure: str  # "sent", "opened"… also the CSS class
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class ChartGroup:
    rule: str
    label_y: int
    bars: list[Bar]
    median: str


@dataclass(frozen=True)
class WeekChart:
    width: int
    height: int
    label_width: int
    groups: list[ChartGroup]
    description: str


MEASURES = ("sent", "opened", "booked", "expired")


def week_chart(weeks: list[RuleWeek]) -> WeekChart:
    """Horizontal bars, four per rule, sized in SVG attributes (the CSP allows no inline
    styles) against the week's largest count."""
    largest = max([getattr(w, m) for w in weeks for m in MEASURES] + [1])
    groups = []
    y = 0
    for week in weeks:
        bars = []
        for i, measure in enumerate(MEASURES):
            value = getattr(week, measure)
            bars.append(
                Bar(
                    measure=measure,
                    value=value,
                    y=y + i * (_BAR_HEIGHT + _BAR_GAP),
                    width=round(_PLOT_WIDTH * value / largest),
                )
            )
        groups.append(
            ChartGroup(
                rule=week.rule,
                label_y=y + 2 * (_BAR_HEIGHT + _BAR_GAP),
                bars=bars,
                median=duration_words(week.median_to_book),
            )
        )
        y += len(MEASURES) * (_BAR_HEIGHT + _BAR_GAP) + _GROUP_GAP
    totals = {m: sum(getattr(w, m) for w in weeks) for m in MEASURES}
    description = ", ".join(f"{totals[m]} {m}" for m in MEASURES)
    return WeekChart(
        width=_LABEL_WIDTH + _PLOT_WIDTH + 60,
        height=max(y - _GROUP_GAP, _BAR_HEIGHT),
        label_width=_LABEL_WIDTH,
        groups=groups,
        description=f"Links this week across all rules: {description}.",
    )


def week_label(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"{monday:%d %b} – {sunday:%d %b %Y}"
