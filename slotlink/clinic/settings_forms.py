"""The service settings form: what a superuser may change, checked before anything is saved."""

import re
from typing import Any

import phonenumbers
from django import forms
from django.core.files.uploadedfile import UploadedFile

from slotlink.clinic.images import CheckedImage, looks_like_svg, sniff_image
from slotlink.clinic.models import Service, SmsProvider
from slotlink.lib.fields import ClockField
from slotlink.lib.forms import one_message
from slotlink.lib.inputs import MAX_ID, whole_number
from slotlink.lib.richtext import clean_markdown_source, insecure_links

LOGO_MAX_BYTES = 200 * 1024
LOGO_MAX_PIXELS = 1000  # on either side; the header shows it at most 200 × 48
MAX_REMINDERS = 5
MAX_REMINDER_HOURS = 14 * 24
# Alphanumeric sender IDs: up to 11 letters, digits or spaces, and at least one letter
# (networks treat all-digit senders as phone numbers).
_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$")
NATION_MESSAGE = "Choose the nation whose bank holidays the service keeps."


# The notices every patient page links to, English beside Welsh (portal/notices.py).
NOTICES = (
    "accessibility_statement",
    "accessibility_statement_cy",
    "privacy_notice",
    "privacy_notice_cy",
    "cookie_statement",
    "cookie_statement_cy",
)
NOTICE_HINT = (
    "Markdown; links must start with https://. Left empty, patients see Slotlink's own "
    "wording (in Welsh, the English where only that is written)."
)


def service_phone(value: str) -> str:
    """The number patients call, as typed (it is shown to them so), if it is a UK number."""
    phone = value.strip()
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        number = None
    # Shown to patients as typed, so in the digits they read (phonenumbers takes others).
    if number is None or not phone.isascii() or not phonenumbers.is_possible_number(number):
        raise forms.ValidationError("Enter a UK phone number, for example 0113 496 0123.")
    return phone


class ServiceSettingsForm(forms.ModelForm[Service]):
    feedback_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Feedback and complaints page",
        help_text="Linked from the patients' contact page; left empty, they are told to call.",
        error_messages=one_message("Enter the feedback page's address, starting with https://"),
    )
    website = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Website",
        error_messages=one_message("Enter the website's address, starting with https://"),
    )
    cancellation_policy_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Cancellation policy link",
        error_messages=one_message(
            "Enter the cancellation policy's address, starting with https://"
        ),
    )
    logo = forms.FileField(
        required=False,
        label="Logo",
        help_text="PNG or JPEG, at most 200 KB and 1000 × 1000 pixels. Shown on patient pages.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    reminder_hours = forms.CharField(
        required=False,
        label="Reminder texts (hours before the appointment)",
        help_text="Separate with commas, for example 48, 2. Leave empty for no reminders.",
        max_length=60,
    )
    sms_secret = forms.CharField(
        required=False,
        max_length=500,
        label="API key or auth token",
        help_text="Leave empty to keep the one already saved. It is never shown again.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_sms_secret = forms.BooleanField(required=False, label="Remove the saved key")

    class Meta:
        model = Service
        fields = [
            "name",
            "phone",
            "website",
            "cancellation_policy_url",
            "sms_sender_name",
            "quiet_from",
            "quiet_until",
            "nation",
            "closed_on_bank_holidays",
            "online_booking_enabled",
            "uses_messages",
            "quick_exit_enabled",
            "sms_provider",
            "sms_account_id",
            "feedback_url",
            *NOTICES,
        ]
        labels = {
            "name": "Service name",
            "phone": "Phone number",
            "website": "Website",
            "cancellation_policy_url": "Cancellation policy link",
            "sms_sender_name": "SMS sender name",
            "quiet_from": "No texts from",
            "quiet_until": "No texts until",
            "nation": "Bank holidays of",
            "closed_on_bank_holidays": "Closed on bank holidays (no online bookings)",
            "online_booking_enabled": "Online appointment booking",
            "uses_messages": "Messages (the staff inbox)",
            "accessibility_statement": "Accessibility statement",
            "privacy_notice": "Privacy notice",
            "cookie_statement": "Cookie statement (shown above Slotlink's list of its cookies)",
        }
        help_texts = {
            "sms_sender_name": "Who texts appear to be from: 3 to 11 letters, digits or spaces.",
            "quiet_from": "Texts that fall due in quiet hours wait until they end.",
            "sms_provider": "Empty: Slotlink's own provider.",
            **{notice: NOTICE_HINT for notice in NOTICES},
        }
        field_classes = {"quiet_from": ClockField, "quiet_until": ClockField}
        error_messages = {
            "nation": one_message(NATION_MESSAGE),
            "quiet_from": one_message("Enter the time texts stop, for example 21:00."),
            "quiet_until": one_message("Enter the time texts start again, for example 08:00."),
            "sms_provider": one_message("Choose a provider, or none for Slotlink's own."),
        }
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            **{
                notice: forms.Textarea(
                    attrs={"rows": 6, "lang": "cy"} if notice.endswith("_cy") else {"rows": 6}
                )
                for notice in NOTICES
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hours = self.instance.reminder_hours_before or []
        self.initial.setdefault("reminder_hours", ", ".join(str(h) for h in hours))
        self.fields["name"].error_messages["required"] = "Enter the service's name."
        self.fields["phone"].error_messages["required"] = "Enter the phone number patients call."

    def settings_values(self) -> dict[str, Any]:
        """The plain settings to save, by model field name (the logo and the secret apart)."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["reminder_hours_before"] = self.cleaned_data["reminder_hours"]
        return values

    def _clean_notices(self, data: dict[str, Any]) -> None:
        """No HTML kept, and only secure links, as in a rule's patient pages."""
        for notice in NOTICES:
            if notice in data:
                data[notice] = clean_markdown_source(data[notice])
                for href in insecure_links(data[notice]):
                    self.add_error(
                        notice,
                        f"The link to {href} is not secure. Links must start with https:// "
                        "(or be mailto: or tel:).",
                    )

    def clean_phone(self) -> str:
        return service_phone(self.cleaned_data["phone"])

    def clean_website(self) -> str:
        return _https(self.cleaned_data["website"])

    def clean_cancellation_policy_url(self) -> str:
        return _https(self.cleaned_data["cancellation_policy_url"])

    def clean_sms_sender_name(self) -> str:
        sender: str = self.cleaned_data["sms_sender_name"].strip()
        if sender and not _SENDER.match(sender):
            raise forms.ValidationError(
                "Use 3 to 11 letters, digits or spaces, including at least one letter."
            )
        return sender

    def clean_reminder_hours(self) -> list[int]:
        raw: str = self.cleaned_data["reminder_hours"]
        parts = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        if any(whole_number(part, 0, MAX_ID) is None for part in parts):
            raise forms.ValidationError("Enter whole numbers of hours separated by commas.")
        hours = [int(part) for part in parts]  # the digits 0 to 9 only, checked just above
        if any(h < 1 or h > MAX_REMINDER_HOURS for h in hours):
            raise forms.ValidationError(
                f"Each reminder must be between 1 and {MAX_REMINDER_HOURS} hours before."
            )
        if len(set(hours)) != len(hours):
            raise forms.ValidationError("Each reminder time may appear only once.")
        if len(hours) > MAX_REMINDERS:
            raise forms.ValidationError(f"Send at most {MAX_REMINDERS} reminders.")
        return sorted(hours, reverse=True)

    def clean_logo(self) -> CheckedImage | None:
        upload = self.cleaned_data.get("logo")
        if not isinstance(upload, UploadedFile):
            return None
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo must be 200 KB or smaller.")
        data = upload.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo must be 200 KB or smaller.")
        if looks_like_svg(data):
            raise forms.ValidationError(
                "SVG images are not accepted (they can carry code). Upload a PNG or JPEG."
            )
        info = sniff_image(data)
        if info is None:
            raise forms.ValidationError(
                "The file is not a PNG or JPEG image, whatever its name. Upload a PNG or JPEG."
            )
        if info.width > LOGO_MAX_PIXELS or info.height > LOGO_MAX_PIXELS:
            raise forms.ValidationError(
                f"The logo is {info.width} × {info.height} pixels; make it at most "
                f"{LOGO_MAX_PIXELS} × {LOGO_MAX_PIXELS}."
            )
        return CheckedImage(data, info)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_notices(data)
        quiet = (data.get("quiet_from"), data.get("quiet_until"))
        if (quiet[0] is None) != (quiet[1] is None):
            self.add_error("quiet_until", "Give both ends of the quiet hours, or neither.")
        elif quiet[0] is not None and quiet[0] == quiet[1]:
            self.add_error("quiet_until", "Quiet hours must end at a different time.")
        provider = data.get("sms_provider")
        if provider in (SmsProvider.NOTIFY, SmsProvider.TWILIO):
            if not data.get("sms_account_id"):
                self.add_error("sms_account_id", "Enter the ID this provider needs.")
            has_secret = bool(self.instance.sms_secret_encrypted) and not data.get(
                "clear_sms_secret"
            )
            if not data.get("sms_secret") and not has_secret:
                self.add_error("sms_secret", "Enter the provider's API key or auth token.")
        return data


def _https(url: str) -> str:
    if url and not url.lower().startswith("https://"):
        raise forms.ValidationError("Enter an address starting with https://")
    return url
