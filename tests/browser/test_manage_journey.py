"""Managing an appointment in a real Chromium on a phone: the link in the confirmation text,
the date-of-birth check, the appointment, and moving it to another time. Every page is
checked with axe."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from tests.browser.conftest import assert_accessible
from tests.conftest import Clinic

pytestmark = pytest.mark.browser


def booked_with_manage_link(clinic: Clinic) -> tuple[Appointment, str]:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    # A few days ahead: well outside the 24-hour cut-off for changes.
    appointment = booking_link_book(
        link=link, start=rule_available_times(clinic.rule, timezone.now())[20]
    )
    text = message_body(OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION))
    return appointment, re.search(r"https?://\S+/m/\S+", text).group(0)


def sees(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)


def enter_birth_date(page: Page, day: int, month: int, year: int) -> None:
    page.get_by_label("Day").fill(str(day))
    page.get_by_label("Month").fill(str(month))
    page.get_by_label("Year").fill(str(year))
    page.get_by_role("button", name="Continue").click()


def test_a_patient_verifies_sees_their_appointment_and_moves_it(
    browser_clinic: Clinic, phone_page: Page
) -> None:
    appointment, manage_url = booked_with_manage_link(browser_clinic)
    born = browser_clinic.patient.date_of_birth
    page = phone_page

    page.goto(manage_url)
    sees(page, "What is your date of birth?")
    assert "/m/" not in page.url  # the token is gone from the address bar

    enter_birth_date(page, born.day, born.month, born.year + 1)
    sees(page, "What is your date of birth?")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("does not match our records")
    enter_birth_date(page, 31, 2, born.year)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("must be a real date")
    assert_accessible(page)

    enter_birth_date(page, born.day, born.month, born.year)
    sees(page, "Your appointment")
    expect(page.locator("main")).to_contain_text(appointment.therapist.name)
    expect(page.get_by_role("link", name="Add to your calendar")).to_be_visible()

    page.get_by_role("link", name="Change appointment").click()
    sees(page, "Choose a time for your appointment")
    page.locator(".day-link").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Choose a time on")
    assert_accessible(page)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()

    sees(page, "Check your new appointment time")
    expect(page.locator("main")).to_contain_text("Instead of")
    page.get_by_role("button", name="Confirm new time").click()

    sees(page, "Your appointment")
    expect(page.locator("main")).to_contain_text("Your appointment has been changed")
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert moved.status == AppointmentStatus.BOOKED
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


def test_the_manage_pages_work_without_javascript(
    browser_clinic: Clinic, no_js_phone_page: Page
) -> None:
    appointment, manage_url = booked_with_manage_link(browser_clinic)
    born = browser_clinic.patient.date_of_birth
    page = no_js_phone_page

    page.goto(manage_url)
    enter_birth_date(page, born.day, born.month, born.year)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment")
    page.get_by_role("link", name="Change appointment").click()
    page.get_by_role("button", name="Book the first available").click()
    page.get_by_role("button", name="Confirm new time").click()

    expect(page.locator("main")).to_contain_text("Your appointment has been changed")
    assert Appointment.objects.filter(rescheduled_from=appointment).exists()
