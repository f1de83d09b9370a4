"""The manage portal's forms: date of birth, the texted code, the reason for cancelling."""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from slotlink.lib.fields import WholeNumberField


class BirthDateForm(forms.Form):
    day = WholeNumberField(required=False, min_value=1, max_value=31)
    month = WholeNumberField(required=False, min_value=1, max_value=12)
    year = WholeNumberField(required=False, min_value=1900, max_value=2100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            raise forms.ValidationError("Date of birth must be a real date")
        parts = (data.get("year"), data.get("month"), data.get("day"))
        if not any(parts):
            raise forms.ValidationError("Enter your date of birth")
        if not all(parts):
            raise forms.ValidationError("Date of birth must include a day, month and year")
        try:
            born = date(*parts)  # type: ignore[arg-type]
        except ValueError:
            raise forms.ValidationError("Date of birth must be a real date") from None
        if born > timezone.localdate():
            raise forms.ValidationError("Date of birth must be in the past")
        data["born"] = born
        return data


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        required=True,
        error_messages={
            "required": "Tell us why you are cancelling",
        },
    )
