"""Scoring a service's own form: totals only when complete, the band holding the total,
caseness from the threshold, risk from its question, malformed answers counted as missing."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from slotlink.domain.questionnaires.answers import clean_answers
from slotlink.domain.questionnaires.forms import (
    Band,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
    Scoring,
)
from slotlink.domain.questionnaires.scoring import Result, score

K = QuestionKind
# Scores need not start at 0 nor be evenly spaced.
SCALE = (Option("never", "Never", 1), Option("often", "Often", 3), Option("always", "Always", 6))
FORM = FormDefinition(
    name="Worry check",
    questions=(
        Question("worry", K.SINGLE_CHOICE, "How often do you worry?", options=SCALE),
        Question("panic", K.SINGLE_CHOICE, "How often do you panic?", options=SCALE),
        Question("work", K.YES_NO, "Are you working?"),
        Question("notes", K.LONG_TEXT, "Anything else?", required=False),
        Question("seen", K.DATE, "When were you last seen?", required=False),
    ),
    scoring=Scoring(
        bands=(Band(2, 5, "Low"), Band(6, 12, "High")), caseness_from=7, risk_question="panic"
    ),
)
NOTES = FormDefinition(
    name="Notes",
    questions=(
        Question("work", K.YES_NO, "Are you working?"),
        Question("hours", K.NUMBER, "Hours a week", minimum=0, maximum=100, required=False),
    ),
)


def test_a_complete_form_gives_its_total_band_caseness_and_risk() -> None:
    answers = {"worry": "often", "panic": "always", "work": False}
    assert score(FORM, answers) == Result(
        complete=True, missing=(), risk=True, total=9, band="High", caseness=True
    )


def test_the_lowest_score_is_no_risk_even_when_it_is_not_zero() -> None:
    result = score(FORM, {"worry": "always", "panic": "never", "work": True})
    assert (result.total, result.band, result.caseness, result.risk) == (7, "High", True, False)


def test_optional_questions_left_blank_do_not_stop_a_form_being_complete() -> None:
    assert score(FORM, {"worry": "never", "panic": "never", "work": True}).complete


def test_until_every_required_question_is_answered_there_is_no_total_but_risk_shows() -> None:
    result = score(FORM, {"panic": "often", "notes": "x"})
    assert result == Result(complete=False, missing=("worry", "work"), risk=True)


def test_an_answer_the_question_cannot_hold_counts_as_missing() -> None:
    answers = {"worry": "sometimes", "panic": 3, "work": "yes", "seen": "2020-01-01"}
    result = score(FORM, answers)
    assert result.missing == ("worry", "panic", "work")
    assert result.risk is False


def test_a_form_without_scores_is_complete_with_no_total_band_or_caseness() -> None:
    assert score(NOTES, {"work": True}) == Result(complete=True, missing=(), risk=False)
    assert score(NOTES, {}) == Result(complete=False, missing=("work",), risk=False)


submitted_text = st.one_of(
    st.text(max_size=12), st.sampled_from(["never", "often", "always", "yes", "no", "1/2/2020"])
)


@given(st.dictionaries(st.sampled_from([q.key for q in FORM.questions]), submitted_text))
def test_whatever_is_submitted_cleaning_then_scoring_never_raises_and_agrees(
    submitted: dict[str, str],
) -> None:
    cleaned = clean_answers(FORM, submitted)
    result = score(FORM, cleaned.answers)
    # A bad answer to an optional question is an error to show, but nothing is missing.
    required_errors = {key for key in cleaned.errors if FORM.question(key).required}
    assert result.complete == (not required_errors)
    if result.complete:
        assert result.total is not None and 2 <= result.total <= 12
        assert result.band == ("Low" if result.total <= 5 else "High")
        assert result.caseness == (result.total >= 7)
    else:
        assert set(result.missing) == required_errors
        assert (result.total, result.band, result.caseness) == (None, None, None)
    assert result.risk == (cleaned.answers.get("panic") in ("often", "always"))


def test_cleaned_dates_and_numbers_count_as_answers() -> None:
    form = FormDefinition(
        name="Dates",
        questions=(
            Question("seen", K.DATE, "Last seen"),
            Question("hours", K.NUMBER, "Hours", minimum=0, maximum=9),
        ),
    )
    cleaned = clean_answers(form, {"seen": "3/4/2020", "hours": "9"})
    assert cleaned.answers == {"seen": date(2020, 4, 3), "hours": 9}
    assert score(form, cleaned.answers).complete
