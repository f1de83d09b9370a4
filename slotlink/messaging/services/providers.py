"""Which provider sends a message: the service's own account where a superuser set one
up, else the deployment's; chosen at run time."""

from django.conf import settings

from slotlink.clinic.models import Service
from slotlink.lib.crypto import decrypt
from slotlink.messaging.backends import (
    EmailBackend,
    MessageBackend,
    NotifyBackend,
    OutboxBackend,
    TwilioBackend,
)
from slotlink.messaging.models import Channel, OutboundMessage


def sms_provider_name(service: Service | None) -> str:
    """Who sends the service's texts: "notify", "twilio" or "outbox"."""
    if service is not None and service.sms_provider:
        return service.sms_provider
    return settings.SMS_PROVIDER


def sms_backend(service: Service | None = None) -> MessageBackend:
    """The service's own provider where a superuser has set one up, else the deployment's."""
    provider, account, secret = sms_provider_name(service), "", ""
    if service is not None and service.sms_provider:
        account = service.sms_account_id
        secret = decrypt(service.sms_secret_encrypted) or ""
    if provider == "notify":
        return NotifyBackend(
            api_key=secret or settings.NOTIFY_API_KEY,
            template_id=account or settings.NOTIFY_SMS_TEMPLATE_ID,
            base_url=settings.NOTIFY_BASE_URL,
        )
    if provider == "twilio":
        return TwilioBackend(
            account_sid=account or settings.TWILIO_ACCOUNT_SID,
            auth_token=secret or settings.TWILIO_AUTH_TOKEN,
            sender=(service.sms_sender_name if service else "") or settings.TWILIO_FROM,
            base_url=settings.TWILIO_BASE_URL,
        )
    return OutboxBackend()


def twilio_auth_token(service: Service) -> str:
    """The token Twilio signs this service's status callbacks with."""
    if service.sms_provider == "twilio" and service.sms_secret_encrypted:
        return decrypt(service.sms_secret_encrypted) or ""
    return settings.TWILIO_AUTH_TOKEN


def backend_for(message: OutboundMessage) -> MessageBackend:
    return EmailBackend() if message.channel == Channel.EMAIL else sms_backend(message.service)
