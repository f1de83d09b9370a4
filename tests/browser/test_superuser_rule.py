"""A superuser sets up a new kind of online appointment in a real Chromium: the rule form
checks what they type as they type it (the text's length, the patient page's preview),
refuses what cannot work, saves; then a patient books through a link for the new rule, and
the dashboard counts it."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from slotlink.booking.links.services import booking_link_send, booking_link_url
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Appointment, Medium, Source
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import Clinic

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")
TITLE = "Wellbeing check – telephone"


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def fill_rule_form(page: Page, clinic: Clinic) -> None:
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Appointment type").select_option(str(clinic.rule.appointment_type_id))
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Start times every (minutes)").fill("30")
    page.get_by_label(clinic.therapists[0].name).check()
    page.get_by_label("Medium").select_option(Medium.TELEPHONE)
    page.get_by_label("Location", exact=True).fill("We will ring you")
    page.get_by_label("Minimum notice (hours)").fill("24")
    page.get_by_label("How far ahead (days)").fill("14")


def test_a_superuser_creates_a_rule_and_a_patient_books_through_it(
    browser_clinic: Clinic, staff_page: Page, phone_page: Page
) -> None:
    clinic = browser_clinic
    page = staff_page
    log_in(page, clinic.superuser)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Broadcast rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Broadcast rules")
    page.get_by_role("link", name="New rule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New broadcast rule")
    fill_rule_form(page, clinic)

    # The text message: measured and checked on every keystroke, without leaving the page.
    page.evaluate("window.stillTheSamePage = true")
    meter = page.locator("#sms-meter")
    sms = page.get_by_role("textbox", name="Text message", exact=True)
    sms.fill("Hi {first_name}, {surname} " + "please book " * 20 + "{link}")
    expect(meter).to_contain_text("2 text messages")
    expect(meter).to_contain_text("Unknown placeholder {surname}")
    sms.fill("Hi {first_name}, book your wellbeing check with {service_name}: {link}")
    expect(meter).to_contain_text("1 text message")
    expect(meter).not_to_contain_text("Unknown placeholder")

    # The patient's pages, previewed as they will look.
    page.get_by_role("textbox", name="Welcome page", exact=True).fill(
        "## Before we call\n\nFind somewhere quiet. Read [what to expect](https://www.example.com/expect)."
    )
    page.get_by_role("textbox", name="Confirmation page", exact=True).fill(
        "**Thank you.** We will call you at that time."
    )
    preview = page.get_by_role("region", name="Welcome page preview")
    expect(preview.get_by_role("heading", name="Before we call")).to_be_visible()
    expect(preview.get_by_role("link", name="what to expect")).to_have_attribute(
        "href", "https://www.example.com/expect"
    )
    expect(page.get_by_role("region", name="Confirmation page preview")).to_contain_text(
        "Thank you. We will call you at that time."
    )
    assert page.evaluate("window.stillTheSamePage") is True

    # Saving with a duration off the 30-minute grid is refused, with the reason.
    page.get_by_role("button", name="Save rule").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text(
        "The duration (45 minutes) must be a multiple of 30 minutes, the gap between start "
        "times: try 30 or 60."
    )
    assert not BroadcastRule.objects.filter(title=TITLE).exists()
    summary.get_by_role("link", name=re.compile("Duration")).click()
    expect(page.get_by_label("Duration (minutes)")).to_be_focused()
    page.get_by_label("Duration (minutes)").fill("30")
    # What was typed survived the refusal.
    expect(page.get_by_role("textbox", name="Text message", exact=True)).to_have_value(
        "Hi {first_name}, book your wellbeing check with {service_name}: {link}"
    )
    assert_accessible(page)
    screenshot(page, "rule-form")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_have_text(f"Rule “{TITLE}” saved.")

    rule = BroadcastRule.objects.get(title=TITLE)
    assert list(rule.therapists.all()) == [clinic.therapists[0]]
    assert (rule.duration_minutes, rule.slot_step_minutes, rule.medium) == (30, 30, "telephone")

    # A patient books through a link for the new rule, on a phone.
    _, token = booking_link_send(patient=clinic.patient, rule=rule, sent_by=clinic.superuser)
    phone = phone_page
    phone.goto(booking_link_url(token))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Book your assessment appointment")
    expect(phone.get_by_role("heading", name="Before we call")).to_be_visible()
    expect(phone.get_by_role("link", name="what to expect")).to_be_visible()
    expect(phone.locator(".nhsuk-summary-list")).to_contain_text("30 minutes")
    expect(phone.locator(".nhsuk-summary-list")).to_contain_text("Telephone, We will ring you")
    assert_accessible(phone)
    phone.get_by_role("link", name="Continue to book appointment").click()
    phone.get_by_role("button", name="Book the first available").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your appointment")
    phone.get_by_role("button", name="Confirm appointment").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your appointment is booked")
    expect(phone.locator("main")).to_contain_text("Thank you. We will call you at that time.")
    assert_accessible(phone)

    appointment = Appointment.objects.get(booking_link__rule=rule)
    assert appointment.therapist == clinic.therapists[0]
    assert appointment.duration_minutes == 30
    assert (appointment.source, appointment.medium) == (Source.ONLINE, "telephone")

    # The dashboard counts the new rule's week.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row", name=re.compile(TITLE))
    expect(row.get_by_role("cell")).to_have_text(["1", "1", "1", "0", re.compile(r"\d+ min")])
    expect(page.get_by_role("img", name=re.compile("Links this week"))).to_be_visible()
    assert_accessible(page)
    screenshot(page, "dashboard")
