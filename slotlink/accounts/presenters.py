"""Display strings for the staff-account and operator pages."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.clinic.models import Nation, Role, Service, User
from slotlink.lib.formatting import staff_datetime


@dataclass(frozen=True)
class StaffRow:
    pk: int
    name: str
    username: str
    email: str
    role: str
    status: str
    status_tag: str  # a tag modifier of staff.css
    two_factor: str
    last_login: str
    active: bool
    invited: bool
    locked: bool

    @classmethod
    def of(cls, user: User, *, zone: ZoneInfo, has_authenticator: bool, locked: bool) -> "StaffRow":
        invited = not user.has_usable_password()
        if not user.is_active:
            status, tag = "Deactivated", "expired"
        elif locked:
            status, tag = "Locked out", "msg-failed"
        elif invited:
            status, tag = "Invited", "accessed"
        else:
            status, tag = "Active", "booked"
        return cls(
            pk=user.pk,
            name=user.get_full_name() or user.username,
            username=user.username,
            email=user.email,
            role=Role(user.role).label,
            status=status,
            status_tag=tag,
            two_factor="On" if has_authenticator else "Off",
            last_login=staff_datetime(user.last_login, zone) if user.last_login else "Never",
            active=user.is_active,
            invited=invited,
            locked=locked,
        )


@dataclass(frozen=True)
class HistoryRow:
    at: str
    who: str
    action: str
    details: str

    @classmethod
    def of(cls, event: AuditEvent, zone: ZoneInfo) -> "HistoryRow":
        who = event.actor_username if event.actor_kind == Who.STAFF else "System"
        label = (
            AuditAction(event.action).label if event.action in AuditAction.values else event.action
        )
        details = event.details
        if "from" in details and "to" in details:
            text = f"{_role(details['from'])} to {_role(details['to'])}"
        elif "fields" in details:
            text = ", ".join(str(field).replace("_", " ") for field in details["fields"])
        elif "role" in details:
            text = _role(details["role"])
        else:
            text = ""
        return cls(at=staff_datetime(event.occurred_at, zone), who=who, action=label, details=text)


def _role(value: object) -> str:
    return Role(value).label if value in Role.values else str(value)


@dataclass(frozen=True)
class ServiceRow:
    pk: int
    name: str
    nation: str
    time_zone: str
    phone: str
    active: bool
    staff: int
    superusers: int

    @classmethod
    def of(cls, service: Service) -> "ServiceRow":
        return cls(
            pk=service.pk,
            name=service.name,
            nation=Nation(service.nation).label,
            time_zone=service.time_zone,
            phone=service.phone,
            active=service.active,
            staff=getattr(service, "staff_count", 0),
            superusers=getattr(service, "superuser_count", 0),
        )
