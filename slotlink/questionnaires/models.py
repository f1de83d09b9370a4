from __future__ import annotations

from django.db import models
from django.db.models import Q

from slotlink.clinic.models import Appointment, AppointmentType, Patient, Service, User

# How a text names the form link it is about (OutboundMessage.about_kind).
FORM_LINK_ABOUT = "form_link"


class Builtin(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class Form(models.Model):
    """A questionnaire as staff name it. Built-in instruments (PHQ-9, GAD-7) belong to no
    service and never change; a service's own forms change only by adding a version."""

    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="forms"
    )
    builtin = models.CharField(max_length=10, choices=Builtin.choices, blank=True)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin"], condition=~Q(builtin=""), name="form_builtin_once"
            ),
            models.CheckConstraint(
                condition=Q(builtin="", service__isnull=False)
                | (~Q(builtin="") & Q(service__isnull=True)),
                name="form_builtin_or_service",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FormVersion(models.Model):
    """One frozen definition of a form (slotlink.domain.questionnaires), stored as JSON. A
    request points at the version it was sent with, so later edits never change what an
    answer meant."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=80)
    definition = models.JSONField()  # definition_to_json; the intro is Markdown
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.form} version {self.number}"


class FormAssignment(models.Model):
    """Service settings: this form goes with appointments of this type, either with the
    booking (hours_before empty) or that many hours before the appointment."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.CASCADE, related_name="form_assignments"
    )
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="assignments")
    hours_before = models.PositiveIntegerField(null=True, blank=True)
    # Only appointments whose send time comes after this get the form: adding a form to a
    # type does not text everyone already booked.
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment_type", "form"], name="form_assignment_once_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.form} for {self.appointment_type}"


class FormLink(models.Model):
    """One text's single-use link to the forms due for one appointment. Only the token's hash
    is kept in the clear; the token is kept encrypted to text it again in a reminder."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="form_links")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="form_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_encrypted = models.TextField()
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Form link #{self.pk}"


class RequestStatus(models.TextChoices):
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Statuses a request can still be answered in.
OPEN_STATUSES = [RequestStatus.SENT, RequestStatus.OPENED]


class FormRequest(models.Model):
    """One form asked of a patient for one appointment: at most one per appointment and form,
    whatever the concurrency, so a form is never sent twice. Answers are kept as the patient
    gives them (progress), and frozen with their scores when submitted."""

    link = models.ForeignKey(FormLink, on_delete=models.PROTECT, related_name="requests")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="form_requests"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="form_requests")
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="requests")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="requests")
    position = models.PositiveSmallIntegerField(default=0)  # order within its link
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    answers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # expired or withdrawn
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=100, blank=True)
    caseness = models.BooleanField(null=True, blank=True)
    risk = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "form"], name="form_request_once_per_appointment"
            )
        ]
        indexes = [models.Index(fields=["patient", "status", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.form} for appointment #{self.appointment_id}"


class FormRequestEvent(models.Model):
    """Append-only: each status change of a request, when, and who or what caused it."""

    request = models.ForeignKey(FormRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=RequestStatus.choices)
    at = models.DateTimeField()
    by = models.CharField(max_length=10)  # patient, staff or system
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} {self.status}"
