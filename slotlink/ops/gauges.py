"""The metrics read from the database when Prometheus scrapes, with a few aggregate queries
(each app server answers them alike: take one instance's value, or the max, not the sum)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from slotlink.booking.models import BookingLink
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.messaging.models import Channel, MessageStatus, OutboundMessage
from slotlink.ops.health import heartbeat, oldest_due_message


class DatabaseGauges(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        due = OutboundMessage.objects.filter(status=MessageStatus.QUEUED, send_after__lte=now)
        yield GaugeMetricFamily(
            "slotlink_outbox_due_messages",
            "Messages queued whose time to be sent has come.",
            value=due.count(),
        )
        oldest = oldest_due_message(now)
        yield GaugeMetricFamily(
            "slotlink_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due message has waited past its time (0: none).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        last_seen = heartbeat()
        if last_seen is not None:
            yield GaugeMetricFamily(
                "slotlink_housekeeping_last_run_age_seconds",
                "Since a worker last began a housekeeping run (the heartbeat /readyz reads).",
                value=(now - last_seen).total_seconds(),
            )
        yield _by_status(
            "slotlink_texts",
            "Text messages in the outbox, by state.",
            OutboundMessage.objects.filter(channel=Channel.SMS),
            MessageStatus.values,
        )
        yield _by_status(
            "slotlink_booking_links",
            "Booking links, by state.",
            BookingLink.objects.all(),
            [status.value for status in LinkStatus],
        )


def _by_status(name: str, documentation: str, rows: QuerySet[Any], statuses: list[str]) -> Metric:
    counts = dict.fromkeys(statuses, 0)
    counts.update(rows.values_list("status").annotate(n=Count("pk")).order_by())
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status, count in counts.items():
        family.add_metric([status], count)
    return family
