"""A patient who prefers Welsh answers the forms in Welsh: the pages' words, the refusals of a
wrong answer (worded at the edge, as the pure core has no translations), while the PHQ-9 and
GAD-7 items keep their published English, marked as English."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from slotlink.domain.questionnaires.answers import Problem, Refusal, clean_answer
from slotlink.portal.form_pages import error_text, refusal_text
from slotlink.questionnaires.models import FormLink
from slotlink.questionnaires.services import questionnaires_sweep
from tests.conftest import MONDAY
from tests.domain.questionnaires.test_answers import ANY_DATE, DATE, REQUIRED
from tests.questionnaires.conftest import FormsClinic, book, token_of

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
    assert "Atebion GAD-7 wedi" in done, done[done.find("<h1") :][:300]


@pytest.mark.django_db
def test_an_english_speakers_forms_carry_no_lang_marks(forms_clinic: FormsClinic) -> None:
    book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    client = Client()
    client.get(f"/q/{token_of(FormLink.objects.get())}")
    question = client.get("/forms/0/q/1/").content.decode()
    assert '<html lang="en-GB"' in question and 'lang="en-GB"' not in question.split("<body")[1]
