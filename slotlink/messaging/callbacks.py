"""Delivery receipts from providers. They are authenticated, de-duplicated and always answered
quickly with 2xx once authenticated: a provider that gets an error retries, and we have
nothing to gain from that."""

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from slotlink.inputs import record_id
from slotlink.messaging.models import OutboundMessage
from slotlink.messaging.services import (
    NOTIFY_STATUSES,
    TWILIO_STATUSES,
    message_status_callback,
    twilio_auth_token,
)


def _apply(
    message: OutboundMessage | None, provider_status: str, mapping: dict, detail: str
) -> None:
    status = mapping.get(provider_status)
    if message is not None and status is not None:
        message_status_callback(
            message=message, provider_status=provider_status, status=status, detail=detail
        )


@csrf_exempt
@require_POST
def notify(request: HttpRequest) -> HttpResponse:
    expected = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return HttpResponse(status=401)
    try:
        receipt = json.loads(request.body)
        reference = str(receipt.get("reference") or "")
        provider_status = str(receipt.get("status") or "")
    except (ValueError, AttributeError):
        return HttpResponse(status=204)  # unreadable: nothing we can do with it
    pk = record_id(reference)
    message = OutboundMessage.objects.filter(pk=pk).first() if pk else None
    _apply(message, provider_status, NOTIFY_STATUSES, f"Notify: {provider_status}")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio(request: HttpRequest) -> HttpResponse:
    sid = request.POST.get("MessageSid", "")[:100]
    message = (
        OutboundMessage.objects.select_related("service").filter(provider_reference=sid).first()
        if sid
        else None
    )
    # Each service may have its own Twilio account, whose token signs its callbacks.
    token = twilio_auth_token(message.service) if message else settings.TWILIO_AUTH_TOKEN
    url = f"{settings.PUBLIC_BASE_URL}{request.path}"
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.POST, signature):
        return HttpResponse(status=403)
    provider_status = request.POST.get("MessageStatus", "")[:40]
    error_code = request.POST.get("ErrorCode", "")[:20]
    detail = f"Twilio: {provider_status}" + (f" (error {error_code})" if error_code else "")
    _apply(message, provider_status, TWILIO_STATUSES, detail)
    return HttpResponse(status=204)
