"""Forms for adding and changing staff accounts, and for creating a service."""

from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from slotlink.accounts.staff_services import TAKEN, StaffDetails
from slotlink.clinic.models import SERVICE_ROLES, Nation, Role, User
from slotlink.clinic.settings_forms import NATION_MESSAGE, service_phone
from slotlink.lib.forms import one_message

EMAIL_HINT = "Enter an email address, like name@nhs.net."


def _required(field: forms.Field, message: str) -> forms.Field:
    field.error_messages["required"] = message
    return field


def _name(label: str) -> forms.Field:
    return _required(forms.CharField(label=label, max_length=150), f"Enter a {label.lower()}.")


def _email() -> forms.Field:
    field = _required(forms.EmailField(label="Email", max_length=254), EMAIL_HINT)
    field.error_messages["invalid"] = EMAIL_HINT
    return field


class StaffForm(forms.Form):
    first_name = _name("First name")
    last_name = _name("Last name")
    email = _email()
    role = forms.ChoiceField(
        label="Role",
        choices=[(role.value, role.label) for role in SERVICE_ROLES],
        help_text="Therapists and admins send links; superusers also manage rules, "
        "settings and staff.",
        error_messages=one_message("Choose a role."),
    )

    def details(self) -> StaffDetails:
        data = self.cleaned_data
        return StaffDetails(
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"],
            role=Role(data["role"]),
        )


class UsernameField(forms.CharField):
    def __init__(self) -> None:
        super().__init__(
            label="Username",
            max_length=150,
            help_text="What they log in with: letters, digits and @ . + - _ only.",
            validators=[UnicodeUsernameValidator()],
            error_messages={"required": "Enter a username."},
        )

    def clean(self, value: object) -> str:
        username: str = super().clean(value)
        # Logging in matches exactly; refusing near-twins spares people the confusion.
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(TAKEN)
        return username


class NewStaffForm(StaffForm):
    username = UsernameField()
    field_order = ["first_name", "last_name", "username", "email", "role"]


TIME_ZONES = sorted(available_timezones() - {"localtime"})


class ServiceForm(forms.Form):
    """A new service's own details, as an operator (or `service_create`) gives them."""

    name = _required(
        forms.CharField(label="Service name", max_length=200), "Enter the service's name."
    )
    nation = forms.ChoiceField(
        label="Bank holidays of",
        choices=Nation.choices,
        initial=Nation.ENGLAND,
        error_messages=one_message(NATION_MESSAGE),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[(zone, zone) for zone in TIME_ZONES],
        initial="Europe/London",
        error_messages=one_message("Choose the service's time zone, for example Europe/London."),
    )
    phone = _required(
        forms.CharField(
            label="Phone number",
            max_length=40,
            help_text="Shown to patients on every page.",
        ),
        "Enter the phone number patients call.",
    )

    def clean_phone(self) -> str:
        return service_phone(self.cleaned_data["phone"])


class NewServiceForm(ServiceForm):
    """A service and its first superuser, as an operator creates them."""

    first_name = _name("First name")
    last_name = _name("Last name")
    username = UsernameField()
    email = _email()


def option_errors(form: forms.Form) -> str:
    """A form's errors as a command's options name them (first_name: --first-name)."""
    return "; ".join(
        f"--{name.replace('_', '-')}: {' '.join(map(str, errors))}"
        for name, errors in form.errors.items()
    )
