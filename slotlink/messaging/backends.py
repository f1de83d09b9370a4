"""SMS providers behind one small interface, chosen by settings.SMS_BACKEND."""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    name: str

    def send(self, *, to: str, body: str, reference: str) -> str:
        """Hand one SMS to the provider; return the provider's id for it."""
        ...


class OutboxBackend:
    """Development and tests: the outbox row is the message; nothing leaves the machine."""

    name = "outbox"

    def send(self, *, to: str, body: str, reference: str) -> str:
        # Never log the number or the text: both are personal and the text holds a live link.
        logger.info("SMS %s accepted by the outbox backend (%d characters)", reference, len(body))
        return f"outbox-{reference}"


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
