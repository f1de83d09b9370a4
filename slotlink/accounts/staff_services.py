"""A service's staff accounts, as its superusers manage them: add, change, deactivate,
reactivate, reset two-factor authentication, unlock a login.

Every change is audited with who made it. Accounts are never deleted: a deactivated one keeps
its history and can be reactivated. A service always keeps an active superuser: the checks
that ensure it run under a lock on the service's row, so two superusers demoting each other
at the same moment cannot both succeed."""

import logging
import smtplib
from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F

from slotlink.accounts.services import two_factor_reset
from slotlink.accounts.set_password import (
    SET_PASSWORD_LINK_VALID,
    set_password_link_make,
    set_password_links_revoke,
)
from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Role, Service, User

logger = logging.getLogger(__name__)


class StaffRefused(Exception):
    """A change the rules do not allow; the message says why, for the superuser."""


@dataclass(frozen=True)
class StaffDetails:
    first_name: str
    last_name: str
    email: str
    role: Role


TAKEN = "That username is taken. Choose another."
LAST_SUPERUSER = (
    "The service must keep at least one active superuser: make someone else a superuser first."
)
NOT_YOURSELF = "You cannot {what} yourself. Ask another superuser."


@transaction.atomic
def staff_invite(
    *,
    username: str,
    details: StaffDetails,
    service_id: int | None,
    by: User | Who,
) -> tuple[User, str]:
    """A new account with no password yet, and the set-password link (its URL) for its owner.
    An operator's account has no service."""
    user = User(
        username=username,
        first_name=details.first_name,
        last_name=details.last_name,
        email=details.email,
        role=details.role,
        service_id=service_id,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise StaffRefused(TAKEN) from None
    audit_record(
        action=AuditAction.STAFF_ADDED,
        by=by,
        subject=user,
        service_id=service_id,
        details={"role": details.role},
    )
    return user, set_password_link_make(user=user, by=by)


def _lock(service_id: int, user_id: int) -> User:
    """Lock the service's row (which serialises every superuser check of the service), then
    return its member of staff. Raises User.DoesNotExist for another service's user."""
    Service.objects.select_for_update().filter(pk=service_id).first()
    return User.objects.select_for_update().get(pk=user_id, service_id=service_id)


def _keeps_a_superuser(target: User) -> bool:
    others = User.objects.filter(
        service=target.service_id, role=Role.SUPERUSER, is_active=True
    ).exclude(pk=target.pk)
    return others.exists()


def _may_lose_superuser(target: User, by: User, what: str) -> None:
    """Refuse taking away the superuser role (or the account) of the acting superuser, or of
    the service's last active superuser."""
    if target.pk == by.pk:
        raise StaffRefused(NOT_YOURSELF.format(what=what))
    if target.role == Role.SUPERUSER and target.is_active and not _keeps_a_superuser(target):
        raise StaffRefused(LAST_SUPERUSER)


@transaction.atomic
def staff_update(*, user_id: int, service_id: int, by: User, details: StaffDetails) -> list[str]:
    """Change a member of staff's name, email and role. Returns the fields changed."""
    target = _lock(service_id, user_id)
    if details.role not in (Role.THERAPIST, Role.ADMIN, Role.SUPERUSER):
        raise StaffRefused("Choose therapist, admin or superuser.")
    old_role = target.role
    if old_role == Role.SUPERUSER and details.role != Role.SUPERUSER:
        _may_lose_superuser(target, by, "demote")
    changed = [
        name
        for name in ("first_name", "last_name", "email", "role")
        if getattr(target, name) != getattr(details, name)
    ]
    if not changed:
        return []
    for name in changed:
        setattr(target, name, getattr(details, name))
    target.save(update_fields=changed)
    if "role" in changed:
        audit_record(
            action=AuditAction.STAFF_ROLE_CHANGED,
            by=by,
            subject=target,
            details={"from": old_role, "to": details.role},
        )
    if set(changed) - {"role"}:
        audit_record(
            action=AuditAction.STAFF_UPDATED,
            by=by,
            subject=target,
            details={"fields": [name for name in changed if name != "role"]},
        )
    return changed


@transaction.atomic
def staff_deactivate(*, user_id: int, service_id: int, by: User) -> bool:
    """They can no longer log in, and every session they have ends now; nothing of theirs is
    deleted. Returns False if they were deactivated already."""
    target = _lock(service_id, user_id)
    if not target.is_active:
        return False
    _may_lose_superuser(target, by, "deactivate")
    # The new generation also keeps their old sessions dead if they are reactivated.
    User.objects.filter(pk=target.pk).update(
        is_active=False, session_generation=F("session_generation") + 1
    )
    set_password_links_revoke(user=target)
    audit_record(action=AuditAction.STAFF_DEACTIVATED, by=by, subject=target)
    return True


@transaction.atomic
def staff_reactivate(*, user_id: int, service_id: int, by: User) -> bool:
    """They may log in again with their password (and authenticator). Returns False if they
    were active already."""
    target = _lock(service_id, user_id)
    if target.is_active:
        return False
    User.objects.filter(pk=target.pk).update(is_active=True)
    audit_record(action=AuditAction.STAFF_REACTIVATED, by=by, subject=target)
    return True


@transaction.atomic
def staff_two_factor_reset(*, user_id: int, service_id: int, by: User) -> int:
    """For a member of staff who lost their phone: their authenticator goes, their sessions
    end, and they set up a new one at their next login."""
    target = _lock(service_id, user_id)
    if target.pk == by.pk:
        raise StaffRefused(
            "You cannot reset your own two-factor authentication here: use your account page "
            "to move it to a new phone, or ask another superuser."
        )
    return two_factor_reset(user=target, by=by)


@transaction.atomic
def staff_unlock(*, user_id: int, service_id: int, by: User) -> int:
    """Clear the failed logins that locked the account out (django-axes), so its owner can try
    again at once. Returns how many records were cleared."""
    target = _lock(service_id, user_id)
    cleared = axes_reset(username=target.username)
    audit_record(
        action=AuditAction.STAFF_UNLOCKED, by=by, subject=target, details={"cleared": cleared}
    )
    return cleared


@transaction.atomic
def staff_password_link(*, user_id: int, service_id: int, by: User) -> tuple[User, str]:
    """A new set-password link for an active member of staff (a forgotten password, or an
    invitation that lapsed). Their current password keeps working until the link is used."""
    target = _lock(service_id, user_id)
    if not target.is_active:
        raise StaffRefused("Reactivate the account first.")
    return target, set_password_link_make(user=target, by=by)


def emailing_links() -> bool:
    """Whether set-password links go by email: only where a real email backend is set up
    (the console backend, the default, would write them into the logs)."""
    return bool(settings.STAFF_LINKS_BY_EMAIL)


def set_password_link_email(*, user: User, url: str, service_name: str) -> bool:
    """Email the link to its owner where email is set up and they have an address. Returns
    whether it went; if not, the caller shows it to whoever made it, to pass on."""
    if not (emailing_links() and user.email):
        return False
    days = SET_PASSWORD_LINK_VALID.days
    body = (
        f"Hello {user.first_name or user.username},\n\n"
        f"You have a Slotlink account for {service_name}. Your username is {user.username}.\n"
        f"Choose your password here (the link works once, for {days} days):\n\n{url}\n\n"
        "If you did not expect this email, you can ignore it."
    )
    try:
        send_mail("Your Slotlink account", body, None, [user.email])
    except (OSError, smtplib.SMTPException):
        logger.warning("A set-password email could not be sent", exc_info=False)
        return False
    return True
