"""Form fields for numbers, days and clock times that read only the digits 0 to 9, within
bounds the error message names (see slotlink/lib/inputs.py for why Django's own are too wide);
and `fit`, which cuts text from outside (a provider's reason, a subject) to a model field."""

from datetime import date, time
from typing import Any

from django import forms
from django.db import models

from slotlink.lib.formatting import day_month_year
from slotlink.lib.inputs import record_id, whole_number


def _ascii(value: Any) -> None:
    if isinstance(value, str) and not value.isascii():
        raise forms.ValidationError("Use the digits 0 to 9.", code="invalid")


class WholeNumberField(forms.IntegerField):
    """A whole number from min_value to max_value (both required)."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        self.low, self.high = min_value, max_value
        message = f"Enter a whole number from {min_value} to {max_value}."
        self.error_messages.update(invalid=message, min_value=message, max_value=message)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = whole_number(str(value), self.low, self.high)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class DayField(forms.DateField):
    """A day in the formats a date input or a person sends (2026-12-08, 8/12/2026), limited to
    a range that the form sets (`limit`), usually from today."""

    earliest = date.min
    latest = date.max

    def limit(self, earliest: date, latest: date) -> None:
        self.earliest, self.latest = earliest, latest
        self.widget.attrs.update(min=earliest.isoformat(), max=latest.isoformat())

    def to_python(self, value: Any) -> date | None:
        _ascii(value)
        day = super().to_python(value)
        if day is not None and not self.earliest <= day <= self.latest:
            raise forms.ValidationError(
                f"Enter a date from {day_month_year(self.earliest)} to "
                f"{day_month_year(self.latest)}.",
                code="out_of_range",
            )
        return day


class ClockField(forms.TimeField):
    """A time of day, 00:00 to 23:59."""

    def to_python(self, value: Any) -> time | None:
        _ascii(value)
        return super().to_python(value)


class RecordsChoiceField(forms.ModelMultipleChoiceField):
    """Records ticked by id. An id no record could have is refused before any query: SQLite
    cannot even compare a number past 64 bits, and Django asks it to for a list of ids."""

    def clean(self, value: Any) -> Any:
        ids = value if isinstance(value, list | tuple) else []
        for raw in ids:
            if raw not in self.empty_values and record_id(str(raw)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                )
        return super().clean(value)


def fit(model: type[models.Model], field: str, text: str) -> str:
    """`text` cut to the max_length of `model`'s `field`, so a long value from elsewhere is
    stored shortened rather than refused by the database (PostgreSQL enforces the length)."""
    column = model._meta.get_field(field)
    max_length = column.max_length if isinstance(column, models.Field) else None
    return text if max_length is None else text[:max_length]
