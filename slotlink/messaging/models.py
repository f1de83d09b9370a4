from __future__ import annotations

from django.db import models

from slotlink.booking.models import BookingLink
from slotlink.clinic.models import Patient, Service


class MessageKind(models.TextChoices):
    BOOKING_LINK = "booking_link", "Booking link"
    CONFIRMATION = "confirmation", "Confirmation"
    REMINDER = "reminder", "Reminder"
    AD_HOC = "ad_hoc", "Ad hoc"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class OutboundMessage(models.Model):
    """The SMS outbox: a message is stored here first and sent from a task afterwards."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="messages_out")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="messages_out"
    )
    booking_link = models.ForeignKey(
        BookingLink, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    to = models.CharField(max_length=16)
    # Encrypted: the text holds a live link and the patient's first name.
    body_encrypted = models.TextField()
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    provider = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
