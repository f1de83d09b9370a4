"""Read-side queries for booking: feeds the pure availability engine with plain data.

A fixed number of queries whatever the number of therapists or weeks."""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Q, QuerySet

from slotlink.booking.models import BookingLink, BroadcastRule, SlotHold
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    DiaryChange,
    DiaryChangeKind,
    Service,
    Source,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.domain.availability import (
    SlotQuery,
    TherapistDiary,
    WeeklyShift,
    available_times,
    free_therapists,
)

Span = tuple[datetime, datetime]


def rule_slot_query(rule: BroadcastRule, now: datetime) -> SlotQuery:
    service = rule.service
    earliest = now + timedelta(hours=rule.min_notice_hours)
    latest = now + timedelta(days=rule.horizon_days)
    return SlotQuery(
        zone=service.zone,
        duration=timedelta(minutes=rule.duration_minutes),
        step_minutes=rule.slot_step_minutes,
        earliest=earliest,
        latest=latest,
        buffer_before=timedelta(minutes=rule.buffer_before_minutes),
        buffer_after=timedelta(minutes=rule.buffer_after_minutes),
        closed_days=service_closed_days(service, earliest, latest),
        daily_cap=rule.daily_cap,
    )


def service_closed_days(service: Service, start: datetime, end: datetime) -> frozenset[date]:
    if not service.closed_on_bank_holidays or end <= start:
        return frozenset()
    first, last = start.astimezone(service.zone).date(), end.astimezone(service.zone).date()
    return frozenset(
        day
        for year in range(first.year, last.year + 1)
        for day in _bank_holidays(service.nation, year)
        if first <= day <= last
    )


@cache
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=nation, years=year))


def rule_therapist_ids(rule: BroadcastRule) -> list[int]:
    """The rule's own therapists and its team's, active and in the rule's service."""
    chosen = Q(broadcast_rules=rule)
    if rule.team_id is not None:
        chosen |= Q(teams=rule.team_id)
    return sorted(
        set(
            Therapist.objects.filter(chosen, active=True, service_id=rule.service_id).values_list(
                "pk", flat=True
            )
        )
    )


def rule_diaries(
    rule: BroadcastRule, start: datetime, end: datetime, *, now: datetime, for_link: int | None
) -> list[TherapistDiary]:
    """Every therapist of the rule with what the engine needs between `start` and `end`:
    working patterns, one-off changes, and what holds their time (appointments, and times
    other patients are holding). Five queries, whatever the number of therapists or weeks."""
    therapist_ids = rule_therapist_ids(rule)
    if not therapist_ids:
        return []
    zone = rule.service.zone
    # Whole local days, widened by the buffers, so caps and buffers see everything they need.
    first_day: date = start.astimezone(zone).date()
    last_day: date = end.astimezone(zone).date()
    since = _local_midnight(first_day, zone) - timedelta(minutes=rule.buffer_before_minutes)
    until = _local_midnight(last_day + timedelta(days=1), zone) + timedelta(
        minutes=rule.buffer_after_minutes
    )
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
    extra: dict[int, list[Span]] = defaultdict(list)
    absences: dict[int, list[Span]] = defaultdict(list)
    changes = DiaryChange.objects.filter(
        therapist_id__in=therapist_ids, start__lt=until, end__gt=since
    ).values_list("therapist_id", "kind", "start", "end")
    for therapist_id, kind, change_start, change_end in changes:
        target = extra if kind == DiaryChangeKind.EXTRA else absences
        target[therapist_id].append((change_start, change_end))
    busy: dict[int, list[Span]] = defaultdict(list)
    online: dict[int, Counter[date]] = defaultdict(Counter)
    appointments = Appointment.objects.filter(
        therapist_id__in=therapist_ids, status__in=TIME_HOLDING, start__lt=until, end__gt=since
    ).values_list("therapist_id", "start", "end", "source")
    for therapist_id, appt_start, appt_end, source in appointments:
        busy[therapist_id].append((appt_start, appt_end))
        if source == Source.ONLINE:
            online[therapist_id][appt_start.astimezone(zone).date()] += 1
    holds = (
        SlotHold.objects.filter(
            therapist_id__in=therapist_ids, expires_at__gt=now, start__lt=until, end__gt=since
        )
        .exclude(link_id=for_link)
        .values_list("therapist_id", "start", "end")
    )
    for therapist_id, hold_start, hold_end in holds:
        busy[therapist_id].append((hold_start, hold_end))
    return [
        TherapistDiary(
            therapist_id=tid,
            shifts=tuple(shifts[tid]),
            extra=tuple(extra[tid]),
            absences=tuple(absences[tid]),
            busy=tuple(busy[tid]),
            online_bookings_by_day=dict(online[tid]) if rule.daily_cap is not None else None,
        )
        for tid in therapist_ids
    ]


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


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


def rule_day_therapists(
    rule: BroadcastRule, now: datetime, day: date, *, for_link: int | None = None
) -> dict[datetime, list[tuple[int, str]]]:
    """For a rule that lets patients choose who they see: each free time on `day` with the
    therapists free then, by name."""
    query = rule_slot_query(rule, now)
    zone = rule.service.zone
    since = max(_local_midnight(day, zone), query.earliest)
    until = min(_local_midnight(day + timedelta(days=1), zone), query.latest)
    if until <= since:
        return {}
    diaries = rule_diaries(rule, since, until, now=now, for_link=for_link)
    names = dict(
        Therapist.objects.filter(pk__in=[d.therapist_id for d in diaries]).values_list("pk", "name")
    )
    starts = [t for t in available_times(diaries, query) if since <= t < until]
    return {
        start: [(tid, names[tid]) for tid in free_therapists(diaries, query, start)]
        for start in starts
    }


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
