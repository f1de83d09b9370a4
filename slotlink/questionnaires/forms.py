"""The superuser's forms: a questionnaire's content, which forms go with which appointment
types, and the crisis information. Each turns what was typed into the domain's definition,
or into errors saying how to fix it."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from slotlink.domain.questionnaires.forms import (
    Band,
    DefinitionError,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
    Scoring,
)
from slotlink.lib.fields import WholeNumberField
from slotlink.lib.forms import one_message
from slotlink.lib.richtext import clean_markdown_source
from slotlink.questionnaires.models import FormAssignment

KIND_CHOICES = [
    (QuestionKind.SINGLE_CHOICE.value, "Single choice"),
    (QuestionKind.YES_NO.value, "Yes or no"),
    (QuestionKind.SHORT_TEXT.value, "Short text"),
    (QuestionKind.LONG_TEXT.value, "Long text"),
    (QuestionKind.NUMBER.value, "Number"),
    (QuestionKind.DATE.value, "Date"),
]
MAX_QUESTIONS = 60
# "Not at all = 0": a label, then optionally "=" and a whole-number score.
_OPTION = re.compile(r"^(?P<label>.*?)(?:\s*=\s*(?P<score>-?\d{1,4}))?$")
WELSH_HINT = (
    "For patients who prefer Welsh. Write the whole form in Welsh, or leave every Welsh box "
    "empty: they then get the English."
)
# "0-4 Minimal": the lowest and highest totals, then the band's name.
_BAND = re.compile(r"^(?P<low>-?\d{1,5})\s*(?:-|to)\s*(?P<high>-?\d{1,5})\s+(?P<label>.+)$")


def _in_welsh(english: forms.CharField, label: str, *, help_text: str = "") -> forms.CharField:
    """The English field's Welsh twin: as long, in the same size of box, marked lang="cy", and
    optional, since a patient gets the English where the Welsh is left empty."""
    if isinstance(english.widget, forms.Textarea):
        widget: forms.Widget = forms.Textarea(
            attrs={"rows": english.widget.attrs["rows"], "lang": "cy"}
        )
    else:
        widget = forms.TextInput(attrs={"lang": "cy"})
    return forms.CharField(
        label=label,
        required=False,
        max_length=english.max_length,
        widget=widget,
        help_text=help_text,
    )


class QuestionForm(forms.Form):
    text = forms.CharField(label="Question", max_length=500, required=False)
    text_cy = _in_welsh(text, "Question in Welsh")
    kind = forms.ChoiceField(
        label="Kind",
        choices=KIND_CHOICES,
        error_messages=one_message("Choose the kind of question."),
    )
    required = forms.BooleanField(label="Must be answered", required=False, initial=True)
    options = forms.CharField(
        label="Answers (single choice)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='One a line. To score them, add "= score" to every line, e.g. "Often = 2".',
    )
    options_cy = _in_welsh(
        options,
        "Answers in Welsh",
        help_text="One a line, in the same order as the English. No scores: they are the same.",
    )
    minimum = forms.IntegerField(
        label="Lowest (number)",
        required=False,
        error_messages={
            "invalid": "Enter the lowest answer allowed as a whole number, or nothing."
        },
    )
    maximum = forms.IntegerField(
        label="Highest (number)",
        required=False,
        error_messages={
            "invalid": "Enter the highest answer allowed as a whole number, or nothing."
        },
    )

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("text") or "").strip()

    def question(self, key: str) -> Question:
        data = self.cleaned_data
        kind = QuestionKind(data["kind"])
        options: tuple[Option, ...] = ()
        if kind is QuestionKind.SINGLE_CHOICE:
            english = _lines(data["options"])
            welsh = _lines(data["options_cy"])
            if welsh and len(welsh) != len(english):
                raise DefinitionError(
                    f"question {key}: give one Welsh answer for each English answer, "
                    "in the same order"
                )
            options = tuple(
                _option(f"o{n}", line, welsh[n - 1] if welsh else "")
                for n, line in enumerate(english, start=1)
            )
        number = kind is QuestionKind.NUMBER
        return Question(
            key=key,
            kind=kind,
            text=data["text"],
            text_cy=data["text_cy"],
            required=bool(data.get("required")),
            options=options,
            minimum=data.get("minimum") if number else None,
            maximum=data.get("maximum") if number else None,
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _option(key: str, line: str, welsh: str) -> Option:
    match = _OPTION.match(line)
    assert match is not None  # noqa: S101 - the pattern matches any line
    score = match.group("score")
    return Option(key, match.group("label"), None if score is None else int(score), welsh)


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=3, max_num=MAX_QUESTIONS, absolute_max=MAX_QUESTIONS, validate_max=True
)


class FormContentForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, error_messages={"required": "Enter the form's name."}
    )
    name_cy = _in_welsh(name, "Name in Welsh", help_text=WELSH_HINT)
    intro = forms.CharField(
        label="Introduction",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown before the first question. Markdown; links allowed.",
    )
    intro_cy = _in_welsh(intro, "Introduction in Welsh")
    stem = forms.CharField(
        label="Shown with every question",
        required=False,
        max_length=300,
        help_text='For example "Over the last 2 weeks, how often…". Optional.',
    )
    stem_cy = _in_welsh(stem, "Shown with every question, in Welsh")
    bands = forms.CharField(
        label="Severity bands",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Scored forms only, one a line from the lowest total: "0-4 Minimal".',
    )
    caseness_from = forms.IntegerField(
        label="A clinical case from a total of",
        required=False,
        min_value=0,
        error_messages=dict.fromkeys(
            ("invalid", "min_value"),
            "Enter the lowest total that is a clinical case, from 0, or nothing.",
        ),
    )

    def clean_intro(self) -> str:
        return clean_markdown_source(self.cleaned_data["intro"])

    def clean_intro_cy(self) -> str:
        return clean_markdown_source(self.cleaned_data["intro_cy"])

    def definition(self, questions: list[Question]) -> FormDefinition:
        """The form as typed, or forms.ValidationError saying what to fix."""
        data = self.cleaned_data
        bands = []
        for line in (line.strip() for line in data["bands"].splitlines()):
            if not line:
                continue
            match = _BAND.match(line)
            if match is None:
                raise forms.ValidationError(
                    "Write each band as the lowest and highest total, then its name: "
                    f'"0-4 Minimal" (not "{line}").'
                )
            bands.append(Band(int(match["low"]), int(match["high"]), match["label"]))
        try:
            return FormDefinition(
                name=data["name"],
                intro=data["intro"],
                stem=data["stem"],
                name_cy=data["name_cy"],
                intro_cy=data["intro_cy"],
                stem_cy=data["stem_cy"],
                questions=tuple(questions),
                scoring=Scoring(bands=tuple(bands), caseness_from=data.get("caseness_from")),
            )
        except DefinitionError as problem:
            raise forms.ValidationError(sentence(str(problem))) from None


def sentence(text: str) -> str:
    text = text.replace("question q", "question ").replace("Option key 'o", "answer '")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def initial_questions(definition: FormDefinition) -> list[dict[str, Any]]:
    """What the question rows show for a saved definition."""
    rows = []
    for question in definition.questions:
        options = "\n".join(
            option.label if option.score is None else f"{option.label} = {option.score}"
            for option in question.options
        )
        rows.append(
            {
                "text": question.text,
                "text_cy": question.text_cy,
                "kind": str(question.kind),
                "required": question.required,
                "options": options,
                "options_cy": "\n".join(option.label_cy for option in question.options),
                "minimum": question.minimum,
                "maximum": question.maximum,
            }
        )
    return rows


def initial_content(definition: FormDefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "intro": definition.intro,
        "stem": definition.stem,
        "name_cy": definition.name_cy,
        "intro_cy": definition.intro_cy,
        "stem_cy": definition.stem_cy,
        "bands": "\n".join(f"{b.low}-{b.high} {b.label}" for b in definition.scoring.bands),
        "caseness_from": definition.scoring.caseness_from,
    }


WHEN_NOT = ""
WHEN_BOOKING = "booking"
WHEN_BEFORE = "before"
WHEN_CHOICES = [
    (WHEN_NOT, "Not sent"),
    (WHEN_BOOKING, "With the booking confirmation"),
    (WHEN_BEFORE, "Hours before the appointment:"),
]


class AssignmentForm(forms.Form):
    """When one form goes with one appointment type."""

    when = forms.ChoiceField(
        choices=WHEN_CHOICES,
        required=False,
        error_messages=one_message("Choose when the form is sent, or not sent."),
    )
    hours = WholeNumberField(required=False, min_value=1, max_value=24 * 28)

    def __init__(self, *args: Any, type_name: str, form_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["when"].label = f"{form_name} for {type_name}"
        self.fields["hours"].label = f"Hours before, {form_name} for {type_name}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == WHEN_BEFORE and not data.get("hours"):
            self.add_error("hours", "Enter how many hours before the appointment, from 1.")
        return data

    def chosen(self) -> tuple[bool, int | None]:
        """(sent at all, hours before or None for with the booking)."""
        when = self.cleaned_data.get("when")
        if when == WHEN_BOOKING:
            return True, None
        if when == WHEN_BEFORE:
            return True, self.cleaned_data["hours"]
        return False, None


def assignment_initial(assignment: FormAssignment | None) -> dict[str, Any]:
    if assignment is None:
        return {"when": WHEN_NOT}
    if assignment.hours_before is None:
        return {"when": WHEN_BOOKING}
    return {"when": WHEN_BEFORE, "hours": assignment.hours_before}


class CrisisForm(forms.Form):
    crisis_information = forms.CharField(
        label="Your service's crisis information",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "Shown after NHS 111 and 999 to a patient whose answers show they may be at risk, "
            "e.g. your crisis line and opening hours. Markdown; links allowed."
        ),
    )
    crisis_information_cy = _in_welsh(
        crisis_information,
        "Crisis information in Welsh",
        help_text="For patients who prefer Welsh. Left empty, they get the English.",
    )

    def clean_crisis_information(self) -> str:
        return clean_markdown_source(self.cleaned_data["crisis_information"])

    def clean_crisis_information_cy(self) -> str:
        return clean_markdown_source(self.cleaned_data["crisis_information_cy"])
