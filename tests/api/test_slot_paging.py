"""Paging the FHIR Slot search: the pages read the window a piece at a time, yet together they
give every free slot of the whole window once, in order."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from slotlink.booking.availability.selectors import rule_therapist_times
from slotlink.clinic.models import AppointmentStatus
from tests.api.conftest import Api
from tests.conftest import Clinic
from tests.factories import AppointmentFactory, BroadcastRuleFactory

pytestmark = pytest.mark.django_db

# A Thursday afternoon: the window runs over the October clock change (Sunday 25th).
NOW = datetime(2026, 10, 22, 14, 30, tzinfo=UTC)


def _slot_ids(api: Api, path: str) -> tuple[list[str], int]:
    """Every slot id, following `next` links from `path`; and how many pages it took."""
    ids: list[str] = []
    pages = 0
    url: str | None = path
    while url is not None:
        page: dict[str, Any] = api.call("GET", url).json()
        pages += 1
        ids.extend(entry["resource"]["id"] for entry in page["entry"])
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        assert pages < 200, "paging never ends"
    return ids, pages


@pytest.mark.parametrize("count", [7, 50])
def test_every_free_slot_appears_exactly_once_across_pages(
    api: Api, clinic: Clinic, count: int
) -> None:
    capped = BroadcastRuleFactory(
        service=clinic.service,
        therapists=clinic.therapists[:1],
        slot_step_minutes=30,
        daily_cap=1,
    )
    AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        start=datetime(2026, 10, 27, 10, tzinfo=UTC),
        end=datetime(2026, 10, 27, 11, tzinfo=UTC),
        status=AppointmentStatus.BOOKED,
    )
    with time_machine.travel(NOW, tick=False):
        paged, pages = _slot_ids(api, f"/fhir/R4/Slot?_count={count}")
        whole = api.call("GET", "/fhir/R4/Slot?_total=accurate&_count=200").json()
        now = timezone.now()
        oracle = sorted(
            (start, therapist, rule.pk)
            for rule in [clinic.rule, capped]
            for start, therapist in rule_therapist_times(rule, now, now, now + timedelta(days=366))
        )
    expected = [f"{t}-{s.strftime('%Y%m%dT%H%MZ')}-r{r}" for s, t, r in oracle]
    assert len(paged) == len(set(paged)), "a slot came twice"
    assert paged == expected
    assert whole["total"] == len(expected)
    assert pages == -(-len(expected) // count)


def test_the_total_is_left_out_unless_asked(api: Api, clinic: Clinic) -> None:
    plain = api.call("GET", "/fhir/R4/Slot?_count=3").json()
    assert "total" not in plain
    assert len(plain["entry"]) == 3
    accurate = api.call("GET", "/fhir/R4/Slot?_count=3&_total=accurate").json()
    only_count = api.call("GET", "/fhir/R4/Slot?_count=0").json()
    assert accurate["total"] == only_count["total"] > 3
    assert only_count["entry"] == []
    assert api.call("GET", "/fhir/R4/Slot?_total=most").status_code == 400
