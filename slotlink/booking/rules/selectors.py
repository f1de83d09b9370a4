"""Read-side queries for the superuser and admin pages, each scoped to the user's service."""

from django.db.models import Count, QuerySet

from slotlink.booking.models import (
    BookingLink,
    BroadcastRule,
)
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import User


def all_rules_for(user: User) -> QuerySet[BroadcastRule]:
    """Active and inactive rules alike (staff's dropdown shows only active ones)."""
    return (
        BroadcastRule.objects.filter(service_id=service_id_of(user))
        .select_related("appointment_type", "team", "service")
        .prefetch_related("therapists")
        .order_by("-active", "title")
    )


def links_sent_by_rule(user: User) -> dict[int, int]:
    rows = (
        BookingLink.objects.filter(service_id=service_id_of(user))
        .values_list("rule_id")
        .annotate(n=Count("pk"))
        .values_list("rule_id", "n")
    )
    return dict(rows)
