"""The PHQ-9 and GAD-7 chart on the patient's record: coordinates worked out here, drawn as
inline SVG by the template (no JavaScript; no inline styles, which the CSP forbids: classes
in staff.css colour it). The same numbers go in a table beside it for screen readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from slotlink.domain.questionnaires.instruments import GAD7, PHQ9
from slotlink.questionnaires.models import Builtin, FormRequest

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 28, 48
TOP_SCORE = 27  # PHQ-9's highest; GAD-7's (21) fits on the same scale
GRID = (0, 5, 10, 15, 20, 25)
PAD = 40  # room inside the axes for the first and last day's labels
MAX_X_LABELS = 6


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    total: int
    band: str
    day: str


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # phq9 or gad7
    points: tuple[Point, ...]
    path: str  # the polyline's points attribute
    threshold_y: float
    threshold: int


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class ScoreRow:
    day: str
    form: str
    total: int
    band: str
    caseness: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    rows: tuple[ScoreRow, ...]
    description: str

    @property
    def empty(self) -> bool:
        return not self.rows


def _y(score: int) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / TOP_SCORE), 1)


def score_chart(completed: list[FormRequest], zone: ZoneInfo) -> Chart:
    """`completed`: PHQ-9 and GAD-7 requests with totals, oldest first. Each day a form was
    completed on is one place along the x axis, evenly spaced (sessions are what matter, not
    the gaps between them), so a PHQ-9 and a GAD-7 of one day stand one above the other."""
    scored = [r for r in completed if r.completed_at is not None and r.total is not None]
    days = sorted({_local_day(r, zone) for r in scored})
    inner = WIDTH - LEFT - RIGHT - 2 * PAD
    place = {
        day: round(LEFT + PAD + (inner * i / (len(days) - 1) if len(days) > 1 else inner / 2), 1)
        for i, day in enumerate(days)
    }
    series = []
    for code, definition, css in ((Builtin.PHQ9, PHQ9, "phq9"), (Builtin.GAD7, GAD7, "gad7")):
        points = tuple(
            Point(place[day], _y(r.total or 0), r.total or 0, r.band, _label(day))
            for r in scored
            if r.form.builtin == code
            for day in [_local_day(r, zone)]
        )
        if points:
            threshold = definition.scoring.caseness_from or 0
            series.append(
                Series(
                    name=definition.name,
                    css=css,
                    points=points,
                    path=" ".join(f"{p.x},{p.y}" for p in points),
                    threshold_y=_y(threshold),
                    threshold=threshold,
                )
            )
    # Every day labelled while they fit; past that, every so many, and always the last.
    step = max(1, -(-len(days) // MAX_X_LABELS))
    labelled = [d for i, d in enumerate(days) if i % step == 0 or i == len(days) - 1]
    rows = tuple(
        ScoreRow(
            day=_label(_local_day(r, zone)),
            form=r.form.name,
            total=r.total or 0,
            band=r.band,
            caseness="Yes" if r.caseness else "No",
        )
        for r in scored
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        series=tuple(series),
        y_ticks=tuple(Tick(_y(score), str(score)) for score in GRID),
        x_ticks=tuple(Tick(place[day], _label(day)) for day in labelled),
        rows=rows,
        description=_describe(series),
    )


def _local_day(request: FormRequest, zone: ZoneInfo) -> date:
    assert request.completed_at is not None  # noqa: S101 - only completed ones are drawn
    return request.completed_at.astimezone(zone).date()


def _label(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _describe(series: list[Series]) -> str:
    parts = []
    for each in series:
        first, last = each.points[0], each.points[-1]
        parts.append(
            f"{each.name}: {len(each.points)} score{'s' if len(each.points) != 1 else ''}, "
            f"from {first.total} ({first.band}) on {first.day} to {last.total} ({last.band}) "
            f"on {last.day}"
        )
    return "; ".join(parts) + "." if parts else "No scores yet."
