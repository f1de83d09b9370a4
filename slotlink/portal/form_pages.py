"""What the questionnaire pages show, in display strings: the form list, one question, the
answers to check. Patient-facing words are marked for translation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from slotlink.domain.questionnaires.forms import FormDefinition, Question, QuestionKind
from slotlink.lib.richtext import render_markdown
from slotlink.questionnaires.models import FormRequest, RequestStatus


@dataclass(frozen=True)
class FormItem:
    position: int
    name: str
    state: str  # "Completed", "Started", "Not started", "Closed"
    done: bool
    open: bool
    started: bool


def form_item(request: FormRequest, definition: FormDefinition) -> FormItem:
    if request.status == RequestStatus.COMPLETED:
        state, done, is_open = _("Completed"), True, False
    elif request.status in (RequestStatus.EXPIRED, RequestStatus.WITHDRAWN):
        state, done, is_open = _("Closed"), False, False
    elif request.answers:
        state, done, is_open = _("Started"), False, True
    else:
        state, done, is_open = _("Not started"), False, True
    return FormItem(request.position, definition.name, state, done, is_open, bool(request.answers))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class QuestionPage:
    form_name: str
    number: int  # from 1
    count: int
    key: str
    kind: str
    text: str
    stem: str
    optional: bool
    choices: tuple[Choice, ...]
    value: str  # text, number
    day: str
    month: str
    year: str


def _choices(question: Question, current: Any) -> tuple[Choice, ...]:
    if question.kind is QuestionKind.YES_NO:
        return (
            Choice("yes", _("Yes"), current is True),
            Choice("no", _("No"), current is False),
        )
    return tuple(Choice(o.key, o.label, current == o.key) for o in question.options)


def question_page(
    definition: FormDefinition, index: int, stored: dict[str, Any], submitted: dict[str, str]
) -> QuestionPage:
    question = definition.questions[index]
    current = stored.get(question.key)
    if submitted:  # show back what they typed, with the error
        current = submitted.get("answer", current)
    day = month = year = ""
    if question.kind is QuestionKind.DATE:
        if submitted:
            day, month, year = (submitted.get(p, "") for p in ("day", "month", "year"))
        elif isinstance(current, str) and len(current) == 10:
            year, month, day = current.split("-")
            day, month = day.lstrip("0"), month.lstrip("0")
    return QuestionPage(
        form_name=definition.name,
        number=index + 1,
        count=len(definition.questions),
        key=question.key,
        kind=str(question.kind),
        text=question.text,
        stem=definition.stem,
        optional=not question.required,
        choices=_choices(question, current),
        value="" if current is None or isinstance(current, bool) else str(current),
        day=day,
        month=month,
        year=year,
    )


def intro_html(definition: FormDefinition) -> SafeString:
    return render_markdown(definition.intro)
