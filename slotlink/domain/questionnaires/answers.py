"""Cleaning what a patient submitted: for each question, a value of the right kind or an error
message that says how to put it right. Whatever arrives (any text, nothing, or something that
is not text at all) comes back as one or the other; nothing here raises.

An error comes as an English message and as a Problem: a stable code with its figures, which
the patient pages turn into words in the patient's language (this core has no translations).

Values by kind: single choice, the option's key; yes/no, a bool; short and long text, str;
number, int; date, datetime.date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .forms import LONG_TEXT_MAX, SHORT_TEXT_MAX, FormDefinition, Question, QuestionKind

__all__ = [
    "Answer",
    "Cleaned",
    "CleanedForm",
    "Problem",
    "Refusal",
    "clean_answer",
    "clean_answers",
    "holds_answer",
]

Answer = str | int | bool | date

_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,10})")
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# Day, month and year as people write them here: 7/3/2027, 07-03-2027, 7 3 2027, 7.3.2027.
_UK_DAY = re.compile(r"([0-9]{1,2})[ /.\-]+([0-9]{1,2})[ /.\-]+([0-9]{4})")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Invisible characters a patient cannot see or mean: controls (PostgreSQL refuses NUL) and
# lone surrogates (no UTF-8 can hold them). Newlines and tabs are whitespace, read as such.
_INVISIBLE = frozenset({"Cc", "Cs"})


class Problem(StrEnum):
    """Why an answer was refused; each code's figures are named in Refusal."""

    CHOOSE = "choose"  # blank single choice
    CHOOSE_SHOWN = "choose_shown"
    YES_NO = "yes_no"
    ENTER_ANSWER = "enter_answer"  # blank text
    TOO_LONG = "too_long"  # limit, length
    NUMBER_RANGE = "number_range"  # minimum, maximum
    ENTER_DATE = "enter_date"  # blank date
    DATE_FORMAT = "date_format"
    DATE_REAL = "date_real"
    DATE_RANGE = "date_range"  # first, last
    NOT_IN_FORM = "not_in_form"  # a key that names no question of the form


@dataclass(frozen=True, slots=True)
class Refusal:
    problem: Problem
    limit: int = 0
    length: int = 0
    minimum: int = 0
    maximum: int = 0
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A value (None: left blank, where that is allowed) or an error, never both; with an
    error, `refusal` says the same as code and figures."""

    value: Answer | None = None
    error: str | None = None
    refusal: Refusal | None = None

    @classmethod
    def refused(cls, refusal: Refusal) -> Cleaned:
        return cls(error=_message(refusal), refusal=refusal)


@dataclass(frozen=True, slots=True)
class CleanedForm:
    answers: dict[str, Answer] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # question key -> message


def _visible(text: str) -> str:
    return "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in _INVISIBLE
    )


def _long_day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _choice(question: Question, text: str) -> Cleaned:
    key = text.strip()
    if any(option.key == key for option in question.options):
        return Cleaned(key)
    return Cleaned.refused(Refusal(Problem.CHOOSE_SHOWN))


def _yes_no(question: Question, text: str) -> Cleaned:
    answer = text.strip().lower()
    if answer in ("yes", "no"):
        return Cleaned(answer == "yes")
    return Cleaned.refused(Refusal(Problem.YES_NO))


def _short_text(question: Question, text: str) -> Cleaned:
    return _within_length(" ".join(text.split()), SHORT_TEXT_MAX)


def _long_text(question: Question, text: str) -> Cleaned:
    lines = text.split("\n")
    return _within_length("\n".join(line.rstrip() for line in lines).strip(), LONG_TEXT_MAX)


def _within_length(text: str, limit: int) -> Cleaned:
    if len(text) > limit:
        return Cleaned.refused(Refusal(Problem.TOO_LONG, limit=limit, length=len(text)))
    return Cleaned(text)


def _number(question: Question, text: str) -> Cleaned:
    assert question.minimum is not None and question.maximum is not None  # noqa: S101 - checked by Question
    raw = text.strip()
    if _NUMBER.fullmatch(raw):
        number = int(raw.replace(",", ""))
        if question.minimum <= number <= question.maximum:
            return Cleaned(number)
    return Cleaned.refused(_number_range(question))


def _number_range(question: Question) -> Refusal:
    assert question.minimum is not None and question.maximum is not None  # noqa: S101 - checked by Question
    return Refusal(Problem.NUMBER_RANGE, minimum=question.minimum, maximum=question.maximum)


def _date(question: Question, text: str) -> Cleaned:
    raw = text.strip()
    if match := _ISO_DAY.fullmatch(raw):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK_DAY.fullmatch(raw):
        day, month, year = (int(part) for part in match.groups())
    else:
        return Cleaned.refused(Refusal(Problem.DATE_FORMAT))
    try:
        answer = date(year, month, day)
    except ValueError:  # 31 2 2027, or month 13
        return Cleaned.refused(Refusal(Problem.DATE_REAL))
    if question.first_date <= answer <= question.last_date:
        return Cleaned(answer)
    return Cleaned.refused(
        Refusal(Problem.DATE_RANGE, first=question.first_date, last=question.last_date)
    )


_BLANK = {
    QuestionKind.SINGLE_CHOICE: Problem.CHOOSE,
    QuestionKind.YES_NO: Problem.YES_NO,
    QuestionKind.SHORT_TEXT: Problem.ENTER_ANSWER,
    QuestionKind.LONG_TEXT: Problem.ENTER_ANSWER,
    QuestionKind.DATE: Problem.ENTER_DATE,
}
_MESSAGES = {
    Problem.CHOOSE: "Select an answer",
    Problem.CHOOSE_SHOWN: "Select one of the answers shown",
    Problem.YES_NO: "Select yes or no",
    Problem.ENTER_ANSWER: "Enter your answer",
    Problem.ENTER_DATE: "Enter a date",
    Problem.DATE_FORMAT: "Enter the date as day, month and year, like 27 3 2007",
    Problem.DATE_REAL: "Enter a real date, like 27 3 2007",
    Problem.NOT_IN_FORM: "This question is not part of the form",
}


def _message(refusal: Refusal) -> str:
    """The refusal in English (the patient pages say it in the patient's language)."""
    match refusal.problem:
        case Problem.TOO_LONG:
            return (
                f"Your answer must be {refusal.limit:,} characters or fewer "
                f"(it is {refusal.length:,})"
            )
        case Problem.NUMBER_RANGE:
            return f"Enter a whole number from {refusal.minimum:,} to {refusal.maximum:,}"
        case Problem.DATE_RANGE:
            assert refusal.first is not None and refusal.last is not None  # noqa: S101 - set with the code
            return f"Enter a date from {_long_day(refusal.first)} to {_long_day(refusal.last)}"
        case _:
            return _MESSAGES[refusal.problem]


_READERS = {
    QuestionKind.SINGLE_CHOICE: _choice,
    QuestionKind.YES_NO: _yes_no,
    QuestionKind.SHORT_TEXT: _short_text,
    QuestionKind.LONG_TEXT: _long_text,
    QuestionKind.NUMBER: _number,
    QuestionKind.DATE: _date,
}


def clean_answer(question: Question, raw: object) -> Cleaned:
    """Read one submitted value for `question`. None and blank text mean "not answered"."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        # Forms submit text; anything else (a list from a repeated field, say) is unreadable.
        return _blank(question)
    # Line ends first: a lone carriage return is a control character, but it ends a line.
    lines = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _visible(lines))
    if not text.strip():
        return _blank(question) if question.required else Cleaned()
    return _READERS[question.kind](question, text)


def _blank(question: Question) -> Cleaned:
    problem = _BLANK.get(question.kind)
    return Cleaned.refused(Refusal(problem) if problem else _number_range(question))


def clean_answers(form: FormDefinition, submitted: Mapping[str, object]) -> CleanedForm:
    """Clean every question of the form; keys in `submitted` that name no question are ignored."""
    cleaned = CleanedForm()
    for question in form.questions:
        result = clean_answer(question, submitted.get(question.key))
        if result.error is not None:
            cleaned.errors[question.key] = result.error
        elif result.value is not None:
            cleaned.answers[question.key] = result.value
    return cleaned


def holds_answer(question: Question, value: object) -> bool:
    """Whether `value` is an answer cleaning could have given for `question`."""
    match question.kind:
        case QuestionKind.SINGLE_CHOICE:
            return isinstance(value, str) and any(o.key == value for o in question.options)
        case QuestionKind.YES_NO:
            return isinstance(value, bool)
        case QuestionKind.SHORT_TEXT | QuestionKind.LONG_TEXT:
            limit = SHORT_TEXT_MAX if question.kind is QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
            return isinstance(value, str) and value.strip() != "" and len(value) <= limit
        case QuestionKind.NUMBER:
            assert question.minimum is not None and question.maximum is not None  # noqa: S101 - checked by Question
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and question.minimum <= value <= question.maximum
            )
        case QuestionKind.DATE:
            return type(value) is date and question.first_date <= value <= question.last_date
