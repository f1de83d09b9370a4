"""Forms for setting a service up: therapists, teams, working patterns, diary changes and
appointment types (admins and superusers)."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q

from slotlink.clinic.models import (
    WEEKDAYS,
    AppointmentType,
    DiaryChangeKind,
    Team,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.lib.fields import ClockField, DayField, WholeNumberField
from slotlink.lib.forms import one_message

EVERY_WEEKS = [
    (1, "Every week"),
    (2, "Every other week"),
    (3, "Every third week"),
    (4, "Every fourth week"),
]
# Patterns and changes are set up for the years around now, never centuries away.
SETUP_DAYS_BACK = 5 * 366
SETUP_DAYS_AHEAD = 5 * 366


def _day_input() -> forms.DateInput:
    # A date input only understands ISO dates.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StaffAccountField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class TherapistForm(forms.ModelForm[Therapist]):
    class Meta:
        model = Therapist
        fields = ["name", "user", "active"]
        labels = {"user": "Staff account", "active": "Active"}
        field_classes = {"user": StaffAccountField}
        error_messages = {
            "name": one_message("Enter the therapist's name."),
            "user": one_message("Choose a staff account from the list, or none."),
        }
        help_texts = {
            "user": "Optional: the member of staff whose login opens this diary.",
            "active": "An inactive therapist stays in the diary's history but patients are "
            "offered none of their times.",
        }

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Teams",
        error_messages=one_message("Choose teams from the list."),
    )

    def __init__(self, *args: Any, service_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)  # noqa: S101 - a foreign key
        # Staff of this service not yet tied to another therapist.
        user_field.queryset = User.objects.filter(
            Q(therapist__isnull=True) | Q(pk=self.instance.user_id or 0),
            service_id=service_id,
            is_active=True,
        ).order_by("username")
        teams = self.fields["teams"]
        assert isinstance(teams, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        teams.queryset = Team.objects.filter(service_id=service_id)
        if not teams.queryset.exists():
            # Else an empty box of tick boxes, which reads as a fault.
            teams.help_text = "This service has no teams yet: add them under Teams."
        if self.instance.pk:
            self.initial["teams"] = list(self.instance.teams.values_list("pk", flat=True))


class TeamForm(forms.ModelForm[Team]):
    class Meta:
        model = Team
        fields = ["name", "therapists"]
        widgets = {"therapists": forms.CheckboxSelectMultiple}
        labels = {"therapists": "Members"}
        error_messages = {
            "name": one_message("Enter the team's name."),
            "therapists": one_message("Choose members from the list."),
        }

    def __init__(self, *args: Any, service_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["therapists"]
        assert isinstance(members, forms.ModelMultipleChoiceField)  # noqa: S101 - a M2M
        members.queryset = Therapist.objects.filter(service_id=service_id)


class PatternForm(forms.Form):
    """One shift of a weekly pattern. Several shifts a day are several of these."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=WEEKDAYS,
        coerce=int,
        error_messages=one_message("Choose the day of the week."),
    )
    start_time = ClockField(
        label="Starts",
        widget=_time_input(),
        error_messages=one_message("Enter the time the shift starts, for example 09:00."),
    )
    end_time = ClockField(
        label="Ends",
        widget=_time_input(),
        error_messages=one_message("Enter the time the shift ends, for example 17:00."),
    )
    every_weeks = forms.TypedChoiceField(
        label="Repeats",
        choices=EVERY_WEEKS,
        coerce=int,
        initial=1,
        error_messages=one_message("Choose how often the shift repeats."),
    )
    effective_from = DayField(
        label="From",
        widget=_day_input(),
        help_text="Alternate weeks count from the week holding this day.",
        error_messages=one_message("Enter the first day of the pattern, for example 07/12/2026."),
    )
    effective_to = DayField(
        label="Until (optional)",
        required=False,
        widget=_day_input(),
        error_messages=one_message(
            "Enter the last day of the pattern, for example 31/03/2027, or leave it empty."
        ),
    )
    online_bookable = forms.BooleanField(
        label="Bookable online",
        required=False,
        initial=True,
        help_text="Patients with a booking link are offered only these shifts; staff can "
        "book into any.",
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("effective_from", "effective_to"):
            field = self.fields[name]
            assert isinstance(field, DayField)  # noqa: S101 - declared above
            field.limit(
                today - timedelta(days=SETUP_DAYS_BACK), today + timedelta(days=SETUP_DAYS_AHEAD)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The shift must end after it starts, on the same day.")
        since, until = data.get("effective_from"), data.get("effective_to")
        if since and until and until < since:
            self.add_error("effective_to", "The last day must be on or after the first.")
        return data

    @staticmethod
    def initial_of(pattern: WorkingPattern) -> dict[str, Any]:
        return {name: getattr(pattern, name) for name in WorkingPattern.SHIFT_FIELDS}

    def pattern(self, therapist: Therapist) -> WorkingPattern:
        data = self.cleaned_data
        return WorkingPattern(
            therapist=therapist,
            weekday=data["weekday"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            every_weeks=data["every_weeks"],
            effective_from=data["effective_from"],
            effective_to=data.get("effective_to"),
            online_bookable=data["online_bookable"],
        )


class PatternEndForm(forms.Form):
    last_day = DayField(
        label="Last day",
        widget=_day_input(),
        error_messages=one_message("Enter the pattern's last day, for example 31/03/2027."),
    )


class DiaryChangeForm(forms.Form):
    """Leave, sickness, training or an extra session: whole days, or part of one when
    times are given."""

    kind = forms.ChoiceField(
        label="What",
        choices=DiaryChangeKind.choices,
        error_messages=one_message("Choose extra session, leave, sickness or training."),
    )
    first_day = DayField(
        label="From",
        widget=_day_input(),
        error_messages=one_message("Enter the first day, for example 14/12/2026."),
    )
    start_time = ClockField(
        label="From time (optional)",
        required=False,
        widget=_time_input(),
        help_text="Leave both times empty for whole days. For half a day, give both.",
        error_messages=one_message("Enter the start time, for example 09:00, or leave it empty."),
    )
    last_day = DayField(
        label="Until (inclusive)",
        required=False,
        widget=_day_input(),
        error_messages=one_message(
            "Enter the last day, for example 18/12/2026, or leave it empty for one day."
        ),
    )
    end_time = ClockField(
        label="Until time (optional)",
        required=False,
        widget=_time_input(),
        error_messages=one_message("Enter the end time, for example 13:00, or leave it empty."),
    )
    note = forms.CharField(
        label="Reason",
        max_length=200,
        error_messages={"required": "Give a reason, for example “Annual leave”."},
    )

    def __init__(self, *args: Any, zone: ZoneInfo, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        for name in ("first_day", "last_day"):
            field = self.fields[name]
            assert isinstance(field, DayField)  # noqa: S101 - declared above
            field.limit(
                today - timedelta(days=SETUP_DAYS_BACK), today + timedelta(days=SETUP_DAYS_AHEAD)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first = data.get("first_day")
        if first is None:
            return data
        last = data.get("last_day") or first
        start_time, end_time = data.get("start_time"), data.get("end_time")
        if (start_time is None) != (end_time is None):
            self.add_error("end_time", "Give both times, or neither for whole days.")
            return data
        if data.get("kind") == DiaryChangeKind.EXTRA and start_time is None:
            self.add_error("start_time", "Give the times of the extra session.")
            return data
        start = self._instant(first, start_time or time(0))
        end = self._instant(last if end_time else last + timedelta(days=1), end_time or time(0))
        if end <= start:
            self.add_error("end_time", "The end must be after the start.")
        data["start"], data["end"] = start, end
        return data

    def _instant(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)


class AppointmentTypeForm(forms.ModelForm[AppointmentType]):
    duration_minutes = WholeNumberField(
        label="Duration (minutes)",
        min_value=5,
        max_value=480,
        error_messages={"required": "Enter how long appointments of this type last, in minutes."},
    )

    class Meta:
        model = AppointmentType
        fields = ["name", "name_cy", "duration_minutes", "medium"]
        labels = {"name_cy": "Name in Welsh"}
        help_texts = {
            "name_cy": "For patients who prefer Welsh. Left empty, they get the English.",
            "medium": "New appointments of this type start with this medium.",
        }
        widgets = {"name_cy": forms.TextInput(attrs={"lang": "cy"})}
        error_messages = {
            "name": one_message("Enter the appointment type's name."),
            "medium": one_message("Choose face to face, telephone or video."),
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty. Fill in the example file and upload that.",
        },
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )


class ImportConfirmForm(forms.Form):
    """The checked file's text, sent back to import it: checked again before anything is
    written, so nothing in it is trusted."""

    payload = forms.CharField(widget=forms.HiddenInput, strip=False)
