"""The door every FHIR call comes through: format, token, scope, rate limit, the handler,
the audit row, and an OperationOutcome for anything that goes wrong (never a Django page)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.oauth2_backends import get_oauthlib_core

from slotlink.api.fhir import schema
from slotlink.api.fhir.http import (
    Answer,
    FhirError,
    error_response,
    fhir_response,
    outcome,
    wants_json,
)
from slotlink.api.models import ApiClient
from slotlink.api.scopes import scope_for
from slotlink.api.services import api_call_audit, rate_limit_take
from slotlink.lib.contention import is_contention

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """One authenticated call: who makes it, when, and the request."""

    client: ApiClient
    request: HttpRequest
    now: datetime

    def url(self, path: str) -> str:
        return self.request.build_absolute_uri(f"/fhir/R4/{path}")


Handler = Callable[..., Answer]


def authenticate(request: HttpRequest) -> tuple[ApiClient, frozenset[str]]:
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    token = getattr(oauth_request, "access_token", None) if valid else None
    unauthorised = FhirError(
        401,
        "login",
        "Send a valid access token (Authorization: Bearer …) from /oauth/token/.",
        {"WWW-Authenticate": 'Bearer realm="fhir"'},
    )
    if token is None:
        raise unauthorised
    client = (
        ApiClient.objects.select_related("acting_user", "service")
        .filter(application_id=token.application_id, revoked_at__isnull=True)
        .first()
    )
    if client is None:
        raise unauthorised
    return client, frozenset(str(token.scope).split())


def serve(
    request: HttpRequest,
    *,
    kind: str,
    interaction: str,
    write: bool,
    handler: Handler,
    args: tuple[object, ...] = (),
) -> HttpResponse:
    if not wants_json(request):
        return error_response(
            FhirError(406, "not-supported", "This server speaks FHIR JSON only (_format=json).")
        )
    try:
        client, scopes = authenticate(request)
    except FhirError as error:
        return error_response(error)
    now = timezone.now()
    resource_id = str(args[0]) if args else ""
    try:
        needed = scope_for(kind, write=write)
        if needed not in scopes:
            raise FhirError(403, "forbidden", f"This client's token lacks the scope {needed}.")
        wait = rate_limit_take(client=client, now=now)
        if wait is not None:
            raise FhirError(
                429,
                "throttled",
                f"Too many calls: this client may make {client.requests_per_minute} a minute.",
                {"Retry-After": str(wait)},
            )
        answer = handler(Call(client, request, now), *args)
        response = _respond(request, answer)
    except FhirError as error:
        answer = Answer(None, error.status, resource_id=resource_id)
        response = error_response(error)
    except OperationalError as error:
        if not is_contention(error):
            raise
        answer = Answer(None, 503, resource_id=resource_id)
        response = error_response(
            FhirError(503, "transient", "The server is busy; try again.", {"Retry-After": "1"})
        )
    _audit(client, interaction, kind, answer, resource_id)
    return response


def _respond(request: HttpRequest, answer: Answer) -> HttpResponse:
    body = answer.body
    headers = dict(answer.headers)
    if body is not None:
        schema.outgoing(body)
        version = body.get("meta", {}).get("versionId")
        if version is not None:
            headers.setdefault("ETag", f'W/"{version}"')
    prefer = request.headers.get("Prefer", "").replace(" ", "").lower()
    if request.method in {"POST", "PUT", "PATCH"} and body is not None:
        if "return=minimal" in prefer:
            body = None
        elif "return=operationoutcome" in prefer:
            body = outcome("informational", "Done.", severity="information")
    return fhir_response(body, answer.status, headers)


def _audit(
    client: ApiClient, interaction: str, kind: str, answer: Answer, resource_id: str
) -> None:
    with transaction.atomic():
        api_call_audit(
            client=client,
            interaction=interaction,
            resource_type=kind,
            resource_id=answer.resource_id or resource_id,
            status=answer.status,
            patient_id=answer.patient_id,
        )


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anything unexpected is logged and answered as a FHIR error, never Django's page."""

    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RequestDataTooBig:
            return error_response(
                FhirError(413, "too-costly", "The body is too large for one resource.")
            )
        except Exception:
            logger.exception("FHIR call failed")
            return error_response(
                FhirError(500, "exception", "Something went wrong on the server; it is logged.")
            )

    return wrapper
