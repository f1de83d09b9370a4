"""Reads about bulk invitations, always scoped to the user's service."""

from django.db.models import Count, QuerySet

from slotlink.booking.models import (
    BulkFinding,
    BulkInvitation,
    BulkInvitationRow,
)
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import User


def bulk_invitations_for(user: User) -> QuerySet[BulkInvitation]:
    return BulkInvitation.objects.filter(service_id=service_id_of(user)).select_related(
        "rule", "created_by", "service"
    )


def bulk_result_counts(invitation: BulkInvitation) -> dict[str, int]:
    rows = (
        BulkInvitationRow.objects.filter(invitation=invitation)
        .values_list("result")
        .annotate(n=Count("pk"))
        .values_list("result", "n")
    )
    return dict(rows)


def bulk_finding_counts(invitation: BulkInvitation) -> dict[str, int]:
    rows = (
        BulkInvitationRow.objects.filter(invitation=invitation)
        .values_list("finding")
        .annotate(n=Count("pk"))
        .values_list("finding", "n")
    )
    counts = dict(rows)
    return {finding.value: counts.get(finding.value, 0) for finding in BulkFinding}


def bulk_rows(invitation: BulkInvitation) -> QuerySet[BulkInvitationRow]:
    return (
        BulkInvitationRow.objects.filter(invitation=invitation)
        .select_related("patient")
        .order_by("number")
    )
