"""Display-ready views for the superuser and admin pages: broadcast rules, their preview,
bulk invitations and the weekly dashboard."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.safestring import SafeString

from slotlink.booking.models import (
    BroadcastRule,
    BulkFinding,
    BulkInvitation,
    BulkInvitationRow,
    BulkResult,
    BulkStatus,
)
from slotlink.booking.presenters import duration_text
from slotlink.clinic.models import Medium, Service
from slotlink.clinic.presenters import nhs_number_text
from slotlink.lib.formatting import staff_datetime, when
from slotlink.lib.richtext import render_markdown
from slotlink.lib.sms import sms_template_length


@dataclass(frozen=True)
class RuleListRow:
    pk: int
    title: str
    appointment_type: str
    duration: str
    offered_by: str
    window: str
    active: bool
    links_sent: int

    @classmethod
    def of(cls, rule: BroadcastRule, links_sent: int) -> "RuleListRow":
        names = [t.name for t in rule.therapists.all() if t.active]
        offered = ", ".join(names)
        if rule.team is not None:
            offered = f"{offered} + team {rule.team.name}" if offered else f"Team {rule.team.name}"
        return cls(
            pk=rule.pk,
            title=rule.title,
            appointment_type=rule.appointment_type.name,
            duration=duration_text(rule.duration_minutes),
            offered_by=offered or "Nobody",
            window=f"{rule.min_notice_hours} h – {rule.horizon_days} days",
            active=rule.active,
            links_sent=links_sent,
        )


@dataclass(frozen=True)
class PreviewRule:
    """The parts of RuleSummary the patient-page fragments read."""

    appointment_type: str
    duration: str
    medium: str
    location: str
    welcome_html: SafeString
    confirmation_html: SafeString


@dataclass(frozen=True)
class PreviewAppointment:
    when: str
    appointment_type: str
    duration: str
    therapist: str
    medium: str
    location: str


def rule_preview(
    *,
    appointment_type: str,
    duration_minutes: int,
    medium: str,
    location: str,
    welcome: str,
    confirmation: str,
    sample_start: datetime,
    zone: ZoneInfo,
) -> tuple[PreviewRule, PreviewAppointment]:
    """What a patient would see for a rule with these settings, on the welcome page and
    after booking (at `sample_start`, with a made-up therapist)."""
    medium_label = Medium(medium).label if medium in Medium.values else Medium.FACE_TO_FACE.label
    duration = duration_text(duration_minutes)
    rule = PreviewRule(
        appointment_type=appointment_type,
        duration=duration,
        medium=medium_label,
        location=location,
        welcome_html=render_markdown(welcome),
        confirmation_html=render_markdown(confirmation),
    )
    appointment = PreviewAppointment(
        when=when(sample_start, zone),
        appointment_type=appointment_type,
        duration=duration,
        therapist="(the therapist's name)",
        medium=medium_label,
        location=location,
    )
    return rule, appointment


@dataclass(frozen=True)
class SmsMeter:
    summary: str
    too_long: bool
    problems: list[str]


def sms_meter(template: str, service: Service, problems: list[str]) -> SmsMeter:
    length = sms_template_length(
        template, service_name=service.name, base_url=settings.PUBLIC_BASE_URL
    )
    return SmsMeter(summary=length.summary, too_long=length.segments > 3, problems=problems)


# Bulk invitations


@dataclass(frozen=True)
class BulkRowView:
    number: int
    nhs_number: str
    patient: str
    patient_pk: int | None
    finding: str
    finding_class: str
    result: str
    result_class: str
    reason: str

    @classmethod
    def of(cls, row: BulkInvitationRow) -> "BulkRowView":
        return cls(
            number=row.number,
            nhs_number=nhs_number_text(row.nhs_number) if row.nhs_number else "–",
            patient=row.patient.full_name if row.patient else "",
            patient_pk=row.patient_id,
            finding=BulkFinding(row.finding).label,
            finding_class=row.finding,
            result=BulkResult(row.result).label,
            result_class=row.result,
            reason=row.reason
            or (BulkFinding(row.finding).label if row.result == BulkResult.SKIPPED else ""),
        )


@dataclass(frozen=True)
class FindingCount:
    label: str
    finding: str
    count: int


@dataclass(frozen=True)
class BulkProgress:
    pk: int
    status: str
    status_label: str
    total: int
    ready: int
    sent: int
    skipped: int
    pending: int
    finished: bool
    previewing: bool

    @property
    def processed(self) -> int:
        return self.sent + self.skipped

    @classmethod
    def of(cls, invitation: BulkInvitation, counts: dict[str, int], ready: int) -> "BulkProgress":
        return cls(
            pk=invitation.pk,
            status=invitation.status,
            status_label=BulkStatus(invitation.status).label,
            total=sum(counts.values()),
            ready=ready,
            sent=counts.get(BulkResult.SENT, 0),
            skipped=counts.get(BulkResult.SKIPPED, 0),
            pending=counts.get(BulkResult.PENDING, 0),
            finished=invitation.status == BulkStatus.DONE,
            previewing=invitation.status == BulkStatus.PREVIEW,
        )


@dataclass(frozen=True)
class BulkListRow:
    pk: int
    rule: str
    created: str
    created_by: str
    source: str
    status: str

    @classmethod
    def of(cls, invitation: BulkInvitation, zone: ZoneInfo) -> "BulkListRow":
        by = invitation.created_by
        return cls(
            pk=invitation.pk,
            rule=invitation.rule.title,
            created=staff_datetime(invitation.created_at, zone),
            created_by=(by.get_full_name() or by.username) if by else "",
            source=invitation.file_name or "Patients chosen from a search",
            status=BulkStatus(invitation.status).label,
        )


# Dashboard


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
_BAR_HEIGHT, _BAR_GAP, _GROUP_GAP = 12, 2, 18
_LABEL_WIDTH, _PLOT_WIDTH = 220, 360


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
