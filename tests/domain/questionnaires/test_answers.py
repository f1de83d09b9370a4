"""Cleaning submitted answers: a value of the question's kind or a message saying how to put
it right, whatever arrives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotlink.domain.questionnaires.answers import (
    Cleaned,
    clean_answer,
    clean_answers,
    holds_answer,
)
from slotlink.domain.questionnaires.forms import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
)

K = QuestionKind
CHOICE = Question(
    "feel", K.SINGLE_CHOICE, "How do you feel?", options=(Option("a", "Fine"), Option("b", "Low"))
)
YES_NO = Question("work", K.YES_NO, "Are you working?")
SHORT = Question("job", K.SHORT_TEXT, "Your job")
LONG = Question("more", K.LONG_TEXT, "Anything else?")
NUMBER = Question("hours", K.NUMBER, "Hours asleep", minimum=0, maximum=24)
SIGNED = Question("change", K.NUMBER, "Change in weight (kg)", minimum=-50, maximum=5000)
DATE = Question("gp", K.DATE, "Last GP visit", earliest=date(2000, 1, 1), latest=date(2026, 12, 7))
ANY_DATE = Question("born", K.DATE, "Date of birth")
REQUIRED = (CHOICE, YES_NO, SHORT, LONG, NUMBER, SIGNED, DATE, ANY_DATE)


def optional(question: Question) -> Question:
    return replace(question, required=False)


EVERY = (*REQUIRED, *(optional(q) for q in REQUIRED))

# Any code point at all, lone surrogates and NUL included.
anything = st.text(st.characters(exclude_categories=()), max_size=300)
# Text shaped like what each kind expects, so the deeper paths get exercised too.
near_misses = st.one_of(
    st.from_regex(r"\s*-?[0-9,]{0,14}\s*", fullmatch=True),
    st.from_regex(r"\s*[0-9]{1,4}[ /.\-]{1,2}[0-9]{1,2}[ /.\-]{1,2}[0-9]{1,4}\s*", fullmatch=True),
    st.sampled_from(["yes", "NO", " Yes ", "y", "a", "b", " b ", "c"]),
)


def check(question: Question, result: Cleaned) -> None:
    assert result.value is None or result.error is None
    if result.error is not None:
        assert result.error.strip() and not result.error.endswith(".")
    if result.value is not None:
        assert holds_answer(question, result.value)
    if question.required:
        assert (result.value is None) != (result.error is None)


@given(st.sampled_from(EVERY), st.one_of(anything, near_misses))
def test_any_text_gives_a_value_the_question_can_hold_or_a_message(
    question: Question, raw: str
) -> None:
    check(question, clean_answer(question, raw))


@given(
    st.sampled_from(EVERY),
    st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.binary(max_size=10),
        st.lists(st.text(max_size=5), max_size=3),
    ),
)
def test_something_that_is_not_text_at_all_gives_a_message_never_an_exception(
    question: Question, raw: object
) -> None:
    result = clean_answer(question, raw)
    check(question, result)
    if raw is not None:
        assert result.error is not None


@given(st.dictionaries(st.text(max_size=8), anything, max_size=10))
def test_cleaning_a_whole_form_never_raises_and_each_question_ends_answered_or_in_error(
    submitted: dict[str, str],
) -> None:
    form = FormDefinition(name="Everything", questions=REQUIRED)
    cleaned = clean_answers(form, submitted)
    keys = {q.key for q in REQUIRED}
    assert set(cleaned.answers) | set(cleaned.errors) == keys
    assert not set(cleaned.answers) & set(cleaned.errors)


@pytest.mark.parametrize("question", REQUIRED)
@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t", "\x00", "\x07\r\n"])
def test_a_blank_answer_is_asked_for_when_required_and_left_blank_when_optional(
    question: Question, blank: str | None
) -> None:
    assert clean_answer(question, blank).error
    assert clean_answer(optional(question), blank) == Cleaned()


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (CHOICE, "Select an answer"),
        (YES_NO, "Select yes or no"),
        (SHORT, "Enter your answer"),
        (NUMBER, "Enter a whole number from 0 to 24"),
        (DATE, "Enter a date"),
    ],
)
def test_a_required_blank_says_what_to_do(question: Question, message: str) -> None:
    assert clean_answer(question, " ").error == message


@pytest.mark.parametrize(
    ("raw", "value"), [("a", "a"), (" b ", "b"), ("c", None), ("A", None), ("Fine", None)]
)
def test_a_choice_is_one_of_the_option_keys(raw: str, value: str | None) -> None:
    result = clean_answer(CHOICE, raw)
    assert result.value == value
    if value is None:
        assert result.error == "Select one of the answers shown"


@pytest.mark.parametrize(
    ("raw", "value"), [("yes", True), (" No ", False), ("YES", True), ("y", None), ("1", None)]
)
def test_yes_or_no_is_a_bool(raw: str, value: bool | None) -> None:
    assert clean_answer(YES_NO, raw).value == value


def test_short_text_is_one_line_with_single_spaces_and_no_invisible_characters() -> None:
    assert clean_answer(SHORT, "  Night\x00 \n  porter\u0007 ").value == "Night porter"
    assert clean_answer(SHORT, "Night\rporter").value == "Night porter"
    assert clean_answer(SHORT, "x" * SHORT_TEXT_MAX).value == "x" * SHORT_TEXT_MAX
    too_long = clean_answer(SHORT, "x" * (SHORT_TEXT_MAX + 1))
    assert too_long.error == "Your answer must be 200 characters or fewer (it is 201)"


def test_long_text_keeps_its_lines_and_drops_invisible_characters() -> None:
    assert clean_answer(LONG, " First line  \r\nsecond\rthird\x00\n\n").value == (
        "First line\nsecond\nthird"
    )
    assert clean_answer(LONG, "\ud800ok").value == "ok"
    too_long = clean_answer(LONG, "y" * (LONG_TEXT_MAX + 1))
    assert too_long.error == "Your answer must be 5,000 characters or fewer (it is 5,001)"


def test_text_comes_back_in_one_unicode_normal_form() -> None:
    assert clean_answer(SHORT, "Cafe\u0301").value == "Caf\u00e9"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("7", 7),
        (" 24 ", 24),
        ("0", 0),
        ("-50", -50),
        ("1,000", 1000),
        ("1,234", 1234),
        ("12.5", None),
        ("1_0", None),
        ("١٢", None),  # Arabic-Indic digits: int() would take them
        ("²", None),
        ("1,00", None),
        ("+3", None),
        ("3e2", None),
        ("99999999999", None),
        ("-51", None),
        ("5001", None),
    ],
)
def test_a_number_is_whole_written_with_0_to_9_and_within_its_bounds(
    raw: str, value: int | None
) -> None:
    result = clean_answer(SIGNED, raw)
    assert result.value == value
    if value is None:
        assert result.error == "Enter a whole number from -50 to 5,000"


@given(st.integers(-50, 5000))
def test_every_number_in_bounds_reads_back_as_itself(number: int) -> None:
    assert clean_answer(SIGNED, str(number)).value == number
    assert clean_answer(SIGNED, f"{number:,}").value == number


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("27/3/2007", date(2007, 3, 27)),
        ("27 03 2007", date(2007, 3, 27)),
        ("1-2-2020", date(2020, 2, 1)),
        ("1.2.2020", date(2020, 2, 1)),
        (" 2020-02-01 ", date(2020, 2, 1)),
        ("29/2/2024", date(2024, 2, 29)),
    ],
)
def test_a_date_is_read_as_day_month_year_or_iso(raw: str, value: date) -> None:
    assert clean_answer(DATE, raw).value == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("29/2/2023", "Enter a real date, like 27 3 2007"),
        ("2023-13-01", "Enter a real date, like 27 3 2007"),
        ("0/1/2020", "Enter a real date, like 27 3 2007"),
        ("3/2007", "Enter the date as day, month and year, like 27 3 2007"),
        ("27 March 2007", "Enter the date as day, month and year, like 27 3 2007"),
        ("27/3/07", "Enter the date as day, month and year, like 27 3 2007"),
        ("31/12/1999", "Enter a date from 1 January 2000 to 7 December 2026"),
        ("8/12/2026", "Enter a date from 1 January 2000 to 7 December 2026"),
    ],
)
def test_a_date_that_is_not_real_or_out_of_range_says_how_to_write_it(
    raw: str, message: str
) -> None:
    assert clean_answer(DATE, raw).error == message


def test_a_date_question_without_a_range_takes_1900_to_2100() -> None:
    assert clean_answer(ANY_DATE, "1/1/1900").value == date(1900, 1, 1)
    assert clean_answer(ANY_DATE, "0001-01-01").error == (
        "Enter a date from 1 January 1900 to 31 December 2100"
    )


@given(st.dates(date(2000, 1, 1), date(2026, 12, 7)))
def test_every_date_in_range_reads_back_whichever_way_it_is_written(day: date) -> None:
    for written in (day.isoformat(), f"{day.day}/{day.month}/{day.year}", f"{day:%d %m %Y}"):
        assert clean_answer(DATE, written).value == day


def test_holds_answer_refuses_values_of_the_wrong_kind_or_out_of_bounds() -> None:
    assert not holds_answer(NUMBER, True)  # a bool is an int to Python, not a number here
    assert not holds_answer(NUMBER, 25)
    assert not holds_answer(NUMBER, "7")
    assert not holds_answer(YES_NO, 1)
    assert not holds_answer(CHOICE, "c")
    assert not holds_answer(SHORT, "   ")
    assert not holds_answer(DATE, date(1999, 12, 31))
    assert not holds_answer(DATE, datetime(2020, 1, 1))
