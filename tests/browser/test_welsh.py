"""In a real browser: a Welsh-speaking patient books in Welsh from the text to the
confirmation, manages the appointment in Welsh, and every patient page passes axe in Welsh
at 320 px and on a desktop; the notices pass in both languages; the switch works without
JavaScript."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from playwright.sync_api import Browser, Page, Route, expect

from slotlink.clinic.models import AppointmentStatus
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.questionnaires.services import questionnaires_sweep
from tests.browser.conftest import _context, send_link
from tests.browser.test_manage_journey import booked_with_manage_link
from tests.browser.test_patient_pages import WIDTHS, checked
from tests.browser.test_questionnaires import with_forms
from tests.conftest import Clinic
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.browser

WELSH_DAY = re.compile(r"^Dydd (Llun|Mawrth|Mercher|Iau|Gwener) \d+ \w+$")


@pytest.fixture
def welsh_clinic(browser_clinic: Clinic) -> Clinic:
    patient = browser_clinic.patient
    patient.first_name = "Dyfan"
    patient.preferred_language = "cy"
    patient.save()
    rule = browser_clinic.rule
    rule.welcome_content = "We have set aside some times for you."
    rule.welcome_content_cy = "Rydym wedi neilltuo rhai amseroedd i chi."
    rule.confirmation_content_cy = "Byddwn yn anfon nodyn i'ch atgoffa."
    rule.sms_template_cy = "Helo {first_name}, trefnwch eich apwyntiad: {link}"
    rule.allow_patient_cancel = True
    rule.save()
    return browser_clinic


@pytest.fixture(params=list(WIDTHS))
def page(request: Any, browser: Browser, public_base_url: str) -> Any:
    with _context(browser, **WIDTHS[request.param], base_url=public_base_url) as context:
        yield context.new_page()


def serve(body: str) -> Callable[[Route], None]:
    """A page rendered here, served from the live server's address so its files load."""
    return lambda route: route.fulfill(content_type="text/html", body=body)


def in_welsh(page: Page) -> None:
    assert page.locator("html").get_attribute("lang") == "cy"


def test_a_welsh_speaker_books_in_welsh_from_the_text_to_the_confirmation(
    welsh_clinic: Clinic, page: Page
) -> None:
    url = send_link(welsh_clinic)
    text = message_body(OutboundMessage.objects.get(kind=MessageKind.BOOKING_LINK))
    assert text == f"Helo Dyfan, trefnwch eich apwyntiad: {url}"

    page.goto(url)
    in_welsh(page)
    checked(page, re.compile(r"^Trefnu eich apwyntiad \(.+\)$"), "cy-welcome")
    expect(page.locator("main")).to_contain_text("Rydym wedi neilltuo rhai amseroedd i chi.")
    page.get_by_role("link", name="Parhau i drefnu apwyntiad").click()
    checked(page, "Dewiswch amser ar gyfer eich apwyntiad", "cy-times")
    expect(page.locator(".day-link").first).to_have_text(WELSH_DAY)
    page.locator(".day-link").nth(1).click()
    checked(page, re.compile(r"^Dewiswch amser: Dydd "), "cy-day")
    page.get_by_role("button", name="Parhau").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Mae problem")
    checked(page, re.compile(r"^Dewiswch amser: Dydd "), "cy-day-error")
    expect(page.get_by_role("heading", name="Bore")).to_be_visible()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Parhau").click()
    checked(page, "Gwiriwch eich apwyntiad", "cy-review")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(re.compile(r"am \d+(:\d\d)?y[bh]"))
    page.get_by_role("button", name="Cadarnhau'r apwyntiad").click()
    checked(page, "Mae eich apwyntiad wedi'i drefnu", "cy-booked")
    expect(page.locator("main")).to_contain_text("Byddwn yn anfon nodyn i'ch atgoffa.")

    confirmation = message_body(OutboundMessage.objects.get(kind=MessageKind.CONFIRMATION))
    assert confirmation.startswith(
        "Helo Dyfan, mae eich apwyntiad wedi'i drefnu. Dyddiad ac amser: Dydd "
    )

    # Back to English on the same page, kept for the next page.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your appointment is booked")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert "?" not in page.url


def test_the_manage_pages_pass_axe_in_welsh(welsh_clinic: Clinic, page: Page) -> None:
    _, manage_url = booked_with_manage_link(welsh_clinic)
    born = welsh_clinic.patient.date_of_birth
    page.goto(manage_url)
    # Nothing yet says who this is, so nothing is in their language: they may switch.
    checked(page, "What is your date of birth?", "verify-en")
    page.get_by_role("link", name="Cymraeg").click()
    checked(page, "Beth yw eich dyddiad geni?", "cy-verify")
    page.get_by_label("Diwrnod").fill("31")
    page.get_by_label("Mis").fill("2")
    page.get_by_label("Blwyddyn").fill(str(born.year))
    page.get_by_role("button", name="Parhau").click()
    checked(page, "Beth yw eich dyddiad geni?", "cy-verify-error")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Rhaid i'r dyddiad geni fod yn ddyddiad go iawn"
    )
    page.get_by_label("Diwrnod").fill(str(born.day))
    page.get_by_label("Mis").fill(str(born.month))
    page.get_by_role("button", name="Parhau").click()
    checked(page, "Eich apwyntiad", "cy-manage-home")
    page.get_by_role("link", name="Canslo'r apwyntiad hwn").click()
    checked(page, re.compile(r"^Canslo eich apwyntiad: Dydd "), "cy-cancel")
    page.get_by_role("button", name="Canslo'r apwyntiad").click()
    checked(page, re.compile(r"^Canslo eich apwyntiad: Dydd "), "cy-cancel-error")
    page.get_by_label("Pam rydych yn canslo?").fill("Rwy'n teimlo'n well")
    page.get_by_role("button", name="Canslo'r apwyntiad").click()
    checked(page, "Mae eich apwyntiad wedi'i ganslo", "cy-cancelled")


def test_dead_links_errors_and_notices_pass_axe_in_both_languages(
    welsh_clinic: Clinic, page: Page
) -> None:
    service = welsh_clinic.service.pk
    for language, headings in {
        "cy": (
            "Nid oes modd defnyddio'r ddolen hon",
            "Heb ddod o hyd i'r dudalen",
            "Datganiad hygyrchedd",
            "Hysbysiad preifatrwydd",
            "Cwcis",
            "Cysylltu â ni",
        ),
        "en-gb": (
            "This link cannot be used",
            "Page not found",
            "Accessibility statement",
            "Privacy notice",
            "Cookies",
            "Contact us",
        ),
    }.items():
        page.goto(f"/help/cookies/?lang={language}")
        page.goto("/b/not-a-real-token")
        checked(page, headings[0], f"{language}-unusable")
        page.goto("/no-such-page/")
        checked(page, headings[1], f"{language}-404")
        for notice, heading in zip(
            ("accessibility", "privacy", "cookies", "contact"), headings[2:], strict=True
        ):
            page.goto(f"/help/{service}/{notice}/")
            checked(page, heading, f"{language}-{notice}")
            expect(page.locator("footer")).to_contain_text(headings[2])
    # A session that ended, the locked-out and the busy pages, in Welsh.
    page.goto("/book/times/?lang=cy")
    checked(page, "Agorwch y ddolen yn eich neges destun eto", "cy-session-ended")
    with translation.override("cy"):
        pages = {
            "busy": render_to_string("busy.html", {"service": None}),
            "locked": render_to_string("portal/manage/locked.html", {"service": None}),
        }
    for name, body in pages.items():
        page.route(f"**/{name}-page/", serve(body))
        page.goto(f"/{name}-page/")
        in_welsh(page)
        checked(page, re.compile(r"^(Mae'n ddrwg gennym|Nid oes modd)"), f"cy-{name}")


def test_the_switch_works_without_javascript(
    welsh_clinic: Clinic, browser: Browser, public_base_url: str
) -> None:
    with _context(
        browser, **WIDTHS["320px"], base_url=public_base_url, java_script_enabled=False
    ) as context:
        page = context.new_page()
        page.goto(send_link(welsh_clinic))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Trefnu eich apwyntiad")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Book your")
        names = {cookie["name"] for cookie in context.cookies()}
        assert names <= {
            settings.SESSION_COOKIE_NAME,
            settings.CSRF_COOKIE_NAME,
            settings.LANGUAGE_COOKIE_NAME,
        }


@pytest.mark.parametrize("width", [320, 700, 1366])
def test_the_quick_exit_never_covers_the_language_link(
    welsh_clinic: Clinic, browser: Browser, public_base_url: str, width: int
) -> None:
    welsh_clinic.service.quick_exit_enabled = True
    welsh_clinic.service.save()
    viewport = {"width": width, "height": 600}
    with _context(browser, viewport=viewport, base_url=public_base_url) as context:
        page = context.new_page()
        page.goto(send_link(welsh_clinic))
        exit_box = page.get_by_role("link", name="Gadael y dudalen hon yn gyflym").bounding_box()
        switch = page.get_by_role("link", name="English").bounding_box()
        assert exit_box and switch
        assert exit_box["y"] + exit_box["height"] <= switch["y"]


def enter_birth_date_in_welsh(page: Page, clinic: Clinic) -> None:
    born = clinic.patient.date_of_birth
    page.get_by_label("Diwrnod").fill(str(born.day))
    page.get_by_label("Mis").fill(str(born.month))
    page.get_by_label("Blwyddyn").fill(str(born.year))
    page.get_by_role("button", name="Parhau").click()


def test_the_code_refusal_and_nothing_to_change_pages_pass_axe_in_welsh(
    welsh_clinic: Clinic, page: Page
) -> None:
    welsh_clinic.service.manage_requires_sms_code = True
    welsh_clinic.service.save()
    welsh_clinic.rule.allow_patient_cancel = False
    welsh_clinic.rule.save()
    appointment, manage_url = booked_with_manage_link(welsh_clinic)
    page.goto(manage_url)
    page.get_by_role("link", name="Cymraeg").click()
    enter_birth_date_in_welsh(page, welsh_clinic)
    checked(page, "Rhowch y cod a anfonwyd atoch", "cy-code")
    page.get_by_label("Rhowch y cod a anfonwyd atoch").fill("000000")
    page.get_by_role("button", name="Parhau").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    checked(page, "Rhowch y cod a anfonwyd atoch", "cy-code-error")
    text = message_body(OutboundMessage.objects.filter(kind=MessageKind.VERIFICATION).latest("pk"))
    found = re.search(r"\b\d{6}\b", text)
    assert found, text
    page.get_by_label("Rhowch y cod a anfonwyd atoch").fill(found.group(0))
    page.get_by_role("button", name="Parhau").click()
    checked(page, "Eich apwyntiad", "cy-manage-home-after-code")

    page.goto("/manage/cancel/")
    checked(page, "Nid oes modd i chi ganslo'r apwyntiad hwn ar-lein", "cy-step-refused")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    page.goto("/manage/")
    checked(page, "Nid yw'r apwyntiad hwn wedi'i drefnu bellach", "cy-nothing-to-change")

    # A patient the service cannot text a code to is told whom to call.
    welsh_clinic.patient.mobile = ""
    welsh_clinic.patient.save()
    page.goto(manage_url)
    enter_birth_date_in_welsh(page, welsh_clinic)
    checked(page, "Nid oes modd i ni anfon cod atoch", "cy-no-code")


def test_the_crisis_support_and_unusable_forms_pages_pass_axe_in_welsh(
    welsh_clinic: Clinic, page: Page
) -> None:
    with_forms(welsh_clinic)
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    AppointmentFactory(
        service=welsh_clinic.service,
        therapist=welsh_clinic.therapists[0],
        patient=welsh_clinic.patient,
        appointment_type=welsh_clinic.rule.appointment_type,
        start=start + timedelta(days=3),
        end=start + timedelta(days=3, hours=1),
    )
    questionnaires_sweep()
    body = message_body(OutboundMessage.objects.get(kind=MessageKind.FORM_LINK))
    found = re.search(r"https?://\S+/q/[\w-]{43}", body)
    assert found, body
    page.goto(found.group(0))
    checked(page, "Cwestiynau cyn eich apwyntiad", "cy-forms-home")
    # The page a patient at risk sees after the risk question's answer.
    page.goto("/forms/1/support/")
    checked(page, "Help os oes ei angen arnoch chi nawr", "cy-support")
    expect(page.get_by_role("link", name="Parhau â'r cwestiynau")).to_be_visible()
    page.goto("/q/not-a-real-token-000000000000000000000000000")
    checked(page, "Nid oes modd defnyddio'r ddolen hon", "cy-forms-unusable")
