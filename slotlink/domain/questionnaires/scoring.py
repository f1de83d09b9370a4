"""Scoring answers against their form: total, severity band, caseness and risk.

The total, band and caseness exist only once every required question is answered: a part
total would read as a milder score than the patient has. Risk is the exception, and is judged
on whatever has been answered, whatever else is missing or malformed: a patient who answers
PHQ-9 question 9 above "Not at all" and stops there must still raise the alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .answers import holds_answer
from .forms import FormDefinition

__all__ = ["Result", "score"]


@dataclass(frozen=True, slots=True)
class Result:
    complete: bool  # every required question holds an answer
    missing: tuple[str, ...]  # keys of the required questions without one, in form order
    risk: bool
    total: int | None = None  # None until complete, or for a form without scores
    band: str | None = None  # None until complete, or for a form without bands
    caseness: bool | None = None  # None until complete, or for a form without a threshold


def score(form: FormDefinition, answers: Mapping[str, object]) -> Result:
    """Score cleaned answers (question key -> value). An answer that is not one the question
    could hold counts as missing; nothing here raises."""
    held = {
        question.key: answers.get(question.key)
        for question in form.questions
        if holds_answer(question, answers.get(question.key))
    }
    missing = tuple(q.key for q in form.questions if q.required and q.key not in held)
    risk = _risk(form, held)
    if missing:
        return Result(complete=False, missing=missing, risk=risk)
    scored = form.scored_questions
    if not scored:
        return Result(complete=True, missing=(), risk=risk)
    total = sum(question.score_of(str(held[question.key])) or 0 for question in scored)
    band = next((b.label for b in form.scoring.bands if b.low <= total <= b.high), None)
    threshold = form.scoring.caseness_from
    caseness = None if threshold is None else total >= threshold
    return Result(complete=True, missing=(), risk=risk, total=total, band=band, caseness=caseness)


def _risk(form: FormDefinition, held: Mapping[str, object]) -> bool:
    key = form.scoring.risk_question
    if key is None or key not in held:
        return False
    question = form.question(key)
    assert question is not None  # noqa: S101 - FormDefinition checks the risk question exists
    lowest = min(option.score or 0 for option in question.options)
    return (question.score_of(str(held[key])) or 0) > lowest
