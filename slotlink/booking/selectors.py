"""Read-side queries for booking: feeds the pure availability engine with plain data.

A fixed number of queries whatever the number of therapists or weeks."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import chain

from django.db.models import Q, QuerySet

from slotlink.booking.models import BookingLink, BroadcastRule, SlotHold
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import TIME_HOLDING, Appointment, User, WorkingPattern
from slotlink.domain.availability import (
    SlotQuery,
    TherapistDiary,
    WeeklyShift,
    available_times,
    free_therapists,
)


def rule_slot_query(rule: BroadcastRule, now: datetime) -> SlotQuery:
    return SlotQuery(
        zone=rule.service.zone,
        duration=timedelta(minutes=rule.duration_minutes),
        step_minutes=rule.slot_step_minutes,
        earliest=now + timedelta(hours=rule.min_notice_hours),
        latest=now + timedelta(days=rule.horizon_days),
    )


def rule_diaries(
    rule: BroadcastRule, start: datetime, end: datetime, *, now: datetime, for_link: int | None
) -> list[TherapistDiary]:
    """Every active therapist of the rule with their working patterns and what holds their
    time between `start` and `end`: appointments, and times other patients are holding."""
    therapist_ids = list(
        rule.therapists.filter(active=True, service_id=rule.service_id).values_list("pk", flat=True)
    )
    if not therapist_ids:
        return []
    zone = rule.service.zone
    first_day: date = start.astimezone(zone).date()
    last_day: date = end.astimezone(zone).date()
    shifts: dict[int, list[WeeklyShift]] = defaultdict(list)
    patterns = WorkingPattern.objects.filter(
        therapist_id__in=therapist_ids, effective_from__lte=last_day
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=first_day))
    for p in patterns:
        shifts[p.therapist_id].append(
            WeeklyShift(
                weekday=p.weekday,
                start=p.start_time,
                end=p.end_time,
                effective_from=p.effective_from,
                effective_to=p.effective_to,
                every_weeks=p.every_weeks,
            )
        )
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    appointments = Appointment.objects.filter(
        therapist_id__in=therapist_ids, status__in=TIME_HOLDING, start__lt=end, end__gt=start
    ).values_list("therapist_id", "start", "end")
    holds = (
        SlotHold.objects.filter(
            therapist_id__in=therapist_ids, expires_at__gt=now, start__lt=end, end__gt=start
        )
        .exclude(link_id=for_link)
        .values_list("therapist_id", "start", "end")
    )
    for therapist_id, busy_start, busy_end in chain(appointments, holds):
        busy[therapist_id].append((busy_start, busy_end))
    return [
        TherapistDiary(therapist_id=tid, shifts=tuple(shifts[tid]), busy=tuple(busy[tid]))
        for tid in therapist_ids
    ]


def rule_available_times(
    rule: BroadcastRule, now: datetime, *, for_link: int | None = None
) -> list[datetime]:
    """The times `for_link`'s patient may choose (its own hold does not hide a time from it)."""
    query = rule_slot_query(rule, now)
    if query.latest <= query.earliest:
        return []
    diaries = rule_diaries(rule, query.earliest, query.latest, now=now, for_link=for_link)
    return available_times(diaries, query)


def rule_free_therapists(
    rule: BroadcastRule, now: datetime, start: datetime, *, for_link: int | None = None
) -> list[int]:
    """Therapists of the rule who can take an appointment at `start`, if it is bookable now."""
    query = rule_slot_query(rule, now)
    end = start + query.duration
    if start < query.earliest or end > query.latest:
        return []
    diaries = rule_diaries(rule, start, end, now=now, for_link=for_link)
    return free_therapists(diaries, query, start)


def rules_for(user: User) -> QuerySet[BroadcastRule]:
    return (
        BroadcastRule.objects.filter(service_id=service_id_of(user), active=True)
        .select_related("appointment_type")
        .prefetch_related("therapists")
    )


def links_for(user: User) -> QuerySet[BookingLink]:
    return (
        BookingLink.objects.filter(service_id=service_id_of(user))
        .select_related("rule__appointment_type", "service", "patient__service", "sent_by")
        .prefetch_related("rule__therapists")
    )


def current_appointments(links: list[BookingLink]) -> dict[int, Appointment]:
    """Link id -> the appointment it stands for now (a live one if any, else the latest),
    in one query."""
    chosen: dict[int, Appointment] = {}
    rows = Appointment.objects.filter(booking_link__in=links).order_by("created_at", "pk")
    for appointment in rows:
        assert appointment.booking_link_id is not None  # noqa: S101 - filtered above
        held = chosen.get(appointment.booking_link_id)
        if held is None or held.status not in TIME_HOLDING or appointment.status in TIME_HOLDING:
            chosen[appointment.booking_link_id] = appointment
    return chosen
