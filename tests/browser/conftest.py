"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live
server, plus an axe accessibility check.

The live server runs in a thread with real time, so browser tests never freeze the clock:
they seed working patterns that started in the past and let the rule's window find slots."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from slotlink.accounts.services import two_factor_required
from slotlink.booking.links.services import booking_link_send, booking_link_url
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import User
from tests.conftest import IN_CI, Clinic, make_clinic, skip_or_fail, totp_code, totp_device
from tests.factories import BroadcastRuleFactory

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        Page,
        Playwright,
        expect,
        sync_playwright,
    )
except ImportError as missing:  # pragma: no cover - both are pinned dev dependencies
    # skip_or_fail()'s rule, at the level of this whole directory.
    if IN_CI:
        raise
    pytest.skip(f"browser tests need playwright: {missing}", allow_module_level=True)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A small phone held upright: the size most patients open their text message on.
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# For actions and expect(): long enough for a slow CI machine, short enough that a missing
# element fails quickly.
TIMEOUT_MS = 10_000
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse ORM calls from the test itself; nothing here is really asynchronous.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        expect.set_options(timeout=TIMEOUT_MS)
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@contextmanager
def _context(browser: Browser, **options: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", **options)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def public_base_url(live_server: Any) -> Iterator[str]:
    """Links in texts and on the staff page point at the live server, as in production they
    point at the public site."""
    with override_settings(PUBLIC_BASE_URL=live_server.url):
        yield live_server.url


@pytest.fixture
def staff_context(browser: Browser, public_base_url: str) -> Iterator[BrowserContext]:
    with _context(browser, **DESKTOP, base_url=public_base_url) as context:
        # So "Copy link" can be checked against what actually lands on the clipboard.
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=public_base_url)
        yield context


@pytest.fixture
def staff_page(staff_context: BrowserContext) -> Page:
    return staff_context.new_page()


@pytest.fixture
def phone_context(browser: Browser, public_base_url: str) -> Iterator[BrowserContext]:
    with _context(browser, **PHONE, base_url=public_base_url) as context:
        yield context


@pytest.fixture
def phone_page(phone_context: BrowserContext) -> Page:
    return phone_context.new_page()


@pytest.fixture
def no_js_phone_page(browser: Browser, public_base_url: str) -> Iterator[Page]:
    with _context(browser, **PHONE, base_url=public_base_url, java_script_enabled=False) as context:
        yield context.new_page()


@pytest.fixture
def browser_clinic(transactional_db: None) -> Clinic:
    """make_clinic()'s service (working patterns effective since January 2026, a rule with
    24 hours' notice and 14 days ahead) plus two more rules so the dropdown has something to
    filter out."""
    clinic = make_clinic(title="Assessment – telephone")
    for title in ("Guided self-help – video", "CBT – face to face"):
        BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists, title=title)
    return clinic


def send_link(
    clinic: Clinic, sent_by: User | None = None, rule: BroadcastRule | None = None
) -> str:
    """A link sent without the staff pages, for tests about what the patient sees."""
    _, token = booking_link_send(
        patient=clinic.patient, rule=rule or clinic.rule, sent_by=sent_by or clinic.admin
    )
    return booking_link_url(token)


def log_in(page: Page, user: User) -> None:
    """Through the login form, and the authenticator code where the user's role needs one."""
    device = totp_device(user) if two_factor_required(user) else None
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if device is not None:
        page.get_by_label("Code from your authenticator app").fill(totp_code(device))
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Find a patient").wait_for()


def assert_accessible(page: Page) -> None:
    """No WCAG 2.0, 2.1 or 2.2 level A or AA violation that axe can find on the page."""
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    if results.violations_count:
        report = results.generate_report()
        print(f"axe on {page.url}:\n{report}")
        pytest.fail(
            f"{results.violations_count} accessibility violation(s) on {page.url}:\n{report}"
        )
