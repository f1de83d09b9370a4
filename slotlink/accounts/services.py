"""Staff accounts: two-factor authentication with an authenticator app, and ending sessions.

Codes are checked through django-otp, which locks the device row while it checks, refuses a
code already used (so an observed code cannot be replayed) and slows down repeated failures
exponentially."""

from base64 import b32encode

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Role, User

DEVICE_NAME = "Authenticator app"


def two_factor_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def two_factor_required_by_role(user: User) -> bool:
    """Required for the roles the deployment names (admins and superusers at least, in
    production), for operators and for Django superusers."""
    return user.is_superuser or user.role == Role.OPERATOR or user.role in settings.OTP_REQUIRED_FOR


def two_factor_required(user: User) -> bool:
    """Required by role (above); anyone who has set it up uses it from then on."""
    return two_factor_required_by_role(user) or two_factor_device(user) is not None


def two_factor_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: made on the first visit to the set-up page, and the
    same one (the same secret in the app) until it is confirmed with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _verify(user: User, device: TOTPDevice, token: str) -> bool:
    token = token.strip().replace(" ", "")
    if not (token.isascii() and token.isdigit() and len(token) == device.digits):
        # Still counted as a failure, so malformed guesses are throttled like wrong ones.
        with transaction.atomic():
            TOTPDevice.objects.select_for_update().get(pk=device.pk).throttle_increment()
        return False
    return django_otp.verify_token(user, device.persistent_id, token) is not None


@transaction.atomic
def two_factor_confirm(*, user: User, token: str) -> TOTPDevice | None:
    """Finish setting up: the code from the app proves it holds the secret. The new
    authenticator replaces any earlier one. Returns it, or None for a wrong code."""
    device = two_factor_pending(user=user)
    if not _verify(user, device, token):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    audit_record(action=AuditAction.TWO_FACTOR_ENABLED, by=user, subject=user)
    return device


def two_factor_check(*, user: User, token: str) -> TOTPDevice | None:
    """The user's authenticator if `token` is its current code, else None."""
    device = two_factor_device(user)
    if device is None or not _verify(user, device, token):
        return None
    return device


def two_factor_wait_seconds(user: User) -> int:
    """How long until another code may be tried after wrong ones (0: now)."""
    device = two_factor_device(user) or TOTPDevice.objects.filter(user=user).first()
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return 0
    locked_until = data.get("locked_until")
    if locked_until is None:
        return 0
    return max(0, int((locked_until - timezone.now()).total_seconds()) + 1)


@transaction.atomic
def sessions_end_everywhere(*, user: User, by: User | Who | None = None) -> None:
    """Log the user out of every browser at once, this one included: each session carries a
    hash of the user's session generation, which no longer matches (see User)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    audit_record(action=AuditAction.SESSIONS_ENDED, by=by or user, subject=user)


@transaction.atomic
def two_factor_reset(*, user: User, by: User | Who) -> int:
    """For a lost phone: remove the user's authenticators and end their sessions, so the next
    login sets up a new one. Returns how many were removed."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    audit_record(
        action=AuditAction.TWO_FACTOR_RESET,
        by=by,
        subject=user,
        service_id=user.service_id,
        details={"removed": removed},
    )
    return removed
