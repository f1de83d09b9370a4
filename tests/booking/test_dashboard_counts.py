"""The dashboard's figures come from the database (GROUP BY, and the median's middle rows by
a window), and must be what counting the links in Python gives, on SQLite and PostgreSQL
alike: odd and even numbers booked, rules with nothing, links on the week's edges. They read
the times each link keeps of its status changes, which must match its events."""

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotlink.booking.appointments.services import appointment_reschedule, booking_link_book
from slotlink.booking.links.services import (
    Actor,
    booking_link_expire,
    booking_link_open,
    booking_link_send,
)
from slotlink.booking.models import BookingLink, BroadcastRule
from slotlink.booking.reports.presenters import RuleWeek
from slotlink.booking.reports.selectors import rule_weeks
from tests.conftest import MONDAY, Clinic
from tests.factories import BroadcastRuleFactory, PatientFactory

START, END = MONDAY, MONDAY + timedelta(days=7)
WEDNESDAY_14 = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Made:
    """One link's times, as offsets from the week's start (None: it never got there)."""

    rule: int
    sent: timedelta
    opened: timedelta | None
    booked: timedelta | None
    expired: timedelta | None


# Whole minutes around the week, its two edges included, and some microseconds so that the
# median of an even count is an exact half of a sum.
MINUTES = st.integers(-20 * 24 * 60, 8 * 24 * 60).map(lambda m: timedelta(minutes=m)) | (
    st.sampled_from([timedelta(0), END - START])
)
AFTER = st.builds(
    lambda days, micro: timedelta(days=days, microseconds=micro),
    st.integers(0, 15),
    st.integers(0, 10**6 - 1),
)
LINK = st.builds(
    lambda rule, sent, opened, ended, outcome: Made(
        rule,
        sent,
        sent + opened if opened is not None else None,
        sent + ended if outcome == "booked" else None,
        sent + ended if outcome == "expired" else None,
    ),
    st.integers(0, 2),
    MINUTES,
    st.none() | AFTER,
    AFTER,
    st.sampled_from(["booked", "expired", "neither"]),
)


def oracle(rules: list[BroadcastRule], made: list[Made]) -> list[RuleWeek]:
    """The dashboard's figures counted one link at a time."""

    def within(offset: timedelta | None) -> bool:
        return offset is not None and START <= START + offset < END

    weeks = []
    for index, rule in sorted(enumerate(rules), key=lambda pair: pair[1].title):
        mine = [m for m in made if m.rule == index]
        sent = sum(within(m.sent) for m in mine)
        opened = sum(within(m.opened) for m in mine)
        expired = sum(within(m.expired) for m in mine)
        waits = sorted(m.booked - m.sent for m in mine if m.booked is not None and within(m.booked))
        if not rule.active and not (sent or opened or expired or waits):
            continue
        half = len(waits) // 2
        if not waits:
            median = None
        elif len(waits) % 2:
            median = waits[half]
        else:
            median = (waits[half - 1] + waits[half]) / 2
        weeks.append(RuleWeek(rule.title, sent, opened, len(waits), expired, median))
    return weeks


def links_of(clinic: Clinic, rules: list[BroadcastRule], made: list[Made]) -> list[BookingLink]:
    def at(offset: timedelta | None) -> datetime | None:
        return START + offset if offset is not None else None

    return [
        BookingLink(
            service=clinic.service,
            patient=clinic.patient,
            rule=rules[m.rule],
            token_hash=f"{clinic.service.pk}-{n}",
            token_encrypted="",
            status="sent",
            created_at=START + m.sent,
            expires_at=START + m.sent + timedelta(days=14),
            accessed_at=at(m.opened),
            booked_at=at(m.booked),
            expired_at=at(m.expired),
        )
        for n, m in enumerate(made)
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(made=st.lists(LINK, max_size=14), active=st.lists(st.booleans(), min_size=3, max_size=3))
def test_the_figures_are_those_counted_link_by_link(
    clinic: Clinic, other_clinic: Clinic, made: list[Made], active: list[bool]
) -> None:
    BookingLink.objects.all().delete()
    BroadcastRule.objects.exclude(pk__in=[clinic.rule.pk, other_clinic.rule.pk]).delete()
    rules = [clinic.rule] + [
        BroadcastRuleFactory(service=clinic.service, title=title) for title in ("B", "C")
    ]
    for rule, on in zip(rules, active, strict=True):
        rule.active = on
        rule.save(update_fields=["active"])
    BookingLink.objects.bulk_create(links_of(clinic, rules, made))
    # Another service's links, the same week: never counted.
    other_made = [Made(0, timedelta(hours=1), timedelta(hours=2), timedelta(hours=3), None)]
    BookingLink.objects.bulk_create(links_of(other_clinic, [other_clinic.rule], other_made))

    assert rule_weeks(clinic.admin, START, END) == oracle(rules, made)


def test_the_median_of_an_even_count_is_halfway_between_the_middle_two(clinic: Clinic) -> None:
    waits = [timedelta(hours=1), timedelta(hours=2, microseconds=1), timedelta(days=3)]
    made = [Made(0, timedelta(hours=1), None, timedelta(hours=1) + w, None) for w in waits]
    made.append(Made(0, timedelta(hours=2), None, timedelta(days=5), None))
    BookingLink.objects.bulk_create(links_of(clinic, [clinic.rule], made))
    (week,) = rule_weeks(clinic.admin, START, END)
    # Waits 1 h, 2 h + 1 µs, 3 d, 4 d 22 h: halfway between the middle two.
    assert week.booked == 4
    assert week.median_to_book == (timedelta(hours=2, microseconds=1) + timedelta(days=3)) / 2


def test_the_dashboard_is_three_queries_however_many_rules(
    clinic: Clinic, django_assert_num_queries: Any
) -> None:
    rules = [clinic.rule] + [BroadcastRuleFactory(service=clinic.service) for _ in range(3)]
    made = [Made(n % 4, timedelta(hours=n), None, timedelta(hours=n + 1), None) for n in range(9)]
    BookingLink.objects.bulk_create(links_of(clinic, rules, made))
    with django_assert_num_queries(3):
        weeks = rule_weeks(clinic.admin, START, END)
    assert sum(w.booked for w in weeks) == 9


def times_match_events(links: Any = None) -> None:
    """Each link's accessed_at, booked_at and expired_at are its event's time, or None."""
    for link in BookingLink.objects.all() if links is None else links:
        for field, status in [
            ("accessed_at", "accessed"),
            ("booked_at", "booked"),
            ("expired_at", "expired"),
        ]:
            event = link.events.filter(to_status=status).first()
            expected = event.occurred_at if event else None
            assert getattr(link, field) == expected, (link.pk, field)


@pytest.fixture
def moved_links(clinic: Clinic) -> list[BookingLink]:
    """Links moved every way the services move them: opened and booked, then rescheduled;
    booked without opening; opened then expired by staff; expired while still unopened."""
    links = [
        booking_link_send(
            patient=PatientFactory(service=clinic.service), rule=clinic.rule, sent_by=clinic.admin
        )[0]
        for _ in range(4)
    ]
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        booking_link_open(link=links[0])
        booking_link_open(link=links[2])
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        booking_link_book(link=links[0], start=WEDNESDAY_14)
        booking_link_book(link=links[1], start=WEDNESDAY_14 + timedelta(hours=1))
        booking_link_expire(link=links[2], actor=Actor.staff(clinic.admin, "Booked by phone"))
    with time_machine.travel(MONDAY + timedelta(hours=3), tick=False):
        appointment_reschedule(link=links[0], start=WEDNESDAY_14 + timedelta(days=1))
        booking_link_open(link=links[0])  # opening a booked link again changes nothing
        booking_link_expire(link=links[3], actor=Actor.staff(clinic.admin, "Not needed"))
    return links


def test_each_link_keeps_the_time_of_its_events(moved_links: list[BookingLink]) -> None:
    times_match_events()
    first = BookingLink.objects.get(pk=moved_links[0].pk)
    assert first.status == "rescheduled"
    assert first.accessed_at == MONDAY + timedelta(hours=1)
    assert first.booked_at == MONDAY + timedelta(hours=2)  # a move keeps the first booking's
    assert BookingLink.objects.filter(expired_at__isnull=False).count() == 2


def test_the_migration_fills_the_times_from_the_events_and_keeps_any_there(
    moved_links: list[BookingLink], monkeypatch: pytest.MonkeyPatch
) -> None:
    migration = importlib.import_module("slotlink.booking.migrations.0012_link_status_times_fill")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches, as at five million
    BookingLink.objects.update(accessed_at=None, booked_at=None, expired_at=None)
    kept = MONDAY + timedelta(days=1)
    BookingLink.objects.filter(pk=moved_links[1].pk).update(booked_at=kept)

    migration.fill(apps, SimpleNamespace(connection=connection))

    times_match_events(BookingLink.objects.exclude(pk=moved_links[1].pk))
    assert BookingLink.objects.filter(accessed_at__isnull=False).count() == 2
    assert BookingLink.objects.get(pk=moved_links[1].pk).booked_at == kept
