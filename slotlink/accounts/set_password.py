"""Set-password links: made for a new member of staff, or one who needs a new password; used
once to choose a password, within SET_PASSWORD_LINK_VALID. Only the token's hash is kept."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from slotlink.accounts.models import SetPasswordLink
from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import User
from slotlink.lib.crypto import new_token, token_hash

SET_PASSWORD_LINK_VALID = timedelta(days=3)


def set_password_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("accounts:set_password_enter", args=[token])


def set_password_links_revoke(*, user: User, now: datetime | None = None) -> int:
    """Every link of the user not yet used stops working (a newer link, or no more access)."""
    return SetPasswordLink.objects.filter(user=user, used_at__isnull=True).update(
        used_at=now or timezone.now()
    )


@transaction.atomic
def set_password_link_make(*, user: User, by: User | Who, now: datetime | None = None) -> str:
    """A fresh link for `user` (earlier ones stop working); returns its URL, which holds the
    token and is shown or sent once."""
    now = now or timezone.now()
    set_password_links_revoke(user=user, now=now)
    token = new_token()
    link = SetPasswordLink.objects.create(
        user=user,
        token_hash=token_hash(token),
        made_by=by if isinstance(by, User) else None,
        made_at=now,
        expires_at=now + SET_PASSWORD_LINK_VALID,
    )
    audit_record(
        action=AuditAction.PASSWORD_LINK_MADE,
        by=by,
        subject=user,
        service_id=user.service_id,
        details={"expires_at": link.expires_at.isoformat()},
        now=now,
    )
    return set_password_url(token)


def _usable(now: datetime) -> Q:
    # The user may still log in: active, and (an operator apart) their service switched on.
    return Q(used_at__isnull=True, expires_at__gt=now, user__is_active=True) & (
        Q(user__service__isnull=True) | Q(user__service__active=True)
    )


def set_password_link_find(token: str, now: datetime | None = None) -> SetPasswordLink | None:
    """The usable link this token opens, or None (unknown, used, expired, or its user can no
    longer log in). Always hashes and queries, whatever the token looks like."""
    now = now or timezone.now()
    return (
        SetPasswordLink.objects.select_related("user")
        .filter(_usable(now), token_hash=token_hash(token[:100]))
        .first()
    )


def set_password_link_get(link_id: int, now: datetime | None = None) -> SetPasswordLink | None:
    """The usable link with this id (kept in the session once its token was opened)."""
    now = now or timezone.now()
    return SetPasswordLink.objects.select_related("user").filter(_usable(now), pk=link_id).first()


@transaction.atomic
def set_password_link_use(
    *, link_id: int, password: str, now: datetime | None = None
) -> User | None:
    """Set the user's password through the link, which is used up by the same compare-and-set
    that lets exactly one of any simultaneous uses through. Returns the user, or None if the
    link could no longer be used. The password was checked by Django's validators already."""
    now = now or timezone.now()
    claimed = SetPasswordLink.objects.filter(_usable(now), pk=link_id).update(used_at=now)
    if not claimed:
        return None
    link = SetPasswordLink.objects.select_related("user").get(pk=link_id)
    user = link.user
    user.set_password(password)
    # A new password hash ends every session the user had (Django's session hash).
    user.save(update_fields=["password"])
    set_password_links_revoke(user=user, now=now)
    audit_record(
        action=AuditAction.PASSWORD_SET, by=user, subject=user, service_id=user.service_id, now=now
    )
    return user
