"""The notices a service must publish, linked from every patient page: accessibility
statement, privacy notice, cookies, contact and feedback, each in English and Welsh, the
service's own words where it wrote them. And the cookies: only the strictly necessary ones
the cookie page lists, whatever journey the patient takes."""

import re
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import Appointment
from slotlink.portal.notices import cookies_set
from tests.conftest import Clinic, logged_in
from tests.portal.test_manage import born_form, manage_token, open_manage

pytestmark = pytest.mark.usefixtures("frozen_now")

NOTICES = ("accessibility", "privacy", "cookies", "contact")


def footer_links(page: str) -> list[str]:
    footer = page[page.index('<footer class="nhsuk-footer"') :]
    return re.findall(r'class="nhsuk-footer__list-item-link" href="([^"]+)"', footer)


class CookieJar(Client):
    """A browser that notes the name of every cookie it is ever given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: set[str] = set()

    def request(self, **request):  # type: ignore[no-untyped-def]
        response = super().request(**request)
        self.given |= set(SimpleCookie(response.cookies.output(header="", sep="\n")).keys())
        return response


def walk_every_patient_page(clinic: Clinic, browser: Client) -> list[tuple[str, str]]:
    """Book, then manage, then the pages for dead links and errors: (url, page) of each."""
    pages = []

    def see(url: str, status: int = 200) -> None:
        response = browser.get(url)
        assert response.status_code == status, url
        pages.append((url, response.content.decode()))

    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert browser.get(f"/b/{token}").status_code == 302
    browser.get("/book/?lang=cy")
    browser.get("/book/?lang=en-gb")
    see("/book/")
    see("/book/times/")
    start = rule_available_times(clinic.rule, timezone.now())[0]
    day = timezone.localtime(start, clinic.service.zone).date().isoformat()
    see(f"/book/times/{day}/")
    browser.post("/book/choose/", {"start": start.isoformat()})
    see("/book/review/")
    assert browser.post("/book/confirm/")["Location"] == "/book/booked/"
    see("/book/booked/")
    see(f"/b/{token}x", 404)
    see("/no-such-page/", 404)
    for notice in NOTICES:
        see(f"/help/{clinic.service.pk}/{notice}/")
        see(f"/help/{notice}/")
    return pages


@pytest.mark.parametrize("notice", NOTICES)
def test_each_notice_reads_in_both_languages_with_slotlinks_words_by_default(
    clinic: Clinic, client: Client, notice: str
) -> None:
    english = client.get(f"/help/{clinic.service.pk}/{notice}/").content.decode()
    client.get(f"/help/{clinic.service.pk}/{notice}/?lang=cy")
    welsh = client.get(f"/help/{clinic.service.pk}/{notice}/").content.decode()
    headings = {
        "accessibility": ("Accessibility statement", "Datganiad hygyrchedd"),
        "privacy": ("Privacy notice", "Hysbysiad preifatrwydd"),
        "cookies": ("Cookies", "Cwcis"),
        "contact": ("Contact us", "Cysylltu â ni"),
    }[notice]
    assert f"<h1>{headings[0]}</h1>" in english
    assert f"<h1>{headings[1]}</h1>" in welsh
    assert clinic.service.phone in english or notice == "cookies"


def test_a_services_own_notice_is_shown_in_the_patients_language(
    clinic: Clinic, client: Client
) -> None:
    clinic.service.privacy_notice = "We are **Example Trust**, the data controller."
    clinic.service.privacy_notice_cy = "Ni yw **Ymddiriedolaeth Enghreifftiol**."
    clinic.service.accessibility_statement = "Our own statement."
    clinic.service.save()
    url = f"/help/{clinic.service.pk}/privacy/"
    assert "<strong>Example Trust</strong>" in client.get(url).content.decode()
    client.get(f"{url}?lang=cy")
    assert "<strong>Ymddiriedolaeth Enghreifftiol</strong>" in client.get(url).content.decode()
    # Written only in English: shown in English on the Welsh page, and marked so.
    page = client.get(f"/help/{clinic.service.pk}/accessibility/").content.decode()
    assert '<div class="content" lang="en-GB"><p>Our own statement.</p>' in page


def test_the_contact_page_links_to_the_services_feedback_page_or_says_to_call(
    clinic: Clinic, client: Client
) -> None:
    url = f"/help/{clinic.service.pk}/contact/"
    assert "to give feedback or make a complaint" in client.get(url).content.decode()
    clinic.service.feedback_url = "https://www.example.com/feedback"
    clinic.service.save()
    assert 'href="https://www.example.com/feedback"' in client.get(url).content.decode()


def test_a_notice_for_no_such_service_is_not_found(db: None, client: Client) -> None:
    assert client.get("/help/999999/privacy/").status_code == 404


def test_the_cookie_page_lists_every_cookie_slotlink_sets(clinic: Clinic, client: Client) -> None:
    page = client.get(f"/help/{clinic.service.pk}/cookies/").content.decode()
    for cookie in cookies_set():
        assert f'<td class="nhsuk-table__cell">{cookie.name}</td>' in page
    assert "so we do not ask for your consent" in page


def test_a_patient_journey_sets_only_the_cookies_the_cookie_page_lists(clinic: Clinic) -> None:
    clinic.rule.allow_patient_cancel = True
    clinic.rule.save()
    browser = CookieJar()
    pages = walk_every_patient_page(clinic, browser)
    # And the manage pages, in the same browser.
    token = manage_token(Appointment.objects.get(patient=clinic.patient))
    assert browser.get(f"/m/{token}")["Location"] == "/manage/verify/"
    browser.post("/manage/verify/", born_form(clinic.patient.date_of_birth))
    for url in ("/manage/", "/manage/change/", "/manage/cancel/", "/manage/appointment.ics"):
        assert browser.get(url).status_code == 200, url
    browser.post("/manage/cancel/", {"reason": "Feeling better"})
    browser.get("/leave/")
    listed = {cookie.name for cookie in cookies_set()}
    assert browser.given, "the walk set no cookie at all: it walked nothing"
    assert browser.given <= listed, f"Not on the cookie page: {browser.given - listed}"
    assert settings.SESSION_COOKIE_NAME in browser.given
    assert settings.LANGUAGE_COOKIE_NAME in browser.given
    assert len(pages) > 10


def test_every_patient_page_links_to_the_notices(clinic: Clinic) -> None:
    pages = walk_every_patient_page(clinic, Client())
    for url, page in pages:
        links = footer_links(page)
        named = [link for link in links if link.startswith(f"/help/{clinic.service.pk}/")]
        general = [link for link in links if re.fullmatch(r"/help/[a-z]+/", link)]
        assert len(named) == 4 or len(general) == 4, (url, links)


def test_pages_that_must_not_name_the_service_link_to_the_general_notices(
    clinic: Clinic,
) -> None:
    page = open_manage("a" * 43).get("/manage/verify/").content.decode()
    assert footer_links(page) == [f"/help/{notice}/" for notice in NOTICES]


def test_staff_pages_are_not_patient_pages(clinic: Clinic) -> None:
    page = logged_in(clinic.admin).get("/").content.decode()
    assert "nhsuk-footer" not in page


def test_the_cached_footer_shows_a_change_of_name_phone_or_language_at_once(
    clinic: Clinic, client: Client
) -> None:
    url = f"/help/{clinic.service.pk}/contact/"

    def footer() -> str:
        page = client.get(url).content.decode()
        return page[page.index('<footer class="nhsuk-footer"') :]

    assert 'href="tel:' in footer()
    clinic.service.name = "Renamed Talking Therapies"
    clinic.service.phone = "0300 999 0000"
    clinic.service.save()
    assert "Need help? Call Renamed Talking Therapies on" in footer()
    assert 'href="tel:03009990000"' in footer()
    client.get(f"{url}?lang=cy")
    assert "Angen help? Ffoniwch Renamed Talking Therapies ar" in footer()
