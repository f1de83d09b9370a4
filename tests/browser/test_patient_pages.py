"""Every kind of patient page, built from the NHS.UK frontend's components, passes axe on the
narrowest phone WCAG reflow asks for (320 px) and on a desktop: booking, the date-of-birth
check and its error, moving to another therapist's time, cancelling, and the pages for a dead
link, a missing page and a busy moment."""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, _context, assert_accessible, send_link
from tests.browser.test_manage_journey import booked_with_manage_link, enter_birth_date
from tests.conftest import Clinic

pytestmark = pytest.mark.browser

# The smallest width WCAG 2.2's reflow criterion (1.4.10) asks pages to work at.
NARROWEST: dict[str, Any] = {
    "viewport": {"width": 320, "height": 640},
    "is_mobile": True,
    "has_touch": True,
}
WIDTHS: dict[str, dict[str, Any]] = {"320px": NARROWEST, "desktop": DESKTOP}
# Set to a directory to keep pictures of each page for a human to look at.
SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")


@pytest.fixture(params=list(WIDTHS))
def page(request: Any, browser: Browser, public_base_url: str) -> Iterator[Page]:
    with _context(browser, **WIDTHS[request.param], base_url=public_base_url) as context:
        yield context.new_page()


def checked(page: Page, heading: str | re.Pattern[str], name: str) -> None:
    """On the page with this main heading, nothing wider than the screen, and no axe finding."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert_accessible(page)
    if SCREENSHOT_DIR:
        width = page.viewport_size["width"] if page.viewport_size else 0
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{width}px-{name}.png"), full_page=True)


def test_booking_pages_pass_axe_at_320px_and_on_a_desktop(
    browser_clinic: Clinic, page: Page
) -> None:
    page.goto(send_link(browser_clinic))
    checked(page, re.compile(r"^Book your .+ appointment$"), "welcome")
    page.get_by_role("link", name="Continue to book appointment").click()
    checked(page, "Choose a time for your appointment", "times")
    page.locator(".day-link").nth(1).click()
    checked(page, re.compile(r"^Choose a time on "), "day")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".nhsuk-form-group--error")).to_contain_text("Choose a time")
    checked(page, re.compile(r"^Choose a time on "), "day-error")
    # A time's tap target (the design system's invisible input over its circle, and the
    # label beside it) is far over WCAG 2.2's 24 px.
    first = page.get_by_role("radio").first
    box = first.bounding_box()
    assert box is not None and min(box["width"], box["height"]) >= 40
    first.check()
    page.get_by_role("button", name="Continue").click()
    checked(page, "Check your appointment", "review")
    page.get_by_role("button", name="Confirm appointment").click()
    checked(page, "Your appointment is booked", "booked")

    page.goto("/b/not-a-real-token")
    checked(page, "This link cannot be used", "unusable")
    page.goto("/no-such-page/")
    checked(page, "Page not found", "404")
    # The busy page answers when the database is overloaded, which a test cannot arrange
    # reliably: the page itself, served from a live-server address so its files load.
    busy = render_to_string("busy.html", {"service": None})
    page.route("**/busy-page/", lambda route: route.fulfill(content_type="text/html", body=busy))
    page.goto("/busy-page/")
    checked(page, "Sorry, we are very busy right now", "busy")


def test_manage_pages_pass_axe_at_320px_and_on_a_desktop(
    browser_clinic: Clinic, page: Page
) -> None:
    appointment, manage_url = booked_with_manage_link(browser_clinic)
    # Only the other therapist is free for a move, so the review page warns about it.
    other = next(t for t in browser_clinic.therapists if t != appointment.therapist)
    browser_clinic.rule.therapists.set([other])
    browser_clinic.rule.allow_patient_cancel = True
    browser_clinic.rule.save()
    born = browser_clinic.patient.date_of_birth

    page.goto(manage_url)
    checked(page, "What is your date of birth?", "verify")
    enter_birth_date(page, 31, 2, born.year)
    expect(page.locator(".nhsuk-input--error")).to_have_count(3)
    checked(page, "What is your date of birth?", "verify-error")
    enter_birth_date(page, born.day, born.month, born.year)
    checked(page, "Your appointment", "manage-home")

    page.get_by_role("link", name="Cancel this appointment").click()
    checked(page, re.compile(r"^Cancel your appointment on "), "cancel")
    page.get_by_role("link", name="Back", exact=True).click()

    page.get_by_role("link", name="Change appointment").click()
    page.get_by_role("button", name="Book the first available").click()
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("different therapist")
    checked(page, "Check your new appointment time", "review-other-therapist")
    page.get_by_role("button", name="Confirm new time").click()
    expect(page.locator("main")).to_contain_text("Your appointment has been changed")
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    checked(page, re.compile(r"^Cancel your appointment on "), "cancel-error")
    page.get_by_label("Why are you cancelling?").fill("I am feeling better")
    page.get_by_role("button", name="Cancel appointment").click()
    checked(page, "Your appointment is cancelled", "cancelled")
