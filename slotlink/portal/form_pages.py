"""What the questionnaire pages show, in display strings: the form list, one question, the
answers to check. Patient-facing words are marked for translation.

A form's own words (its name, intro, questions and options) are shown in Welsh on a Welsh page
where the service wrote the form in Welsh too, else in English, marked lang="en-GB"
(ShownForm). PHQ-9 and GAD-7 are always in English: the instruments are validated as
published, and a Welsh version must come from their publisher, not be translated ad hoc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from slotlink.clinic.models import Service
from slotlink.domain.questionnaires.answers import Cleaned, Problem, Refusal
from slotlink.domain.questionnaires.forms import FormDefinition, Question, QuestionKind
from slotlink.lib.formatting import day_month_year
from slotlink.lib.language import ENGLISH, HTML_LANG, in_welsh, localised
from slotlink.lib.richtext import render_markdown
from slotlink.questionnaires.answer_text import answer_rows
from slotlink.questionnaires.models import FormRequest, RequestStatus


@dataclass(frozen=True)
class ShownForm:
    definition: FormDefinition  # in the words this page shows
    lang: str  # for the form's own words: "en-GB" on a Welsh page showing its English


def shown_form(stored: FormDefinition) -> ShownForm:
    """A version's form in the page's language: its Welsh where the service wrote it so."""
    if not in_welsh():
        return ShownForm(stored, "")
    if stored.has_welsh:
        return ShownForm(stored.welsh(), "")
    return ShownForm(stored, HTML_LANG[ENGLISH])


@dataclass(frozen=True)
class FormItem:
    position: int
    name: str
    lang: str  # of the name: see ShownForm
    state: str  # "Completed", "Started", "Not started", "Closed"
    done: bool
    open: bool
    started: bool


def form_item(request: FormRequest, form: ShownForm) -> FormItem:
    if request.status == RequestStatus.COMPLETED:
        state, done, is_open = _("Completed"), True, False
    elif request.status in (RequestStatus.EXPIRED, RequestStatus.WITHDRAWN):
        state, done, is_open = _("Closed"), False, False
    elif request.answers:
        state, done, is_open = _("Started"), False, True
    else:
        state, done, is_open = _("Not started"), False, True
    return FormItem(
        request.position,
        form.definition.name,
        form.lang,
        state,
        done,
        is_open,
        bool(request.answers),
    )


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool
    lang: str = ""  # the form's own words: see ShownForm


@dataclass(frozen=True)
class QuestionPage:
    form_name: str
    number: int  # from 1
    count: int
    key: str
    kind: str
    lang: str  # of the form's name, question and stem: see ShownForm
    text: str
    stem: str
    optional: bool
    choices: tuple[Choice, ...]
    value: str  # text, number
    day: str
    month: str
    year: str


def _choices(question: Question, current: Any, lang: str) -> tuple[Choice, ...]:
    if question.kind is QuestionKind.YES_NO:
        return (
            Choice("yes", _("Yes"), current is True),
            Choice("no", _("No"), current is False),
        )
    return tuple(Choice(o.key, o.label, current == o.key, lang) for o in question.options)


def question_page(
    form: ShownForm, index: int, stored: dict[str, Any], submitted: dict[str, str]
) -> QuestionPage:
    definition = form.definition
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
        lang=form.lang,
        text=question.text,
        stem=definition.stem,
        optional=not question.required,
        choices=_choices(question, current, form.lang),
        value="" if current is None or isinstance(current, bool) else str(current),
        day=day,
        month=month,
        year=year,
    )


@dataclass(frozen=True)
class CheckRow:
    number: int
    question: str
    answer: str
    answer_lang: str  # the form's words where the answer is one of its options


def check_rows(form: ShownForm, answers: dict[str, Any]) -> list[CheckRow]:
    lang = form.lang
    definition = form.definition
    rows = zip(answer_rows(definition, answers), definition.questions, strict=True)
    return [
        CheckRow(
            row.number,
            row.question,
            row.answer,
            lang if question.kind is QuestionKind.SINGLE_CHOICE and question.key in answers else "",
        )
        for row, question in rows
    ]


def intro_html(definition: FormDefinition) -> SafeString:
    return render_markdown(definition.intro)


@dataclass(frozen=True)
class CrisisInformation:
    html: SafeString
    lang: str  # "en-GB" on a Welsh page where the service wrote it only in English


def crisis_information(service: Service) -> CrisisInformation:
    """The service's own crisis information, in the page's language where it wrote it so."""
    text = localised(service.crisis_information, service.crisis_information_cy)
    return CrisisInformation(render_markdown(text.text), text.lang)


def _simple_refusals() -> dict[Problem, str]:
    return {
        Problem.CHOOSE: _("Select an answer"),
        Problem.CHOOSE_SHOWN: _("Select one of the answers shown"),
        Problem.YES_NO: _("Select yes or no"),
        Problem.ENTER_ANSWER: _("Enter your answer"),
        Problem.ENTER_DATE: _("Enter a date"),
        Problem.DATE_FORMAT: _("Enter the date as day, month and year, like 27 3 2007"),
        Problem.DATE_REAL: _("Enter a real date, like 27 3 2007"),
        Problem.NOT_IN_FORM: _("This question is not part of the form"),
    }


def refusal_text(refusal: Refusal) -> str:
    """What the pure core's refusal says, in the page's language (the core has only English)."""
    match refusal.problem:
        case Problem.TOO_LONG:
            return _("Your answer must be %(limit)s characters or fewer (it is %(length)s)") % {
                "limit": f"{refusal.limit:,}",
                "length": f"{refusal.length:,}",
            }
        case Problem.NUMBER_RANGE:
            return _("Enter a whole number from %(minimum)s to %(maximum)s") % {
                "minimum": f"{refusal.minimum:,}",
                "maximum": f"{refusal.maximum:,}",
            }
        case Problem.DATE_RANGE:
            assert refusal.first is not None and refusal.last is not None  # noqa: S101 - set with the code
            return _("Enter a date from %(first)s to %(last)s") % {
                "first": day_month_year(refusal.first),
                "last": day_month_year(refusal.last),
            }
        case _:
            return _simple_refusals()[refusal.problem]


def error_text(cleaned: Cleaned) -> str:
    return refusal_text(cleaned.refusal) if cleaned.refusal else cleaned.error or ""
