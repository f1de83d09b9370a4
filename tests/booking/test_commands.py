"""The booking management commands: sending a link from the shell, and the housekeeping that
records the expiry of overdue links."""

from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from slotlink.booking.links.services import booking_link_open, booking_link_send
from slotlink.booking.models import LINK_ABOUT, BookingLink
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import OutboundMessage
from tests.conftest import Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_booking_link_prints_a_link_that_opens_the_booking_pages(clinic: Clinic) -> None:
    url = command(
        "send_booking_link", "--patient", str(clinic.patient.pk), "--rule", clinic.rule.title
    ).strip()
    assert url.startswith("http://127.0.0.1:8000/b/")
    link = BookingLink.objects.get()
    assert (link.patient, link.rule, link.sent_by) == (clinic.patient, clinic.rule, clinic.admin)
    assert OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=link.pk).count() == 1

    client = Client()
    entry = client.get(urlsplit(url).path)
    assert (entry.status_code, entry["Location"]) == (302, "/book/")
    assert f"Hello {clinic.patient.first_name}" in client.get("/book/").content.decode()


def test_send_booking_link_records_the_named_sender(clinic: Clinic) -> None:
    command(
        "send_booking_link",
        "--patient",
        str(clinic.patient.pk),
        "--rule",
        clinic.rule.title,
        "--as-user",
        clinic.therapist_user.username,
    )
    assert BookingLink.objects.get().sent_by == clinic.therapist_user


def test_send_booking_link_refuses_an_unknown_patient(clinic: Clinic) -> None:
    with pytest.raises(CommandError, match="No patient with id 987654"):
        command("send_booking_link", "--patient", "987654", "--rule", clinic.rule.title)
    assert not BookingLink.objects.exists()


@pytest.mark.parametrize("title", ["No such rule", "assessment", ""])
def test_send_booking_link_refuses_a_rule_title_the_service_does_not_have(
    clinic: Clinic, title: str
) -> None:
    with pytest.raises(CommandError, match="has no broadcast rule titled"):
        command("send_booking_link", "--patient", str(clinic.patient.pk), "--rule", title)
    assert not BookingLink.objects.exists()


def test_send_booking_link_refuses_another_services_rule(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    with pytest.raises(CommandError, match="has no broadcast rule titled"):
        command(
            "send_booking_link",
            "--patient",
            str(clinic.patient.pk),
            "--rule",
            other_clinic.rule.title,
        )
    assert not BookingLink.objects.exists()


def test_send_booking_link_passes_on_why_a_link_cannot_be_sent(clinic: Clinic) -> None:
    clinic.patient.mobile = ""
    clinic.patient.save()
    with pytest.raises(CommandError, match="no mobile number"):
        command(
            "send_booking_link", "--patient", str(clinic.patient.pk), "--rule", clinic.rule.title
        )
    assert not BookingLink.objects.exists()


def test_send_booking_link_refuses_a_sender_from_another_service(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    with pytest.raises(CommandError, match="--as-user"):
        command(
            "send_booking_link",
            "--patient",
            str(clinic.patient.pk),
            "--rule",
            clinic.rule.title,
            "--as-user",
            other_clinic.admin.username,
        )
    assert not BookingLink.objects.exists()


def test_housekeeping_expires_the_overdue_links_only(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    overdue, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_open(link=overdue)
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days - 1))
    fresh, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    frozen_now.shift(timedelta(days=1))
    assert "Expired 1 links" in command("housekeeping")
    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (overdue.status, fresh.status) == (LinkStatus.EXPIRED, LinkStatus.SENT)
    assert "Expired 0 links" in command("housekeeping")


def test_housekeeping_expires_overdue_links_a_bounded_batch_a_round(
    clinic: Clinic, frozen_now: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    # However many fell due at once (a bulk invitation's thousands), one round stays short;
    # the next round takes the rest.
    monkeypatch.setattr("slotlink.booking.links.services.EXPIRE_BATCH", 2)
    for patient in PatientFactory.create_batch(3, service=clinic.service):
        booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)
        frozen_now.shift(timedelta(minutes=1))
    frozen_now.shift(timedelta(days=clinic.rule.link_valid_days))
    assert "Expired 2 links" in command("housekeeping")
    assert "Expired 1 links" in command("housekeeping")
    assert set(BookingLink.objects.values_list("status", flat=True)) == {LinkStatus.EXPIRED}
