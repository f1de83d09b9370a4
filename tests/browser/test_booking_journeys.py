"""The journeys people really take, in a real Chromium: a member of staff sends a booking link
from the patient record, the patient books on a phone (with and without JavaScript), and the
booking shows up for staff. Every patient page is checked with axe on the way."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from slotlink.booking.models import BookingLink, BroadcastRule
from slotlink.clinic.models import Appointment, Source
from tests.browser.conftest import assert_accessible, log_in, send_link
from tests.conftest import Clinic, run_tasks

pytestmark = pytest.mark.browser

# Set to a directory to keep pictures of the phone pages for a human to look at.
SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")


def patient_sees(page: Page, heading: str | re.Pattern[str], *, axe: bool = True) -> None:
    """The patient is on the page with this main heading, and the page passes axe. Axe needs
    JavaScript; the patient pages use none, so they are the same pages with it switched off."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    if axe:
        assert_accessible(page)


def history_statuses(page: Page) -> list[str]:
    """The Status column of the booking link history table, newest link first."""
    table = page.locator("#online-booking table")
    expect(table).to_be_visible()
    column = table.locator("thead th").all_inner_texts().index("Status") + 1
    return table.locator(f"tbody td:nth-child({column})").all_inner_texts()


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


def send_link_from_care_pathway(page: Page, clinic: Clinic) -> str:
    """Staff find the patient, open the Care pathway tab, filter the rules by typing, send the
    link, and read it back from the live link panel."""
    log_in(page, clinic.admin)
    page.get_by_label("Name, NHS number or date of birth").fill(clinic.patient.last_name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=clinic.patient.full_name).click()
    record = page.get_by_role("navigation", name="Patient record")
    record.get_by_role("link", name="Details").click()
    expect(page.locator(".details")).to_contain_text(clinic.patient.first_name)
    record.get_by_role("link", name="Care pathway").click()
    expect(record.get_by_role("link", name="Care pathway")).to_have_attribute(
        "aria-current", "page"
    )

    rule_filter = page.get_by_role("searchbox", name="Filter the types of appointment link")
    rule_filter.fill("assess tele")
    shown = page.locator("#rule").evaluate(
        "select => [...select.options].filter(o => o.value && !o.hidden).map(o => o.text)"
    )
    assert shown == [clinic.rule.title]
    rules = page.get_by_label("Type of appointment link", exact=True)
    expect(rules).to_have_value(str(clinic.rule.pk))
    rules.select_option(label=clinic.rule.title)

    # htmx replaces the section in place: a full page load would forget this marker.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Send appointment booking SMS").click()
    section = page.locator("#online-booking")
    expect(section.get_by_role("status")).to_have_text(
        f"Booking link for {clinic.rule.title} sent to {clinic.patient.first_name}."
    )
    assert page.evaluate("window.stillTheSamePage") is True

    panel = section.get_by_role("region", name=re.compile(clinic.rule.title))
    expect(panel).to_contain_text("Sent")
    expect(panel).to_contain_text("Assessment, 1 hour")
    expect(panel).to_contain_text(clinic.therapists[0].name)
    expect(panel).to_contain_text("From 24 hours to 14 days ahead")
    link_box = panel.get_by_label("Link sent to the patient")
    expect(link_box).not_to_be_editable()
    link = link_box.input_value()
    # The token: 256 random bits, URL-safe base64.
    assert re.fullmatch(re.escape(page.url.split("/patients/")[0]) + r"/b/[\w-]{43}", link)
    assert_accessible(page)

    panel.get_by_role("button", name="Copy link").click()
    expect(panel.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    return link


def choose_a_day_and_time(page: Page, *, axe: bool) -> tuple[str, str]:
    """From the times page, through a day (and its "choose a time" error) to the review page.
    Returns the day and time chosen, as the patient read them.

    The second day listed, not the first: the clock runs, and the first day's earliest time
    can fall inside the minimum notice while the test is on it."""
    patient_sees(page, "Choose a time for your appointment", axe=axe)
    expect(page.get_by_role("heading", name="First available time")).to_be_visible()
    expect(page.get_by_role("button", name="Book the first available")).to_be_visible()
    days = page.locator(".day-link")
    expect(days.first).to_be_visible()
    assert days.count() >= 2
    screenshot(page, "times")
    second_day = days.nth(1)
    day_label = second_day.evaluate("a => a.firstChild.textContent.trim()")
    second_day.click()

    patient_sees(page, f"Choose a time on {day_label}", axe=axe)
    screenshot(page, "day")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    patient_sees(page, f"Choose a time on {day_label}", axe=axe)

    first_time = page.get_by_role("radio").first
    time_label = page.locator(f"label[for='{first_time.get_attribute('id')}']").inner_text()
    first_time.check()
    page.get_by_role("button", name="Continue").click()
    patient_sees(page, "Check your appointment", axe=axe)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(f"at {time_label}")
    return day_label, time_label


def book_on_phone(page: Page, link: str, first_name: str, *, axe: bool = True) -> str:
    """The whole patient journey from the link in the text to the booked page. Returns what
    the booked page says about when the appointment is."""
    page.goto(link)
    patient_sees(page, re.compile(r"^Book your .+ appointment$"), axe=axe)
    expect(page.locator(".nhsuk-body-l")).to_contain_text(f"Hello {first_name}.")
    page.get_by_role("link", name="Continue to book appointment").click()

    day_label, time_label = choose_a_day_and_time(page, axe=axe)
    page.get_by_role("button", name="Confirm appointment").click()

    patient_sees(page, "Your appointment is booked", axe=axe)
    booked_when = page.locator(".nhsuk-panel__body").inner_text()
    assert booked_when.startswith(day_label.split(" ")[0])
    assert booked_when.endswith(f"at {time_label}")
    return booked_when


def test_staff_send_a_link_the_patient_books_on_a_phone_and_staff_see_it_in_the_diary(
    browser_clinic: Clinic, staff_page: Page, phone_page: Page
) -> None:
    clinic = browser_clinic
    link = send_link_from_care_pathway(staff_page, clinic)

    run_tasks()
    staff_page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    expect(staff_page.locator("td.sms").first).to_contain_text(link)

    booked_when = book_on_phone(phone_page, link, clinic.patient.first_name)

    # The link has done its job: opening it again, or going back into the booking screens,
    # only ever shows the booking.
    phone_page.goto(link)
    patient_sees(phone_page, "Your appointment is booked")
    expect(phone_page.locator(".nhsuk-panel__body")).to_have_text(booked_when)
    phone_page.goto("/book/times/")
    patient_sees(phone_page, "Your appointment is booked")

    appointment = Appointment.objects.select_related("therapist").get(patient=clinic.patient)
    assert appointment.source == Source.ONLINE

    staff_page.goto(f"/patients/{clinic.patient.pk}/care-pathway/")
    row = staff_page.locator("#online-booking tbody tr").filter(has_text=clinic.rule.title)
    assert history_statuses(staff_page) == ["Booked"]
    expect(staff_page.get_by_label("Link sent to the patient")).to_have_count(0)

    row.locator("summary").click()
    expect(row.get_by_role("link", name="View full history")).to_be_visible()
    row.get_by_role("link", name="View clinical contact").click()
    expect(staff_page.get_by_role("heading", name="Clinical contact")).to_be_visible()
    expect(staff_page.locator("main")).to_contain_text("Booked online")
    staff_page.goto(f"/patients/{clinic.patient.pk}/care-pathway/")
    row.locator("summary").click()
    row.get_by_role("link", name="View full history").click()
    history = staff_page.get_by_role("table", name="Full history")
    expect(history.locator("tbody tr td:nth-child(2)")).to_have_text(["Sent", "Accessed", "Booked"])
    assert_accessible(staff_page)

    local_day = appointment.start.astimezone(clinic.service.zone).date()
    staff_page.goto(f"/diary/?therapist={appointment.therapist.pk}&date={local_day.isoformat()}")
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(
        f"Diary: {appointment.therapist.name}"
    )
    that_day = staff_page.get_by_role("region", name=f"{local_day:%a %d %b}")
    entry = that_day.locator(".appt").filter(has_text=clinic.patient.full_name)
    summary = entry.get_by_role("tooltip")
    expect(summary).to_be_hidden()
    entry.hover()
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Booked online")
    staff_page.mouse.move(0, 0)
    expect(summary).to_be_hidden()
    entry.get_by_role("link").focus()
    expect(summary).to_be_visible()
    expect(entry.get_by_role("link")).to_have_accessible_description(re.compile("Booked online"))
    assert_accessible(staff_page)

    staff_page.keyboard.press("Enter")
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(
        f"Appointment: {clinic.patient.full_name}"
    )
    expect(staff_page.get_by_label("Therapist")).to_have_value(str(appointment.therapist.pk))
    expect(staff_page.get_by_label("Date")).to_have_value(local_day.isoformat())
    expect(staff_page.locator("main")).to_contain_text("Booked online.")
    assert_accessible(staff_page)
    staff_page.get_by_role("button", name="Save appointment").click()
    expect(staff_page.get_by_role("status")).to_have_text("Appointment saved.")
    saved = Appointment.objects.get(pk=appointment.pk)
    assert (saved.start, saved.end) == (appointment.start, appointment.end)


def test_expiring_a_live_link_shows_the_patient_the_cannot_be_used_page(
    browser_clinic: Clinic, staff_page: Page, phone_page: Page
) -> None:
    clinic = browser_clinic
    first_link = send_link(clinic)
    # Another rule: the same one again within minutes would show the first link again.
    second_link = send_link(clinic, rule=BroadcastRule.objects.get(title="CBT – face to face"))
    second = BookingLink.objects.latest("pk")

    log_in(staff_page, clinic.admin)
    staff_page.goto(f"/patients/{clinic.patient.pk}/care-pathway/")
    boxes = staff_page.get_by_label("Link sent to the patient")
    expect(boxes).to_have_count(2)
    panel = staff_page.locator(".live-link").filter(
        has=staff_page.locator(f"input[value='{second_link}']")
    )

    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    staff_page.once("dialog", dismiss)
    panel.get_by_role("button", name="Expire link").click()
    expect(boxes).to_have_count(2)
    assert dialogs == ["Expire this link? The patient will no longer be able to book with it."]

    staff_page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Expire link").click()
    expect(staff_page.get_by_role("status")).to_have_text(
        "The link has expired and can no longer be used to book."
    )
    expect(boxes).to_have_count(1)
    expect(boxes).to_have_value(first_link)
    assert history_statuses(staff_page) == ["Expired", "Sent"]
    second.refresh_from_db()
    assert second.status == "expired"

    phone_page.goto(second_link)
    patient_sees(phone_page, "This link cannot be used")
    phone = phone_page.locator("main").get_by_role("link", name=clinic.service.phone)
    expect(phone).to_have_attribute("href", "tel:" + clinic.service.phone.replace(" ", ""))
    expect(phone_page.locator("body")).not_to_contain_text(clinic.patient.first_name)
    expect(phone_page.locator("body")).not_to_contain_text(clinic.patient.last_name)


def test_patient_books_the_whole_way_with_javascript_switched_off(
    browser_clinic: Clinic, no_js_phone_page: Page
) -> None:
    page = no_js_phone_page
    page.set_content(
        "<p id=ran>no</p><script>document.getElementById('ran').textContent='yes'</script>"
    )
    expect(page.locator("#ran")).to_have_text("no")
    link = send_link(browser_clinic)

    book_on_phone(page, link, browser_clinic.patient.first_name, axe=False)

    appointment = Appointment.objects.get(patient=browser_clinic.patient)
    assert appointment.source == Source.ONLINE
    assert BookingLink.objects.get().status == "booked"


def test_a_made_up_link_and_an_ended_session_get_plain_accessible_pages(phone_page: Page) -> None:
    phone_page.goto("/b/not-a-real-token-at-all-0123456789")
    patient_sees(phone_page, "This link cannot be used")
    expect(phone_page.locator("main")).to_contain_text("call the service that sent you the text")

    phone_page.goto("/book/times/")
    patient_sees(phone_page, "Open the link in your text message again")
    expect(phone_page.get_by_role("radio")).to_have_count(0)


def test_the_accessibility_check_fails_a_page_with_an_unlabelled_field(browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.set_content(
            '<!doctype html><html lang="en"><title>Form</title>'
            '<main><h1>Your details</h1><input name="surname"></main></html>'
        )
        with pytest.raises(pytest.fail.Exception, match=r"(?s)1 accessibility violation.*label"):
            assert_accessible(page)
    finally:
        page.close()
