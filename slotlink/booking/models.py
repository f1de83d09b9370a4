from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from slotlink.clinic.models import (
    AppointmentType,
    Medium,
    Patient,
    Service,
    Team,
    Therapist,
    User,
)
from slotlink.domain.link_lifecycle import LinkStatus

# Names no service: its name ("… Talking Therapies") would tell anyone reading the patient's
# phone what kind of care they receive. The sender name says who it is from.
DEFAULT_SMS_TEMPLATE = (
    "Hello {first_name}, you can now book your appointment online: {link} "
    "This link works until {expiry_date}."
)
# For patients who share a phone: nothing says who it is from or what it is about.
# Translated where a text is made, in the patient's language.
DISCREET_SMS_TEMPLATE = gettext_lazy(
    "You can choose a time for your appointment here: {link} (until {expiry_date})"
)


class BroadcastRule(models.Model):
    """A superuser's recipe for one kind of appointment patients can book online."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="broadcast_rules")
    title = models.CharField(max_length=200)
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT)
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    therapists = models.ManyToManyField(Therapist, related_name="broadcast_rules", blank=True)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="broadcast_rules",
        help_text="Everyone in the team offers times, as well as the therapists chosen above.",
    )
    show_therapists = models.BooleanField(
        default=False, help_text="Let the patient choose who they see, not only when."
    )
    medium = models.CharField(max_length=20, choices=Medium.choices, default=Medium.FACE_TO_FACE)
    location = models.CharField(max_length=200, blank=True)
    location_cy = models.CharField("Location (Welsh)", max_length=200, blank=True)
    min_notice_hours = models.PositiveIntegerField("Minimum notice (hours)", default=24)
    horizon_days = models.PositiveIntegerField("How far ahead (days)", default=42)
    slot_step_minutes = models.PositiveSmallIntegerField("Start times every (minutes)", default=30)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    daily_cap = models.PositiveSmallIntegerField(
        "Most online bookings per therapist per day", null=True, blank=True
    )
    link_valid_days = models.PositiveIntegerField("Link valid for (days)", default=14)
    sms_template = models.TextField(default=DEFAULT_SMS_TEMPLATE)
    # Each patient-facing text in Welsh beside the English; blank sends or shows the English.
    sms_template_cy = models.TextField("Text message (Welsh)", blank=True)
    discreet_sms = models.BooleanField(
        "Discreet text",
        default=False,
        help_text=(
            "Send a neutral text naming neither the service nor the appointment, for patients "
            "who share a phone. The text above is then not used."
        ),
    )
    welcome_content = models.TextField(blank=True, help_text="Markdown; links allowed.")
    welcome_content_cy = models.TextField("Welcome content (Welsh)", blank=True)
    confirmation_content = models.TextField(blank=True, help_text="Markdown; links allowed.")
    confirmation_content_cy = models.TextField("Confirmation content (Welsh)", blank=True)
    information_content = models.TextField(
        blank=True, help_text="Markdown shown to the patient when they manage their appointment."
    )
    information_content_cy = models.TextField("Information content (Welsh)", blank=True)
    allow_reschedule = models.BooleanField(default=True)
    reschedule_cutoff_hours = models.PositiveIntegerField(default=24)
    max_reschedules = models.PositiveSmallIntegerField(
        "Most times one booking may be moved", default=2
    )
    allow_patient_cancel = models.BooleanField("Patients may cancel online", default=False)
    send_confirmation_sms = models.BooleanField(default=True)
    hold_minutes = models.PositiveSmallIntegerField(
        "Hold a chosen time for (minutes)",
        default=10,
        help_text="How long a time stays reserved while the patient checks and confirms it.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "title"], name="rule_title_unique_per_service"
            )
        ]

    def __str__(self) -> str:
        return self.title


# How a text names the booking link it is about (OutboundMessage.about_kind).
LINK_ABOUT = "booking_link"


class BookingLink(models.Model):
    """A single-use link sent to one patient for one rule. Only the token's hash is stored in
    the clear; the token itself is kept encrypted so staff can copy it again.

    `accessed_at`, `booked_at` and `expired_at` copy the `occurred_at` of the link's event to
    that status, written by the same compare-and-set that moves it (each happens at most once
    in a link's life): the dashboard counts a week's links from them with indexes alone,
    instead of joining each of the week's events to its link."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="booking_links")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="booking_links")
    rule = models.ForeignKey(BroadcastRule, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    token_encrypted = models.TextField()
    status = models.CharField(
        max_length=20,
        choices=[(s.value, s.value.capitalize()) for s in LinkStatus],
        default=LinkStatus.SENT,
    )
    sent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accessed_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.rule} link #{self.pk}"


class SlotHold(models.Model):
    """A time reserved for one link while its patient reviews it, hidden from everyone else.

    At most one per link. No two holds of one therapist overlap: PostgreSQL enforces it with an
    exclusion constraint (migration 0004); SQLite's one-writer-at-a-time transactions make the
    check before the insert sufficient there. Lapsed holds are deleted by whoever next needs
    the time."""

    link = models.OneToOneField(BookingLink, on_delete=models.CASCADE, related_name="hold")
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "start"], name="hold_one_per_therapist_start"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="hold_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["therapist", "start", "end"])]

    def __str__(self) -> str:
        return f"Hold for link #{self.link_id} until {self.expires_at:%H:%M}"


class ManageLink(models.Model):
    """The link in the confirmation text. It belongs to the booking link, so it keeps
    working for whichever appointment the booking currently stands for. Opening it needs the
    patient's date of birth; wrong guesses are counted here (atomically) and lock it."""

    booking_link = models.OneToOneField(
        BookingLink, on_delete=models.CASCADE, related_name="manage_link"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_encrypted = models.TextField()
    created_at = models.DateTimeField()
    failed_attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    codes_sent = models.JSONField(default=list, blank=True)  # when each code was sent

    def __str__(self) -> str:
        return f"Manage link for {self.booking_link}"


class ClientThrottle(models.Model):
    """Failed verification attempts from one client (a hashed address), across all links."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Throttle {self.key[:8]}"


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"
    SYSTEM = "system", "System"


class BookingLinkEvent(models.Model):
    """Append-only: one row per status change of a link, with who or what caused it."""

    link = models.ForeignKey(BookingLink, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=200, blank=True)
    appointment = models.ForeignKey(
        "clinic.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.link} {self.from_status or 'new'} -> {self.to_status}"


class BulkStatus(models.TextChoices):
    PREVIEW = "preview", "Waiting for confirmation"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    DONE = "done", "Finished"


class BulkInvitation(models.Model):
    """One rule's link sent to many patients at once. `key` is a hash of the service, the
    rule and the sorted list of who was asked for, so the same list for the same rule is one
    invitation however often it is uploaded, and is sent at most once."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(BroadcastRule, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=20)  # "upload" or "selection"
    file_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=BulkStatus.choices, default=BulkStatus.PREVIEW)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Bulk invitation #{self.pk} for {self.rule}"


class BulkFinding(models.TextChoices):
    """What the preview found for one row."""

    READY = "ready", "Ready to send"
    UNKNOWN = "unknown", "Unknown NHS number"
    INVALID = "invalid", "Invalid NHS number"
    NO_MOBILE = "no_mobile", "No mobile number"
    DO_NOT_SMS = "do_not_sms", "Do not contact by SMS"
    DISCHARGED = "discharged", "Discharged"
    LIVE_LINK = "live_link", "Already has a live link for this rule"
    DUPLICATE = "duplicate", "Duplicate row"


class BulkResult(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"


class BulkInvitationRow(models.Model):
    invitation = models.ForeignKey(BulkInvitation, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row in the file (header is row 1), or order
    nhs_number = models.CharField(max_length=20, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding = models.CharField(max_length=12, choices=BulkFinding.choices)
    result = models.CharField(max_length=10, choices=BulkResult.choices, default=BulkResult.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    link = models.ForeignKey(
        BookingLink, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["invitation", "result"])]

    def __str__(self) -> str:
        return f"Row {self.number} of {self.invitation}"
