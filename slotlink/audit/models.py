"""The audit log: who did what to which record, and when. Append-only.

Rows point at people and records by id without database constraints, so that nothing done to
a user, patient or service later can cascade into (that is, update or delete) the record of
what happened to them. PostgreSQL refuses UPDATE and DELETE of these rows outright (migration
0002); the only deletion is retention's, see slotlink/ops/retention.py.

The audit log sits below every other app (any of them may write to it), so it names the
people and records it points at by string reference, never by importing their models."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnly("Audit events are deleted only by retention.")


class Who(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    LINK_SENT = "link.sent", "Booking link sent"
    LINK_SENT_AGAIN = "link.sent_again", "Booking link sent again"
    LINK_OPENED = "link.opened", "Booking link opened"
    LINK_BOOKED = "link.booked", "Booking link used to book"
    LINK_RESCHEDULED = "link.rescheduled", "Booking rescheduled by the patient"
    LINK_EXPIRED = "link.expired", "Booking link expired"
    LINK_DELETED = "link.deleted", "Booking link deleted"
    APPOINTMENT_CREATED = "appointment.created", "Appointment made"
    APPOINTMENT_MOVED = "appointment.moved", "Appointment moved"
    APPOINTMENT_UPDATED = "appointment.updated", "Appointment changed"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    APPOINTMENT_DELETED = "appointment.deleted", "Appointment deleted from the diary"
    APPOINTMENT_VIEWED = "appointment.viewed", "Appointment viewed"
    CLINICAL_CONTACT_VIEWED = "clinical_contact.viewed", "Clinical contact viewed"
    CLINICAL_CONTACT_UPDATED = "clinical_contact.updated", "Clinical contact changed"
    PATIENT_VIEWED = "patient.viewed", "Patient record viewed"
    PATIENT_UPDATED = "patient.updated", "Patient details changed"
    PATIENT_CREATED = "patient.created", "Patient added"
    THERAPIST_SAVED = "therapist.saved", "Therapist added or changed"
    TEAM_SAVED = "team.saved", "Team added or changed"
    PATTERN_ADDED = "pattern.added", "Working pattern shift added"
    PATTERN_CHANGED = "pattern.changed", "Working pattern shift changed"
    PATTERN_ENDED = "pattern.ended", "Working pattern shift ended"
    PATTERN_REMOVED = "pattern.removed", "Working pattern shift removed"
    DIARY_CHANGE_ADDED = "diary_change.added", "Leave or extra session added"
    DIARY_CHANGE_REMOVED = "diary_change.removed", "Leave or extra session removed"
    APPOINTMENT_TYPE_SAVED = "appointment_type.saved", "Appointment type added or changed"
    IMPORT_DONE = "import.done", "CSV file imported"
    AUDIT_VIEWED = "audit.viewed", "Audit trail viewed"
    VERIFICATION_BIRTH_DATE = "verification.birth_date", "Date of birth checked"
    VERIFICATION_CODE = "verification.code", "Code from a text checked"
    VERIFICATION_CODE_SENT = "verification.code_sent", "Code texted"
    VERIFICATION_CODE_REFUSED = "verification.code_refused", "Code not texted (limit reached)"
    MESSAGE_NOT_SENT = "message.not_sent", "Text not sent"
    SETTINGS_CHANGED = "settings.changed", "Settings changed"
    TWO_FACTOR_ENABLED = "account.two_factor_enabled", "Two-factor authentication set up"
    TWO_FACTOR_RESET = "account.two_factor_reset", "Two-factor authentication reset"
    SESSIONS_ENDED = "account.sessions_ended", "Logged out everywhere"
    STAFF_ADDED = "account.added", "Member of staff added"
    STAFF_UPDATED = "account.updated", "Staff details changed"
    STAFF_ROLE_CHANGED = "account.role_changed", "Role changed"
    STAFF_DEACTIVATED = "account.deactivated", "Account deactivated"
    STAFF_REACTIVATED = "account.reactivated", "Account reactivated"
    STAFF_UNLOCKED = "account.unlocked", "Login unlocked"
    PASSWORD_LINK_MADE = "account.password_link_made", "Set-password link made"
    PASSWORD_SET = "account.password_set", "Password set"
    SERVICE_CREATED = "service.created", "Service created"
    SERVICE_SWITCHED_OFF = "service.switched_off", "Service switched off"
    SERVICE_SWITCHED_ON = "service.switched_on", "Service switched on"
    RETENTION_APPLIED = "retention.applied", "Old records deleted or anonymised"
    API_CALL = "api.call", "FHIR API call"
    API_CLIENT_CREATED = "api.client_created", "API client made"
    API_CLIENT_ROTATED = "api.client_rotated", "API client secret rotated"
    API_CLIENT_REVOKED = "api.client_revoked", "API client revoked"
    API_TOKEN_ISSUED = "api.token_issued", "API access token issued"
    FORMS_SENT = "forms.sent", "Questionnaires sent"
    FORMS_OPENED = "forms.opened", "Questionnaire link opened"
    FORM_SUBMITTED = "form.submitted", "Questionnaire submitted"
    FORMS_WITHDRAWN = "forms.withdrawn", "Questionnaires withdrawn"
    FORM_VIEWED = "form.viewed", "Questionnaire answers viewed"
    FORM_SAVED = "form.saved", "Questionnaire form saved"
    RISK_ALERT_RAISED = "alert.raised", "Risk alert raised"
    ALERT_ACKNOWLEDGED = "alert.acknowledged", "Alert acknowledged"


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10, choices=Who.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The username then, so the record reads the same whatever later happens to the account.
    actor_username = models.CharField(max_length=150, blank=True)
    # An AuditAction value; not declared as choices so adding an action needs no migration.
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    patient = models.ForeignKey(
        "clinic.Patient",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    service = models.ForeignKey(
        "clinic.Service",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Small and never secret: field names, outcomes, counts; no values a person typed.
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"]),
            models.Index(fields=["service", "-occurred_at"]),
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_username or self.actor_kind} at {self.occurred_at}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit events are deleted only by retention.")
