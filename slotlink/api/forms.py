from django import forms

from slotlink.api.scopes import SCOPES
from slotlink.lib.fields import WholeNumberField
from slotlink.lib.forms import one_message


class ApiClientForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="The record system or integration engine, e.g. its product name.",
        error_messages={"required": "Enter the name of the system."},
    )
    scopes = forms.MultipleChoiceField(
        choices=[(scope, f"{scope} – {meaning}") for scope, meaning in sorted(SCOPES.items())],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give only what the system needs.",
        error_messages=one_message("Choose at least one scope."),
    )
    requests_per_minute = WholeNumberField(
        min_value=1,
        max_value=10_000,
        initial=600,
        label="Calls a minute at most",
        error_messages={"required": "Enter the most calls a minute the system may make."},
    )
