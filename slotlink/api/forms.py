from django import forms

from slotlink.api.scopes import SCOPES


class ApiClientForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The record system or integration engine, e.g. its product name."
    )
    scopes = forms.MultipleChoiceField(
        choices=[(scope, f"{scope} – {meaning}") for scope, meaning in sorted(SCOPES.items())],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give only what the system needs.",
    )
    requests_per_minute = forms.IntegerField(
        min_value=1, max_value=10_000, initial=600, label="Calls a minute at most"
    )
