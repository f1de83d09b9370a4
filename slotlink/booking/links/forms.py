"""The form that chooses which of the service's rules to send a patient."""

from typing import Any

from django import forms

from slotlink.booking.models import BroadcastRule
from slotlink.lib.forms import one_message


class RuleChoiceForm(forms.Form):
    """Which of the service's active rules to send."""

    rule = forms.ModelChoiceField(
        queryset=BroadcastRule.objects.none(),
        label="Type of appointment link",
        empty_label="Choose…",
        error_messages=one_message("Choose the type of appointment link to send."),
    )

    def __init__(self, *args: Any, rules: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rule"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = rules


class ResendForm(forms.Form):
    """How to send a live link again: by text or by email."""

    channel = forms.ChoiceField(
        choices=[("sms", "By text"), ("email", "By email")],
        error_messages=one_message("Choose whether to send the link again by text or by email."),
    )
