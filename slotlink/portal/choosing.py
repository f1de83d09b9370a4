"""Choosing a time: the pages shared by booking (through a booking link) and moving an
appointment (through a manage link), and the page either shows when the patient may not take a
step. Each flow names its own URLs."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from slotlink.booking.appointments.services import slot_hold_acquire, slot_hold_release
from slotlink.booking.availability.selectors import (
    rule_available_times,
    rule_day_therapists,
    rule_offer,
)
from slotlink.booking.links.reads import slot_hold_of
from slotlink.booking.links.services import SlotTaken
from slotlink.booking.links.steps import Step
from slotlink.booking.models import BookingLink
from slotlink.clinic.models import (
    Appointment,
    Service,
    appointment_days,
)
from slotlink.lib.inputs import iso_day
from slotlink.portal.forms import TimeChoiceForm, parse_start
from slotlink.portal.presenters import (
    ANY_DAY,
    STEP_REFUSED_PAGES,
    DayOfTimes,
    FirstAvailable,
    ReviewPage,
    RuleSummary,
    day_choices,
    group_days,
    times_of_day,
    with_therapists,
)


@dataclass(frozen=True)
class Flow:
    back: str  # URL names
    times: str
    day: str
    choose: str
    confirm: str
    review: str
    start_key: str  # session keys for the chosen time and therapist
    therapist_key: str

    @property
    def session_keys(self) -> tuple[str, str]:
        return (self.start_key, self.therapist_key)


BOOK = Flow(
    back="book:welcome",
    times="book:times",
    day="book:day",
    choose="book:choose",
    confirm="book:confirm",
    review="book:review",
    start_key="booking_start",
    therapist_key="booking_therapist",
)
MOVE = Flow(
    back="manage:home",
    times="manage:times",
    day="manage:day",
    choose="manage:choose",
    confirm="manage:confirm",
    review="manage:review",
    start_key="manage_start",
    therapist_key="manage_therapist",
)


def share_service(link: BookingLink) -> None:
    """Give the link's rule the service loaded with the link, saving every patient page a
    join: they are one service (booking_link_send only links a rule of the patient's own)."""
    if link.rule.service_id == link.service_id:
        link.rule.service = link.service


def _offered(link: BookingLink, exclude: datetime | None, day: date) -> list[datetime]:
    starts = rule_available_times(link.rule, timezone.now(), for_link=link.pk, day=day)
    return [start for start in starts if start != exclude]


def times_page(
    request: HttpRequest, link: BookingLink, flow: Flow, *, exclude: datetime | None = None
) -> HttpResponse:
    """`exclude`: the patient's current appointment, which is no new time to move to."""
    # Coming back to choose again gives up the time held for the patient (only a session
    # that chose a time can hold one, so the others skip the write).
    if request.session.get(flow.start_key):
        slot_hold_release(link=link)
    offer = rule_offer(link.rule, timezone.now(), for_link=link.pk, exclude=exclude)
    return render(
        request,
        "portal/book/times.html",
        {
            "service": link.service,
            "first_available": FirstAvailable.of(offer.first, link.service.zone)
            if offer.first
            else None,
            "days": day_choices(offer.days, reverse(flow.day, args=[ANY_DAY])),
            "flow": flow,
        },
    )


def review_page(
    request: HttpRequest, link: BookingLink, flow: Flow, *, moving: Appointment | None = None
) -> HttpResponse:
    """`moving`: the appointment a new time would replace, shown beside it."""
    start, therapist_id = chosen(request, flow)
    if start is None:
        return redirect(flow.times)
    hold = slot_hold_of(link, timezone.now())
    page = ReviewPage.of(
        link, start, hold, therapist_chosen=therapist_id is not None, moving=moving
    )
    return render(
        request,
        "portal/book/review.html",
        {"service": link.service, "page": page, "flow": flow},
    )


def _day(link: BookingLink, raw: str) -> date | None:
    """A day from a URL or a form, if an appointment could fall on it."""
    return iso_day(raw, *appointment_days(timezone.localdate(timezone=link.service.zone)))


def day_page(
    request: HttpRequest,
    link: BookingLink,
    raw_day: str,
    flow: Flow,
    *,
    exclude: datetime | None = None,
) -> HttpResponse:
    chosen_day = _day(link, raw_day)
    starts = _offered(link, exclude, day=chosen_day) if chosen_day else []
    day_times: DayOfTimes | None = next(
        (d for d in group_days(starts, link.service.zone) if d.day == chosen_day), None
    )
    if chosen_day is None or day_times is None:
        messages.info(request, _("There are no free times left on that day. Choose another day."))
        return redirect(flow.times)
    if link.rule.show_therapists:
        day_times = with_therapists(
            day_times, rule_day_therapists(link.rule, timezone.now(), chosen_day, for_link=link.pk)
        )
    return render(
        request,
        "portal/book/day.html",
        {
            "service": link.service,
            "rule": RuleSummary.of(link.rule),
            "day": day_times,
            "parts": times_of_day(day_times),
            "error": request.GET.get("error") == "choose",
            "flow": flow,
        },
    )


def choose_time(
    request: HttpRequest,
    link: BookingLink,
    flow: Flow,
    *,
    prefer: int | None = None,
    exclude: datetime | None = None,
) -> HttpResponse:
    """Hold the chosen time for the patient and move on to the review, or say plainly why not.
    `link` was read in this request, with its patient and service (as every flow's views do)."""
    form = TimeChoiceForm(request.POST)
    start, therapist_id = form.choice()
    if start is not None and start == exclude:
        messages.info(request, _("That is the time you already have. Choose a different time."))
        return redirect(flow.times)
    if start is None:
        back = form.back_to()
        if _day(link, back):
            return redirect(reverse(flow.day, args=[back]) + "?error=choose")
        return redirect(flow.times)
    try:
        slot_hold_acquire(
            link=link, start=start, therapist_id=therapist_id, prefer=prefer, read_now=True
        )
    except SlotTaken:
        return time_just_taken(request, flow)
    request.session[flow.start_key] = start.isoformat()
    request.session[flow.therapist_key] = therapist_id
    return redirect(flow.review)


def chosen(request: HttpRequest, flow: Flow) -> tuple[datetime | None, int | None]:
    therapist = request.session.get(flow.therapist_key)
    return parse_start(request.session.get(flow.start_key)), (
        therapist if isinstance(therapist, int) else None
    )


def time_just_taken(request: HttpRequest, flow: Flow) -> HttpResponse:
    """Someone else got the chosen time first: say so plainly and offer fresh times."""
    forget_choice(request, flow)
    messages.warning(
        request, _("Sorry, that time has just been taken by someone else. Please choose another.")
    )
    return redirect(flow.times)


def forget_choice(request: HttpRequest, flow: Flow) -> None:
    for key in flow.session_keys:
        request.session.pop(key, None)


def step_refused(request: HttpRequest, service: Service, step: Step, reason: str) -> HttpResponse:
    """A plain page: what cannot be done online, why, and whom to call instead."""
    return render(
        request,
        "portal/book/step_refused.html",
        {"service": service, "page": STEP_REFUSED_PAGES[step], "reason": reason},
    )
