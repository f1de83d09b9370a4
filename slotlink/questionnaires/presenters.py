"""Display strings for the superuser's questionnaire pages."""

from __future__ import annotations

from dataclasses import dataclass

from slotlink.questionnaires.models import Form


@dataclass(frozen=True)
class FormRow:
    pk: int
    name: str
    builtin: bool
    active: bool
    version: int
    versions: int


def form_rows(forms: list[Form]) -> list[FormRow]:
    rows = []
    for form in forms:
        numbers = [v.number for v in form.versions.all()]
        rows.append(
            FormRow(
                pk=form.pk,
                name=form.name,
                builtin=bool(form.builtin),
                active=form.active,
                version=max(numbers, default=0),
                versions=len(numbers),
            )
        )
    return rows
