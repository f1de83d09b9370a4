"""The times pages' reads are written in SQL (slotlink/booking/diary_reads.py): what they feed
the engine must be exactly what the models hold, worked out here through the ORM instead."""

import inspect
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from slotlink.booking.availability import reads
from slotlink.booking.availability.selectors import _diary_inputs, rule_slot_query
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import SlotHold
from slotlink.clinic.models import (
    TIME_HOLDING,
    Appointment,
    AppointmentStatus,
    DiaryChange,
    DiaryChangeKind,
    Source,
    Team,
    WorkingPattern,
)
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    TherapistFactory,
    WorkingPatternFactory,
)

TUESDAY = datetime(2026, 12, 8, 10, tzinfo=UTC)


def from_the_models(rule, since, until, now, for_link):
    """Per therapist id: shifts, extra sessions, absences, busy time and online bookings by
    local day, as sets, read through the ORM."""
    ids = sorted(
        set(
            rule.service.therapists.filter(
                Q(broadcast_rules=rule) | Q(teams=rule.team_id), active=True
            ).values_list("pk", flat=True)
        )
    )
    zone = rule.service.zone
    first, last = since.astimezone(zone).date(), until.astimezone(zone).date()
    diaries = {}
    for therapist_id in ids:
        patterns = WorkingPattern.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=first),
            therapist_id=therapist_id,
            effective_from__lte=last,
        )
        changes = DiaryChange.objects.filter(
            therapist_id=therapist_id, start__lt=until, end__gt=since
        )
        appointments = Appointment.objects.filter(
            therapist_id=therapist_id, status__in=TIME_HOLDING, start__lt=until, end__gt=since
        )
        holds = SlotHold.objects.filter(
            therapist_id=therapist_id, expires_at__gt=now, start__lt=until, end__gt=since
        ).exclude(link_id=for_link)
        online = Counter(
            a.start.astimezone(zone).date() for a in appointments if a.source == Source.ONLINE
        )
        diaries[therapist_id] = (
            {
                (
                    p.weekday,
                    p.start_time,
                    p.end_time,
                    p.effective_from,
                    p.effective_to,
                    p.every_weeks,
                )
                for p in patterns
            },
            {(c.start, c.end) for c in changes if c.kind == DiaryChangeKind.EXTRA},
            {(c.start, c.end) for c in changes if c.kind != DiaryChangeKind.EXTRA},
            {(a.start, a.end) for a in appointments} | {(h.start, h.end) for h in holds},
            dict(online),
        )
    return diaries


def as_read(inputs):
    diaries = {}
    for diary in inputs.diaries():
        diaries[diary.therapist_id] = (
            {
                (s.weekday, s.start, s.end, s.effective_from, s.effective_to, s.every_weeks)
                for s in diary.shifts
            },
            set(diary.extra),
            set(diary.absences),
            set(diary.busy),
            diary.online_bookings_by_day,
        )
    return diaries


def test_the_sql_reads_feed_the_engine_what_the_models_hold(clinic, frozen_now):
    service, rule = clinic.service, clinic.rule
    rule.daily_cap = 3
    rule.horizon_days = 28
    rule.save()
    first, second = clinic.therapists
    # A team member joins the rule's own therapists; a therapist of the team who left, and
    # one of another service's, do not.
    member = TherapistFactory(service=service)
    WorkingPatternFactory(therapist=member, weekday=2, start_time=time(13, 30), every_weeks=2)
    gone = TherapistFactory(service=service, active=False)
    WorkingPatternFactory(therapist=gone)
    team = Team.objects.create(service=service, name="Evening team")
    team.therapists.set([member, gone, TherapistFactory()])
    rule.team = team
    rule.save()
    # Patterns that ended before the window or start after it, and one that ends inside it.
    WorkingPatternFactory(therapist=first, weekday=5, effective_to=date(2026, 11, 30))
    WorkingPatternFactory(therapist=first, weekday=6, effective_from=date(2027, 6, 7))
    WorkingPatternFactory(
        therapist=second, weekday=5, start_time=time(10), effective_to=date(2026, 12, 19)
    )
    # Appointments of every status, in the window and out of it, online and not.
    for days, status, source in [
        (1, AppointmentStatus.BOOKED, Source.ONLINE),
        (1, AppointmentStatus.CANCELLED, Source.ONLINE),
        (2, AppointmentStatus.ATTENDED, Source.STAFF),
        (3, AppointmentStatus.DNA, Source.ONLINE),
        (60, AppointmentStatus.BOOKED, Source.ONLINE),
        (-3, AppointmentStatus.BOOKED, Source.STAFF),
    ]:
        start = TUESDAY + timedelta(days=days)
        AppointmentFactory(
            service=service,
            therapist=first,
            start=start,
            end=start + timedelta(minutes=50),
            status=status,
            source=source,
        )
    # Leave, training, an extra session, and a change long past.
    for kind, days, hours in [
        (DiaryChangeKind.LEAVE, 4, 24),
        (DiaryChangeKind.TRAINING, 9, 3),
        (DiaryChangeKind.EXTRA, 5, 2),
        (DiaryChangeKind.LEAVE, -20, 24),
    ]:
        start = TUESDAY + timedelta(days=days)
        DiaryChange.objects.create(
            therapist=second, kind=kind, start=start, end=start + timedelta(hours=hours)
        )
    # Times held by patients choosing: this patient's own, another's, and an expired one.
    links = [
        booking_link_send(patient=PatientFactory(service=service), rule=rule, sent_by=clinic.admin)[
            0
        ]
        for _ in range(3)
    ]
    for link, days, expires in [(links[0], 6, 10), (links[1], 7, 10), (links[2], 8, -10)]:
        start = TUESDAY + timedelta(days=days)
        SlotHold.objects.create(
            link=link,
            therapist=first,
            start=start,
            end=start + timedelta(hours=1),
            expires_at=timezone.now() + timedelta(minutes=expires),
        )

    now = timezone.now()
    query = rule_slot_query(rule, now)
    inputs = _diary_inputs(rule, query.earliest, query.latest, now=now, for_link=links[0].pk)
    assert inputs is not None

    expected = from_the_models(rule, inputs.since, inputs.until, now, links[0].pk)
    assert sorted(expected) == sorted([first.pk, second.pk, member.pk])
    assert as_read(inputs) == expected
    # The cases above are all really there to be told apart.
    shifts, _, _, busy, online = expected[first.pk]
    assert len(shifts) == 5
    assert len(busy) == 4 and sum(online.values()) == 2
    assert len(expected[second.pk][1]) == 1 and len(expected[second.pk][2]) == 2
    assert any(every == 2 for *_, every in expected[member.pk][0])


def test_the_reads_name_every_table_by_its_model() -> None:
    source = inspect.getsource(reads)
    written_out = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table in source
    ]
    assert written_out == []


def test_an_instant_is_the_same_utc_datetime_from_either_database_and_built_once() -> None:
    moment = datetime(2026, 10, 25, 1, 30, 15, 250, tzinfo=UTC)
    microseconds = 1_792_891_815_000_250
    assert reads.instant(microseconds) == moment
    assert reads.instant("2026-10-25 01:30:15.000250") == moment
    assert reads.instant(microseconds).tzinfo is UTC
    assert reads.instant(microseconds) is reads.instant(microseconds)


def test_therapists_on_the_same_shifts_share_one_tuple_of_them_read_after_read(clinic, frozen_now):
    # The engine reads shared shifts once, and the outline keeps one diary for them.
    first, second = clinic.therapists
    other = TherapistFactory(service=clinic.service)
    WorkingPatternFactory(therapist=other, weekday=0, start_time=time(9), end_time=time(12))
    clinic.rule.therapists.add(other)
    now = timezone.now()
    query = rule_slot_query(clinic.rule, now)

    def shifts():
        inputs = _diary_inputs(clinic.rule, query.earliest, query.latest, now=now, for_link=None)
        assert inputs is not None
        return inputs.shifts

    read, again = shifts(), shifts()

    assert read[first.pk] is read[second.pk] is again[first.pk]
    assert len(read[first.pk]) == 5
    assert read[other.pk] != read[first.pk] and len(read[other.pk]) == 1
