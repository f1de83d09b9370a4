"""A double click on "Send appointment booking SMS" (or a second tab) sends one link and one
text: sending the same rule to the same patient again while the link sent moments ago is live
shows that link again instead. Held by a lock on the patient row, so it holds under real
concurrency too; "Send again" still sends the live link again on purpose."""

import html
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotlink.booking.links.services import (
    RESEND_GUARD,
    Actor,
    booking_link_expire,
    booking_link_send,
)
from slotlink.booking.models import LINK_ABOUT, BookingLink
from slotlink.messaging.models import MessageKind, OutboundMessage
from tests.booking.test_races import run_together
from tests.conftest import MONDAY, Clinic, logged_in, make_clinic
from tests.factories import BroadcastRuleFactory

HTMX = {"HX-Request": "true"}
SHOWN_AGAIN = "no new text was sent"


def send_url(clinic: Clinic) -> str:
    return f"/patients/{clinic.patient.pk}/booking-links/"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def booking_texts() -> int:
    return OutboundMessage.objects.filter(kind=MessageKind.BOOKING_LINK).count()


@pytest.mark.usefixtures("frozen_now")
def test_a_double_click_sends_one_link_and_says_the_live_one_is_shown_again(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    first = client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)
    second = client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)

    assert first.status_code == second.status_code == 200
    assert "sent to Alex" in text(first) and SHOWN_AGAIN not in text(first)
    assert SHOWN_AGAIN in text(second)
    link = BookingLink.objects.get()
    assert booking_texts() == 1
    assert link.events.count() == 1  # sent, once
    # The live link's panel is on the page, to copy or send again on purpose.
    assert f'id="link-{link.pk}"' in text(second)


@pytest.mark.usefixtures("frozen_now")
def test_the_service_returns_the_live_link_and_its_token_rather_than_a_new_one(
    clinic: Clinic,
) -> None:
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    again, again_token = booking_link_send(
        patient=clinic.patient, rule=clinic.rule, sent_by=clinic.therapist_user
    )
    assert (again.pk, again_token) == (link.pk, token)
    assert booking_texts() == 1


def test_after_the_window_a_second_send_is_a_new_link(clinic: Clinic) -> None:
    with time_machine.travel(MONDAY, tick=False):
        first, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    with time_machine.travel(MONDAY + RESEND_GUARD, tick=False):
        second, _ = booking_link_send(
            patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin
        )
    assert second.pk != first.pk
    assert booking_texts() == 2


def test_the_window_is_minutes_not_hours() -> None:
    assert timedelta(minutes=1) <= RESEND_GUARD <= timedelta(minutes=15)


@pytest.mark.usefixtures("frozen_now")
def test_another_rule_or_another_patient_is_a_new_link(clinic: Clinic) -> None:
    other_rule = BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists)
    other_patient = make_clinic().patient
    other_patient.service = clinic.service
    other_patient.save()
    first, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    by_rule, _ = booking_link_send(patient=clinic.patient, rule=other_rule, sent_by=clinic.admin)
    by_patient, _ = booking_link_send(patient=other_patient, rule=clinic.rule, sent_by=clinic.admin)
    assert len({first.pk, by_rule.pk, by_patient.pk}) == 3
    assert booking_texts() == 3


@pytest.mark.usefixtures("frozen_now")
def test_a_link_expired_moments_ago_is_not_shown_again(clinic: Clinic) -> None:
    first, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_expire(link=first, actor=Actor.staff(clinic.admin, "Expired by staff"))
    second, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert second.pk != first.pk
    assert booking_texts() == 2


@pytest.mark.usefixtures("frozen_now")
def test_send_again_still_texts_the_live_link_again(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    client.post(send_url(clinic), {"rule": clinic.rule.pk})
    link = BookingLink.objects.get()
    response = client.post(f"/booking-links/{link.pk}/resend/", {"channel": "sms"}, follow=True)
    assert "The link was sent again by text." in text(response)
    assert OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=link.pk).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_sends_make_one_link_and_one_text() -> None:
    clinic = make_clinic()
    clients = [logged_in(clinic.admin), logged_in(clinic.therapist_user)]

    def send(client: Client) -> Any:
        return lambda: client.post(send_url(clinic), {"rule": clinic.rule.pk}, headers=HTMX)

    responses = run_together([send(c) for c in clients])

    for response in responses:
        assert not isinstance(response, Exception), response
        assert response.status_code == 200  # type: ignore[attr-defined]
    said = Counter(SHOWN_AGAIN in text(r) for r in responses)
    assert said == {False: 1, True: 1}
    assert BookingLink.objects.count() == 1
    assert booking_texts() == 1
