""" "Leave this page" in a real Chromium with JavaScript switched off: the button leaves for
the neutral site, and Back finds the session ended rather than the page the patient left."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import send_link
from tests.conftest import Clinic

pytestmark = pytest.mark.browser

NEUTRAL = "https://www.bbc.co.uk/weather"


def test_leave_this_page_works_without_javascript_and_back_shows_nothing(
    browser_clinic: Clinic, no_js_phone_page: Page
) -> None:
    browser_clinic.service.quick_exit_enabled = True
    browser_clinic.service.save()
    page = no_js_phone_page
    # The neutral site, answered here: the test machine has no internet.
    page.route(
        NEUTRAL,
        lambda route: route.fulfill(
            content_type="text/html", body="<title>Weather</title><h1>Weather</h1>"
        ),
    )
    page.goto(send_link(browser_clinic))
    page.get_by_role("link", name="Continue to book appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time for your appointment")

    page.get_by_role("link", name="Leave this page quickly").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather")
    assert page.url == NEUTRAL

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Open the link in your text message again"
    )
    expect(page.get_by_role("radio")).to_have_count(0)
