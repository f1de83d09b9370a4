"""A patient who prefers Welsh answers the forms in Welsh: the pages' words, the refusals of a
wrong answer (worded at the edge, as the pure core has no translations), while the PHQ-9 and
GAD-7 items keep their published English, marked as English."""

import re
from datetime import timedelta

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation

from slotlink.clinic.models import User
from slotlink.domain.questionnaires.answers import Problem, Refusal, clean_answer
from slotlink.portal.form_pages import error_text, refusal_text
from slotlink.questionnaires.forms import CrisisForm, FormContentForm, QuestionForm
from slotlink.questionnaires.models import Form, FormAssignment, FormLink, FormRequest
from slotlink.questionnaires.services import questionnaires_sweep
from tests.conftest import MONDAY, logged_in
from tests.domain.questionnaires.test_answers import ANY_DATE, DATE, REQUIRED
from tests.questionnaires.conftest import FormsClinic, assign, book, token_of

WRONG = ("", "nonsense", "x" * 6000, "99999", "-51", "31 2 2027", "1 1 1990", "27 3 2027")


def test_each_refusal_reads_in_english_as_the_core_says_it_and_has_welsh() -> None:
    seen = {Problem.NOT_IN_FORM}
    for question in (*REQUIRED, DATE, ANY_DATE):
        for raw in WRONG:
            cleaned = clean_answer(question, raw)
            if cleaned.refusal is None:
                continue
            seen.add(cleaned.refusal.problem)
            with translation.override("en-gb"):
                assert error_text(cleaned) == cleaned.error
            with translation.override("cy"):
                welsh = error_text(cleaned)
            assert welsh and welsh != cleaned.error, (question.key, raw)
    assert seen == set(Problem)
    with translation.override("cy"):
        assert refusal_text(Refusal(Problem.DATE_RANGE, first=DATE.first_date, last=DATE.last_date))
        assert "Rhagfyr 2026" in refusal_text(
            Refusal(Problem.DATE_RANGE, first=DATE.first_date, last=DATE.last_date)
        )


@pytest.fixture
def welsh_link(forms_clinic: FormsClinic) -> FormLink:
    patient = forms_clinic.clinic.patient
    patient.preferred_language = "cy"
    patient.save(update_fields=["preferred_language"])
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    return FormLink.objects.get()


def _english(page: str, words: str) -> bool:
    """Whether `words` stand in an element marked lang="en-GB"."""
    return bool(re.search(r'lang="en-GB"[^>]*>\s*' + re.escape(words), page))


@pytest.mark.django_db
def test_a_welsh_speaker_reads_the_forms_in_welsh_and_the_instruments_in_english(
    welsh_link: FormLink,
) -> None:
    client = Client()
    client.get(f"/q/{token_of(welsh_link)}")
    home = client.get("/forms/").content.decode()
    assert '<html lang="cy"' in home
    assert "Cwestiynau cyn eich apwyntiad" in home and "Heb ddechrau" in home
    assert _english(home, "GAD-7")
    start = client.get("/forms/0/").content.decode()
    assert "Dechrau nawr" in start and "Mae 7 cwestiwn." in start
    question = client.get("/forms/0/q/1/").content.decode()
    assert "cwestiwn 1 o 7" in question
    assert _english(question, "Feeling nervous, anxious or on edge")
    assert _english(question, "Over the last 2 weeks")
    assert _english(question, "Not at all")
    refused = client.post("/forms/0/q/1/", {"answer": "nonsense"})
    assert refused.status_code == 400
    assert "Dewiswch un o&#x27;r atebion a ddangosir" in refused.content.decode()
    for number in range(1, 8):
        client.post(f"/forms/0/q/{number}/", {"answer": "0"})
    check = client.get("/forms/0/check/").content.decode()
    assert "Gwiriwch eich atebion" in check
    assert _english(check, "Not at all") and _english(check, "Feeling nervous")
    assert client.post("/forms/0/submit/")["Location"] == "/forms/0/done/"
    done = client.get("/forms/0/done/").content.decode()
    assert 'Atebion <span lang="en-GB">GAD-7</span> wedi' in done


@pytest.mark.django_db
def test_an_english_speakers_forms_carry_no_lang_marks(forms_clinic: FormsClinic) -> None:
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    client = Client()
    client.get(f"/q/{token_of(FormLink.objects.get())}")
    question = client.get("/forms/0/q/1/").content.decode()
    assert '<html lang="en-GB"' in question and 'lang="en-GB"' not in question.split("<body")[1]


@pytest.mark.parametrize("form_class", [QuestionForm, FormContentForm, CrisisForm])
def test_each_welsh_box_is_its_english_box_marked_welsh_and_optional(
    form_class: type[forms.Form],
) -> None:
    fields = form_class.base_fields
    welsh_boxes = [name for name in fields if name.endswith("_cy")]
    assert welsh_boxes
    for name in welsh_boxes:
        welsh, english = fields[name], fields[name.removesuffix("_cy")]
        assert isinstance(welsh, forms.CharField) and isinstance(english, forms.CharField)
        assert welsh.max_length == english.max_length
        assert type(welsh.widget) is type(english.widget)
        assert welsh.widget.attrs.get("rows") == english.widget.attrs.get("rows")
        assert welsh.widget.attrs["lang"] == "cy" and not welsh.required, name


WELSH_FORM = {
    "name": "Mood",
    "name_cy": "Hwyliau",
    "intro": "Please answer.",
    "intro_cy": "Atebwch os gwelwch yn dda.",
    "stem": "",
    "stem_cy": "",
    "bands": "",
    "q-TOTAL_FORMS": "1",
    "q-INITIAL_FORMS": "0",
    "q-0-text": "How has your mood been?",
    "q-0-text_cy": "Sut mae eich hwyliau wedi bod?",
    "q-0-kind": "single_choice",
    "q-0-required": "on",
    "q-0-options": "Low = 0\nGood = 1",
    "q-0-options_cy": "Isel\nDa",
}


def _welsh_form(forms_clinic: FormsClinic) -> Form:
    """The service's own form, written in English and Welsh, going with its appointments."""
    client = logged_in(forms_clinic.clinic.superuser)
    assert client.post(reverse("questionnaires:form_new"), WELSH_FORM).status_code == 302
    form = Form.objects.get(service=forms_clinic.clinic.service)
    FormAssignment.objects.filter(appointment_type=forms_clinic.kind).delete()
    assign(forms_clinic.kind, form)
    return form


@pytest.mark.django_db
def test_a_form_the_service_wrote_in_welsh_reads_in_welsh_unmarked(
    forms_clinic: FormsClinic,
) -> None:
    form = _welsh_form(forms_clinic)
    editor = logged_in(forms_clinic.clinic.superuser).get(
        reverse("questionnaires:form_edit", args=[form.pk])
    )
    assert 'lang="cy"' in editor.content.decode() and "Isel\nDa" in editor.content.decode()
    forms_clinic.clinic.patient.preferred_language = "cy"
    forms_clinic.clinic.patient.save()
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    client = Client()
    client.get(f"/q/{token_of(FormLink.objects.get())}")
    home = client.get("/forms/").content.decode()
    assert "Hwyliau" in home and "Mood" not in home
    start = client.get("/forms/0/").content.decode()
    assert "Atebwch os gwelwch yn dda." in start and 'lang="en-GB"' not in start.split("<main")[1]
    question = client.get("/forms/0/q/1/").content.decode()
    assert "Sut mae eich hwyliau wedi bod?" in question and ">Isel</label>" in question
    assert "How has your mood" not in question and "Low" not in question
    client.post("/forms/0/q/1/", {"answer": "o1"})
    check = client.get("/forms/0/check/").content.decode()
    assert "Isel" in check and 'lang="en-GB"' not in check.split("<main")[1]
    # An English speaker's page of the same form is in English.
    client.get("/forms/0/check/?lang=en-gb")
    assert "Low" in client.get("/forms/0/check/").content.decode()


@pytest.mark.django_db
def test_new_welsh_wording_is_a_new_version_and_past_answers_keep_the_words_they_answered(
    forms_clinic: FormsClinic,
) -> None:
    form = _welsh_form(forms_clinic)
    forms_clinic.clinic.patient.preferred_language = "cy"
    forms_clinic.clinic.patient.save()
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    sent = FormRequest.objects.get(form=form)
    superuser = logged_in(forms_clinic.clinic.superuser)
    reworded = {**WELSH_FORM, "q-0-options_cy": "Isel iawn\nDa"}
    superuser.post(reverse("questionnaires:form_edit", args=[form.pk]), reworded)
    assert form.versions.count() == 2
    sent.refresh_from_db()
    assert sent.version.number == 1
    client = Client()
    client.get(f"/q/{token_of(FormLink.objects.get())}")
    question = client.get("/forms/0/q/1/").content.decode()
    assert ">Isel</label>" in question and "Isel iawn" not in question
    # Welsh half-written is refused, saying what is missing.
    half = {**WELSH_FORM, "q-0-options_cy": "Isel"}
    response = superuser.post(reverse("questionnaires:form_edit", args=[form.pk]), half)
    assert response.status_code == 400
    assert "one Welsh answer for each English answer" in response.content.decode()
    assert form.versions.count() == 2


@pytest.mark.django_db
def test_the_crisis_information_reads_in_welsh_where_written_else_in_english_marked(
    welsh_link: FormLink,
) -> None:
    service = welsh_link.service
    superuser = logged_in(User.objects.get(service=service, role="superuser"))
    superuser.post(
        reverse("questionnaires:crisis"),
        {
            "crisis_information": "Our crisis line: 0113 496 0999.",
            "crisis_information_cy": "Ein llinell argyfwng: 0113 496 0999.<script>x</script>",
        },
    )
    service.refresh_from_db()
    assert service.crisis_information_cy == "Ein llinell argyfwng: 0113 496 0999."
    client = Client()
    client.get(f"/q/{token_of(welsh_link)}")
    support = client.get("/forms/0/support/").content.decode()
    assert "<div><p>Ein llinell argyfwng: 0113 496 0999.</p>" in support
    assert "Our crisis line" not in support
    service.crisis_information_cy = ""
    service.save()
    support = client.get("/forms/0/support/").content.decode()
    assert '<div lang="en-GB"><p>Our crisis line: 0113 496 0999.</p>' in support
