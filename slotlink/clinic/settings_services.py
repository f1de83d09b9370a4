"""Write-side operations on a service's configuration. Every change is recorded with who made
it and which settings it touched."""

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.images import CheckedImage
from slotlink.clinic.models import Service, SettingsChange, User
from slotlink.lib.crypto import encrypt, new_token, token_hash

SERVICE_SETTINGS = "Service settings"


def settings_change_record(
    *, service: Service, user: User, subject: str, fields: list[str], now: datetime | None = None
) -> SettingsChange:
    """Recorded twice on purpose: SettingsChange is what the settings page lists, the audit
    log is the tamper-proof record kept with everything else."""
    now = now or timezone.now()
    change = SettingsChange.objects.create(
        service=service,
        changed_by=user,
        changed_at=now,
        subject=subject,
        fields=sorted(fields),
    )
    audit_record(
        action=AuditAction.SETTINGS_CHANGED,
        by=user,
        subject=change,
        service_id=service.pk,
        details={"subject": subject, "fields": sorted(fields)},
        now=now,
    )
    return change


@transaction.atomic
def service_settings_update(
    *,
    service_id: int,
    user: User,
    values: dict[str, Any],
    logo: CheckedImage | None = None,
    remove_logo: bool = False,
    sms_secret: str = "",
    clear_sms_secret: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Apply the settings that differ from those saved; returns the names of those changed.
    The logo is stored under a name Slotlink makes (with the extension its bytes call for);
    the provider's secret is stored encrypted."""
    service = Service.objects.select_for_update().get(pk=service_id)
    changed = [name for name, value in values.items() if getattr(service, name) != value]
    for name in changed:
        setattr(service, name, values[name])
    old_logo = service.logo.name if service.logo else ""
    if logo is not None:
        name = f"service-{service.pk}-{new_token()[:16]}.{logo.info.extension}"
        service.logo.save(name, ContentFile(logo.data), save=False)
        changed.append("logo")
    elif remove_logo and old_logo:
        service.logo = ""  # a FieldFile takes a name; empty means no file
        changed.append("logo")
    if sms_secret:
        service.sms_secret_encrypted = encrypt(sms_secret)
        changed.append("sms_secret")
    elif clear_sms_secret and service.sms_secret_encrypted:
        # Clearing the secret, not setting one:
        service.sms_secret_encrypted = ""  # nosec B105
        changed.append("sms_secret")
    if not changed:
        return []
    service.save()
    settings_change_record(
        service=service, user=user, subject=SERVICE_SETTINGS, fields=changed, now=now
    )
    if old_logo and "logo" in changed:
        transaction.on_commit(lambda: default_storage.delete(old_logo))
    return sorted(changed)


@transaction.atomic
def service_notify_callback_token_rotate(
    *, service_id: int, user: User, now: datetime | None = None
) -> str:
    """A new bearer token for the service's GOV.UK Notify delivery receipts, replacing any
    earlier one at once. Returns it: the only time it exists outside Notify, since only its
    hash is kept."""
    service = Service.objects.select_for_update().get(pk=service_id)
    token = new_token()
    service.notify_callback_token_hash = token_hash(token)
    service.save(update_fields=["notify_callback_token_hash"])
    settings_change_record(
        service=service,
        user=user,
        subject=SERVICE_SETTINGS,
        fields=["notify_callback_token"],
        now=now,
    )
    return token
