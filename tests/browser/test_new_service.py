"""A new service from scratch, in a real Chromium: the operator creates it with its first
superuser; the superuser opens the set-password link, chooses a password, sets up two-factor
authentication, lands on the staff home of the new service and adds a member of staff, who
gets their own link. axe checks every new page on the way. (The rest of issue 15's journey,
therapists to a patient booking, continues from here.)"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect

from slotlink.clinic.models import Role, Service, User
from tests.browser.conftest import DESKTOP, TIMEOUT_MS, assert_accessible
from tests.conftest import totp_code, totp_device
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")
PASSWORD = "harbour-violet-lantern-42"


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


@pytest.fixture
def operator(transactional_db: None) -> User:
    return UserFactory(service=None, role=Role.OPERATOR, username="olu.operator", first_name="Olu")


@pytest.fixture
def second_context(browser: Browser, public_base_url: str) -> Iterator[BrowserContext]:
    """The new superuser's own browser: nothing shared with the operator's."""
    context = browser.new_context(
        locale="en-GB", timezone_id="Europe/London", base_url=public_base_url, **DESKTOP
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def operator_logs_in(page: Page, operator: User) -> None:
    device = totp_device(operator)
    page.goto("/login/")
    page.get_by_label("Username").fill(operator.username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services")


def test_an_operator_sets_up_a_service_and_its_superuser_adds_staff(
    operator: User, staff_page: Page, second_context: BrowserContext, browser: Browser
) -> None:
    page = staff_page
    operator_logs_in(page, operator)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Services"])  # nothing of any service
    assert_accessible(page)

    page.get_by_role("link", name="Create a service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a service")
    assert_accessible(page)
    page.get_by_role("button", name="Create the service").click()  # empty: told what to fix
    expect(page.get_by_role("alert")).to_contain_text("Enter the service's name.")
    assert_accessible(page)
    page.get_by_label("Service name").fill("Northshire Talking Therapies")
    page.get_by_label("Bank holidays of").select_option(label="Wales")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Phone number").fill("029 2018 0123")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Firstsuper")
    page.get_by_label("Username").fill("sam.firstsuper")
    page.get_by_label("Email").fill("sam.firstsuper@example.nhs.uk")
    screenshot(page, "operator-new-service")
    page.get_by_role("button", name="Create the service").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pass this link to Sam Firstsuper")
    invitation = page.get_by_label("Set-password link").input_value()
    assert "/s/" in invitation
    screenshot(page, "operator-invitation-link")
    assert_accessible(page)
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northshire Talking Therapies")
    expect(page.get_by_role("cell", name="sam.firstsuper", exact=True)).to_be_visible()
    screenshot(page, "operator-service")
    assert_accessible(page)
    service = Service.objects.get(name="Northshire Talking Therapies")
    assert service.nation == "WLS"

    # The new superuser, in their own browser, from the link they were given.
    new = second_context.new_page()
    new.goto(invitation)
    expect(new.get_by_role("heading", level=1)).to_have_text("Choose your password")
    assert "/s/" not in new.url
    assert_accessible(new)
    new.get_by_label("New password").fill("short")
    new.get_by_label("Type it again").fill("short")
    new.get_by_role("button", name="Set password").click()
    expect(new.get_by_role("alert")).to_contain_text("too short")
    new.get_by_label("New password").fill(PASSWORD)
    new.get_by_label("Type it again").fill(PASSWORD)
    new.get_by_role("button", name="Set password").click()

    expect(new.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    assert_accessible(new)
    superuser = User.objects.get(username="sam.firstsuper")
    device = TOTPDevice.objects.get(user=superuser, confirmed=False)
    new.get_by_label("Code from your authenticator app").fill(totp_code(device))
    new.get_by_role("button", name="Turn on two-factor authentication").click()

    # The staff home of the new service.
    expect(new.get_by_role("heading", level=1)).to_have_text("Find a patient")
    expect(new.locator(".topbar__user")).to_contain_text("Northshire Talking Therapies")
    screenshot(new, "superuser-home")

    # The invitation is used up: opened again (here, in another browser), it says so plainly.
    spent = browser.new_page()
    spent.goto(invitation)
    expect(spent.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    assert_accessible(spent)
    spent.close()

    new.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(new.get_by_role("heading", level=1)).to_have_text("Staff")
    expect(new.get_by_role("cell", name="sam.firstsuper", exact=True)).to_be_visible()
    assert_accessible(new)
    new.get_by_role("link", name="Add a member of staff").click()
    expect(new.get_by_label("First name")).to_be_visible()
    assert_accessible(new)
    new.get_by_label("First name").fill("Tam")
    new.get_by_label("Last name").fill("Therapist")
    new.get_by_label("Username").fill("tam.therapist")
    new.get_by_label("Email").fill("tam.therapist@example.nhs.uk")
    new.get_by_label("Role").select_option("therapist")
    new.get_by_role("button", name="Add and make their link").click()
    expect(new.get_by_role("heading", level=1)).to_have_text("Pass this link to Tam Therapist")
    assert "/s/" in new.get_by_label("Set-password link").input_value()
    new.get_by_role("link", name="Done").click()

    expect(new.get_by_role("heading", level=1)).to_have_text("Tam Therapist")
    expect(new.locator(".page-head .tag")).to_have_text("Invited")
    expect(new.get_by_role("cell", name="Member of staff added")).to_be_visible()
    screenshot(new, "staff-detail")
    assert_accessible(new)
    tam = User.objects.get(username="tam.therapist")
    assert (tam.service_id, tam.role, tam.has_usable_password()) == (
        service.pk,
        Role.THERAPIST,
        False,
    )

    # The operator sees the service's superuser now active, and nothing of its patients.
    page.reload()
    expect(page.get_by_role("row", name="sam.firstsuper")).to_contain_text("Active")
