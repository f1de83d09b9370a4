"""The patient's side: the link swapped for a session, one question per page, answers kept as
they are given, check and submit once, and PHQ-9 question 9 raising the alert at once."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.test import Client

from slotlink.clinic.models import InternalMessage, PatientAlert, Role
from slotlink.questionnaires.models import FormLink, FormRequest, RequestStatus
from slotlink.questionnaires.services import (
    form_answer_save,
    form_request_submit,
    questionnaires_sweep,
)
from slotlink.questionnaires.services.answering import risk_recipients
from tests.conftest import MONDAY
from tests.factories import UserFactory
from tests.questionnaires.conftest import FormsClinic, book, token_of

pytestmark = pytest.mark.django_db


def _sent(fc: FormsClinic) -> FormLink:
    book(fc, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    return FormLink.objects.get()


def _entered(link: FormLink) -> Client:
    client = Client()
    response = client.get(f"/q/{token_of(link)}")
    assert response.status_code == 302 and response["Location"] == "/forms/"
    assert response["Referrer-Policy"] == "no-referrer"
    return client


def _answer_all(client: Client, position: int, count: int, value: str = "0") -> None:
    for number in range(1, count + 1):
        response = client.post(f"/forms/{position}/q/{number}/", {"answer": value})
        assert response.status_code == 302, response.content


def test_a_patient_answers_both_forms_and_each_is_scored_once(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    link = _sent(forms_clinic)
    client = _entered(link)
    home = client.get("/forms/").content.decode()
    assert "GAD-7" in home and "PHQ-9" in home and token_of(link) not in home
    # GAD-7 first (position 0): all "More than half the days" = 2 each, 14: Moderate.
    _answer_all(client, 0, 7, "2")
    check = client.get("/forms/0/check/").content.decode()
    assert check.count("More than half the days") == 7
    assert client.post("/forms/0/submit/")["Location"] == "/forms/0/done/"
    gad7 = FormRequest.objects.get(position=0)
    assert (gad7.status, gad7.total, gad7.band, gad7.caseness) == (
        RequestStatus.COMPLETED,
        14,
        "Moderate",
        True,
    )
    # A second submit changes nothing; the question pages are closed.
    assert client.post("/forms/0/submit/")["Location"] == "/forms/0/done/"
    assert client.post("/forms/0/q/1/", {"answer": "0"})["Location"] == "/forms/0/done/"
    gad7.refresh_from_db()
    assert gad7.total == 14 and gad7.events.filter(status=RequestStatus.COMPLETED).count() == 1
    _answer_all(client, 1, 9, "0")
    client.post("/forms/1/submit/")
    assert "you have answered all the questions" in client.get("/forms/").content.decode()
    assert not PatientAlert.objects.exists()


def test_a_wrong_or_missing_answer_says_how_to_fix_it_and_loses_nothing(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    client = _entered(_sent(forms_clinic))
    client.post("/forms/0/q/1/", {"answer": "1"})
    response = client.post("/forms/0/q/2/", {"answer": "nonsense"})
    assert response.status_code == 400
    assert "Select one of the answers shown" in response.content.decode()
    response = client.post("/forms/0/q/2/", {})
    assert response.status_code == 400 and "Select an answer" in response.content.decode()
    assert FormRequest.objects.get(position=0).answers == {"gad7_1": "1"}
    # Submitting early goes to the first unanswered question, and saves nothing.
    assert client.post("/forms/0/submit/")["Location"] == "/forms/0/q/2/"
    assert FormRequest.objects.get(position=0).status == RequestStatus.OPENED


def test_progress_is_kept_when_the_patient_leaves_and_comes_back(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    link = _sent(forms_clinic)
    first = _entered(link)
    _answer_all(first, 0, 3, "3")
    later = _entered(link)  # another day, the link from the text again
    page = later.get("/forms/0/").content.decode()
    assert 'href="/forms/0/q/4/"' in page  # carries on where they stopped
    question = later.get("/forms/0/q/2/").content.decode()
    assert 'value="3" checked' in question


def test_change_from_the_check_page_comes_back_to_it(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    client = _entered(_sent(forms_clinic))
    _answer_all(client, 0, 7, "0")
    response = client.post("/forms/0/q/3/?change=1", {"answer": "1"})
    assert response["Location"] == "/forms/0/check/"
    assert "Several days" in client.get("/forms/0/check/").content.decode()


def test_phq9_question_9_above_not_at_all_alerts_the_therapist_at_once_and_shows_help(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    clinic = forms_clinic.clinic
    therapist_user = clinic.therapist_user
    clinic.therapists[0].user = therapist_user
    clinic.therapists[0].save()
    forms_clinic.clinic.service.crisis_information = "Call our crisis line on 0113 496 0000."
    forms_clinic.clinic.service.save()
    client = _entered(_sent(forms_clinic))
    _answer_all(client, 1, 8, "0")
    response = client.post("/forms/1/q/9/", {"answer": "1"})  # "Several days"
    assert response["Location"] == "/forms/1/support/"
    # Raised before the form is submitted: a patient who stops here is not missed.
    alert = PatientAlert.objects.get()
    assert alert.patient == clinic.patient and alert.acknowledged_at is None
    [message] = InternalMessage.objects.all()
    assert message.recipient == therapist_user and message.subject.startswith("URGENT")
    support = client.get("/forms/1/support/").content.decode()
    assert "999" in support and "NHS 111" in support and "0113 496 0000" in support
    assert 'href="/forms/1/check/"' in support
    # Changing the answer, answering again, submitting: still one alert, one message.
    client.post("/forms/1/q/9/?change=1", {"answer": "2"})
    client.post("/forms/1/submit/")
    done = client.get("/forms/1/done/").content.decode()
    assert "NHS 111" in done
    assert PatientAlert.objects.count() == 1 and InternalMessage.objects.count() == 1
    assert FormRequest.objects.get(position=1).risk is True


def test_with_no_therapist_to_tell_the_duty_inbox_gets_the_alert(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    clinic = forms_clinic.clinic
    clinic.service.uses_messages = False  # never silent, whatever the switch
    clinic.service.save()
    other_admin = UserFactory(service=clinic.service, role=Role.ADMIN)
    client = _entered(_sent(forms_clinic))
    client.post("/forms/1/q/9/", {"answer": "3"})
    recipients = set(InternalMessage.objects.values_list("recipient_id", flat=True))
    assert recipients == {clinic.admin.pk, other_admin.pk, clinic.superuser.pk}
    assert PatientAlert.objects.count() == 1


def test_the_duty_inbox_is_used_when_the_therapists_account_is_switched_off(
    forms_clinic: FormsClinic,
) -> None:
    clinic = forms_clinic.clinic
    clinic.therapist_user.is_active = False
    clinic.therapist_user.save()
    recipients = risk_recipients(clinic.therapist_user, clinic.service.pk)
    assert {u.pk for u in recipients} == {clinic.admin.pk, clinic.superuser.pk}


def test_an_unknown_token_and_a_cancelled_appointments_link_get_the_plain_page(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    link = _sent(forms_clinic)
    response = Client().get("/q/made-up-token-000000000000000000000000000")
    assert response.status_code == 404 and "This link cannot be used" in response.content.decode()
    client = _entered(link)
    link.appointment.status = "cancelled"
    link.appointment.save()
    assert client.get("/forms/0/q/1/").status_code == 404
    assert Client().get(f"/q/{token_of(link)}").status_code == 404


def test_form_pages_without_a_session_are_refused(forms_clinic: FormsClinic) -> None:
    for path in ("/forms/", "/forms/0/", "/forms/0/q/1/", "/forms/0/check/", "/forms/0/done/"):
        assert Client().get(path).status_code == 403


def test_gets_change_nothing_but_opened(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    link = _sent(forms_clinic)
    client = _entered(link)
    for path in ("/forms/", "/forms/0/", "/forms/0/q/1/", "/forms/0/check/"):
        client.get(path)
    assert set(FormRequest.objects.values_list("status", flat=True)) == {RequestStatus.SENT}
    link.refresh_from_db()
    assert link.opened_at is not None


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_submits_complete_the_form_once(forms_clinic: FormsClinic) -> None:
    book(forms_clinic, MONDAY + timedelta(days=300))
    questionnaires_sweep()
    request = FormRequest.objects.get(position=0)
    for number in range(1, 8):
        form_answer_save(request=request, key=f"gad7_{number}", raw="1")
    barrier = threading.Barrier(20)
    errors: list[Exception] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=30)
            form_request_submit(request=request)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED and request.total == 7
    assert request.events.filter(status=RequestStatus.COMPLETED).count() == 1
