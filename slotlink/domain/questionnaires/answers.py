"""Cleaning what a patient submitted: for each question, a value of the right kind or an error
message that says how to put it right. Whatever arrives (any text, nothing, or something that
is not text at all) comes back as one or the other; nothing here raises.

Values by kind: single choice, the option's key; yes/no, a bool; short and long text, str;
number, int; date, datetime.date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .forms import LONG_TEXT_MAX, SHORT_TEXT_MAX, FormDefinition, Question, QuestionKind

__all__ = ["Answer", "Cleaned", "CleanedForm", "clean_answer", "clean_answers", "holds_answer"]

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


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A value (None: left blank, where that is allowed) or an error, never both."""

    value: Answer | None = None
    error: str | None = None


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
    return Cleaned(error="Select one of the answers shown")


def _yes_no(question: Question, text: str) -> Cleaned:
    answer = text.strip().lower()
    if answer in ("yes", "no"):
        return Cleaned(answer == "yes")
    return Cleaned(error="Select yes or no")


def _short_text(question: Question, text: str) -> Cleaned:
    return _within_length(" ".join(text.split()), SHORT_TEXT_MAX)


def _long_text(question: Question, text: str) -> Cleaned:
    lines = text.split("\n")
    return _within_length("\n".join(line.rstrip() for line in lines).strip(), LONG_TEXT_MAX)


def _within_length(text: str, limit: int) -> Cleaned:
    if len(text) > limit:
        return Cleaned(
            error=f"Your answer must be {limit:,} characters or fewer (it is {len(text):,})"
        )
    return Cleaned(text)


def _number(question: Question, text: str) -> Cleaned:
    assert question.minimum is not None and question.maximum is not None  # noqa: S101 - checked by Question
    raw = text.strip()
    if _NUMBER.fullmatch(raw):
        number = int(raw.replace(",", ""))
        if question.minimum <= number <= question.maximum:
            return Cleaned(number)
    return Cleaned(error=_number_hint(question))


def _number_hint(question: Question) -> str:
    return f"Enter a whole number from {question.minimum:,} to {question.maximum:,}"


def _date(question: Question, text: str) -> Cleaned:
    raw = text.strip()
    if match := _ISO_DAY.fullmatch(raw):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK_DAY.fullmatch(raw):
        day, month, year = (int(part) for part in match.groups())
    else:
        return Cleaned(error="Enter the date as day, month and year, like 27 3 2007")
    try:
        answer = date(year, month, day)
    except ValueError:  # 31 2 2027, or month 13
        return Cleaned(error="Enter a real date, like 27 3 2007")
    if question.first_date <= answer <= question.last_date:
        return Cleaned(answer)
    return Cleaned(error=_date_range(question))


def _date_range(question: Question) -> str:
    return f"Enter a date from {_long_day(question.first_date)} to {_long_day(question.last_date)}"


_BLANK = {
    QuestionKind.SINGLE_CHOICE: "Select an answer",
    QuestionKind.YES_NO: "Select yes or no",
    QuestionKind.SHORT_TEXT: "Enter your answer",
    QuestionKind.LONG_TEXT: "Enter your answer",
    QuestionKind.DATE: "Enter a date",
}
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
        return Cleaned(error=_blank(question))
    # Line ends first: a lone carriage return is a control character, but it ends a line.
    lines = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _visible(lines))
    if not text.strip():
        return Cleaned(error=_blank(question)) if question.required else Cleaned()
    return _READERS[question.kind](question, text)


def _blank(question: Question) -> str:
    return _BLANK.get(question.kind) or _number_hint(question)


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
