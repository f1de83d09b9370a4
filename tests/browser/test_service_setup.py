"""Issue 15's journey in a real Chromium: an operator creates a service and invites its first
superuser, who chooses a password, turns on two-factor authentication and sets the empty
service up in the browser (a member of staff; a therapist tied to that account, with two
shifts a day, a staff-only shift and a day of leave; an appointment type; a patient; a
broadcast rule), sends a link, and the patient is offered exactly the times those shifts and
that leave allow. axe checks every set-up page (the operator's and the accounts' pages are
checked in tests/browser/test_new_service.py)."""

import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from slotlink.booking.availability.selectors import rule_available_times, service_closed_days
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import (
    DiaryChange,
    Patient,
    Role,
    Service,
    Therapist,
    User,
    WorkingPattern,
)
from tests.browser.conftest import assert_accessible
from tests.conftest import totp_code, totp_device
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")
WEDNESDAY = 2
NOTICE_HOURS = 24
AHEAD_DAYS = 21
HOURS = (9, 10, 14)
PASSWORD = (
    "harbour-violet-lantern-42"  # 09:00–11:00 and 14:00–15:00, hour-long appointments on the hour
)


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def set_up(page: Page, section: str) -> None:
    # Wait for each page to load: axe run mid-navigation finds no document.
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Set-up").click()
    with page.expect_navigation():
        page.get_by_role("navigation", name="Set-up").get_by_role("link", name=section).click()


def add_shift(page: Page, day: str, starts: str, ends: str, *, online: bool = True) -> None:
    page.get_by_label("Day", exact=True).select_option(label=day)
    page.get_by_label("Starts", exact=True).fill(starts)
    page.get_by_label("Ends", exact=True).fill(ends)
    page.get_by_label("Bookable online").set_checked(online)
    preview = page.locator("#pattern-weeks")
    # htmx shows the weeks the shift gives as the form changes, before anything is saved.
    page.get_by_label("Repeats").select_option(label="Every week")
    page.get_by_label("Ends", exact=True).dispatch_event("change")
    expect(preview).to_contain_text(f"{starts}–{ends} new")
    page.get_by_role("button", name="Save shift").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Shift added: {day} {starts}–{ends}")


def expected_times(
    service_zone: object, now: datetime, leave: date, closed: frozenset[date]
) -> list[datetime]:
    zone = service_zone
    earliest = now + timedelta(hours=NOTICE_HOURS)
    latest = now + timedelta(days=AHEAD_DAYS)
    day = earliest.astimezone(zone).date()  # type: ignore[arg-type]
    out = []
    while day <= latest.astimezone(zone).date():  # type: ignore[arg-type]
        if day.weekday() == WEDNESDAY and day != leave and day not in closed:
            for hour in HOURS:
                start = datetime.combine(day, time(hour), tzinfo=zone)  # type: ignore[arg-type]
                if earliest <= start and start + timedelta(hours=1) <= latest:
                    out.append(start)
        day += timedelta(days=1)
    return out


def invited_superuser_logs_in(page: Page) -> Service:
    """The operator creates the service and its first superuser, who takes it from there."""
    operator = UserFactory(service=None, role=Role.OPERATOR, username="olu.operator")
    device = totp_device(operator)
    page.goto("/login/")
    page.get_by_label("Username").fill(operator.username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Create a service").click()
    page.get_by_label("Service name").fill("Brand New Talking Therapies")
    page.get_by_label("Bank holidays of").select_option(label="England")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Phone number").fill("0113 496 0999")
    page.get_by_label("First name").fill("Pat")
    page.get_by_label("Last name").fill("Firstsuper")
    page.get_by_label("Username").fill("pat.firstsuper")
    page.get_by_label("Email").fill("pat.firstsuper@example.nhs.uk")
    page.get_by_role("button", name="Create the service").click()
    invitation = page.get_by_label("Set-password link").input_value()
    page.get_by_role("button", name="Log out").click()

    page.goto(invitation)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Type it again").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    superuser = User.objects.get(username="pat.firstsuper")
    device = TOTPDevice.objects.get(user=superuser, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a patient")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_label("Online appointment booking").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").first).to_have_text("Settings saved.")
    service = Service.objects.get(name="Brand New Talking Therapies")
    assert service.online_booking_enabled
    return service


def add_staff(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Add a member of staff").click()
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Fictional")
    page.get_by_label("Username").fill("sam.fictional")
    page.get_by_label("Email").fill("sam.fictional@example.nhs.uk")
    page.get_by_label("Role").select_option("therapist")
    page.get_by_role("button", name="Add and make their link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pass this link to Sam Fictional")


def test_a_new_services_superuser_sets_it_up_and_a_patient_sees_exactly_its_times(
    transactional_db: None, staff_page: Page, phone_page: Page
) -> None:
    page = staff_page
    service = invited_superuser_logs_in(page)
    add_staff(page)
    zone = service.zone
    now = timezone.now()
    # The second Wednesday of the window: the first still shows times, the leave none.
    first_wednesday = (now + timedelta(hours=NOTICE_HOURS)).astimezone(zone).date()
    first_wednesday += timedelta(days=(WEDNESDAY - first_wednesday.weekday()) % 7)
    leave_day = first_wednesday + timedelta(days=7)

    # A therapist.
    set_up(page, "Therapists")
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists")
    expect(page.locator("main")).to_contain_text("There are no therapists yet")
    assert_accessible(page)
    page.get_by_role("link", name="New therapist").click()
    page.get_by_label("Name").fill("Sam Fictional")
    page.get_by_label("Staff account").select_option(label="Sam Fictional (sam.fictional)")
    assert_accessible(page)
    page.get_by_role("button", name="Save therapist").click()
    expect(page.get_by_role("status").first).to_have_text("Sam Fictional saved.")
    assert Therapist.objects.get(service=service).user == User.objects.get(username="sam.fictional")

    # Two shifts on Wednesdays, and a Thursday shift that staff book but patients are not offered.
    page.get_by_role("link", name="Working pattern").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Working pattern: Sam Fictional")
    assert_accessible(page)
    add_shift(page, "Wednesday", "09:00", "11:00")
    add_shift(page, "Wednesday", "14:00", "15:00")
    add_shift(page, "Thursday", "09:00", "17:00", online=False)
    shifts = page.get_by_role("table", name="Shifts of Sam Fictional")
    expect(shifts.get_by_role("row")).to_have_count(4)
    expect(shifts).to_contain_text("No (staff only)")
    screenshot(page, "setup-pattern")
    assert_accessible(page)

    # A day of leave on the second Wednesday.
    page.get_by_role("link", name="Leave and extra sessions").first.click()
    page.get_by_label("What").select_option(label="Leave")
    page.get_by_label("From", exact=True).fill(leave_day.isoformat())
    page.get_by_label("Reason").fill("Annual leave")
    assert_accessible(page)
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave: Sam Fictional")
    expect(page.locator("main")).to_contain_text("No appointments are booked in this time")
    assert_accessible(page)
    screenshot(page, "setup-leave")

    # An appointment type.
    set_up(page, "Appointment types")
    assert_accessible(page)
    page.get_by_role("link", name="New appointment type").click()
    page.get_by_label("Name", exact=True).fill("Assessment")
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("Medium").select_option(label="Telephone")
    assert_accessible(page)
    page.get_by_role("button", name="Save appointment type").click()
    expect(page.get_by_role("table")).to_contain_text("Telephone")

    # A team, and the import page (checked for accessibility; the files are tested apart).
    set_up(page, "Teams")
    page.get_by_role("link", name="New team").click()
    page.get_by_label("Name").fill("North")
    page.get_by_label("Sam Fictional").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save team").click()
    expect(page.get_by_role("table")).to_contain_text("Sam Fictional")
    assert_accessible(page)
    set_up(page, "Import CSV")
    assert_accessible(page)
    screenshot(page, "setup-import")

    # A patient.
    set_up(page, "New patient")
    page.get_by_label("First name").fill("Alex")
    page.get_by_label("Last name").fill("Newcomer")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_label("NHS number").fill("999 001 8023")
    page.get_by_label("Mobile").fill("07700 900 555")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a valid NHS number")
    assert_accessible(page)
    page.get_by_label("NHS number").fill("999 001 8049")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alex Newcomer")
    patient = Patient.objects.get(service=service)
    assert (patient.nhs_number, patient.mobile) == ("9990018049", "+447700900555")

    # A broadcast rule offering Sam's times.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Broadcast rules").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Title").fill("Assessment – telephone")
    page.get_by_label("Appointment type").select_option(label="Assessment")
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("Start times every (minutes)").fill("60")
    page.get_by_label("Sam Fictional").check()
    page.get_by_label("Medium").select_option("telephone")
    page.get_by_label("Minimum notice (hours)").fill(str(NOTICE_HOURS))
    page.get_by_label("How far ahead (days)").fill(str(AHEAD_DAYS))
    page.get_by_role("textbox", name="Welcome page", exact=True).fill("We will ring you.")
    page.get_by_role("textbox", name="Confirmation page", exact=True).fill("Thank you.")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    rule = BroadcastRule.objects.get(service=service)

    # The link, sent from the patient's Care pathway tab.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Name, NHS number or date of birth").fill("Newcomer")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Alex Newcomer").click()
    page.get_by_role("navigation", name="Patient record").get_by_role(
        "link", name="Care pathway"
    ).click()
    page.get_by_label("Type of appointment link", exact=True).select_option(label=rule.title)
    page.get_by_role("button", name="Send appointment booking SMS").click()
    panel = page.locator("#online-booking").get_by_role("region", name=re.compile(rule.title))
    link = panel.get_by_label("Link sent to the patient").input_value()

    # Exactly the times the shifts and the leave allow: the engine's answer, then the pages'.
    therapist = Therapist.objects.get(service=service)
    assert WorkingPattern.objects.filter(therapist=therapist).count() == 3
    assert DiaryChange.objects.filter(therapist=therapist).count() == 1
    now = timezone.now()
    closed = service_closed_days(service, now, now + timedelta(days=AHEAD_DAYS))
    expected = expected_times(zone, now, leave_day, closed)
    assert rule_available_times(rule, now) == expected
    assert expected, "the window always holds a Wednesday besides the leave"

    phone = phone_page
    phone.goto(link)
    phone.get_by_role("link", name="Continue to book appointment").click()
    days = phone.locator("a.day-link").evaluate_all("links => links.map(a => a.pathname)")
    expected_days = sorted({t.astimezone(zone).date() for t in expected})
    assert days == [f"/book/times/{day.isoformat()}/" for day in expected_days]
    assert f"/book/times/{leave_day.isoformat()}/" not in days
    screenshot(phone, "patient-times")
    phone.goto(days[-1])
    values = phone.locator("input[name=start]").evaluate_all("inputs => inputs.map(i => i.value)")
    shown = [datetime.fromisoformat(value).astimezone(zone) for value in values if "T" in value]
    assert [t.hour for t in shown] == list(HOURS)
    assert all(t.date() == expected_days[-1] for t in shown)
