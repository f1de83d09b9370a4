"""A questionnaire's definition: what the patient is asked, what they may answer, how it scores.

A definition is frozen. Editing a form makes a new definition, and its fingerprint (a hash of
its content) tells versions apart, so a response always points at the very words, options and
scoring its patient answered. The fingerprint covers everything that gives an answer its
meaning: the intro, the stem, each question's kind, wording, order, options, scores and bounds,
whether it must be answered, and the scoring. It leaves out what changes no answer's meaning:
the form's name (what staff and patients call it) and differences of whitespace or Unicode
normal form, so saving an unchanged form again does not fork a version.

A form may also be written in Welsh, whole: then its name, every question and every option
have Welsh words (and its intro and stem, where it has them), so a Welsh-reading patient never
meets a question half in one language. The Welsh words are part of the fingerprint, as the
English are: a patient who answered in Welsh answered those words, and a version is what its
patients saw, so changing them makes a new version. A form with no Welsh fingerprints exactly
as before Welsh existed.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = [
    "Band",
    "DefinitionError",
    "FormDefinition",
    "Option",
    "Question",
    "QuestionKind",
    "Scoring",
    "canonical_text",
    "definition_from_json",
    "definition_to_json",
]

_KEY = re.compile(r"[a-z0-9_]{1,40}")
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
# Number answers stay far inside any database integer column.
NUMBER_LIMIT = 10**9
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# Bumped if the canonical content below ever changes shape, so old and new never collide.
_FINGERPRINT_FORMAT = 1


class DefinitionError(ValueError):
    """A form that could not be shown or scored as written; the message says what to fix."""


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    YES_NO = "yes_no"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"


def canonical_text(text: str) -> str:
    """Text as it reads: one Unicode normal form, whitespace runs as one space, no edges."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _check_key(key: str, what: str) -> None:
    if not _KEY.fullmatch(key):
        raise DefinitionError(
            f"{what} key {key!r} must be 1 to 40 lower-case letters, digits or underscores"
        )


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to a single-choice question; `key` is what the form submits."""

    key: str
    label: str
    score: int | None = None
    label_cy: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    kind: QuestionKind
    text: str
    required: bool = True
    options: tuple[Option, ...] = ()  # single choice only
    minimum: int | None = None  # number only, inclusive
    maximum: int | None = None  # number only, inclusive
    earliest: date | None = None  # date only, inclusive; None = EARLIEST_DATE
    latest: date | None = None  # date only, inclusive; None = LATEST_DATE
    text_cy: str = ""

    def __post_init__(self) -> None:
        _check_key(self.key, "Question")
        if not canonical_text(self.text):
            raise DefinitionError(f"question {self.key} needs some text")
        if self.kind is QuestionKind.SINGLE_CHOICE:
            self._check_options()
        elif self.options:
            raise DefinitionError(f"question {self.key}: only a single-choice question has options")
        if self.kind is QuestionKind.NUMBER:
            self._check_number_bounds()
        elif (self.minimum, self.maximum) != (None, None):
            raise DefinitionError(f"question {self.key}: only a number question has bounds")
        if self.kind is QuestionKind.DATE:
            self._check_date_bounds()
        elif (self.earliest, self.latest) != (None, None):
            raise DefinitionError(f"question {self.key}: only a date question has a date range")

    def _check_options(self) -> None:
        keys = [option.key for option in self.options]
        labels = [canonical_text(option.label) for option in self.options]
        for key in keys:
            _check_key(key, "Option")
        if len(self.options) < 2:
            raise DefinitionError(f"question {self.key} needs at least two options")
        if len(set(keys)) != len(keys) or len(set(labels)) != len(labels):
            raise DefinitionError(f"question {self.key}: each option needs its own key and label")
        if not all(labels):
            raise DefinitionError(f"question {self.key}: every option needs a label")
        scored = [option.score is not None for option in self.options]
        if any(scored) and not all(scored):
            raise DefinitionError(f"question {self.key}: give every option a score, or none")
        if all(scored) and not self.required:
            # A total that silently leaves a question out would not mean what its bands say.
            raise DefinitionError(f"question {self.key} is scored, so it must be required")

    def _check_number_bounds(self) -> None:
        low, high = self.minimum, self.maximum
        if low is None or high is None:
            raise DefinitionError(f"question {self.key} needs a lowest and a highest number")
        if not -NUMBER_LIMIT <= low <= high <= NUMBER_LIMIT:
            raise DefinitionError(
                f"question {self.key}: the lowest number must not be above the highest, "
                f"and both must be within {NUMBER_LIMIT:,} either side of zero"
            )

    def _check_date_bounds(self) -> None:
        if not EARLIEST_DATE <= self.first_date <= self.last_date <= LATEST_DATE:
            raise DefinitionError(
                f"question {self.key}: the date range must run forwards, within the years "
                f"{EARLIEST_DATE.year} to {LATEST_DATE.year}"
            )

    @property
    def first_date(self) -> date:
        return self.earliest or EARLIEST_DATE

    @property
    def last_date(self) -> date:
        return self.latest or LATEST_DATE

    @property
    def scored(self) -> bool:
        return bool(self.options) and self.options[0].score is not None

    def score_of(self, key: str) -> int | None:
        """The score of the option with this key; None for no such option or no scores."""
        for option in self.options:
            if option.key == key:
                return option.score
        return None

    @property
    def has_welsh(self) -> bool:
        return bool(canonical_text(self.text_cy)) or any(
            canonical_text(option.label_cy) for option in self.options
        )

    def _check_welsh(self) -> None:
        if not canonical_text(self.text_cy):
            raise DefinitionError(f"question {self.key} needs its words in Welsh too")
        labels = [canonical_text(option.label_cy) for option in self.options]
        if not all(labels):
            raise DefinitionError(f"question {self.key}: every answer needs its Welsh words")
        if len(set(labels)) != len(labels):
            raise DefinitionError(f"question {self.key}: each answer needs its own Welsh words")

    def welsh(self) -> Question:
        """This question in its Welsh words (for a form that has them)."""
        return Question(
            key=self.key,
            kind=self.kind,
            text=self.text_cy,
            required=self.required,
            options=tuple(
                Option(option.key, option.label_cy, option.score) for option in self.options
            ),
            minimum=self.minimum,
            maximum=self.maximum,
            earliest=self.earliest,
            latest=self.latest,
        )

    def content(self) -> dict[str, Any]:
        """The meaning-bearing fields, canonical, for the fingerprint (the Welsh only where
        written, so that a form with none keeps the fingerprint it always had)."""
        data: dict[str, Any] = {
            "key": self.key,
            "kind": str(self.kind),
            "text": canonical_text(self.text),
            "required": self.required,
        }
        if canonical_text(self.text_cy):
            data["text_cy"] = canonical_text(self.text_cy)
        if self.kind is QuestionKind.SINGLE_CHOICE:
            data["options"] = [
                [option.key, canonical_text(option.label), option.score]
                + ([canonical_text(option.label_cy)] if canonical_text(option.label_cy) else [])
                for option in self.options
            ]
        elif self.kind is QuestionKind.NUMBER:
            data["bounds"] = [self.minimum, self.maximum]
        elif self.kind is QuestionKind.DATE:
            data["bounds"] = [self.first_date.isoformat(), self.last_date.isoformat()]
        return data


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band: totals from `low` to `high`, both inclusive."""

    low: int
    high: int
    label: str


@dataclass(frozen=True, slots=True)
class Scoring:
    """How a form's total reads. The total is the sum of the scored questions' answers."""

    bands: tuple[Band, ...] = ()  # in order, together covering every possible total exactly
    caseness_from: int | None = None  # a total at or above this is a clinical case
    risk_question: str | None = None  # answered above its lowest score, it flags risk

    def content(self) -> dict[str, Any]:
        return {
            "bands": [[band.low, band.high, canonical_text(band.label)] for band in self.bands],
            "caseness_from": self.caseness_from,
            "risk_question": self.risk_question,
        }


@dataclass(frozen=True, slots=True)
class FormDefinition:
    name: str  # what staff and patients call the form; not part of the fingerprint
    questions: tuple[Question, ...]
    intro: str = ""  # shown before the first question
    stem: str = ""  # shown with every question, as the instruments' "Over the last 2 weeks…"
    scoring: Scoring = Scoring()
    # The same, in Welsh: all of it or none (see the module's note).
    name_cy: str = ""
    intro_cy: str = ""
    stem_cy: str = ""

    def __post_init__(self) -> None:
        if not canonical_text(self.name):
            raise DefinitionError("the form needs a name")
        if not self.questions:
            raise DefinitionError("the form needs at least one question")
        keys = [question.key for question in self.questions]
        if len(set(keys)) != len(keys):
            raise DefinitionError("each question needs its own key")
        self._check_scoring()
        if self.has_welsh:
            self._check_welsh()

    def _check_scoring(self) -> None:
        scoring = self.scoring
        if not self.scored_questions and (scoring.bands or scoring.caseness_from is not None):
            raise DefinitionError("bands and a caseness threshold need scored questions")
        if scoring.bands:
            self._check_bands()
        low, high = self.total_range
        if scoring.caseness_from is not None and not low < scoring.caseness_from <= high:
            raise DefinitionError(f"the caseness threshold must be above {low} and at most {high}")
        risk = scoring.risk_question
        if risk is not None and risk not in {q.key for q in self.scored_questions}:
            raise DefinitionError(f"the risk question {risk!r} must be one of the scored questions")

    def _check_bands(self) -> None:
        low, high = self.total_range
        expected_low = low
        for band in self.scoring.bands:
            if band.low != expected_low or band.high < band.low or not canonical_text(band.label):
                break
            expected_low = band.high + 1
        else:
            if expected_low == high + 1:
                return
        raise DefinitionError(
            f"the bands must be named and, in order, cover every total from {low} to {high} "
            "once, with no gaps"
        )

    @property
    def has_welsh(self) -> bool:
        return any(
            canonical_text(text) for text in (self.name_cy, self.intro_cy, self.stem_cy)
        ) or any(question.has_welsh for question in self.questions)

    def _check_welsh(self) -> None:
        """Welsh is written whole, or not at all."""
        if not canonical_text(self.name_cy):
            raise DefinitionError("a form with Welsh words needs its name in Welsh too")
        for english, welsh, what in (
            (self.intro, self.intro_cy, "introduction"),
            (self.stem, self.stem_cy, "line shown with every question"),
        ):
            if bool(canonical_text(english)) != bool(canonical_text(welsh)):
                raise DefinitionError(f"give the {what} in both English and Welsh, or in neither")
        for question in self.questions:
            question._check_welsh()

    def welsh(self) -> FormDefinition:
        """This form in its Welsh words, for a Welsh page (only for a form that has them)."""
        return FormDefinition(
            name=self.name_cy,
            questions=tuple(question.welsh() for question in self.questions),
            intro=self.intro_cy,
            stem=self.stem_cy,
            scoring=self.scoring,
        )

    @property
    def scored_questions(self) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.scored)

    @property
    def total_range(self) -> tuple[int, int]:
        """The lowest and highest possible totals; (0, 0) for a form that is not scored."""
        scores = [
            [option.score for option in question.options if option.score is not None]
            for question in self.scored_questions
        ]
        return sum(min(each) for each in scores), sum(max(each) for each in scores)

    def question(self, key: str) -> Question | None:
        return next((question for question in self.questions if question.key == key), None)

    def content(self) -> dict[str, Any]:
        data = {
            "format": _FINGERPRINT_FORMAT,
            "intro": canonical_text(self.intro),
            "stem": canonical_text(self.stem),
            "questions": [question.content() for question in self.questions],
            "scoring": self.scoring.content(),
        }
        if self.has_welsh:
            data["intro_cy"] = canonical_text(self.intro_cy)
            data["stem_cy"] = canonical_text(self.stem_cy)
        return data

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical content: equal exactly when the meaning is equal."""
        encoded = json.dumps(
            self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")  # a stray surrogate must not stop a hash
        return "sha256:" + hashlib.sha256(encoded).hexdigest()


def definition_to_json(form: FormDefinition) -> dict[str, Any]:
    """The whole definition as JSON-ready data, name included, for storing a version."""
    data: dict[str, Any] = {
        "name": form.name,
        "intro": form.intro,
        "stem": form.stem,
        "questions": [_question_to_json(question) for question in form.questions],
        "scoring": {
            "bands": [[band.low, band.high, band.label] for band in form.scoring.bands],
            "caseness_from": form.scoring.caseness_from,
            "risk_question": form.scoring.risk_question,
        },
    }
    if form.has_welsh:
        data.update(name_cy=form.name_cy, intro_cy=form.intro_cy, stem_cy=form.stem_cy)
    return data


def _question_to_json(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": question.key,
        "kind": str(question.kind),
        "text": question.text,
        "required": question.required,
    }
    if question.text_cy:
        data["text_cy"] = question.text_cy
    if question.options:
        data["options"] = [
            [o.key, o.label, o.score, *([o.label_cy] if o.label_cy else [])]
            for o in question.options
        ]
    if question.kind is QuestionKind.NUMBER:
        data["minimum"], data["maximum"] = question.minimum, question.maximum
    if question.earliest is not None:
        data["earliest"] = question.earliest.isoformat()
    if question.latest is not None:
        data["latest"] = question.latest.isoformat()
    return data


def definition_from_json(data: object) -> FormDefinition:
    """Rebuild a definition stored by definition_to_json. Anything that is not such data, or
    that no longer makes a valid form, raises DefinitionError (never another exception)."""
    try:
        if not isinstance(data, dict):
            raise TypeError("not an object")
        scoring = data.get("scoring") or {}
        return FormDefinition(
            name=_text(data["name"]),
            intro=_text(data.get("intro", "")),
            stem=_text(data.get("stem", "")),
            name_cy=_text(data.get("name_cy", "")),
            intro_cy=_text(data.get("intro_cy", "")),
            stem_cy=_text(data.get("stem_cy", "")),
            questions=tuple(_question_from_json(each) for each in data["questions"]),
            scoring=Scoring(
                bands=tuple(
                    Band(_int(low), _int(high), _text(label))
                    for low, high, label in scoring.get("bands", ())
                ),
                caseness_from=_optional_int(scoring.get("caseness_from")),
                risk_question=_optional_text(scoring.get("risk_question")),
            ),
        )
    except DefinitionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as broken:
        raise DefinitionError(f"the stored form cannot be read: {broken}") from None


def _question_from_json(data: dict[str, Any]) -> Question:
    earliest, latest = data.get("earliest"), data.get("latest")
    return Question(
        key=_text(data["key"]),
        kind=QuestionKind(data["kind"]),
        text=_text(data["text"]),
        text_cy=_text(data.get("text_cy", "")),
        required=bool(data.get("required", True)),
        options=tuple(_option_from_json(each) for each in data.get("options", ())),
        minimum=_optional_int(data.get("minimum")),
        maximum=_optional_int(data.get("maximum")),
        earliest=None if earliest is None else date.fromisoformat(_text(earliest)),
        latest=None if latest is None else date.fromisoformat(_text(latest)),
    )


def _option_from_json(data: list[object]) -> Option:
    """[key, label, score], then the Welsh label where the form has one."""
    key, label, score, *welsh = data
    if len(welsh) > 1:
        raise ValueError("an option has too many parts")
    return Option(_text(key), _text(label), _optional_int(score), _text(welsh[0]) if welsh else "")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, found {type(value).__name__}")
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)
