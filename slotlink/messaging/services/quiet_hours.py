"""Quiet hours: when a text that is not urgent may go."""

from datetime import datetime, timedelta

from slotlink.clinic.models import Service


def quiet_hours_end(service: Service, moment: datetime) -> datetime:
    """`moment`, or the end of the service's quiet hours if it falls inside them."""
    start, end = service.quiet_from, service.quiet_until
    if start is None or end is None or start == end:
        return moment
    zone = service.zone
    local = moment.astimezone(zone)
    clock = local.time()
    overnight = start > end  # e.g. 21:00 to 08:00
    quiet = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not quiet:
        return moment
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone)
