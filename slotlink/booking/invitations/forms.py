"""The patients to invite, by an upload of NHS numbers or ticked on a patient search, with
the rule to send them."""

from typing import Any

from django import forms

from slotlink.booking.links.forms import RuleChoiceForm
from slotlink.lib.inputs import record_id

MAX_TICKED = 500
NOBODY_TICKED = "Tick at least one patient to invite."


class BulkUploadForm(RuleChoiceForm):
    file = forms.FileField(
        label="CSV file of NHS numbers",
        help_text="One row per patient, under a heading “NHS number”. At most 10,000 rows, 2 MB.",
        error_messages={"required": "Choose a CSV file to upload."},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )


class TickedPatientsField(forms.Field):
    """The ticked rows of a patient search: record ids, anything else left out, 500 at most
    (who they are is checked against the service when the list is made)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        given = value if isinstance(value, list) else []
        return [pk for pk in (record_id(raw) for raw in given) if pk is not None][:MAX_TICKED]


class BulkSelectionForm(RuleChoiceForm):
    patient = TickedPatientsField(
        error_messages={"required": "Tick at least one patient to invite."}
    )

    @property
    def choosing(self) -> bool:
        """Just come from the search, with no rule chosen yet: ask, with no error."""
        return "rule" not in self.data
