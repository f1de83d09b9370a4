"""Welsh and English: the patient's record picks the language of their texts and pages, the
patient can switch on any page, and the service's own words come in Welsh where it wrote
them, in English (marked so) where it did not."""

import re
from datetime import date, timedelta

import icalendar
import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_resend, booking_link_send
from slotlink.booking.manage.services import manage_send_code
from slotlink.booking.models import ManageLink
from slotlink.messaging.models import Channel, MessageKind, OutboundMessage
from slotlink.messaging.services import message_body
from slotlink.messaging.services.reminders import reminder_text
from tests.conftest import Clinic, logged_in
from tests.portal.test_manage import born_form, manage_token, open_manage

pytestmark = pytest.mark.usefixtures("frozen_now")

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture
def welsh_clinic(clinic: Clinic) -> Clinic:
    clinic.patient.preferred_language = "cy"
    clinic.patient.first_name = "Dyfan"
    clinic.patient.save()
    rule = clinic.rule
    rule.welcome_content = "We have set aside some times for you."
    rule.welcome_content_cy = "Rydym wedi neilltuo rhai amseroedd i chi."
    rule.confirmation_content = "We will remind you."
    rule.sms_template_cy = (
        "Helo {first_name}, trefnwch eich apwyntiad: {link} Diwrnod olaf: {expiry_date}"
    )
    rule.save()
    return clinic


def text_of(kind: str) -> str:
    return message_body(OutboundMessage.objects.filter(kind=kind).latest("pk"))


def entered(clinic: Clinic) -> Client:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    response = client.get(f"/b/{token}")
    assert response.status_code == 302
    return client


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match
    return match[1]


def test_a_welsh_speakers_link_comes_in_the_rules_welsh_words_with_a_welsh_date(
    welsh_clinic: Clinic,
) -> None:
    _, token = booking_link_send(
        patient=welsh_clinic.patient, rule=welsh_clinic.rule, sent_by=welsh_clinic.admin
    )
    text = text_of(MessageKind.BOOKING_LINK)
    assert text.startswith("Helo Dyfan, trefnwch eich apwyntiad: ")
    assert token in text
    assert text.endswith("Diwrnod olaf: Dydd Llun 21 Rhagfyr")  # 14 days after Monday 7th


def test_a_rule_with_no_welsh_text_sends_its_english_with_an_english_date(
    welsh_clinic: Clinic,
) -> None:
    welsh_clinic.rule.sms_template_cy = ""
    welsh_clinic.rule.save()
    booking_link_send(
        patient=welsh_clinic.patient, rule=welsh_clinic.rule, sent_by=welsh_clinic.admin
    )
    text = text_of(MessageKind.BOOKING_LINK)
    assert text.startswith("Hello Dyfan")
    assert "Monday 21 December" in text


def test_the_discreet_text_is_in_the_patients_language(welsh_clinic: Clinic) -> None:
    welsh_clinic.rule.discreet_sms = True
    welsh_clinic.rule.save()
    booking_link_send(
        patient=welsh_clinic.patient, rule=welsh_clinic.rule, sent_by=welsh_clinic.admin
    )
    text = text_of(MessageKind.BOOKING_LINK)
    assert text.startswith("Gallwch ddewis amser ar gyfer eich apwyntiad yma: ")
    assert text.endswith("(dyddiad olaf: Dydd Llun 21 Rhagfyr)")
    assert welsh_clinic.service.name not in text


def test_an_english_speakers_link_stays_english(clinic: Clinic) -> None:
    clinic.rule.sms_template_cy = "Helo {first_name}: {link}"
    clinic.rule.save()
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert text_of(MessageKind.BOOKING_LINK).startswith("Hello Alex")


def test_the_link_opens_in_the_patients_language_and_the_pages_say_so(
    welsh_clinic: Clinic,
) -> None:
    client = entered(welsh_clinic)
    assert client.cookies[COOKIE].value == "cy"
    page = client.get("/book/").content.decode()
    assert html_lang(page) == "cy"
    assert "Parhau i drefnu apwyntiad" in page
    assert "Rydym wedi neilltuo rhai amseroedd i chi." in page
    assert "We have set aside" not in page
    # The switch names English in English, and says so.
    assert '<a class="nhsuk-header__account-link" href="?lang=en-gb" lang="en-GB"' in page
    times = client.get("/book/times/").content.decode()
    assert "Dewiswch amser ar gyfer eich apwyntiad" in times
    assert re.search(
        r"Dydd (Llun|Mawrth|Mercher|Iau|Gwener) \d+ Rhagfyr am \d+(:\d\d)?y[bh]", times
    )


def test_english_words_a_service_wrote_only_in_english_are_marked_english(
    welsh_clinic: Clinic,
) -> None:
    welsh_clinic.rule.welcome_content_cy = ""
    welsh_clinic.rule.save()
    page = entered(welsh_clinic).get("/book/").content.decode()
    assert html_lang(page) == "cy"
    assert '<div class="content" lang="en-GB"><p>We have set aside some times for you.</p>' in page


def test_the_patient_can_switch_language_on_any_page_and_it_stays(welsh_clinic: Clinic) -> None:
    client = entered(welsh_clinic)
    response = client.get("/book/times/?lang=en-gb")
    # Back to the same page, with nothing in its address but the page.
    assert response.status_code == 302
    assert response["Location"] == "/book/times/"
    cookie = response.cookies[COOKIE]
    assert cookie.value == "en-gb"
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["max-age"]
    page = client.get("/book/times/").content.decode()
    assert html_lang(page) == "en-GB"
    assert "Choose a time for your appointment" in page
    assert 'href="?lang=cy" lang="cy" hreflang="cy">Cymraeg</a>' in page


def test_a_page_without_a_session_switches_too(db: None, client: Client) -> None:
    response = client.get("/b/not-a-real-token?lang=cy")
    assert response["Location"] == "/b/not-a-real-token"
    page = client.get("/b/not-a-real-token").content.decode()
    assert "Nid oes modd defnyddio'r ddolen hon" in page
    assert "not-a-real-token" not in page  # the switch never repeats the address


def test_a_language_nobody_offers_is_ignored(client: Client) -> None:
    response = client.get("/book/?lang=fr")
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert html_lang(client.get("/help/cookies/").content.decode()) == "en-GB"


def test_staff_pages_stay_english_whatever_the_cookie(clinic: Clinic) -> None:
    staff = logged_in(clinic.admin)
    staff.cookies[COOKIE] = "cy"
    response = staff.get(f"/patients/{clinic.patient.pk}/")
    assert response.status_code == 200
    assert "Content-Language" not in response
    assert "Dydd " not in response.content.decode()
    # Not a patient page: the query is the page's own, not a switch.
    assert staff.get("/patients/?lang=en-gb").status_code == 200
    assert staff.cookies[COOKIE].value == "cy"


def test_the_page_not_found_is_in_the_chosen_language_and_switches(client: Client) -> None:
    assert client.get("/no-such-page/?lang=cy")["Location"] == "/no-such-page/"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Heb ddod o hyd i'r dudalen" in response.content.decode()
    client.get("/no-such-page/?lang=en-gb")
    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_the_review_page_and_the_medium_read_in_welsh(welsh_clinic: Clinic) -> None:
    client = entered(welsh_clinic)
    start = rule_available_times(welsh_clinic.rule, timezone.now())[0]
    client.post("/book/choose/", {"start": start.isoformat()})
    page = client.get("/book/review/").content.decode()
    assert "Gwiriwch eich apwyntiad" in page
    assert re.search(r"Wyneb yn wyneb|Dros y ffôn|Galwad fideo", page)


def booked(clinic: Clinic):
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    start = rule_available_times(clinic.rule, timezone.now())[5]
    return booking_link_book(link=link, start=start)


def test_confirmation_reminder_and_code_texts_are_in_welsh(welsh_clinic: Clinic) -> None:
    appointment = booked(welsh_clinic)
    confirmation = text_of(MessageKind.CONFIRMATION)
    assert confirmation.startswith("Helo Dyfan, mae eich apwyntiad wedi'i drefnu. ")
    assert re.search(r"Dyddiad ac amser: Dydd \w+ \d+ Rhagfyr 2026 am \d+y[bh]\.", confirmation)
    assert "/m/" in confirmation
    reminder = reminder_text(appointment)
    assert reminder.startswith("Helo Dyfan, nodyn i'ch atgoffa am eich apwyntiad: Dydd ")
    assert reminder.endswith(f"I'w newid, ffoniwch {welsh_clinic.service.phone}.")
    manage = ManageLink.objects.get(booking_link__patient=welsh_clinic.patient)
    assert manage_send_code(manage=manage)
    assert re.fullmatch(
        r"Eich cod yw \d{6}\. Mae'n gweithio am 10 munud\. Peidiwch â'i rannu\.",
        text_of(MessageKind.VERIFICATION),
    )


def test_an_english_speakers_texts_stay_english(clinic: Clinic) -> None:
    appointment = booked(clinic)
    assert text_of(MessageKind.CONFIRMATION).startswith("Hello Alex, your appointment is booked")
    assert reminder_text(appointment).startswith("Hello Alex, a reminder")


def test_manage_pages_wait_for_the_date_of_birth_before_taking_the_records_language(
    welsh_clinic: Clinic,
) -> None:
    appointment = booked(welsh_clinic)
    client = open_manage(manage_token(appointment))
    # Before the date of birth, a real link's page is the made-up link's page: English.
    real = client.get("/manage/verify/").content.decode()
    made_up = open_manage("a" * 43).get("/manage/verify/").content.decode()
    assert html_lang(real) == html_lang(made_up) == "en-GB"
    response = client.post("/manage/verify/", born_form(welsh_clinic.patient.date_of_birth))
    assert response["Location"] == "/manage/"
    assert response.cookies[COOKIE].value == "cy"
    home = client.get("/manage/").content.decode()
    assert "Eich apwyntiad" in home and "Ychwanegu at eich calendr" in home
    event = icalendar.Calendar.from_ical(client.get("/manage/appointment.ics").content)
    vevent = event.walk("VEVENT")[0]
    assert str(vevent["summary"]).startswith("Apwyntiad: ")
    assert vevent["summary"].params["LANGUAGE"] == "cy"
    assert str(vevent["description"]) == f"I'w newid, ffoniwch {welsh_clinic.service.phone}."


def test_a_language_chosen_before_the_date_of_birth_is_kept(welsh_clinic: Clinic) -> None:
    appointment = booked(welsh_clinic)
    client = open_manage(manage_token(appointment))
    client.get("/manage/verify/?lang=en-gb")
    response = client.post("/manage/verify/", born_form(welsh_clinic.patient.date_of_birth))
    assert COOKIE not in response.cookies
    assert "Your appointment" in client.get("/manage/").content.decode()


def test_welsh_date_of_birth_errors(welsh_clinic: Clinic) -> None:
    client = open_manage("a" * 43)
    client.get("/manage/verify/?lang=cy")
    page = client.post("/manage/verify/", born_form(date.today() + timedelta(days=400)))
    assert "Rhaid i&#x27;r dyddiad geni fod yn y gorffennol" in page.content.decode()


def test_a_link_sent_again_by_email_is_in_welsh_too(welsh_clinic: Clinic) -> None:
    welsh_clinic.patient.email = "dyfan@example.com"
    welsh_clinic.patient.save()
    link, _ = booking_link_send(
        patient=welsh_clinic.patient, rule=welsh_clinic.rule, sent_by=welsh_clinic.admin
    )
    booking_link_resend(link=link, channel=Channel.EMAIL, user=welsh_clinic.admin)
    email = OutboundMessage.objects.get(channel=Channel.EMAIL)
    assert email.subject == f"{welsh_clinic.service.name}: trefnwch eich apwyntiad"
    assert message_body(email).startswith("Helo Dyfan, trefnwch eich apwyntiad: ")


def test_a_welsh_page_leaves_the_thread_in_the_default_language(welsh_clinic: Clinic) -> None:
    client = entered(welsh_clinic)
    response = client.get("/book/")
    assert response["Content-Language"] == "cy"
    # What runs next on this thread (a text made by a worker thread, the next test) is English.
    assert translation.get_language() == "en-gb"


def _patient_addresses(service_id: int) -> list[str]:
    """Every patient page's address, with made-up but well-formed parts."""
    parts = {
        "token": "not-a-real-token",
        "iso_day": "2026-12-01",
        "position": 1,
        "number": 1,
        "service_id": service_id,
    }
    addresses = []
    for namespace in ("book", "manage", "forms", "help"):
        for pattern in get_resolver(f"slotlink.portal.{namespace}_urls").url_patterns:
            kwargs = {name: parts[name] for name in pattern.pattern.converters}
            addresses.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
    return addresses


def test_the_switch_never_ends_in_an_error_even_from_a_page_only_a_form_reaches(
    welsh_clinic: Clinic,
) -> None:
    # A page shown in answer to a form (a refused step, after "Confirm") carries the switch
    # too: the switch must land on a page, not on "method not allowed".
    client = entered(welsh_clinic)
    assert client.get("/book/confirm/?lang=cy")["Location"] == "/book/review/"
    for address in _patient_addresses(welsh_clinic.service.pk):
        response = client.get(f"{address}?lang=cy", follow=True)
        assert response.status_code not in (405, 500), address
        assert response.redirect_chain, address


def test_the_appointment_type_and_location_read_in_welsh_where_the_service_wrote_them(
    welsh_clinic: Clinic,
) -> None:
    kind = welsh_clinic.rule.appointment_type
    kind.name, kind.name_cy = "Assessment", "Asesiad"
    kind.save()
    welsh_clinic.rule.location, welsh_clinic.rule.location_cy = "Room 2", "Ystafell 2"
    welsh_clinic.rule.save()
    welcome = entered(welsh_clinic).get("/book/").content.decode()
    assert "Trefnu eich apwyntiad (asesiad)" in welcome
    assert "Ystafell 2" in welcome
    assert "Assessment" not in welcome and "Room 2" not in welcome

    appointment = booked(welsh_clinic)
    assert appointment.location_cy == "Ystafell 2"  # kept with the appointment, as booked
    client = open_manage(manage_token(appointment))
    client.post("/manage/verify/", born_form(welsh_clinic.patient.date_of_birth))
    home = client.get("/manage/").content.decode()
    assert '<dd class="nhsuk-summary-list__value">Asesiad</dd>' in home
    event = icalendar.Calendar.from_ical(client.get("/manage/appointment.ics").content)
    vevent = event.walk("VEVENT")[0]
    assert str(vevent["summary"]) == "Apwyntiad: Asesiad"
    assert str(vevent["location"]) == "Ystafell 2"
    assert vevent["location"].params["LANGUAGE"] == "cy"


def test_an_appointment_type_and_location_with_no_welsh_show_in_english_marked_so(
    welsh_clinic: Clinic,
) -> None:
    kind = welsh_clinic.rule.appointment_type
    kind.name, kind.name_cy = "Assessment", ""
    kind.save()
    welsh_clinic.rule.location, welsh_clinic.rule.location_cy = "Room 2", ""
    welsh_clinic.rule.save()
    welcome = entered(welsh_clinic).get("/book/").content.decode()
    assert 'Trefnu eich apwyntiad (<span lang="en-GB">assessment</span>)' in welcome
    assert '<span lang="en-GB">Assessment</span>' in welcome
    assert '<span lang="en-GB">Room 2</span>' in welcome

    appointment = booked(welsh_clinic)
    client = open_manage(manage_token(appointment))
    client.post("/manage/verify/", born_form(welsh_clinic.patient.date_of_birth))
    event = icalendar.Calendar.from_ical(client.get("/manage/appointment.ics").content)
    location = event.walk("VEVENT")[0]["location"]
    assert (str(location), location.params["LANGUAGE"]) == ("Room 2", "en-GB")
    # An English speaker's page has nothing to mark.
    client.get("/manage/?lang=en-gb")
    assert 'lang="en-GB">Assessment' not in client.get("/manage/").content.decode()
