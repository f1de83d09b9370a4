"""The outbox: persist first, send from a task, never twice.

A message row, and a task that will send it, are written in the transaction of the change
that causes them (queueing). Sending claims rows with a compare-and-set (queued -> sending), so
however many workers run sending tasks only one calls the provider for each message. A failure
that may have reached the provider is settled by asking the provider for our reference before
sending again (sending). One module per concern; what other apps call is named here."""

from slotlink.messaging.services.callbacks import (
    NOTIFY_STATUSES,
    TWILIO_STATUSES,
    message_status_callback,
    notify_callback_scope,
)
from slotlink.messaging.services.inbox import internal_message_read, internal_message_send
from slotlink.messaging.services.providers import twilio_auth_token
from slotlink.messaging.services.queueing import (
    LINK_EXPIRED_WITH_NUMBER,
    NOT_BY_SMS,
    SERVICE_SWITCHED_OFF,
    message_body,
    message_queue,
    patient_texts_follow_number,
    patient_texts_stop,
)
from slotlink.messaging.services.quiet_hours import quiet_hours_end
from slotlink.messaging.services.reminders import appointment_reminders_refresh
from slotlink.messaging.services.sending import (
    STUCK_AFTER,
    message_retry,
    messages_recover,
    messages_send_due,
)

__all__ = [
    "LINK_EXPIRED_WITH_NUMBER",
    "NOTIFY_STATUSES",
    "NOT_BY_SMS",
    "SERVICE_SWITCHED_OFF",
    "STUCK_AFTER",
    "TWILIO_STATUSES",
    "appointment_reminders_refresh",
    "internal_message_read",
    "internal_message_send",
    "message_body",
    "message_queue",
    "message_retry",
    "message_status_callback",
    "messages_recover",
    "messages_send_due",
    "notify_callback_scope",
    "patient_texts_follow_number",
    "patient_texts_stop",
    "quiet_hours_end",
    "twilio_auth_token",
]
