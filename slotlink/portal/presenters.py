"""Turn booking models into the plain strings templates show, so templates stay dumb."""

from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import groupby
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slotlink.booking.links.steps import Step
from slotlink.booking.models import BookingLink, BroadcastRule, SlotHold
from slotlink.clinic.models import Appointment, Medium
from slotlink.lib.formatting import clock, duration_text, short_date, when
from slotlink.lib.language import Localised, localised
from slotlink.lib.richtext import render_markdown


@dataclass(frozen=True)
class StepRefusedPage:
    """What the page refusing a patient a step says besides the reason."""

    heading: str | Promise
    # "To …, call us on <number>." (in Welsh "I …", so its translation is written mutated)
    call_to: str | Promise
    back_home: bool  # a manage page to go back to


# Lazy: translated when a page shows them, in that page's language.
STEP_REFUSED_PAGES = {
    Step.BOOK: StepRefusedPage(
        gettext_lazy("You cannot book online"),
        gettext_lazy("book an appointment"),
        back_home=False,
    ),
    Step.SEE: StepRefusedPage(
        gettext_lazy("You cannot see your appointment online"),
        gettext_lazy("ask about your appointment"),
        back_home=False,
    ),
    Step.MOVE: StepRefusedPage(
        gettext_lazy("You cannot change this appointment online"),
        gettext_lazy("change it"),
        back_home=True,
    ),
    Step.CANCEL: StepRefusedPage(
        gettext_lazy("You cannot cancel this appointment online"),
        gettext_lazy("cancel it"),
        back_home=True,
    ),
}


@dataclass(frozen=True)
class RuleSummary:
    title: str
    appointment_type: str
    duration: str
    medium: str
    location: str
    # "en-GB" where a Welsh page shows the English name, as the service wrote no Welsh one.
    appointment_type_lang: str
    location_lang: str
    show_therapists: bool
    # The service's own words, in the page's language where it wrote them (lib/language.py).
    welcome: Localised
    confirmation: Localised
    information: Localised
    # A rule names no therapist. Said here, as booking/rules/_appointment_rows.html asks any
    # summary it shows (a rule's or an appointment's), and an attribute a template finds
    # missing costs it a dir() of the object, more than the rest of those rows together.
    therapist: ClassVar[str] = ""

    @classmethod
    def of(cls, rule: BroadcastRule) -> "RuleSummary":
        kind = localised(rule.appointment_type.name, rule.appointment_type.name_cy)
        location = localised(rule.location, rule.location_cy)
        return cls(
            show_therapists=rule.show_therapists,
            title=rule.title,
            appointment_type=kind.text,
            appointment_type_lang=kind.lang,
            duration=duration_text(rule.duration_minutes),
            medium=str(Medium(rule.medium).label),
            location=location.text,
            location_lang=location.lang,
            welcome=localised(rule.welcome_content, rule.welcome_content_cy),
            confirmation=localised(rule.confirmation_content, rule.confirmation_content_cy),
            information=localised(rule.information_content, rule.information_content_cy),
        )

    # Rendered only by the pages that show them (most patient pages show none).
    @property
    def welcome_html(self) -> SafeString:
        return render_markdown(self.welcome.text)

    @property
    def welcome_lang(self) -> str:
        return self.welcome.lang

    @property
    def confirmation_html(self) -> SafeString:
        return render_markdown(self.confirmation.text)

    @property
    def confirmation_lang(self) -> str:
        return self.confirmation.lang

    @property
    def information_html(self) -> SafeString:
        return render_markdown(self.information.text)

    @property
    def information_lang(self) -> str:
        return self.information.lang


@dataclass(frozen=True)
class AppointmentSummary:
    when: str
    appointment_type: str
    duration: str
    therapist: str
    medium: str
    location: str
    appointment_type_lang: str  # as RuleSummary's
    location_lang: str

    @classmethod
    def of(cls, appointment: Appointment) -> "AppointmentSummary":
        kind = localised(appointment.appointment_type.name, appointment.appointment_type.name_cy)
        location = localised(appointment.location, appointment.location_cy)
        return cls(
            when=when(appointment.start, appointment.service.zone),
            appointment_type=kind.text,
            appointment_type_lang=kind.lang,
            duration=duration_text(appointment.duration_minutes),
            therapist=appointment.therapist.name,
            medium=str(Medium(appointment.medium).label),
            location=location.text,
            location_lang=location.lang,
        )


# What slugify takes out of a time option's value (an ISO 8601 instant, then "@id"): its
# other characters are digits, "-" (never two together, nor first or last) and "T".
_NOT_IN_ID = str.maketrans("", "", ":+.@")


@dataclass(frozen=True)
class TimeOption:
    value: str  # what the form posts back: the instant in ISO 8601, then "@id" if a therapist
    label: str  # "9:30am", or "9:30am with Sam Example"
    hour: int

    @property
    def html_id(self) -> str:
        """The radio's id: what `value|slugify` made, without slugify's cost (a day page
        writes it twice for each of dozens of times)."""
        return self.value.lower().translate(_NOT_IN_ID)


@dataclass(frozen=True)
class DayOfTimes:
    day: date
    label: str
    times: list[TimeOption]


@dataclass(frozen=True)
class DayChoice:
    """A day with at least one free time, as the times page lists it."""

    label: str  # "Wednesday 2 December"
    url: str


# Stands for the day in a day page's URL, reversed once for a whole list of days.
ANY_DAY = "0000-00-00"


def day_choices(days: list[date], day_url: str) -> list[DayChoice]:
    """`day_url`: the day page's URL with ANY_DAY for the day (reversing it for each of
    dozens of days was a tenth of the times page)."""
    return [
        DayChoice(label=short_date(day), url=day_url.replace(ANY_DAY, day.isoformat()))
        for day in days
    ]


def group_days(starts: list[datetime], zone: ZoneInfo) -> list[DayOfTimes]:
    local = [(start, start.astimezone(zone)) for start in starts]
    days = []
    for day, items in groupby(local, key=lambda pair: pair[1].date()):
        # Each label once: a big service's times page holds a thousand options or more.
        day_label = short_date(day)
        options = []
        for start, moment in items:
            options.append(
                TimeOption(value=start.isoformat(), label=clock(moment), hour=moment.hour)
            )
        days.append(DayOfTimes(day=day, label=day_label, times=options))
    return days


@dataclass(frozen=True)
class FirstAvailable:
    """The first free time, as the times page offers it."""

    value: str  # as TimeOption's
    label: str  # "Wednesday 2 December at 9:30am"

    @classmethod
    def of(cls, start: datetime, zone: ZoneInfo) -> "FirstAvailable":
        moment = start.astimezone(zone)
        label = _("%(day)s at %(time)s") % {"day": short_date(moment.date()), "time": clock(moment)}
        return cls(value=start.isoformat(), label=label)


def with_therapists(
    day: DayOfTimes, therapists_at: dict[datetime, list[tuple[int, str]]]
) -> DayOfTimes:
    """One option per free therapist at each time, for rules where patients choose who."""
    by_value = {start.isoformat(): pairs for start, pairs in therapists_at.items()}
    options = [
        replace(
            option,
            value=f"{option.value}@{tid}",
            label=_("%(time)s with %(name)s") % {"time": option.label, "name": name},
        )
        for option in day.times
        for tid, name in by_value.get(option.value, [])
    ]
    return replace(day, times=options)


@dataclass(frozen=True)
class PartOfDay:
    name: str
    times: list[TimeOption]


def times_of_day(day: DayOfTimes) -> list[PartOfDay]:
    """Morning, afternoon and evening, leaving out the empty ones."""
    parts = [
        PartOfDay(_("Morning"), [t for t in day.times if t.hour < 12]),
        PartOfDay(_("Afternoon"), [t for t in day.times if 12 <= t.hour < 17]),
        PartOfDay(_("Evening"), [t for t in day.times if t.hour >= 17]),
    ]
    return [part for part in parts if part.times]


@dataclass(frozen=True)
class ReviewPage:
    """ "Check your appointment", before booking a time or moving an appointment to it."""

    rule: RuleSummary
    when: str
    held_until: str | None
    therapist: str | None
    was: str | None  # when moving: the time it moves from
    other_therapist: tuple[str, str] | None  # when moving to another therapist: (from, to)

    @classmethod
    def of(
        cls,
        link: BookingLink,
        start: datetime,
        hold: SlotHold | None,
        *,
        therapist_chosen: bool,
        moving: Appointment | None = None,
    ) -> "ReviewPage":
        zone = link.service.zone
        other = hold is not None and moving is not None and hold.therapist_id != moving.therapist_id
        return cls(
            rule=RuleSummary.of(link.rule),
            when=when(start, zone),
            held_until=clock(hold.expires_at.astimezone(zone)) if hold else None,
            therapist=hold.therapist.name if hold and (therapist_chosen or other) else None,
            was=when(moving.start, zone) if moving else None,
            other_therapist=(moving.therapist.name, hold.therapist.name)
            if hold and moving and other
            else None,
        )
