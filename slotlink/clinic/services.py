"""Write-side operations on the diary."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.booking.services import Actor, booking_link_delete_for_appointment
from slotlink.clinic.models import TIME_HOLDING, Appointment, AppointmentStatus, User


class DiaryConflict(Exception):
    """The change would put two appointments in one therapist's time."""


def _overlaps(appointment: Appointment) -> bool:
    return (
        Appointment.objects.filter(
            therapist_id=appointment.therapist_id,
            status__in=TIME_HOLDING,
            start__lt=appointment.end,
            end__gt=appointment.start,
        )
        .exclude(pk=appointment.pk)
        .exists()
    )


@transaction.atomic
def appointment_save(*, appointment: Appointment, user: User) -> Appointment:
    """Create or update an appointment from a staff form, refusing overlaps. The check gives a
    clear message; the database constraint is what makes it hold under concurrency."""
    if appointment.status in TIME_HOLDING and _overlaps(appointment):
        raise DiaryConflict("The therapist already has an appointment at that time.")
    if appointment.pk is None:
        appointment.created_by = user
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise DiaryConflict("The therapist already has an appointment at that time.") from None
    return appointment


@transaction.atomic
def appointment_delete(*, appointment: Appointment, user: User) -> None:
    """Take an appointment out of the diary. It stays on record as cancelled (its clinical
    contact and history must survive); a booking link that made it is marked deleted."""
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CANCELLED, cancellation_reason="Deleted from the diary"
    )
    if appointment.booking_link_id is not None:
        booking_link_delete_for_appointment(
            link_id=appointment.booking_link_id,
            actor=Actor.staff(user, "Appointment deleted from the diary"),
            now=timezone.now(),
        )
