"""The upload of the NHS numbers to invite, with the rule to send them."""

from django import forms

from slotlink.booking.links.forms import RuleChoiceForm


class BulkUploadForm(RuleChoiceForm):
    file = forms.FileField(
        label="CSV file of NHS numbers",
        help_text="One row per patient, under a heading “NHS number”. At most 10,000 rows, 2 MB.",
        error_messages={"required": "Choose a CSV file to upload."},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
