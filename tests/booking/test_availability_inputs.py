"""The query layer feeds the engine everything that changes a diary: bank holidays, one-off
changes, buffers, caps, teams; and the day page lets patients choose who when a rule says so."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import (
    Appointment,
    DiaryChange,
    DiaryChangeKind,
    Source,
    Team,
    WorkingPattern,
)
from tests.factories import AppointmentFactory, TherapistFactory, WorkingPatternFactory

LONDON = "Europe/London"


def local_days(starts):
    return {start.astimezone(timezone.get_default_timezone()).date() for start in starts}


def local_clock(start):
    return start.astimezone(timezone.get_default_timezone()).time()


@pytest.fixture
def one_therapist(clinic):
    clinic.rule.therapists.set(clinic.therapists[:1])
    return clinic


def test_bank_holidays_of_the_services_nation_offer_no_times(clinic, frozen_now):
    clinic.rule.horizon_days = 28
    clinic.rule.save()

    days = local_days(rule_available_times(clinic.rule, timezone.now()))

    assert date(2026, 12, 24) in days
    assert date(2026, 12, 25) not in days  # Christmas Day
    assert date(2026, 12, 28) not in days  # Boxing Day, observed
    assert date(2026, 12, 29) in days


def test_a_service_open_on_bank_holidays_offers_them(clinic, frozen_now):
    clinic.rule.horizon_days = 28
    clinic.rule.save()
    clinic.service.closed_on_bank_holidays = False
    clinic.service.save()

    days = local_days(rule_available_times(clinic.rule, timezone.now()))

    assert {date(2026, 12, 25), date(2026, 12, 28)} <= days


def test_leave_removes_a_therapists_times_and_an_extra_session_adds_some(one_therapist, frozen_now):
    therapist = one_therapist.therapists[0]
    wednesday = datetime(2026, 12, 9, tzinfo=UTC)
    DiaryChange.objects.create(
        therapist=therapist,
        kind=DiaryChangeKind.LEAVE,
        start=wednesday,
        end=wednesday + timedelta(days=1),
    )
    saturday = datetime(2026, 12, 12, 10, tzinfo=UTC)
    DiaryChange.objects.create(
        therapist=therapist,
        kind=DiaryChangeKind.EXTRA,
        start=saturday,
        end=saturday + timedelta(hours=2),
    )

    starts = rule_available_times(one_therapist.rule, timezone.now())

    assert date(2026, 12, 9) not in local_days(starts)
    assert [s for s in starts if s.date() == date(2026, 12, 12)] == [
        saturday,
        saturday + timedelta(hours=1),
    ]


def test_patterns_apply_between_their_dates_and_on_their_weeks_only(one_therapist, frozen_now):
    therapist = one_therapist.therapists[0]
    WorkingPattern.objects.filter(therapist=therapist).delete()
    # Mondays 09:00-10:00 until 21 December; Saturdays 10:00-11:00 every other week from
    # 12 December; a Sunday pattern that ended before the window.
    WorkingPatternFactory(
        therapist=therapist,
        weekday=0,
        start_time=time(9),
        end_time=time(10),
        effective_to=date(2026, 12, 21),
    )
    WorkingPatternFactory(
        therapist=therapist,
        weekday=5,
        start_time=time(10),
        end_time=time(11),
        effective_from=date(2026, 12, 12),
        every_weeks=2,
    )
    WorkingPatternFactory(
        therapist=therapist, weekday=6, effective_to=date(2026, 11, 29), start_time=time(12)
    )
    one_therapist.rule.horizon_days = 28
    one_therapist.rule.save()
    one_therapist.service.closed_on_bank_holidays = False  # 26 December is a Saturday
    one_therapist.service.save()

    starts = rule_available_times(one_therapist.rule, timezone.now())

    assert [(start.date(), local_clock(start)) for start in starts] == [
        (date(2026, 12, 12), time(10)),
        (date(2026, 12, 14), time(9)),
        (date(2026, 12, 21), time(9)),
        (date(2026, 12, 26), time(10)),
    ]


def test_a_buffer_keeps_the_time_around_an_appointment_free(one_therapist, frozen_now):
    therapist = one_therapist.therapists[0]
    busy = datetime(2026, 12, 8, 13, tzinfo=UTC)
    AppointmentFactory(
        service=one_therapist.service,
        therapist=therapist,
        start=busy,
        end=busy + timedelta(hours=1),
    )
    before = set(rule_available_times(one_therapist.rule, timezone.now()))
    assert {busy - timedelta(hours=1), busy + timedelta(hours=1)} <= before

    one_therapist.rule.buffer_before_minutes = 15
    one_therapist.rule.buffer_after_minutes = 15
    one_therapist.rule.save()
    after = set(rule_available_times(one_therapist.rule, timezone.now()))

    assert busy - timedelta(hours=1) not in after
    assert busy + timedelta(hours=1) not in after
    assert busy + timedelta(hours=2) in after


def test_a_daily_cap_stops_a_therapist_offering_more_online_bookings_that_day(
    one_therapist, frozen_now
):
    therapist = one_therapist.therapists[0]
    tuesday = datetime(2026, 12, 8, 9, tzinfo=UTC)
    AppointmentFactory(
        service=one_therapist.service,
        therapist=therapist,
        start=tuesday,
        end=tuesday + timedelta(hours=1),
        source=Source.ONLINE,
    )
    one_therapist.rule.daily_cap = 1
    one_therapist.rule.save()

    days = local_days(rule_available_times(one_therapist.rule, timezone.now()))

    assert date(2026, 12, 8) not in days
    assert date(2026, 12, 9) in days


def test_a_rules_team_offers_its_members_times(clinic, frozen_now):
    clinic.rule.therapists.clear()
    assert rule_available_times(clinic.rule, timezone.now()) == []
    weekend_worker = TherapistFactory(service=clinic.service)
    WorkingPatternFactory(
        therapist=weekend_worker, weekday=5, start_time=time(10), end_time=time(12)
    )
    team = Team.objects.create(service=clinic.service, name="Weekend")
    team.therapists.add(weekend_worker)
    clinic.rule.team = team
    clinic.rule.save()

    starts = rule_available_times(clinic.rule, timezone.now())

    assert starts and {s.astimezone(UTC).weekday() for s in starts} == {5}


def test_therapists_of_another_service_never_offer_times(clinic, other_clinic, frozen_now):
    clinic.rule.therapists.set(other_clinic.therapists)
    assert rule_available_times(clinic.rule, timezone.now()) == []


def enter(clinic) -> Client:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    client.get(f"/b/{token}")
    return client


def test_a_rule_showing_therapists_lets_the_patient_choose_who(clinic, frozen_now):
    clinic.rule.show_therapists = True
    clinic.rule.save()
    chosen = clinic.therapists[1]
    client = enter(clinic)

    page = client.get("/book/times/2026-12-09/").content.decode()
    assert f"9am with {clinic.therapists[0].name}" in page
    assert f"9am with {chosen.name}" in page

    nine = datetime(2026, 12, 9, 9, tzinfo=UTC).isoformat()
    response = client.post("/book/choose/", {"start": f"{nine}@{chosen.pk}"})
    assert response["Location"] == "/book/review/"
    assert chosen.name in client.get("/book/review/").content.decode()
    assert client.post("/book/confirm/")["Location"] == "/book/booked/"
    assert Appointment.objects.get().therapist == chosen


def test_a_forged_therapist_choice_is_refused_plainly(clinic, other_clinic, frozen_now):
    client = enter(clinic)
    nine = datetime(2026, 12, 9, 9, tzinfo=UTC).isoformat()
    stranger = other_clinic.therapists[0].pk

    for forged in (f"{nine}@{stranger}", f"{nine}@abc", f"{nine}@{'9' * 30}"):
        response = client.post("/book/choose/", {"start": forged})
        assert response.status_code == 302
        assert response["Location"] == "/book/times/"
    assert not Appointment.objects.exists()


def test_a_rule_with_no_therapists_says_to_call(clinic, frozen_now):
    clinic.rule.therapists.clear()
    client = enter(clinic)

    page = client.get("/book/times/").content.decode()

    assert "no times available" in page
    assert clinic.service.phone in page


def test_therapists_with_no_working_pattern_leave_a_page_that_says_to_call(clinic, frozen_now):
    WorkingPattern.objects.filter(therapist__in=clinic.therapists).delete()
    page = enter(clinic).get("/book/times/").content.decode()
    assert "no times available" in page
    assert clinic.service.phone in page


def test_a_rule_whose_window_closes_before_its_notice_ends_says_to_call(clinic, frozen_now):
    clinic.rule.min_notice_hours = clinic.rule.horizon_days * 24 + 1
    clinic.rule.save()
    page = enter(clinic).get("/book/times/").content.decode()
    assert "no times available" in page
    assert "Book the first available" not in page


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 3, 27, 23, 59, tzinfo=UTC),  # 23:59 the night before clocks go forward
        datetime(2026, 10, 24, 22, 59, tzinfo=UTC),  # 23:59 BST the night before they go back
    ],
)
def test_the_times_page_works_the_minute_before_a_clock_change(clinic, moment):
    with time_machine.travel(moment, tick=False):
        client = enter(clinic)
        response = client.get("/book/times/")

    assert response.status_code == 200
    assert "Book the first available" in response.content.decode()
