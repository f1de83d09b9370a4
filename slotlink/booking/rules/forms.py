"""Forms for superusers' broadcast rules and for bulk invitations."""

from typing import Any

from django import forms
from django.conf import settings

from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import AppointmentType, Service, Team, Therapist
from slotlink.lib.fields import RecordsChoiceField, WholeNumberField
from slotlink.lib.forms import one_message
from slotlink.lib.language import language_of
from slotlink.lib.richtext import clean_markdown_source, insecure_links
from slotlink.lib.sms import (
    MAX_SEGMENTS,
    PLACEHOLDERS,
    SmsLength,
    sms_template_length,
    unknown_placeholders,
)
from slotlink.messaging.services import sms_provider_name

PLACEHOLDER_LIST = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
WELSH_HINT = "For patients who prefer Welsh. Left empty, they get the English."
NO_SMS_TEXT = "Enter the text message patients receive."


def _minutes(label: str, low: int, high: int, empty: str, **kwargs: Any) -> WholeNumberField:
    return WholeNumberField(
        label=label, min_value=low, max_value=high, error_messages={"required": empty}, **kwargs
    )


class BroadcastRuleForm(forms.ModelForm[BroadcastRule]):
    """Every setting of a rule, with the checks that stop a superuser saving a rule that
    would offer no times, send a text longer than three messages or link to an insecure
    site. Choices are limited to the rule's own service."""

    title = forms.CharField(
        max_length=200,
        help_text="What staff search for in the dropdown on the Care pathway tab.",
        error_messages={"required": "Enter a title for the rule."},
    )
    duration_minutes = _minutes(
        "Duration (minutes)", 5, 480, "Enter how long the appointment lasts, in minutes."
    )
    slot_step_minutes = _minutes(
        "Start times every (minutes)",
        5,
        240,
        "Enter how many minutes apart the start times are.",
        help_text="Times are offered on this grid, from the hour: 30 gives 9:00, 9:30, 10:00…",
    )
    min_notice_hours = _minutes(
        "Minimum notice (hours)", 0, 24 * 365, "Enter the minimum notice in hours, or 0 for none."
    )
    horizon_days = _minutes(
        "How far ahead (days)", 1, 365, "Enter how many days ahead patients can book."
    )
    buffer_before_minutes = _minutes(
        "Free time before (minutes)",
        0,
        240,
        "Enter the free time before each appointment in minutes, or 0 for none.",
    )
    buffer_after_minutes = _minutes(
        "Free time after (minutes)",
        0,
        240,
        "Enter the free time after each appointment in minutes, or 0 for none.",
    )
    daily_cap = WholeNumberField(
        label="Most online bookings per therapist per day",
        min_value=1,
        max_value=50,
        required=False,
        help_text="Leave empty for no limit.",
    )
    link_valid_days = _minutes(
        "Link valid for (days)", 1, 90, "Enter how many days the link stays valid."
    )
    hold_minutes = _minutes(
        "Hold a chosen time for (minutes)",
        1,
        60,
        "Enter how many minutes a chosen time is held.",
        help_text="How long a time stays reserved while the patient checks and confirms it.",
    )
    reschedule_cutoff_hours = _minutes(
        "Rescheduling allowed until (hours before)",
        0,
        24 * 14,
        "Enter how many hours before the appointment rescheduling stops, or 0.",
    )
    max_reschedules = _minutes(
        "Most times one booking may be moved",
        0,
        20,
        "Enter how many times one booking may be moved, or 0 for never.",
    )

    class Meta:
        model = BroadcastRule
        fields = [
            "title",
            "appointment_type",
            "duration_minutes",
            "therapists",
            "team",
            "show_therapists",
            "medium",
            "location",
            "location_cy",
            "min_notice_hours",
            "horizon_days",
            "slot_step_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "daily_cap",
            "link_valid_days",
            "hold_minutes",
            "sms_template",
            "sms_template_cy",
            "discreet_sms",
            "welcome_content",
            "welcome_content_cy",
            "confirmation_content",
            "confirmation_content_cy",
            "information_content",
            "information_content_cy",
            "allow_reschedule",
            "reschedule_cutoff_hours",
            "max_reschedules",
            "allow_patient_cancel",
            "send_confirmation_sms",
            "active",
        ]
        labels = {
            "welcome_content": "Welcome page",
            "confirmation_content": "Confirmation page",
            "information_content": "Information when managing an appointment",
            "sms_template": "Text message",
            "sms_template_cy": "Text message in Welsh",
            "location_cy": "Location in Welsh",
            "welcome_content_cy": "Welcome page in Welsh",
            "confirmation_content_cy": "Confirmation page in Welsh",
            "information_content_cy": "Information in Welsh",
            "send_confirmation_sms": "Send a confirmation text after booking",
            "allow_reschedule": "Patients may reschedule",
            "show_therapists": "Patients choose their therapist",
            "active": "Active (staff can send links for this rule)",
        }
        help_texts = {
            "sms_template": f"Placeholders: {PLACEHOLDER_LIST}. The text must include {{link}}.",
            "welcome_content": "Markdown: **bold**, lists, and links like [text](https://…).",
            "confirmation_content": "Shown after booking. Markdown, as above.",
            "information_content": "Shown with the appointment on the manage page. Markdown.",
            "sms_template_cy": WELSH_HINT,
            "location_cy": WELSH_HINT,
            "welcome_content_cy": WELSH_HINT,
            "confirmation_content_cy": WELSH_HINT,
            "information_content_cy": WELSH_HINT,
        }
        field_classes = {"therapists": RecordsChoiceField}
        error_messages = {
            "appointment_type": one_message("Choose an appointment type."),
            "therapists": one_message("Choose therapists from the list."),
            "team": one_message("Choose a team, or no team."),
            "medium": one_message("Choose face to face, telephone or video."),
            # Empty, the text is refused before clean_sms_template sees it: the same words.
            "sms_template": {"required": NO_SMS_TEXT},
        }
        widgets = {
            "therapists": forms.CheckboxSelectMultiple,
            "sms_template": forms.Textarea(attrs={"rows": 4}),
            "sms_template_cy": forms.Textarea(attrs={"rows": 4, "lang": "cy"}),
            "location_cy": forms.TextInput(attrs={"lang": "cy"}),
            "welcome_content": forms.Textarea(attrs={"rows": 8}),
            "welcome_content_cy": forms.Textarea(attrs={"rows": 8, "lang": "cy"}),
            "confirmation_content": forms.Textarea(attrs={"rows": 6}),
            "confirmation_content_cy": forms.Textarea(attrs={"rows": 6, "lang": "cy"}),
            "information_content": forms.Textarea(attrs={"rows": 6}),
            "information_content_cy": forms.Textarea(attrs={"rows": 6, "lang": "cy"}),
        }

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.instance.service = service
        _limit(self.fields["appointment_type"], AppointmentType.objects.filter(service=service))
        _limit(self.fields["therapists"], Therapist.objects.filter(service=service, active=True))
        _limit(self.fields["team"], Team.objects.filter(service=service))
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)  # noqa: S101 - set by Meta
        team.empty_label = "No team"

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Enter a title for the rule.")
        same = BroadcastRule.objects.filter(service=self.service, title__iexact=title)
        if self.instance.pk:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise forms.ValidationError(
                f"There is already a rule called “{title}”. Give this one a different title."
            )
        return title

    def clean_sms_template(self) -> str:
        template: str = self.cleaned_data["sms_template"].strip()
        problems = sms_template_problems(template, self.service)
        if problems:
            raise forms.ValidationError(problems)
        return template

    def clean_sms_template_cy(self) -> str:
        template: str = self.cleaned_data["sms_template_cy"].strip()
        problems = sms_template_problems(template, self.service, welsh=True) if template else []
        if problems:
            raise forms.ValidationError(problems)
        return template

    def clean_welcome_content(self) -> str:
        return _secure_markdown(self.cleaned_data["welcome_content"])

    def clean_welcome_content_cy(self) -> str:
        return _secure_markdown(self.cleaned_data["welcome_content_cy"])

    def clean_confirmation_content(self) -> str:
        return _secure_markdown(self.cleaned_data["confirmation_content"])

    def clean_confirmation_content_cy(self) -> str:
        return _secure_markdown(self.cleaned_data["confirmation_content_cy"])

    def clean_information_content(self) -> str:
        return _secure_markdown(self.cleaned_data["information_content"])

    def clean_information_content_cy(self) -> str:
        return _secure_markdown(self.cleaned_data["information_content_cy"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        duration, step = data.get("duration_minutes"), data.get("slot_step_minutes")
        if duration and step and duration % step:
            lower = duration - duration % step
            options = " or ".join(str(m) for m in (lower, lower + step) if m > 0)
            self.add_error(
                "duration_minutes",
                f"The duration ({duration} minutes) must be a multiple of {step} minutes, the "
                f"gap between start times: try {options}.",
            )
        notice, horizon = data.get("min_notice_hours"), data.get("horizon_days")
        if notice is not None and horizon and horizon * 24 <= notice:
            self.add_error(
                "horizon_days",
                f"The booking window ends before it starts: “how far ahead” ({horizon} days) "
                f"must be longer than the minimum notice ({notice} hours).",
            )
        if "therapists" in data and "team" in data and not data["therapists"] and not data["team"]:
            self.add_error(
                "therapists", "Choose at least one therapist or a team, or no times are offered."
            )
        return data


def _limit(field: forms.Field, queryset: Any) -> None:
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - set by Meta
    field.queryset = queryset


def _secure_markdown(source: str) -> str:
    source = clean_markdown_source(source)  # no HTML is ever stored; rendering cleans again
    bad = insecure_links(source)
    if bad:
        raise forms.ValidationError(
            [
                f"The link to {href} is not secure. Links must start with https:// "
                "(or be mailto: or tel:)."
                for href in bad
            ]
        )
    return source


def rule_sms_length(template: str, service: Service, *, welsh: bool = False) -> SmsLength:
    """The text's length for a typical patient, as the service's provider sends it, with the
    date written in the text's language."""
    with language_of("cy" if welsh else "en"):
        return sms_template_length(
            template,
            service_name=service.name,
            base_url=settings.PUBLIC_BASE_URL,
            provider=sms_provider_name(service),
        )


def sms_template_problems(template: str, service: Service, *, welsh: bool = False) -> list[str]:
    """What is wrong with a rule's text message, in words a superuser can act on."""
    problems = []
    if not template:
        return [NO_SMS_TEXT]
    unknown = unknown_placeholders(template)
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        problems.append(f"Unknown placeholder {names}. Use only {PLACEHOLDER_LIST}.")
    if "{link}" not in template:
        problems.append("The text must include {link}, or patients cannot book.")
    length = rule_sms_length(template, service, welsh=welsh)
    if length.segments > MAX_SEGMENTS:
        problems.append(
            f"The text would take {length.segments} text messages ({length.units} characters, "
            f"{length.encoding}); keep it to {MAX_SEGMENTS}."
        )
    return problems


class RuleActiveForm(forms.Form):
    """Switch a rule on ("1") or off ("0"), as the rule list's buttons post."""

    active = forms.TypedChoiceField(
        choices=[("1", "Active"), ("0", "Not active")],
        coerce=lambda value: value == "1",
        error_messages=one_message("Choose whether the rule is active."),
    )
