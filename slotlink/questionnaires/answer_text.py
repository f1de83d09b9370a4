"""Answers as people read them, for the patient's check page and the staff record alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from slotlink.domain.questionnaires.answers import Answer
from slotlink.domain.questionnaires.forms import FormDefinition, Question, QuestionKind
from slotlink.lib.formatting import long_date


@dataclass(frozen=True)
class AnswerRow:
    number: int
    question: str
    answer: str


def answer_text(question: Question, value: Answer | None) -> str:
    if value is None:
        return _("Not answered")
    if question.kind is QuestionKind.YES_NO:
        return _("Yes") if value is True else _("No")
    if question.kind is QuestionKind.SINGLE_CHOICE:
        return next((o.label for o in question.options if o.key == value), str(value))
    if isinstance(value, date):
        return long_date(value)
    return str(value)


def answer_rows(definition: FormDefinition, answers: dict[str, Answer]) -> list[AnswerRow]:
    return [
        AnswerRow(number, question.text, answer_text(question, answers.get(question.key)))
        for number, question in enumerate(definition.questions, start=1)
    ]
