"""The dashboard's counts, by rule and week."""

from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from slotlink.booking.models import BookingLink, BroadcastRule
from slotlink.booking.reports.presenters import RuleWeek
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import User

# What the dashboard counts, and the link's time that says when (see BookingLink).
_COUNTED = {"sent": "created_at", "opened": "accessed_at", "expired": "expired_at"}


def rule_weeks(user: User, start: datetime, end: datetime) -> list[RuleWeek]:
    """For each rule, the links sent, opened (first opened), booked and expired between
    `start` and `end`, and the median time from sending to booking of those booked then.
    Active rules appear even with nothing to count; inactive ones only when something
    happened. Counted by the database, which on PostgreSQL reads only indexes; three
    queries, however many links."""
    service_id = service_id_of(user)
    links = BookingLink.objects.filter(service_id=service_id).order_by()
    # COUNT(*), not of ids: the indexes hold no id, and counting one would read the table.
    per_rule = [
        links.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .values("rule_id")
        .annotate(measure=Value(measure), n=Count("*"))
        .values_list("measure", "rule_id", "n")
        for measure, field in _COUNTED.items()
    ]
    counts = {
        (measure, rule_id): n for measure, rule_id, n in per_rule[0].union(*per_rule[1:], all=True)
    }
    booked, medians = _booked(links.filter(booked_at__gte=start, booked_at__lt=end))
    busy = {rule_id for _, rule_id in counts} | set(booked)
    weeks = []
    for rule in BroadcastRule.objects.filter(service_id=service_id).order_by("title"):
        if not rule.active and rule.pk not in busy:
            continue
        weeks.append(
            RuleWeek(
                rule=rule.title,
                sent=counts.get(("sent", rule.pk), 0),
                opened=counts.get(("opened", rule.pk), 0),
                booked=booked.get(rule.pk, 0),
                expired=counts.get(("expired", rule.pk), 0),
                median_to_book=medians.get(rule.pk),
            )
        )
    return weeks


def _booked(links: QuerySet[BookingLink]) -> tuple[dict[int, int], dict[int, timedelta]]:
    """How many of `links` each rule has, and the median of their waits from sending to
    booking. The database numbers each rule's waits in order and returns only the middle one
    (odd count) or two (even), which are then averaged here: the same query and the same
    answer on PostgreSQL and SQLite, where percentile_cont does not exist."""
    by_rule = [F("rule_id")]
    middle = (
        links.annotate(
            wait=ExpressionWrapper(F("booked_at") - F("created_at"), output_field=DurationField()),
            place=Window(RowNumber(), partition_by=by_rule, order_by=[F("wait").asc()]),
            of=Window(Count("*"), partition_by=by_rule),
        )
        .filter(Q(place=(F("of") + 1) / 2) | Q(place=(F("of") + 2) / 2))
        .values_list("rule_id", "of", "wait")
    )
    counts: dict[int, int] = {}
    waits: dict[int, list[timedelta]] = {}
    for rule_id, of, wait in middle:
        counts[rule_id] = of
        waits.setdefault(rule_id, []).append(wait)
    medians = {rule_id: sum(pair, timedelta()) / len(pair) for rule_id, pair in waits.items()}
    return counts, medians
