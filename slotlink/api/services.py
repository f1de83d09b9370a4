"""Writes about API clients: making them, rotating and revoking their secrets, counting their
calls against their rate limit, throttling wrong secrets, and auditing each call."""

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from slotlink.api.models import ApiClient, RateWindow, TokenFailureWindow
from slotlink.api.scopes import SCOPES
from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Role, Service, User


class ApiClientError(Exception):
    """A client cannot be made or changed as asked; the message says why, for a person."""


@dataclass(frozen=True)
class Credentials:
    """The client's id and secret: the secret exists in plain form only here, once."""

    client: ApiClient
    client_id: str
    client_secret: str


def scopes_clean(scopes: str) -> str:
    asked = scopes.split()
    unknown = [scope for scope in asked if scope not in SCOPES]
    if unknown:
        raise ApiClientError(
            f"Unknown scope {unknown[0]!r}. Scopes are: {', '.join(sorted(SCOPES))}."
        )
    if not asked:
        raise ApiClientError("Give the client at least one scope.")
    return " ".join(sorted(set(asked)))


@transaction.atomic
def api_client_create(
    *,
    service: Service,
    name: str,
    scopes: str,
    by: User | None = None,
    now: datetime | None = None,
) -> Credentials:
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise ApiClientError("Give the client a name.")
    clean_scopes = scopes_clean(scopes)
    if ApiClient.objects.filter(service=service, name=name).exists():
        raise ApiClientError(f"{service.name} already has a client called {name!r}.")
    # The account the client acts as, so that the services it calls and the audit trail name
    # it. It can never log in (no usable password, not active) and belongs to no service, so it
    # is on no service's staff list and no superuser can turn it into a login; the API scopes
    # every read to the client's own service instead.
    acting_user = User.objects.create(
        username=f"api-client-{secrets.token_hex(6)}",
        first_name="API client",
        last_name=name[:150],
        service=None,
        role=Role.ADMIN,
        is_active=False,
        password=make_password(None),
    )
    secret = generate_client_secret()
    application = Application.objects.create(
        name=f"{service.name}: {name}"[:255],
        user=acting_user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    client = ApiClient.objects.create(
        service=service,
        name=name,
        application=application,
        acting_user=acting_user,
        scopes=clean_scopes,
        created_at=now,
    )
    _audit(AuditAction.API_CLIENT_CREATED, client, by, now, {"scopes": clean_scopes.split()})
    return Credentials(client, application.client_id, secret)


@transaction.atomic
def api_client_rotate(
    *, client: ApiClient, by: User | None = None, now: datetime | None = None
) -> Credentials:
    """A new secret; the old one and every token issued with it stop working at once."""
    now = now or timezone.now()
    client = ApiClient.objects.select_for_update().select_related("application").get(pk=client.pk)
    if client.revoked_at is not None:
        raise ApiClientError("This client has been revoked; make a new one instead.")
    secret = generate_client_secret()
    application = client.application
    application.client_secret = secret
    application.hash_client_secret = True
    application.save()
    AccessToken.objects.filter(application=application).delete()
    client.secret_rotated_at = now
    client.save(update_fields=["secret_rotated_at"])
    _audit(AuditAction.API_CLIENT_ROTATED, client, by, now)
    return Credentials(client, application.client_id, secret)


@transaction.atomic
def api_client_revoke(
    *, client: ApiClient, by: User | None = None, now: datetime | None = None
) -> bool:
    """The client can no longer get a token, and its tokens stop working. Returns False if it
    was revoked already."""
    now = now or timezone.now()
    changed = ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        return False
    client.refresh_from_db()
    application = client.application
    # An unknown secret: nothing can authenticate as it again.
    application.client_secret = generate_client_secret()
    application.hash_client_secret = True
    application.save()
    AccessToken.objects.filter(application=application).delete()
    _audit(AuditAction.API_CLIENT_REVOKED, client, by, now)
    return True


def _audit(
    action: AuditAction,
    client: ApiClient,
    by: User | None,
    now: datetime,
    details: dict[str, object] | None = None,
) -> None:
    audit_record(
        action=action,
        by=by if by is not None else client.acting_user,
        subject=client,
        service_id=client.service_id,
        details={"client": client.name, **(details or {})},
        now=now,
    )


RATE_WINDOW = timedelta(minutes=1)


def _retry_after(window_ends: datetime, now: datetime) -> int:
    """Whole seconds (Retry-After has no fractions) until the window ends, rounded up: a client
    that waits them comes back in the next window, never a moment before it."""
    return max(1, math.ceil((window_ends - now).total_seconds()))


def rate_limit_take(*, client: ApiClient, now: datetime | None = None) -> int | None:
    """Count one call in the client's current minute. Returns None when the call may go
    ahead, or the seconds until the next minute when the client has used up this one's."""
    now = now or timezone.now()
    starts_at = now.replace(second=0, microsecond=0)
    counted = RateWindow.objects.filter(
        client=client, starts_at=starts_at, calls__lt=client.requests_per_minute
    ).update(calls=F("calls") + 1)
    if not counted:
        try:
            with transaction.atomic():
                RateWindow.objects.create(client=client, starts_at=starts_at, calls=1)
        except IntegrityError:
            # This minute's row exists, so the update above found it full.
            return _retry_after(starts_at + RATE_WINDOW, now)
    return None


# Wrong secrets one address may send to the token endpoint in a window before it is refused.
TOKEN_FAILURES_ALLOWED = 10
TOKEN_FAILURE_WINDOW = timedelta(minutes=15)


def _failure_window(address: str, now: datetime) -> tuple[str, datetime]:
    address_hash = salted_hmac("slotlink.api.token_failures", address, algorithm="sha256")
    epoch = int(now.timestamp())
    size = int(TOKEN_FAILURE_WINDOW.total_seconds())
    return address_hash.hexdigest(), datetime.fromtimestamp(epoch - epoch % size, tz=UTC)


def token_wait(*, address: str, now: datetime | None = None) -> int | None:
    """None when the address may ask for a token, or the seconds it must wait first."""
    now = now or timezone.now()
    address_hash, starts_at = _failure_window(address, now)
    if not TokenFailureWindow.objects.filter(
        address_hash=address_hash, starts_at=starts_at, failures__gte=TOKEN_FAILURES_ALLOWED
    ).exists():
        return None
    return _retry_after(starts_at + TOKEN_FAILURE_WINDOW, now)


def token_failure_count(*, address: str, now: datetime | None = None) -> None:
    """Count one wrong secret from the address, in one statement whoever else is counting."""
    address_hash, starts_at = _failure_window(address, now or timezone.now())
    counted = TokenFailureWindow.objects.filter(
        address_hash=address_hash, starts_at=starts_at
    ).update(failures=F("failures") + 1)
    if not counted:
        try:
            with transaction.atomic():
                TokenFailureWindow.objects.create(
                    address_hash=address_hash, starts_at=starts_at, failures=1
                )
        except IntegrityError:
            TokenFailureWindow.objects.filter(
                address_hash=address_hash, starts_at=starts_at
            ).update(failures=F("failures") + 1)


def api_housekeeping(*, now: datetime) -> int:
    """Forget finished windows' call and failure counts and expired access tokens (each round
    of housekeeping). Returns how many rows went."""
    windows, _ = RateWindow.objects.filter(starts_at__lt=now - RATE_WINDOW).delete()
    failures, _ = TokenFailureWindow.objects.filter(
        starts_at__lt=now - TOKEN_FAILURE_WINDOW
    ).delete()
    tokens, _ = AccessToken.objects.filter(expires__lt=now).delete()
    return windows + failures + tokens


def api_token_issued(*, client: ApiClient, scopes: str) -> None:
    _audit(AuditAction.API_TOKEN_ISSUED, client, None, timezone.now(), {"scopes": scopes.split()})


def api_call_audit(
    *,
    client: ApiClient,
    interaction: str,
    resource_type: str,
    resource_id: str,
    status: int,
    patient_id: int | None,
    now: datetime | None = None,
) -> None:
    """Every call, answered or refused: which client, what it did to what, for which
    patient, and how it was answered (never the content)."""
    audit_record(
        action=AuditAction.API_CALL,
        by=client.acting_user,
        object_type=resource_type or "api",
        object_id=resource_id[:40],
        patient_id=patient_id,
        service_id=client.service_id,
        details={"client": client.name, "interaction": interaction, "status": status},
        now=now,
    )
