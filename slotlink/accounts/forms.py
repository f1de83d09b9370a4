"""Forms of the staff member's own account: logging in, choosing a password, the code."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from slotlink.accounts.backends import service_switched_on
from slotlink.clinic.models import User

SWITCHED_OFF = (
    "Slotlink is switched off for your service, so you cannot log in. "
    "Ask whoever runs Slotlink for your service."
)


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Try again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username."
        self.fields["password"].error_messages["required"] = "Enter your password."

    def confirm_login_allowed(self, user: User) -> None:
        # Only someone who gave the right password learns that the service is switched off.
        super().confirm_login_allowed(user)
        if not service_switched_on(user):
            raise forms.ValidationError(SWITCHED_OFF, code="switched_off")


class ChoosePasswordForm(SetPasswordForm):
    """Django's own: the two passwords must match and pass AUTH_PASSWORD_VALIDATORS (at least
    12 characters, not common, not like the username or name)."""

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = "At least 12 characters."
        self.fields["new_password2"].label = "Type it again"
        self.fields["new_password1"].error_messages["required"] = "Enter a password."
        self.fields["new_password2"].error_messages["required"] = "Type the password again."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
