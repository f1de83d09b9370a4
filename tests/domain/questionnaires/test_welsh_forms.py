"""A form written in Welsh too: whole or not at all, a version of its own when its Welsh
changes, stored and read back whole, and shown in Welsh with the same keys and scores."""

from __future__ import annotations

from dataclasses import replace

import pytest

from slotlink.domain.questionnaires.forms import (
    DefinitionError,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
    definition_from_json,
    definition_to_json,
)
from slotlink.domain.questionnaires.instruments import GAD7, PHQ9

MOOD = Question(
    "mood",
    QuestionKind.SINGLE_CHOICE,
    "How has your mood been?",
    options=(Option("low", "Low", 0, "Isel"), Option("good", "Good", 1, "Da")),
    text_cy="Sut mae eich hwyliau wedi bod?",
)
WORK = Question("work", QuestionKind.YES_NO, "Are you working?", text_cy="Ydych chi'n gweithio?")


def welsh_form() -> FormDefinition:
    return FormDefinition(
        name="Mood",
        name_cy="Hwyliau",
        intro="Please answer.",
        intro_cy="Atebwch os gwelwch yn dda.",
        stem="Over the last week:",
        stem_cy="Dros yr wythnos diwethaf:",
        questions=(MOOD, WORK),
    )


def english_only(form: FormDefinition) -> FormDefinition:
    return FormDefinition(
        name=form.name,
        intro=form.intro,
        stem=form.stem,
        questions=tuple(
            replace(
                q,
                text_cy="",
                options=tuple(replace(o, label_cy="") for o in q.options),
            )
            for q in form.questions
        ),
    )


def test_the_welsh_form_reads_in_welsh_with_the_same_keys_and_scores() -> None:
    welsh = welsh_form().welsh()
    assert (welsh.name, welsh.intro, welsh.stem) == (
        "Hwyliau",
        "Atebwch os gwelwch yn dda.",
        "Dros yr wythnos diwethaf:",
    )
    assert [q.text for q in welsh.questions] == [MOOD.text_cy, WORK.text_cy]
    assert [(o.key, o.label, o.score) for o in welsh.questions[0].options] == [
        ("low", "Isel", 0),
        ("good", "Da", 1),
    ]


def test_a_change_to_the_welsh_wording_is_a_new_version_but_its_name_is_not() -> None:
    form = welsh_form()
    reworded = replace(form, questions=(replace(MOOD, text_cy="Sut ydych chi'n teimlo?"), WORK))
    assert reworded.fingerprint != form.fingerprint
    relabelled = replace(
        form,
        questions=(
            replace(MOOD, options=(MOOD.options[0], replace(MOOD.options[1], label_cy="Iawn"))),
            WORK,
        ),
    )
    assert relabelled.fingerprint != form.fingerprint
    assert replace(form, stem_cy="Yr wythnos hon:").fingerprint != form.fingerprint
    assert replace(form, name_cy="Sut hwyliau").fingerprint == form.fingerprint


def test_a_form_with_no_welsh_keeps_the_fingerprint_it_had_before_welsh_existed() -> None:
    # Pinned in test_instruments: PHQ-9 and GAD-7 have no Welsh, and their fingerprints hold.
    assert not PHQ9.has_welsh and not GAD7.has_welsh
    assert english_only(welsh_form()).fingerprint != welsh_form().fingerprint
    assert "name_cy" not in definition_to_json(english_only(welsh_form()))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name_cy": ""}, "name in Welsh"),
        ({"intro_cy": ""}, "introduction in both"),
        ({"stem_cy": ""}, "line shown with every question in both"),
        ({"questions": (replace(MOOD, text_cy=""), WORK)}, "question mood needs its words"),
        ({"questions": (MOOD, replace(WORK, text_cy=""))}, "question work needs its words"),
        (
            {"questions": (replace(MOOD, options=(MOOD.options[0], Option("good", "Good", 1))),)},
            "every answer needs its Welsh",
        ),
        (
            {
                "questions": (
                    replace(MOOD, options=(MOOD.options[0], Option("good", "Good", 1, "Isel"))),
                )
            },
            "its own Welsh",
        ),
    ],
)
def test_welsh_is_written_whole_or_not_at_all(change: dict[str, object], problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem):
        replace(welsh_form(), **change)  # type: ignore[arg-type]


def test_a_stored_welsh_form_comes_back_whole_and_older_stored_forms_still_read() -> None:
    form = welsh_form()
    stored = definition_to_json(form)
    assert definition_from_json(stored) == form
    assert definition_from_json(stored).fingerprint == form.fingerprint
    # Stored before Welsh: options as [key, label, score], no Welsh keys.
    old = definition_to_json(english_only(form))
    assert all(len(option) == 3 for option in old["questions"][0]["options"])
    assert definition_from_json(old) == english_only(form)
    broken = {
        **stored,
        "questions": [{**stored["questions"][0], "options": [["a", "A", 0, "", 1]]}],
    }
    with pytest.raises(DefinitionError):
        definition_from_json(broken)
