from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.lib.formatting import staff_datetime


def _words(name: str) -> str:
    return name.replace("_", " ")


@dataclass(frozen=True)
class AuditRow:
    at: str
    who: str
    action: str
    record: str
    details: str

    @classmethod
    def of(cls, event: AuditEvent, zone: ZoneInfo) -> "AuditRow":
        who = event.actor_username if event.actor_kind == Who.STAFF else event.actor_kind
        record = f"{_words(event.object_type)} #{event.object_id}" if event.object_id else ""
        details = "; ".join(
            f"{_words(key)}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in sorted(event.details.items())
        )
        label = (
            AuditAction(event.action).label if event.action in AuditAction.values else event.action
        )
        return cls(
            at=staff_datetime(event.occurred_at, zone),
            who=who.capitalize() if event.actor_kind != Who.STAFF else who,
            action=label,
            record=record,
            details=details,
        )
