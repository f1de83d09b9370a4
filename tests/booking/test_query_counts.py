"""The patient's pages make as many queries for a big service as for a tiny one, and the
shortcuts that keep the available-times page fast give exactly the engine's answer."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from unittest.mock import patch

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slotlink.booking.appointments.services import slot_hold_acquire
from slotlink.booking.availability import reads
from slotlink.booking.availability.selectors import (
    _diary_inputs,
    _DiaryInputs,
    rule_available_times,
    rule_diaries,
    rule_offer,
    rule_slot_query,
)
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import DiaryChange, DiaryChangeKind, Role, Service
from slotlink.domain.availability import TherapistDiary, available_times
from slotlink.ops.demo import seed_large_service
from tests.factories import UserFactory, WorkingPatternFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

SMALL = (2, 1)  # therapists, weeks
LARGE = (20, 4)


@dataclass
class Size:
    service: Service
    rule: BroadcastRule
    tokens: list[str]

    @property
    def first_start(self) -> datetime:
        return rule_available_times(self.rule, timezone.now())[0]


def seeded(therapists: int, weeks: int, *, links: int = 1, booked: float = 0.6) -> Size:
    service = seed_large_service(
        therapists=therapists, patients=links + 5, weeks=weeks, booked=booked
    )
    rule = service.broadcast_rules.get()
    sender = UserFactory(service=service, role=Role.ADMIN)
    tokens = [
        booking_link_send(patient=patient, rule=rule, sent_by=sender)[1]
        for patient in service.patients.order_by("pk")[:links]
    ]
    return Size(service, rule, tokens)


def entered(token: str) -> Client:
    client = Client()
    response = client.get(f"/b/{token}")
    assert (response.status_code, response["Location"]) == (302, "/book/")
    return client


def count_queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def visit(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url


def day_url(size: Size) -> str:
    local_day = size.first_start.astimezone(size.service.zone).date()
    return f"/book/times/{local_day.isoformat()}/"


def confirm_after_choosing(size: Size) -> Callable[[], None]:
    """A patient who has chosen the first free time; calling the result confirms it."""
    client = entered(size.tokens[0])
    chosen = client.post("/book/choose/", {"start": size.first_start.isoformat()})
    assert chosen["Location"] == "/book/review/"

    def confirm() -> None:
        response = client.post("/book/confirm/")
        assert response["Location"] == "/book/booked/"

    return confirm


@pytest.fixture
def small(db: None) -> Size:
    return seeded(*SMALL)


@pytest.fixture
def large(db: None) -> Size:
    return seeded(*LARGE)


def test_the_times_page_makes_as_many_queries_for_20_therapists_over_4_weeks_as_for_2_over_1(
    small: Size, large: Size, django_assert_num_queries
) -> None:
    small_client, large_client = entered(small.tokens[0]), entered(large.tokens[0])
    expected = count_queries(lambda: visit(small_client, "/book/times/"))
    with django_assert_num_queries(expected):
        visit(large_client, "/book/times/")


def test_a_day_page_makes_as_many_queries_for_20_therapists_over_4_weeks_as_for_2_over_1(
    small: Size, large: Size, django_assert_num_queries
) -> None:
    small_client, large_client = entered(small.tokens[0]), entered(large.tokens[0])
    small_day, large_day = day_url(small), day_url(large)
    expected = count_queries(lambda: visit(small_client, small_day))
    with django_assert_num_queries(expected):
        visit(large_client, large_day)


def test_confirming_makes_as_many_queries_for_20_therapists_over_4_weeks_as_for_2_over_1(
    small: Size, large: Size, django_assert_num_queries
) -> None:
    expected = count_queries(confirm_after_choosing(small))
    confirm_large = confirm_after_choosing(large)
    with django_assert_num_queries(expected):
        confirm_large()


def test_choosing_and_confirming_read_the_days_appointments_in_one_go(large: Size) -> None:
    # Both need every therapist's diary for the day (who is free, who has the fewest online
    # bookings), so reading them a batch of therapists at a time would only add round trips.
    client = entered(large.tokens[0])
    start = large.first_start.isoformat()
    with patch.object(_DiaryInputs, "diaries", side_effect=AssertionError("in batches")):
        chosen = client.post("/book/choose/", {"start": start})
        assert chosen["Location"] == "/book/review/"
        confirmed = client.post("/book/confirm/")
        assert confirmed["Location"] == "/book/booked/"


def test_the_patient_pages_stay_within_a_small_fixed_number_of_queries(
    large: Size, django_assert_max_num_queries
) -> None:
    # Session, link, the rule's therapists with their patterns, leave and holds (one query),
    # appointments (a few batches of therapists), session save.
    client = entered(large.tokens[0])
    with django_assert_max_num_queries(25):
        visit(client, "/book/times/")
    with django_assert_max_num_queries(25):
        visit(client, day_url(large))


# The times page reads appointments only until every offerable time is found. Its answer
# must be the engine's over every therapist's full diary.


def engine_over_full_diaries(rule: BroadcastRule, now: datetime) -> list[datetime]:
    query = rule_slot_query(rule, now)
    diaries = rule_diaries(rule, query.earliest, query.latest, now=now, for_link=None)
    return available_times(diaries, query)


def test_available_times_match_the_engine_when_reading_stops_early(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lightly booked and many therapists: the first few already offer every time.
    size = seeded(100, 1, booked=0.3)
    read: list[int] = []
    every_diary = _DiaryInputs.diaries

    def counting(inputs: _DiaryInputs) -> Iterator[TherapistDiary]:
        for diary in every_diary(inputs):
            read.append(diary.therapist_id)
            yield diary

    monkeypatch.setattr(_DiaryInputs, "diaries", counting)
    now = timezone.now()
    offered = rule_available_times(size.rule, now)
    therapists_read = len(read)
    assert offered == engine_over_full_diaries(size.rule, now)
    assert therapists_read < 100


def test_available_times_match_the_engine_when_every_therapist_must_be_read(db: None) -> None:
    # Heavily booked: however many therapists are read, some times stay unoffered.
    size = seeded(80, 1, booked=0.97)
    now = timezone.now()
    offered = rule_available_times(size.rule, now)
    assert offered == engine_over_full_diaries(size.rule, now)
    assert offered  # yet some are offered


def window_inputs(size: Size, *, day_only: bool = False) -> _DiaryInputs:
    """What the times page (or, day_only, the first day's page) reads before appointments."""
    now = timezone.now()
    query = rule_slot_query(size.rule, now)
    earliest = query.earliest
    latest = earliest + timedelta(days=1) if day_only else query.latest
    inputs = _diary_inputs(size.rule, earliest, latest, now=now, for_link=None)
    assert inputs is not None
    return inputs


def batches_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many therapists each query of appointments asked about."""
    asked: list[int] = []
    rows = reads.appointment_rows

    def counting(therapist_ids: Sequence[int], since: datetime, until: datetime) -> list:
        asked.append(len(therapist_ids))
        return rows(therapist_ids, since, until)

    monkeypatch.setattr(reads, "appointment_rows", counting)
    return asked


def test_reading_lazily_asks_about_therapists_in_batches_each_twice_the_last(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = window_inputs(seeded(40, 1))
    asked = batches_read(monkeypatch)
    every = inputs.every_diary()
    assert asked == [40]
    asked.clear()

    assert list(inputs.diaries()) == every
    first = inputs.first_batch()
    assert len(asked) > 2
    assert asked == [first * 2**n for n in range(len(asked) - 1)] + [asked[-1]]
    assert sum(asked) == 40 and 0 < asked[-1] <= first * 2 ** (len(asked) - 1)


def test_a_reader_stopping_at_the_end_of_a_batch_asks_about_no_more_therapists(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = window_inputs(seeded(40, 1))
    first = inputs.first_batch()
    asked = batches_read(monkeypatch)
    diaries = inputs.diaries()
    read = [next(diaries) for _ in range(first)]
    assert asked == [first]
    next(diaries)
    assert asked == [first, first * 2]
    assert [diary.therapist_id for diary in read] == inputs.therapist_ids[:first]


def test_the_first_batch_is_about_a_round_trips_worth_of_rows(db: None) -> None:
    # A day's appointments are few, so many therapists' come in one query; over weeks, one
    # busy therapist's are already as many rows as a round trip is worth.
    size = seeded(40, 4)
    assert window_inputs(size, day_only=True).first_batch() > 10
    assert window_inputs(size).first_batch() in (1, 2)


def test_available_times_match_the_engine_for_a_service_too_small_to_stop_early(
    db: None,
) -> None:
    size = seeded(5, 2, booked=0.9)
    now = timezone.now()
    assert rule_available_times(size.rule, now) == engine_over_full_diaries(size.rule, now)


def test_available_times_leave_out_a_time_another_patient_holds(db: None) -> None:
    size = seeded(1, 1, links=2, booked=0.0)
    link = size.rule.links.order_by("pk").first()
    assert link is not None
    held = size.first_start
    slot_hold_acquire(link=link, start=held)
    now = timezone.now()
    offered = rule_available_times(size.rule, now)
    assert held not in offered
    assert held in rule_available_times(size.rule, now, for_link=link.pk)
    assert offered == engine_over_full_diaries(size.rule, now)


def test_the_outline_offers_what_each_therapists_diary_without_appointments_would(
    db: None,
) -> None:
    size = seeded(6, 1, links=2)
    zone = size.service.zone
    _, extra, on_leave, alone = list(size.rule.therapists.order_by("pk"))[:4]
    query = rule_slot_query(size.rule, timezone.now())
    day = query.earliest.astimezone(zone).date() + timedelta(days=1)
    sunday = day + timedelta(days=6 - day.weekday())
    # An extra session adds time; leave takes it away, as another patient's hold does; and
    # one therapist also works Saturday mornings, then is on leave all of the first day.
    DiaryChange.objects.create(
        therapist=extra,
        kind=DiaryChangeKind.EXTRA,
        start=datetime.combine(sunday, time(10), tzinfo=zone),
        end=datetime.combine(sunday, time(13), tzinfo=zone),
    )
    for therapist in (on_leave, alone):
        DiaryChange.objects.create(
            therapist=therapist,
            kind=DiaryChangeKind.LEAVE,
            start=datetime.combine(day, time(0), tzinfo=zone),
            end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
        )
    WorkingPatternFactory(
        therapist=alone, weekday=5, start_time=time(9), end_time=time(12), effective_from=day
    )
    link = size.rule.links.order_by("pk").first()
    assert link is not None
    slot_hold_acquire(link=link, start=size.first_start)
    inputs = window_inputs(size)
    assert inputs.holds

    outline = inputs.outline()

    each = [inputs.diary(therapist_id) for therapist_id in inputs.therapist_ids]
    assert available_times(outline, query) == available_times(each, query)
    # One diary stands for all on the usual shifts, the rest add what only they could offer.
    assert len(outline) == 3
    assert {extra.pk, alone.pk} < {diary.therapist_id for diary in outline}


def test_a_days_times_are_the_whole_windows_times_on_that_local_day(db: None) -> None:
    size = seeded(8, 2)
    now = timezone.now()
    everything = rule_available_times(size.rule, now)
    zone = size.service.zone
    for day in sorted({start.astimezone(zone).date() for start in everything}):
        on_day = [start for start in everything if start.astimezone(zone).date() == day]
        assert rule_available_times(size.rule, now, day=day) == on_day


def test_a_days_times_come_from_that_days_appointments_alone(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = seeded(4, 1)
    now = timezone.now()
    day = size.first_start.astimezone(size.service.zone).date()
    windows: list[tuple[datetime, datetime]] = []
    rows = reads.appointment_rows

    def recording(therapist_ids: Sequence[int], since: datetime, until: datetime) -> list:
        windows.append((since, until))
        return rows(therapist_ids, since, until)

    monkeypatch.setattr(reads, "appointment_rows", recording)
    rule_available_times(size.rule, now, day=day)
    # To the next midnight and a slot past it, not through the next day.
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=size.service.zone)
    slot = timedelta(minutes=size.rule.duration_minutes)
    assert windows and all(until == next_midnight + slot for _, until in windows)


def engine_days(rule: BroadcastRule, now: datetime, exclude: datetime | None = None) -> list:
    zone = rule.service.zone
    offered = engine_over_full_diaries(rule, now)
    return sorted({start.astimezone(zone).date() for start in offered if start != exclude})


def counting_diaries(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The therapists each reading of appointments went through."""
    readings: list[list[int]] = []
    every_diary = _DiaryInputs.diaries

    def counting(inputs: _DiaryInputs) -> Iterator[TherapistDiary]:
        readings.append([])
        for diary in every_diary(inputs):
            readings[-1].append(diary.therapist_id)
            yield diary

    monkeypatch.setattr(_DiaryInputs, "diaries", counting)
    return readings


@pytest.mark.parametrize("booked", [0.3, 0.6, 0.9])
def test_the_days_and_first_time_offered_are_the_engines_though_few_therapists_are_read(
    db: None, monkeypatch: pytest.MonkeyPatch, booked: float
) -> None:
    size = seeded(60, 2, booked=booked)
    readings = counting_diaries(monkeypatch)
    now = timezone.now()

    offer = rule_offer(size.rule, now)
    read_for_offer = list(readings)
    # The first day is read again only when the reading for the days did not show its first
    # time.
    assert len(read_for_offer) in (1, 2)

    assert offer.days == engine_days(size.rule, now)
    assert offer.first == rule_available_times(size.rule, now, day=offer.days[0])[0]
    if booked < 0.9:
        assert all(len(therapists_read) < 60 for therapists_read in read_for_offer)


def test_a_day_whose_only_free_time_is_excluded_is_not_offered(db: None) -> None:
    size = seeded(1, 1, booked=0.0)
    now = timezone.now()
    zone = size.service.zone
    offered = rule_available_times(size.rule, now)
    kept = offered[0]
    day = kept.astimezone(zone).date()
    therapist = size.service.therapists.get()
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    # Leave all that day except the one time kept.
    for start, end in [
        (midnight, kept),
        (kept + timedelta(minutes=size.rule.duration_minutes), midnight + timedelta(days=1)),
    ]:
        DiaryChange.objects.create(
            therapist=therapist, kind=DiaryChangeKind.LEAVE, start=start, end=end
        )
    assert rule_offer(size.rule, now).first == kept
    after_leave = rule_available_times(size.rule, now)

    offer = rule_offer(size.rule, now, exclude=kept)

    assert day not in offer.days
    assert offer.days == engine_days(size.rule, now, exclude=kept)
    assert offer.first == after_leave[1]


# Every page of the booking walk, with the queries it may make: a change that adds one fails
# here and says which page. Inside a test's transaction, every atomic block adds a savepoint
# and its release, which count too.
WALK_QUERIES = {
    "GET /b/<token>": 9,
    "GET /book/": 2,
    "GET /book/times/": 4,
    "GET /book/times/<day>/": 4,
    "POST /book/choose/": 9,
    "GET /book/review/": 3,
    "POST /book/confirm/": 14,
    "GET /book/booked/": 3,
}


def walk_queries(size: Size) -> dict[str, int]:
    client = Client()
    counted: dict[str, int] = {}

    def step(page: str, send: Callable[[], object]) -> None:
        counted[page] = count_queries(send)

    step("GET /b/<token>", lambda: client.get(f"/b/{size.tokens[0]}"))
    step("GET /book/", lambda: visit(client, "/book/"))
    step("GET /book/times/", lambda: visit(client, "/book/times/"))
    day = day_url(size)
    step("GET /book/times/<day>/", lambda: visit(client, day))
    start = size.first_start.isoformat()
    step("POST /book/choose/", lambda: client.post("/book/choose/", {"start": start}))
    step("GET /book/review/", lambda: visit(client, "/book/review/"))
    step("POST /book/confirm/", lambda: client.post("/book/confirm/"))
    step("GET /book/booked/", lambda: visit(client, "/book/booked/"))
    return counted


def test_each_page_of_the_booking_walk_makes_no_more_queries_than_its_budget(
    large: Size,
) -> None:
    assert walk_queries(large) == WALK_QUERIES
