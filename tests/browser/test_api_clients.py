"""A superuser makes an API client in a real Chromium, copies its secret from the one page
that shows it, and the record system gets a token with it."""

import os
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from slotlink.api.models import ApiClient
from slotlink.api.services import Credentials
from tests.api.conftest import token_for
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import Clinic

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")


def test_a_superuser_makes_an_api_client_and_its_secret_works_once_shown(
    browser_clinic: Clinic, staff_page: Page
) -> None:
    page = staff_page
    log_in(page, browser_clinic.superuser)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API clients")
    assert_accessible(page)
    page.get_by_label("Name").fill("Northshire EPR")
    page.get_by_label("system/Slot.read", exact=False).check()
    page.get_by_label("system/Appointment.write", exact=False).check()
    page.get_by_role("button", name="Make client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northshire EPR: client made")
    assert_accessible(page)
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / "api-client-made.png"), full_page=True)
    client_id = page.get_by_label("Client ID").input_value()
    secret = page.get_by_label("Client secret").input_value()
    client = ApiClient.objects.get(name="Northshire EPR")
    assert token_for(Client(), Credentials(client, client_id, secret))

    page.get_by_role("link", name="Back to API clients").click()
    expect(page.get_by_role("cell", name="Northshire EPR", exact=True)).to_be_visible()
    assert secret not in page.content()
