"""Issue 16's journey in a real Chromium: booking an appointment whose type has PHQ-9 and
GAD-7 sends the forms link; the patient completes both on the narrowest phone (every kind of
page through axe, nothing wider than the screen); "Several days" to PHQ-9 question 9 shows
crisis information and alerts the therapist, who sees the scores, bands and chart."""

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.questionnaires.models import Builtin, Form, FormAssignment, FormRequest
from slotlink.questionnaires.services import builtin_forms_ensure, questionnaires_sweep
from tests.browser.conftest import DESKTOP, _context, assert_accessible, log_in, send_link
from tests.browser.test_booking_journeys import book_on_phone
from tests.conftest import Clinic, run_tasks
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.browser

NARROWEST: dict[str, Any] = {
    "viewport": {"width": 320, "height": 640},
    "is_mobile": True,
    "has_touch": True,
}
SCREENSHOT_DIR = os.environ.get("SLOTLINK_SCREENSHOTS", "")


def _shot(page: Page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"forms-{name}.png"), full_page=True)


def sees(page: Page, heading: str | re.Pattern[str], name: str = "", *, axe: bool = True) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    if axe:
        assert_accessible(page)
    if name:
        _shot(page, name)


@pytest.fixture
def narrow_page(browser: Browser, public_base_url: str) -> Iterator[Page]:
    with _context(browser, **NARROWEST, base_url=public_base_url) as context:
        yield context.new_page()


@pytest.fixture
def no_js_narrow_page(browser: Browser, public_base_url: str) -> Iterator[Page]:
    with _context(
        browser, **NARROWEST, base_url=public_base_url, java_script_enabled=False
    ) as context:
        yield context.new_page()


def with_forms(clinic: Clinic) -> None:
    """PHQ-9 and GAD-7 go with the rule's appointments, whose one therapist is the
    therapist user (so the alert is theirs)."""
    builtin_forms_ensure()
    for form in Form.objects.filter(builtin__in=[Builtin.PHQ9, Builtin.GAD7]):
        FormAssignment.objects.create(
            service=clinic.service,
            appointment_type=clinic.rule.appointment_type,
            form=form,
            created_at=form.created_at,
        )
    therapist = clinic.therapists[0]
    therapist.user = clinic.therapist_user
    therapist.save()
    clinic.rule.therapists.set([therapist])
    clinic.service.crisis_information = "Our crisis line: 0113 496 0999, 9am to 9pm."
    # No quiet hours: the forms' text goes at once, whatever the hour the suite runs.
    clinic.service.quiet_from = clinic.service.quiet_until = None
    clinic.service.save()


def _forms_link(clinic: Clinic, booking_page: Page) -> str:
    """Book through the booking link, then let housekeeping's sweep and the outbox run: the
    text that goes out holds the forms link."""
    book_on_phone(booking_page, send_link(clinic), clinic.patient.first_name, axe=False)
    questionnaires_sweep()
    run_tasks()
    text = OutboundMessage.objects.get(kind=MessageKind.FORM_LINK)
    assert text.status in {"sent", "delivered"}
    found = re.search(r"https?://\S+/q/[\w-]{43}", message_body(text))
    assert found, message_body(text)
    return found.group(0)


def _answer(page: Page, label: str, heading: str, *, axe: bool, name: str = "") -> None:
    sees(page, heading, name, axe=axe)
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def test_booking_sends_the_forms_the_patient_completes_both_and_the_therapist_sees_it_all(
    browser_clinic: Clinic, narrow_page: Page, phone_page: Page, staff_page: Page
) -> None:
    clinic = browser_clinic
    with_forms(clinic)
    link = _forms_link(clinic, phone_page)

    page = narrow_page
    page.goto(link)
    sees(page, "Questions before your appointment", "home")
    assert "/q/" not in page.url
    page.get_by_role("link", name="Start GAD-7").click()
    sees(page, "GAD-7", "start")
    page.get_by_role("link", name="Start now").click()
    # An answer is needed: the error says so, and is announced.
    sees(page, "Feeling nervous, anxious or on edge")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("Select an answer")
    sees(page, "Feeling nervous, anxious or on edge", "question-error")
    page.get_by_label("More than half the days").check()
    page.get_by_role("button", name="Continue").click()
    gad7 = [
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ]
    for number, heading in enumerate(gad7):
        _answer(
            page, "Several days", heading, axe=number == 0, name="question" if not number else ""
        )
    sees(page, "Check your answers", "check")
    # Back from the check page, and change an answer.
    page.get_by_role("link", name="Change your answer to Trouble relaxing").click()
    _answer(page, "Not at all", "Trouble relaxing", axe=False)
    sees(page, "Check your answers", axe=False)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Not at all")
    page.get_by_role("button", name="Send answers").click()
    sees(page, "GAD-7 answers sent", "done")
    page.get_by_role("link", name="Continue to the next questions").click()

    sees(page, "PHQ-9", axe=False)
    page.get_by_role("link", name="Start now").click()
    for number in range(8):
        heading = page.get_by_role("heading", level=1).inner_text()
        _answer(page, "Several days" if number < 4 else "Not at all", heading, axe=False)
    _answer(
        page,
        "Several days",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
        axe=True,
    )
    sees(page, "Help if you need it now", "support")
    main = page.locator("main")
    expect(main).to_contain_text("999")
    expect(main).to_contain_text("NHS 111")
    expect(main).to_contain_text("0113 496 0999")
    page.get_by_role("link", name="Continue with the questions").click()
    sees(page, "Check your answers", axe=False)
    page.get_by_role("button", name="Send answers").click()
    sees(page, "PHQ-9 answers sent", axe=False)
    expect(page.locator("main")).to_contain_text("NHS 111")
    page.get_by_role("link", name="Finish").click()
    sees(page, "Thank you, you have answered all the questions", "all-done")

    scores = dict(FormRequest.objects.values_list("form__name", "total"))
    assert scores == {"GAD-7": 7, "PHQ-9": 5}

    # The therapist: the alert on the record, the urgent message, the scores and the chart.
    log_in(staff_page, clinic.therapist_user)
    staff_page.goto(f"/patients/{clinic.patient.pk}/")
    alert = staff_page.get_by_role("alert")
    expect(alert).to_contain_text("Urgent: PHQ-9: thoughts of self-harm")
    staff_page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("Messages")
    ).click()
    expect(staff_page.locator("main")).to_contain_text(
        f"URGENT: risk flagged by {clinic.patient.full_name}"
    )
    staff_page.goto(f"/patients/{clinic.patient.pk}/")
    staff_page.get_by_role("navigation", name="Patient record").get_by_role(
        "link", name="Questionnaires"
    ).click()
    chart = staff_page.get_by_role("img", name="PHQ-9 and GAD-7 totals over time")
    expect(chart).to_be_visible()
    scores_table = staff_page.get_by_role("table", name="Scores")
    expect(scores_table).to_contain_text("PHQ-9")
    expect(scores_table).to_contain_text("Mild")  # PHQ-9 5
    expect(scores_table).to_contain_text("7")  # GAD-7, Mild
    assert_accessible(staff_page)
    if SCREENSHOT_DIR:
        staff_page.screenshot(path=str(Path(SCREENSHOT_DIR) / "forms-staff.png"), full_page=True)
    staff_page.get_by_role("link", name="PHQ-9").first.click()
    expect(staff_page.get_by_role("table", name=re.compile("Answers"))).to_contain_text(
        "Thoughts that you would be better off dead"
    )
    staff_page.go_back()
    staff_page.get_by_role("button", name="Acknowledge").click()
    expect(staff_page.get_by_role("alert")).to_have_count(0)


def test_the_forms_work_without_javascript(
    browser_clinic: Clinic, no_js_narrow_page: Page, phone_page: Page
) -> None:
    clinic = browser_clinic
    with_forms(clinic)
    page = no_js_narrow_page
    page.goto(_forms_link(clinic, phone_page))
    sees(page, "Questions before your appointment", axe=False)
    page.get_by_role("link", name="Start GAD-7").click()
    page.get_by_role("link", name="Start now").click()
    for _ in range(7):
        page.get_by_label("Not at all", exact=True).check()
        page.get_by_role("button", name="Continue").click()
    sees(page, "Check your answers", axe=False)
    page.get_by_role("button", name="Send answers").click()
    sees(page, "GAD-7 answers sent", axe=False)
    assert FormRequest.objects.get(form__builtin=Builtin.GAD7).total == 0


def test_the_forms_pages_pass_axe_on_a_desktop_too(
    browser_clinic: Clinic, browser: Browser, public_base_url: str, phone_page: Page
) -> None:
    clinic = browser_clinic
    with_forms(clinic)
    link = _forms_link(clinic, phone_page)
    with _context(browser, **DESKTOP, base_url=public_base_url) as context:
        page = context.new_page()
        page.goto(link)
        sees(page, "Questions before your appointment")
        page.get_by_role("link", name="Start PHQ-9").click()
        sees(page, "PHQ-9")
        page.get_by_role("link", name="Start now").click()
        sees(page, "Little interest or pleasure in doing things")
        page.get_by_role("button", name="Continue").click()
        sees(page, "Little interest or pleasure in doing things")
        page.goto("/q/not-a-real-token-000000000000000000000000000")
        sees(page, "This link cannot be used")


def test_a_welsh_speaker_gets_the_forms_text_and_pages_in_welsh_axe_clean_at_320px(
    browser_clinic: Clinic, narrow_page: Page
) -> None:
    """The instruments' items stay in their published English, marked lang="en-GB"."""
    clinic = browser_clinic
    with_forms(clinic)
    clinic.patient.preferred_language = "cy"
    clinic.patient.save()
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[0],
        patient=clinic.patient,
        appointment_type=clinic.rule.appointment_type,
        start=start + timedelta(days=3),
        end=start + timedelta(days=3, hours=1),
    )
    questionnaires_sweep()
    body = message_body(OutboundMessage.objects.get(kind=MessageKind.FORM_LINK))
    assert body.startswith(f"Helo {clinic.patient.first_name}, atebwch ychydig o gwestiynau")
    found = re.search(r"https?://\S+/q/[\w-]{43}", body)
    assert found, body

    page = narrow_page
    page.goto(found.group(0))
    assert page.locator("html").get_attribute("lang") == "cy"
    sees(page, "Cwestiynau cyn eich apwyntiad", "cy-home")
    page.get_by_role("link", name="Dechrau GAD-7").click()
    sees(page, "GAD-7", "cy-start")
    page.get_by_role("link", name="Dechrau nawr").click()
    item = "Feeling nervous, anxious or on edge"
    sees(page, item)
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "en-GB")
    page.get_by_role("button", name="Parhau").click()
    expect(page).to_have_title(re.compile(r"^Gwall: "))
    expect(page.get_by_role("alert")).to_contain_text("Dewiswch ateb")
    sees(page, item, "cy-question-error")
    for _ in range(7):
        page.get_by_label("Not at all", exact=True).check()
        page.get_by_role("button", name="Parhau").click()
    sees(page, "Gwiriwch eich atebion", "cy-check")
    page.get_by_role("button", name="Anfon atebion").click()
    sees(page, "Atebion GAD-7 wedi'u hanfon", "cy-done")
