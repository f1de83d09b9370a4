from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import pgettext_lazy

from slotlink.domain.weeks import works_on


class Nation(models.TextChoices):
    # Codes are the `holidays` package's subdivisions of GB.
    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class SmsProvider(models.TextChoices):
    OUTBOX = "outbox", "Outbox only (nothing is sent: for testing)"
    NOTIFY = "notify", "GOV.UK Notify"
    TWILIO = "twilio", "Twilio"


class Service(models.Model):
    """One talking-therapy service; everything else belongs to exactly one."""

    name = models.CharField(max_length=200)
    logo = models.FileField(upload_to="logos/", blank=True)
    phone = models.CharField(max_length=40, help_text="Shown to patients on every page.")
    website = models.URLField(blank=True)
    cancellation_policy_url = models.URLField(blank=True)
    sms_sender_name = models.CharField(max_length=11, blank=True)
    online_booking_enabled = models.BooleanField("Online appointment booking", default=False)
    uses_messages = models.BooleanField("Uses Messages", default=True)
    reminder_hours_before = models.JSONField(default=list, blank=True)
    # Texts due between these local times wait until quiet_until (none if either is empty).
    quiet_from = models.TimeField(null=True, blank=True, default=time(21))
    quiet_until = models.TimeField(null=True, blank=True, default=time(8))
    time_zone = models.CharField(max_length=64, default="Europe/London")
    nation = models.CharField(
        max_length=3,
        choices=Nation.choices,
        default=Nation.ENGLAND,
        help_text="Whose bank holidays the service closes on.",
    )
    closed_on_bank_holidays = models.BooleanField(default=True)
    manage_requires_sms_code = models.BooleanField(
        "Ask for a code by text as well as the date of birth", default=False
    )
    quick_exit_enabled = models.BooleanField(
        '"Leave this page" button',
        default=False,
        help_text="Patient pages show a button that leaves for a neutral website at once.",
    )
    crisis_information = models.TextField(
        blank=True,
        help_text=(
            "Markdown; links allowed. Shown, after NHS 111 and 999, to a patient whose "
            "questionnaire answers show they may be at risk."
        ),
    )
    crisis_information_cy = models.TextField("Crisis information (Welsh)", blank=True)
    # Blank provider: the deployment's default (settings.SMS_PROVIDER).
    sms_provider = models.CharField(
        "SMS provider", max_length=20, choices=SmsProvider.choices, blank=True
    )
    sms_account_id = models.CharField(
        "Account or template ID",
        max_length=100,
        blank=True,
        help_text="GOV.UK Notify: the template ID. Twilio: the account SID.",
    )
    # The provider's API key or auth token, encrypted with slotlink.lib.crypto; never shown back.
    sms_secret_encrypted = models.TextField(blank=True)
    # The SHA-256 of the bearer token GOV.UK Notify sends with this service's delivery
    # receipts (its own Notify account's callback). Only checked, never read back, so only the
    # hash is kept; the superuser sees the token once, when it is made.
    notify_callback_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # The notices every patient page links to, in Markdown, each in English and Welsh. Blank:
    # Slotlink's own wording (templates/portal/help/), in the patient's language.
    accessibility_statement = models.TextField(blank=True)
    accessibility_statement_cy = models.TextField("Accessibility statement (Welsh)", blank=True)
    privacy_notice = models.TextField(blank=True)
    privacy_notice_cy = models.TextField("Privacy notice (Welsh)", blank=True)
    # Shown above the list of cookies, which Slotlink writes itself so that it stays true.
    cookie_statement = models.TextField(blank=True)
    cookie_statement_cy = models.TextField("Cookie statement (Welsh)", blank=True)
    feedback_url = models.URLField(
        "Feedback and complaints page",
        blank=True,
        help_text="Where patients tell the service what they think; else they are told to call.",
    )
    # Switched off by an operator: its staff cannot log in, its patients' links offer nothing
    # and it sends no texts; switching it on again restores all of it (nothing is deleted).
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    ADMIN = "admin", "Admin"
    SUPERUSER = "superuser", "Superuser"
    # Runs Slotlink for many services: belongs to none, so sees no service's data.
    OPERATOR = "operator", "Operator"


# The roles a service's superuser may give its staff.
SERVICE_ROLES = (Role.THERAPIST, Role.ADMIN, Role.SUPERUSER)


class User(AbstractUser):
    """A member of staff. Staff without a service see nothing."""

    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    # "Log out everywhere" adds one: every session signed with the old value stops working.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="operator") | Q(service__isnull=True),
                name="operator_has_no_service",
            )
        ]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django keeps this hash in each session and logs the session out when it no longer
        # matches; mixing in the generation makes "log out everywhere" a one-field update.
        return salted_hmac(
            "slotlink.clinic.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Therapist(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="therapists")
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="therapist"
    )
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)
    therapists = models.ManyToManyField(Therapist, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class WorkingPattern(models.Model):
    """A recurring weekly working session, in the service's local time."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="working_patterns"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start_time = models.TimeField()
    end_time = models.TimeField()
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    every_weeks = models.PositiveSmallIntegerField(default=1)
    # Patients booking online are offered only these shifts; staff may book into any.
    online_bookable = models.BooleanField("Bookable online", default=True)

    # When and how the shift is worked: all a set-up page changes.
    SHIFT_FIELDS = (
        "weekday",
        "start_time",
        "end_time",
        "every_weeks",
        "effective_from",
        "effective_to",
        "online_bookable",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="pattern_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(every_weeks__gte=1), name="pattern_every_weeks_1"),
        ]

    def __str__(self) -> str:
        return f"{self.therapist} {self.get_weekday_display()} {self.start_time}-{self.end_time}"

    def works_on(self, day: date) -> bool:
        """Whether the shift falls on `day`: the same rule as the slot engine's."""
        to = self.effective_to
        return works_on(
            day.toordinal(),
            self.weekday,
            self.effective_from.toordinal(),
            None if to is None else to.toordinal(),
            self.every_weeks,
        )


class DiaryChangeKind(models.TextChoices):
    EXTRA = "extra", "Extra session"
    LEAVE = "leave", "Leave"
    SICKNESS = "sickness", "Sickness"
    TRAINING = "training", "Training"


class DiaryChange(models.Model):
    """A one-off change to a therapist's working time: an extra session adds time, anything
    else takes it away."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="diary_changes")
    kind = models.CharField(max_length=10, choices=DiaryChangeKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="diary_change_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["therapist", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.therapist}"


class Language(models.TextChoices):
    # Patient-facing words come in these languages (Wales's services must offer Welsh).
    ENGLISH = "en", "English"
    WELSH = "cy", "Cymraeg (Welsh)"


class Patient(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    mobile = models.CharField(max_length=16, blank=True, help_text="E.164, e.g. +447700900123")
    email = models.EmailField(blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    do_not_sms = models.BooleanField(
        "Do not contact by SMS",
        default=False,
        help_text="For example when someone else reads the patient's texts.",
    )
    preferred_language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.ENGLISH
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "nhs_number"],
                condition=~Q(nhs_number=""),
                name="patient_nhs_number_unique_per_service",
            )
        ]
        indexes = [models.Index(fields=["service", "last_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Medium(models.TextChoices):
    # Patients read these too, in their language.
    FACE_TO_FACE = "face_to_face", pgettext_lazy("appointment medium", "Face to face")
    TELEPHONE = "telephone", pgettext_lazy("appointment medium", "Telephone")
    VIDEO = "video", pgettext_lazy("appointment medium", "Video")


class AppointmentType(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointment_types")
    name = models.CharField(max_length=100)
    # Patients who prefer Welsh read this; blank, they read the English name.
    name_cy = models.CharField("Name (Welsh)", max_length=100, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    # New appointments of this type start with this medium (staff may change it).
    medium = models.CharField(max_length=20, choices=Medium.choices, default=Medium.FACE_TO_FACE)

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    DNA = "dna", "DNA"
    CANCELLED = "cancelled", "Cancelled"


# Statuses whose appointment occupies the therapist's time.
TIME_HOLDING = [AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.DNA]

# How far from today an appointment's day may be. Services book weeks or months ahead (a rule
# offers at most a year) and staff record an appointment a little late, never years; a day
# outside this is a slip (2062 for 2026, or 9999-12-31) that would otherwise be saved. It also
# keeps every date sum far from Python's years 1 and 9999, where a day more does not exist.
APPOINTMENT_DAYS_BACK = 366
APPOINTMENT_DAYS_AHEAD = 2 * 366


def appointment_days(today: date) -> tuple[date, date]:
    """The first and last day an appointment may fall on, seen from `today`."""
    return (
        today - timedelta(days=APPOINTMENT_DAYS_BACK),
        today + timedelta(days=APPOINTMENT_DAYS_AHEAD),
    )


class Source(models.TextChoices):
    STAFF = "staff", "Staff"
    ONLINE = "online", "Booked online"


class Appointment(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT)
    start = models.DateTimeField()
    end = models.DateTimeField()
    medium = models.CharField(max_length=20, choices=Medium.choices, default=Medium.FACE_TO_FACE)
    location = models.CharField(max_length=200, blank=True)
    location_cy = models.CharField("Location (Welsh)", max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    booking_link = models.ForeignKey(
        "booking.BookingLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    cancellation_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appt_ends_after_start"
            ),
            # Part of the one-slot-one-appointment rule that every database can enforce; on
            # PostgreSQL an exclusion constraint (migration 0002) also forbids any overlap.
            models.UniqueConstraint(
                fields=["therapist", "start"],
                condition=Q(status__in=TIME_HOLDING),
                name="appt_one_per_therapist_start",
            ),
            # A booking link never has more than one live appointment.
            models.UniqueConstraint(
                fields=["booking_link"],
                condition=Q(booking_link__isnull=False, status__in=TIME_HOLDING),
                name="appt_one_live_per_link",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "start", "end"]),
            # What is still to come in a diary, without stepping through its past: how the
            # patient's pages read a therapist's appointments (end > now, in end order). It
            # holds every column they read, so the table itself is never visited.
            models.Index(
                fields=["therapist", "end", "start", "status", "source"],
                name="appt_therapist_end_covering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} with {self.therapist} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class ClinicalContact(models.Model):
    """The clinical record of one appointment."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="clinical_contact"
    )
    notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Clinical contact for {self.appointment}"


class InternalMessage(models.Model):
    """The staff inbox ("Messages")."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="inbox")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject


class SettingsChange(models.Model):
    """Append-only: who changed which of a service's settings, and when (never the values:
    some are secrets)."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="settings_changes")
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField()
    # "Service settings", or the broadcast rule changed.
    subject = models.CharField(max_length=200)
    fields = models.JSONField(default=list)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} changed at {self.changed_at:%Y-%m-%d %H:%M}"


class PatientAlert(models.Model):
    """An urgent flag on a patient's record (e.g. a questionnaire answer showing risk). It
    shows on every page of the record until a clinician acknowledges it; who and when is kept."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    raised_at = models.DateTimeField()
    summary = models.CharField(max_length=200)
    # What raised it, as the raising app names it (e.g. "form_request", 42).
    about_kind = models.CharField(max_length=20)
    about_id = models.PositiveBigIntegerField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # One alert per thing that raised it: a repeated save cannot alert twice.
            models.UniqueConstraint(fields=["about_kind", "about_id"], name="patient_alert_once")
        ]
        indexes = [models.Index(fields=["patient", "acknowledged_at"])]

    def __str__(self) -> str:
        return self.summary
