"""The dashboard's counts, by rule and week."""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count

from slotlink.booking.models import (
    BookingLink,
    BookingLinkEvent,
    BroadcastRule,
)
from slotlink.booking.reports.presenters import RuleWeek
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import User
from slotlink.domain.link_lifecycle import LinkStatus


def rule_weeks(user: User, start: datetime, end: datetime) -> list[RuleWeek]:
    """For each rule, the links sent, opened, booked and expired between `start` and `end`,
    and the median time from sending to booking of those booked then. Active rules appear
    even with nothing to count; inactive ones only when something happened. Four queries."""
    service_id = service_id_of(user)
    sent = dict(
        BookingLink.objects.filter(service_id=service_id, created_at__gte=start, created_at__lt=end)
        .values_list("rule_id")
        .annotate(n=Count("pk"))
        .values_list("rule_id", "n")
    )
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    waits: dict[int, list[float]] = defaultdict(list)
    events = BookingLinkEvent.objects.filter(
        link__service_id=service_id,
        occurred_at__gte=start,
        occurred_at__lt=end,
        to_status__in=[LinkStatus.ACCESSED, LinkStatus.BOOKED, LinkStatus.EXPIRED],
    ).values_list("link__rule_id", "to_status", "occurred_at", "link__created_at")
    for rule_id, status, occurred_at, created_at in events:
        counts[status][rule_id] += 1
        if status == LinkStatus.BOOKED:
            waits[rule_id].append((occurred_at - created_at).total_seconds())
    busy = set(sent) | {rule_id for by_rule in counts.values() for rule_id in by_rule}
    rules = BroadcastRule.objects.filter(service_id=service_id).order_by("title")
    weeks = []
    for rule in rules:
        if not rule.active and rule.pk not in busy:
            continue
        median = statistics.median(waits[rule.pk]) if waits[rule.pk] else None
        weeks.append(
            RuleWeek(
                rule=rule.title,
                sent=sent.get(rule.pk, 0),
                opened=counts[LinkStatus.ACCESSED][rule.pk],
                booked=counts[LinkStatus.BOOKED][rule.pk],
                expired=counts[LinkStatus.EXPIRED][rule.pk],
                median_to_book=timedelta(seconds=median) if median is not None else None,
            )
        )
    return weeks
