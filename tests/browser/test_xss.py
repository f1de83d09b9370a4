"""A patient's welcome page whose admin-written content holds every payload in
tests/xss_payloads.py, opened in a real Chromium with the content security policy switched
off (so the sanitiser alone is on trial): no script runs, no dialog opens, and nothing that
could run later (an element, a handler, a javascript: link) is in the page."""

import pytest
from django.utils.safestring import mark_safe
from playwright.sync_api import Browser, Dialog, Page, expect

from slotlink.booking.models import BroadcastRule
from tests.browser.conftest import PHONE, send_link
from tests.conftest import Clinic
from tests.xss_payloads import ALL_PAYLOADS

pytestmark = pytest.mark.browser

RICH_TEXT_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "blockquote",
    "code",
}

WHAT_COULD_RUN = """() => {
    const content = document.querySelector("main .content");
    const all = [...content.querySelectorAll("*")];
    return {
        tags: [...new Set(all.map(e => e.tagName.toLowerCase()))].sort(),
        handlers: all.flatMap(e => [...e.attributes].map(a => a.name))
            .filter(name => name.startsWith("on")),
        protocols: [...new Set([...content.querySelectorAll("a[href]")].map(a => a.protocol))],
        // Ours (starting the NHS.UK frontend) is the only one there may be.
        scripts: [...document.scripts].filter(s => !s.src.endsWith("/slotlink/patient.js")).length,
        frames: window.frames.length,
    };
}"""


def open_welcome_page(
    browser: Browser, clinic: Clinic, base_url: str, content: str
) -> tuple[Page, list[str]]:
    """The patient's welcome page with `content`, and the dialogs it opened."""
    # Straight into the database, past the form's own cleaning: rendering must hold alone.
    BroadcastRule.objects.filter(pk=clinic.rule.pk).update(welcome_content=content)
    link = send_link(clinic)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context = browser.new_context(**PHONE, base_url=base_url, bypass_csp=True)
    page = context.new_page()
    page.on("dialog", dismiss)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Book your assessment appointment")
    page.locator("main .content").hover()  # for any mouseover handler
    page.wait_for_timeout(1500)  # and time for onload, onerror, animations, refreshes
    return page, dialogs


def test_a_welcome_page_full_of_attacks_runs_none_of_them(
    browser: Browser, browser_clinic: Clinic, public_base_url: str
) -> None:
    # PostgreSQL cannot store NUL characters (and Django's forms refuse them): those go.
    content = "\n\n".join(ALL_PAYLOADS).replace("\x00", "")
    page, dialogs = open_welcome_page(browser, browser_clinic, public_base_url, content)
    try:
        assert page.evaluate("window.__xss") is None
        assert dialogs == []
        found = page.evaluate(WHAT_COULD_RUN)
        assert set(found["tags"]) <= RICH_TEXT_TAGS
        assert found["handlers"] == []
        assert set(found["protocols"]) <= {"https:", "http:", "mailto:", "tel:"}
        assert (found["scripts"], found["frames"]) == (0, 0)
        assert page.url.endswith("/book/")  # no refresh or redirect took the patient away
    finally:
        page.context.close()


def test_the_check_sees_a_script_that_does_run(
    browser: Browser, browser_clinic: Clinic, public_base_url: str, monkeypatch
) -> None:
    """The control: with rendering that does not sanitise, the same check catches it."""
    monkeypatch.setattr("slotlink.portal.presenters.render_markdown", mark_safe)
    page, dialogs = open_welcome_page(
        browser,
        browser_clinic,
        public_base_url,
        "<img src=x onerror=window.__xss=1><img src=y onerror=alert(1)>",
    )
    try:
        assert page.evaluate("window.__xss") == 1
        assert dialogs == ["1"]
    finally:
        page.context.close()
