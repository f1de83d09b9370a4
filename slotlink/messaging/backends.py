"""Message providers behind one small interface.

A provider either accepts a message (returning its id for it) or raises:
- PermanentFailure: it will never accept this message (bad number, unknown template). No retry.
- TemporaryFailure: try later (timeout, 5xx, 429). `uncertain` when the provider may have
  accepted it all the same (a timeout or a dropped connection after sending): before sending
  again we ask it with `find` whether it has a message with our reference.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

logger = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    def __init__(self, reason: str, *, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uncertain = uncertain


class PermanentFailure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    reference: str  # our outbox row's id: the provider keeps it with the message
    to: str
    body: str
    subject: str = ""


class MessageBackend(Protocol):
    name: str

    def send(self, message: Outgoing) -> str:
        """Hand one message to the provider; return the provider's id for it."""
        ...

    def find(self, message: Outgoing, since: datetime) -> str | None:
        """The provider's id for a message it already accepted with this reference, if any."""
        ...


def _classify_http(status: int, reason: str) -> Exception:
    if status == 429 or status >= 500:
        return TemporaryFailure(f"{status}: {reason}")
    return PermanentFailure(f"{status}: {reason}")


class OutboxBackend:
    """Development and tests: the outbox row is the message; nothing leaves the machine."""

    name = "outbox"

    def send(self, message: Outgoing) -> str:
        # Never log the number or the text: both are personal and the text may hold a link.
        logger.info(
            "Message %s kept in the outbox (%d characters)", message.reference, len(message.body)
        )
        return f"outbox-{message.reference}"

    def find(self, message: Outgoing, since: datetime) -> str | None:
        return None


class NotifyBackend:
    """GOV.UK Notify: one SMS template whose only content is the ((body)) placeholder."""

    name = "notify"

    def __init__(self, *, api_key: str, template_id: str, base_url: str) -> None:
        self.client = NotificationsAPIClient(
            api_key, base_url=base_url, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )
        self.template_id = template_id

    def send(self, message: Outgoing) -> str:
        try:
            answer = self.client.send_sms_notification(
                phone_number=message.to,
                template_id=self.template_id,
                personalisation={"body": message.body},
                reference=message.reference,
            )
        except APIError as error:
            if error.response is None:  # no answer at all: it may or may not have arrived
                raise TemporaryFailure("Notify did not answer", uncertain=True) from None
            raise _classify_http(error.status_code, str(error.message)) from None
        return str(answer["id"])

    def find(self, message: Outgoing, since: datetime) -> str | None:
        try:
            found = self.client.get_all_notifications(reference=message.reference)
        except APIError as error:
            raise TemporaryFailure(f"Notify look-up failed: {error.status_code}") from None
        for notification in found.get("notifications", []):
            if notification.get("reference") == message.reference:
                return str(notification["id"])
        return None


class _RebasedHttpClient(TwilioHttpClient):
    """Sends Twilio's requests to another base address (a regional edge, or a test double)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=settings.PROVIDER_TIMEOUT_SECONDS)
        self.base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        rebased = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().request(method, rebased, *args, **kwargs)


class TwilioBackend:
    """Twilio Programmable Messaging. Twilio keeps no client reference, so `find` looks for
    a message to the same number with the same text sent since the first attempt."""

    name = "twilio"

    def __init__(
        self, *, account_sid: str, auth_token: str, sender: str, base_url: str = ""
    ) -> None:
        http_client = (
            _RebasedHttpClient(base_url)
            if base_url
            else TwilioHttpClient(timeout=settings.PROVIDER_TIMEOUT_SECONDS)
        )
        self.client = TwilioClient(account_sid, auth_token, http_client=http_client)
        self.sender = sender

    def _status_callback(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/callbacks/twilio/"

    def send(self, message: Outgoing) -> str:
        try:
            created = self.client.messages.create(
                to=message.to,
                from_=self.sender,
                body=message.body,
                status_callback=self._status_callback(),
            )
        except TwilioRestException as error:
            raise _classify_http(error.status, str(error.msg)) from None
        except (requests.ConnectionError, requests.Timeout):
            raise TemporaryFailure("Twilio did not answer", uncertain=True) from None
        return str(created.sid)

    def find(self, message: Outgoing, since: datetime) -> str | None:
        try:
            candidates = self.client.messages.list(to=message.to, date_sent_after=since, limit=50)
        except (TwilioRestException, requests.RequestException):
            raise TemporaryFailure("Twilio look-up failed") from None
        for candidate in candidates:
            if candidate.body == message.body:
                return str(candidate.sid)
        return None


class EmailBackend:
    """Email through Django's configured email backend (for re-sending a link ad hoc)."""

    name = "email"

    def send(self, message: Outgoing) -> str:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"X-Slotlink-Reference": message.reference},
        )
        try:
            email.send()
        except OSError as error:
            raise TemporaryFailure(
                f"Email server: {error.__class__.__name__}", uncertain=True
            ) from None
        return f"email-{message.reference}"

    def find(self, message: Outgoing, since: datetime) -> str | None:
        return None
