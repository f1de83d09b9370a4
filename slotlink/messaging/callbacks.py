"""Delivery receipts from providers. They are authenticated, de-duplicated and always answered
quickly with 2xx once authenticated: a provider that gets an error retries, and we have
nothing to gain from that. Whatever a receipt holds, it is matched exactly or not at all, and
never answered with an error page."""

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from slotlink.messaging.models import OutboundMessage
from slotlink.messaging.services import (
    NOTIFY_STATUSES,
    TWILIO_STATUSES,
    message_status_callback,
    notify_callback_scope,
    twilio_auth_token,
)

# What our references and Twilio's message ids look like (URL-safe base64, or the number an
# older message kept): anything else names no message, and is never handed to the database,
# which may refuse it (a NUL, a lone surrogate) rather than find nothing.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _identifier(value: Any) -> str:
    return value if isinstance(value, str) and _IDENTIFIER.fullmatch(value) else ""


def _apply(
    message: OutboundMessage | None, provider_status: str, mapping: dict, detail: str
) -> None:
    status = mapping.get(provider_status)
    if message is not None and status is not None:
        message_status_callback(
            message=message, provider_status=provider_status, status=status, detail=detail
        )


def _notify_receipt(body: bytes) -> tuple[str, str]:
    """The receipt's reference and status, or blanks when it has none we could use."""
    try:
        receipt = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, too deep, or a number too long to read
        return "", ""
    if not isinstance(receipt, dict):
        return "", ""
    status = receipt.get("status")
    return _identifier(receipt.get("reference")), status if isinstance(status, str) else ""


@csrf_exempt
@require_POST
def notify(request: HttpRequest) -> HttpResponse:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    scope = notify_callback_scope(given)
    if scope is None:
        return HttpResponse(status=401)
    reference, provider_status = _notify_receipt(request.body)
    message = (
        OutboundMessage.objects.filter(scope, reference=reference).first() if reference else None
    )
    _apply(message, provider_status, NOTIFY_STATUSES, f"Notify: {provider_status[:40]}")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio(request: HttpRequest) -> HttpResponse:
    sid = _identifier(request.POST.get("MessageSid", ""))
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
