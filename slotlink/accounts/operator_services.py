"""What an operator (someone who runs Slotlink for many services) does: create a service and
invite its first superuser, switch a service off and on. Nothing here reads patient data."""

from django.db import transaction
from django.db.models import F

from slotlink.accounts.staff_services import StaffDetails, staff_invite
from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import Nation, Role, Service, User


@transaction.atomic
def service_create(
    *, by: User | Who, name: str, nation: Nation, time_zone: str, phone: str
) -> Service:
    """A new service, switched on, with online booking off until its superuser is ready."""
    service = Service.objects.create(name=name, nation=nation, time_zone=time_zone, phone=phone)
    audit_record(
        action=AuditAction.SERVICE_CREATED,
        by=by,
        subject=service,
        service_id=service.pk,
        details={"nation": nation, "time_zone": time_zone},
    )
    return service


@transaction.atomic
def service_create_with_superuser(
    *,
    by: User | Who,
    name: str,
    nation: Nation,
    time_zone: str,
    phone: str,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
) -> tuple[Service, User, str]:
    """A service and its first superuser, together or not at all. Returns the superuser's
    set-password link (its URL) too."""
    service = service_create(by=by, name=name, nation=nation, time_zone=time_zone, phone=phone)
    user, url = staff_invite(
        username=username,
        details=StaffDetails(
            first_name=first_name, last_name=last_name, email=email, role=Role.SUPERUSER
        ),
        service_id=service.pk,
        by=by,
    )
    return service, user, url


@transaction.atomic
def service_switch(*, service_id: int, active: bool, by: User | Who) -> bool:
    """Switch a service off (its staff are logged out and cannot log in, its patients' links
    offer nothing, it sends no texts) or on again. Returns False if it already was."""
    changed = Service.objects.filter(pk=service_id, active=not active).update(active=active)
    if not changed:
        return False
    if not active:
        # Sessions end now, and stay ended when the service is switched on again.
        User.objects.filter(service_id=service_id).update(
            session_generation=F("session_generation") + 1
        )
    audit_record(
        action=AuditAction.SERVICE_SWITCHED_ON if active else AuditAction.SERVICE_SWITCHED_OFF,
        by=by,
        object_type="service",
        object_id=service_id,
        service_id=service_id,
    )
    return True
