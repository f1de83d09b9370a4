"""Reads for the staff-account and operator pages. Staff reads start from the reader's
service; the operator's read services and their staff accounts, never patient data."""

from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.clinic.models import Role, Service, User


def staff_of(*, service_id: int) -> QuerySet[User]:
    """Every account of the service, deactivated ones included, active first."""
    return User.objects.filter(service_id=service_id).order_by(
        "-is_active", "last_name", "first_name", "username"
    )


def with_authenticator(users: list[User]) -> set[int]:
    """Which of these users have set up an authenticator app."""
    return set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )


def locked_out(users: list[User], now: datetime | None = None) -> set[str]:
    """The usernames among these that django-axes holds locked out now (too many wrong
    passwords within the cool-off period)."""
    since = (now or timezone.now()) - settings.AXES_COOLOFF_TIME
    failures = (
        AccessAttempt.objects.filter(
            username__in=[user.username for user in users], attempt_time__gte=since
        )
        .values("username")
        .annotate(total=Sum("failures_since_start"))
    )
    return {row["username"] for row in failures if row["total"] >= settings.AXES_FAILURE_LIMIT}


def services_for_operator() -> QuerySet[Service]:
    """Every service, with how many active staff and superusers it has."""
    active = Q(user__is_active=True)
    return Service.objects.annotate(
        staff_count=Count("user", filter=active),
        superuser_count=Count("user", filter=active & Q(user__role=Role.SUPERUSER)),
    ).order_by("name", "pk")


def superusers_of(*, service_id: int) -> QuerySet[User]:
    return User.objects.filter(service_id=service_id, role=Role.SUPERUSER).order_by(
        "-is_active", "last_name", "first_name"
    )
