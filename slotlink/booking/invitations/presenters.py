"""Bulk invitations as the admin sees them: rows, findings and progress."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slotlink.booking.models import (
    BulkFinding,
    BulkInvitation,
    BulkInvitationRow,
    BulkResult,
    BulkStatus,
)
from slotlink.lib.formatting import nhs_number_text, staff_datetime


@dataclass(frozen=True)
class BulkRowView:
    number: int
    nhs_number: str
    patient: str
    patient_pk: int | None
    finding: str
    finding_class: str
    result: str
    result_class: str
    reason: str

    @classmethod
    def of(cls, row: BulkInvitationRow) -> "BulkRowView":
        return cls(
            number=row.number,
            nhs_number=nhs_number_text(row.nhs_number) if row.nhs_number else "–",
            patient=row.patient.full_name if row.patient else "",
            patient_pk=row.patient_id,
            finding=BulkFinding(row.finding).label,
            finding_class=row.finding,
            result=BulkResult(row.result).label,
            result_class=row.result,
            reason=row.reason
            or (BulkFinding(row.finding).label if row.result == BulkResult.SKIPPED else ""),
        )


@dataclass(frozen=True)
class FindingCount:
    label: str
    finding: str
    count: int


@dataclass(frozen=True)
class BulkProgress:
    pk: int
    status: str
    status_label: str
    total: int
    ready: int
    sent: int
    skipped: int
    pending: int
    finished: bool
    previewing: bool

    @property
    def processed(self) -> int:
        return self.sent + self.skipped

    @classmethod
    def of(cls, invitation: BulkInvitation, counts: dict[str, int], ready: int) -> "BulkProgress":
        return cls(
            pk=invitation.pk,
            status=invitation.status,
            status_label=BulkStatus(invitation.status).label,
            total=sum(counts.values()),
            ready=ready,
            sent=counts.get(BulkResult.SENT, 0),
            skipped=counts.get(BulkResult.SKIPPED, 0),
            pending=counts.get(BulkResult.PENDING, 0),
            finished=invitation.status == BulkStatus.DONE,
            previewing=invitation.status == BulkStatus.PREVIEW,
        )


@dataclass(frozen=True)
class BulkListRow:
    pk: int
    rule: str
    created: str
    created_by: str
    source: str
    status: str

    @classmethod
    def of(cls, invitation: BulkInvitation, zone: ZoneInfo) -> "BulkListRow":
        by = invitation.created_by
        return cls(
            pk=invitation.pk,
            rule=invitation.rule.title,
            created=staff_datetime(invitation.created_at, zone),
            created_by=(by.get_full_name() or by.username) if by else "",
            source=invitation.file_name or "Patients chosen from a search",
            status=BulkStatus(invitation.status).label,
        )
