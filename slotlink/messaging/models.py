from __future__ import annotations

from django.db import models
from django.db.models import Q

from slotlink.clinic.models import Appointment, Patient, Service
from slotlink.lib.crypto import new_token


class MessageKind(models.TextChoices):
    BOOKING_LINK = "booking_link", "Booking link"
    CONFIRMATION = "confirmation", "Confirmation"
    REMINDER = "reminder", "Reminder"
    AD_HOC = "ad_hoc", "Link sent again"
    VERIFICATION = "verification", "Verification code"
    FORM_LINK = "form_link", "Questionnaire link"
    FORM_REMINDER = "form_reminder", "Questionnaire reminder"


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent"


# A status only ever moves to one of higher rank, so a late or repeated provider callback
# can never move a message backwards.
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.CANCELLED: 3,
}


class OutboundMessage(models.Model):
    """The outbox: a message is stored here first, in the transaction of the change that
    causes it, and sent from a task afterwards."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="messages_out")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="messages_out"
    )
    # What the message is about, as the caller names it (e.g. "booking_link", 42): messaging
    # sits below the apps that send texts, so it holds a plain reference, not their models.
    about_kind = models.CharField(max_length=20, blank=True)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # Our name for the message at the provider, which hands it back in delivery receipts:
    # random, so a receipt can only name a message whose reference it was given. (Messages
    # from before it was random keep their number, which the provider already holds.)
    reference = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    # Encrypted: the text may hold a live link and always holds personal details.
    body_encrypted = models.TextField()
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    send_after = models.DateTimeField(help_text="Not before this (quiet hours, reminders).")
    # Sent now even in quiet hours: the patient is waiting for it.
    urgent = models.BooleanField(default=False)
    # Reminders: the appointment start they were written for, and how long before it.
    for_start = models.DateTimeField(null=True, blank=True)
    reminder_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The last attempt failed in a way that leaves open whether the provider took it.
    uncertain = models.BooleanField(default=False)
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True, db_index=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["service", "status"]),
            models.Index(fields=["about_kind", "about_id"], name="message_about"),
        ]
        constraints = [
            # At most one reminder of each kind for one start of one appointment.
            models.UniqueConstraint(
                fields=["appointment", "for_start", "reminder_hours"],
                condition=Q(kind="reminder"),
                name="message_one_reminder_per_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class MessageEvent(models.Model):
    """What a provider told us about a message. Unique per provider status, so a callback
    delivered twice is recorded once."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="events")
    provider_status = models.CharField(max_length=40)
    detail = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "provider_status"], name="message_event_once_per_status"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message}: {self.provider_status}"
