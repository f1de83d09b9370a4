"""Form definitions: what makes one invalid, and a fingerprint that changes exactly when the
meaning of an answer would."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from slotlink.domain.questionnaires.forms import (
    EARLIEST_DATE,
    LATEST_DATE,
    Band,
    DefinitionError,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
    Scoring,
    canonical_text,
)

K = QuestionKind
MOOD = (Option("low", "Low", 0), Option("ok", "OK", 1), Option("good", "Good", 2))


def sample_form() -> FormDefinition:
    """A form with every kind of question and every part of scoring."""
    return FormDefinition(
        name="Sleep and mood",
        intro="Please answer before your appointment.",
        stem="Thinking about the last week:",
        questions=(
            Question("mood", K.SINGLE_CHOICE, "How has your mood been?", options=MOOD),
            Question("sleep", K.SINGLE_CHOICE, "How have you slept?", options=MOOD),
            Question("work", K.YES_NO, "Are you working at the moment?"),
            Question("job", K.SHORT_TEXT, "What is your job?", required=False),
            Question("more", K.LONG_TEXT, "Anything else to tell us?", required=False),
            Question("hours", K.NUMBER, "Hours of sleep a night?", minimum=0, maximum=24),
            Question("gp", K.DATE, "When did you last see your GP?", latest=date(2026, 12, 7)),
        ),
        scoring=Scoring(
            bands=(Band(0, 1, "Low"), Band(2, 4, "High")),
            caseness_from=3,
            risk_question="mood",
        ),
    )


def with_question(form: FormDefinition, index: int, **changes: object) -> FormDefinition:
    questions = list(form.questions)
    questions[index] = replace(questions[index], **changes)  # type: ignore[arg-type]
    return replace(form, questions=tuple(questions))


def with_scoring(form: FormDefinition, **changes: object) -> FormDefinition:
    return replace(form, scoring=replace(form.scoring, **changes))  # type: ignore[arg-type]


BASE = sample_form()

# Each changes something a patient reads, may answer, or that decides the score.
MEANING_CHANGES = {
    "intro": lambda f: replace(f, intro="Please answer after your appointment."),
    "stem": lambda f: replace(f, stem="Thinking about the last month:"),
    "question text": lambda f: with_question(f, 2, text="Are you working now?"),
    "question key": lambda f: with_question(f, 2, key="working"),
    "required": lambda f: with_question(f, 3, required=True),
    "kind": lambda f: with_question(f, 3, kind=K.LONG_TEXT),
    "question order": lambda f: replace(
        f, questions=(f.questions[1], f.questions[0], *f.questions[2:])
    ),
    "question dropped": lambda f: replace(f, questions=f.questions[:-1]),
    "option label": lambda f: with_question(f, 1, options=(Option("low", "Badly", 0), *MOOD[1:])),
    "option key": lambda f: with_question(f, 1, options=(Option("bad", "Low", 0), *MOOD[1:])),
    # The middle option's score, keeping the lowest and highest (and so the bands) as they are.
    "option score": lambda f: with_question(
        f, 1, options=(MOOD[0], Option("ok", "OK", 2), MOOD[2])
    ),
    "option order": lambda f: with_question(f, 1, options=(MOOD[1], MOOD[0], MOOD[2])),
    "number bounds": lambda f: with_question(f, 5, maximum=20),
    "date bounds": lambda f: with_question(f, 6, earliest=date(2000, 1, 1)),
    "band label": lambda f: with_scoring(f, bands=(Band(0, 1, "Low"), Band(2, 4, "Raised"))),
    "band edges": lambda f: with_scoring(f, bands=(Band(0, 2, "Low"), Band(3, 4, "High"))),
    "caseness": lambda f: with_scoring(f, caseness_from=4),
    "no caseness": lambda f: with_scoring(f, caseness_from=None),
    "risk question": lambda f: with_scoring(f, risk_question="sleep"),
    "no risk question": lambda f: with_scoring(f, risk_question=None),
}


@pytest.mark.parametrize("change", list(MEANING_CHANGES))
def test_a_change_of_meaning_changes_the_fingerprint(change: str) -> None:
    assert MEANING_CHANGES[change](BASE).fingerprint != BASE.fingerprint


def test_every_change_of_meaning_gives_a_fingerprint_of_its_own() -> None:
    fingerprints = {BASE.fingerprint} | {c(BASE).fingerprint for c in MEANING_CHANGES.values()}
    assert len(fingerprints) == len(MEANING_CHANGES) + 1


def test_renaming_the_form_or_spelling_out_default_date_bounds_keeps_the_fingerprint() -> None:
    assert replace(BASE, name="Sleep questionnaire").fingerprint == BASE.fingerprint
    spelled = with_question(BASE, 6, earliest=EARLIEST_DATE, latest=date(2026, 12, 7))
    assert spelled.fingerprint == BASE.fingerprint
    open_ended = with_question(BASE, 6, latest=None)
    assert with_question(open_ended, 6, latest=LATEST_DATE).fingerprint == open_ended.fingerprint


def test_an_equal_definition_built_again_has_the_same_fingerprint() -> None:
    assert sample_form() is not BASE
    assert sample_form().fingerprint == BASE.fingerprint
    assert BASE.fingerprint.startswith("sha256:") and len(BASE.fingerprint) == 7 + 64


texts = st.text(min_size=1, max_size=40)


@st.composite
def same_reading(draw: st.DrawFn, text: str) -> str:
    """`text` written differently without changing what it says: other whitespace, other
    Unicode normal form."""
    words = text.split()
    gaps = [draw(st.sampled_from([" ", "  ", "\n", "\t", " \r\n "])) for _ in words]
    body = "".join(w + g for w, g in zip(words, gaps, strict=True))
    padded = draw(st.sampled_from(["", " ", "\n"])) + body
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), padded)


@given(st.data(), texts)
def test_whitespace_and_unicode_form_never_change_the_fingerprint(
    data: st.DataObject, text: str
) -> None:
    assume(canonical_text(text))
    variant = data.draw(same_reading(text))
    for change in (
        lambda t: with_question(BASE, 2, text=t),
        lambda t: replace(BASE, intro=t),
        lambda t: replace(BASE, stem=t),
        lambda t: with_scoring(BASE, bands=(Band(0, 1, t), Band(2, 4, "High"))),
    ):
        assert change(text).fingerprint == change(variant).fingerprint


@given(texts, texts)
def test_question_texts_share_a_fingerprint_exactly_when_they_read_the_same(
    first: str, second: str
) -> None:
    assume(canonical_text(first) and canonical_text(second))
    same = canonical_text(first) == canonical_text(second)
    one = with_question(BASE, 2, text=first)
    other = with_question(BASE, 2, text=second)
    assert (one.fingerprint == other.fingerprint) == same


@given(st.text(max_size=20))
def test_any_text_at_all_can_be_fingerprinted(text: str) -> None:
    fingerprint = replace(BASE, intro=text + "\ud800").fingerprint  # a lone surrogate too
    assert fingerprint != BASE.fingerprint


def test_the_total_range_runs_from_the_lowest_to_the_highest_scores() -> None:
    assert BASE.total_range == (0, 4)
    assert [q.key for q in BASE.scored_questions] == ["mood", "sleep"]
    unscored = FormDefinition(name="Notes", questions=(BASE.questions[2],))
    assert unscored.total_range == (0, 0)


def question(**changes: object) -> Question:
    base: dict[str, object] = {"key": "q", "kind": K.SHORT_TEXT, "text": "Your name"}
    return Question(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"key": "Q 1"}, "lower-case letters"),
        ({"key": ""}, "lower-case letters"),
        ({"text": "  \n"}, "needs some text"),
        ({"kind": K.SINGLE_CHOICE}, "at least two options"),
        ({"options": MOOD}, "only a single-choice question has options"),
        ({"kind": K.SINGLE_CHOICE, "options": MOOD[:1]}, "at least two options"),
        ({"kind": K.SINGLE_CHOICE, "options": (MOOD[0], MOOD[0])}, "its own key and label"),
        (
            {"kind": K.SINGLE_CHOICE, "options": (Option("a", "Same"), Option("b", " Same "))},
            "its own key and label",
        ),
        ({"kind": K.SINGLE_CHOICE, "options": (Option("a", " "), Option("b", "B"))}, "a label"),
        ({"kind": K.SINGLE_CHOICE, "options": (Option("A", "A"), Option("b", "B"))}, "Option key"),
        (
            {"kind": K.SINGLE_CHOICE, "options": (Option("a", "A", 1), Option("b", "B"))},
            "every option a score, or none",
        ),
        ({"kind": K.SINGLE_CHOICE, "options": MOOD, "required": False}, "must be required"),
        ({"kind": K.NUMBER}, "a lowest and a highest"),
        ({"kind": K.NUMBER, "minimum": 5, "maximum": 4}, "must not be above"),
        ({"kind": K.NUMBER, "minimum": 0, "maximum": 10**10}, "either side of zero"),
        ({"minimum": 0, "maximum": 4}, "only a number question has bounds"),
        ({"kind": K.DATE, "earliest": date(2027, 1, 1), "latest": date(2026, 1, 1)}, "forwards"),
        ({"kind": K.DATE, "earliest": date(1800, 1, 1)}, "within the years 1900 to 2100"),
        ({"earliest": date(2000, 1, 1)}, "only a date question has a date range"),
    ],
)
def test_a_question_that_cannot_work_is_refused_saying_what_to_fix(
    changes: dict[str, object], says: str
) -> None:
    with pytest.raises(DefinitionError, match=says):
        question(**changes)


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: replace(BASE, name=" "), "needs a name"),
        (lambda: replace(BASE, questions=()), "at least one question"),
        (lambda: replace(BASE, questions=(BASE.questions[0],) * 2), "its own key"),
        (lambda: with_scoring(BASE, bands=(Band(0, 1, "Low"),)), "cover every total from 0 to 4"),
        (lambda: with_scoring(BASE, bands=(Band(0, 1, "L"), Band(3, 4, "H"))), "no gaps"),
        (lambda: with_scoring(BASE, bands=(Band(0, 2, "L"), Band(2, 4, "H"))), "once"),
        (lambda: with_scoring(BASE, bands=(Band(2, 4, "H"), Band(0, 1, "L"))), "in order"),
        (lambda: with_scoring(BASE, bands=(Band(0, 1, ""), Band(2, 4, "H"))), "named"),
        (lambda: with_scoring(BASE, bands=(Band(0, 1, "L"), Band(2, 5, "H"))), "from 0 to 4"),
        (lambda: with_scoring(BASE, caseness_from=0), "above 0 and at most 4"),
        (lambda: with_scoring(BASE, caseness_from=5), "above 0 and at most 4"),
        (lambda: with_scoring(BASE, risk_question="work"), "one of the scored questions"),
        (lambda: with_scoring(BASE, risk_question="nope"), "one of the scored questions"),
        (
            lambda: FormDefinition(
                name="Notes", questions=(BASE.questions[2],), scoring=Scoring(caseness_from=1)
            ),
            "need scored questions",
        ),
    ],
)
def test_a_form_that_cannot_be_scored_as_written_is_refused(build, says: str) -> None:
    with pytest.raises(DefinitionError, match=says):
        build()


@given(st.lists(st.integers(0, 6), min_size=1, max_size=5))
def test_bands_are_accepted_exactly_when_they_partition_the_possible_totals(
    widths: list[int],
) -> None:
    """Bands of the given widths laid end to end from 0; the form's totals run 0 to 4."""
    bands, low = [], 0
    for number, width in enumerate(widths):
        bands.append(Band(low, low + width - 1, f"Band {number}"))
        low += width
    partitions = all(widths) and low == 5
    try:
        with_scoring(BASE, bands=tuple(bands))
    except DefinitionError:
        assert not partitions
    else:
        assert partitions
