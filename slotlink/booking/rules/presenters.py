"""Display-ready views for the superuser and admin pages: broadcast rules, their preview,
bulk invitations and the weekly dashboard."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString

from slotlink.booking.models import (
    BroadcastRule,
)
from slotlink.clinic.models import Medium
from slotlink.lib.formatting import duration_text, when
from slotlink.lib.richtext import render_markdown
from slotlink.lib.sms import SmsLength


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
    # The staff preview is in English, as written.
    appointment_type_lang: str = ""
    location_lang: str = ""


@dataclass(frozen=True)
class PreviewAppointment:
    when: str
    appointment_type: str
    duration: str
    therapist: str
    medium: str
    location: str
    appointment_type_lang: str = ""
    location_lang: str = ""


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
    medium_label = str(
        Medium(medium).label if medium in Medium.values else Medium.FACE_TO_FACE.label
    )
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


def sms_meter(length: SmsLength, problems: list[str]) -> SmsMeter:
    return SmsMeter(summary=length.summary, too_long=length.segments > 3, problems=problems)
