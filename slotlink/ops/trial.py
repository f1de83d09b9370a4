"""A trial service for a production-like installation on one machine (make prod-local): a
service, a therapist who works every day, one rule, one made-up patient, and staff logins with
passwords and authenticator keys made at random here and shown once.

Production settings refuse the demo (its password and authenticator key are published), and
they should: this is not the demo. Nothing in it is published, so it is as safe to log in to
as any account; but its patient is made up, so it is made only where the site can be reached
from this machine alone (every ALLOWED_HOSTS name a loopback one), never on a real deployment."""

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.services import DEVICE_NAME
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import (
    AppointmentType,
    Medium,
    Patient,
    Role,
    Service,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.ops.demo import demo_nhs_number, drama_mobile

TRIAL_SERVICE = "Trial Talking Therapies"
TRIAL_RULE = "Trial assessment – telephone"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class NotLocal(Exception):
    """The site can be reached from elsewhere: no made-up patient belongs there."""


@dataclass(frozen=True)
class TrialLogin:
    username: str
    role: str
    password: str
    authenticator_key: str  # base32, for an authenticator app; empty when the role needs none


@dataclass(frozen=True)
class Trial:
    service: Service
    patient: Patient
    rule: BroadcastRule
    logins: list[TrialLogin]  # empty when the service existed already


def site_is_local() -> bool:
    return bool(settings.ALLOWED_HOSTS) and set(settings.ALLOWED_HOSTS) <= LOOPBACK


@transaction.atomic
def trial_service_create() -> Trial:
    """Make the trial service, or return the one made before (without its logins)."""
    if settings.PRODUCTION and not site_is_local():
        raise NotLocal(
            "A trial service holds a made-up patient, so it is made only on a site this machine "
            "alone can reach (ALLOWED_HOSTS of 127.0.0.1, localhost or ::1)."
        )
    existing = Service.objects.filter(name=TRIAL_SERVICE).first()
    if existing is not None:
        return Trial(
            existing,
            existing.patients.order_by("pk")[0],
            existing.broadcast_rules.get(title=TRIAL_RULE),
            [],
        )
    service = Service.objects.create(
        name=TRIAL_SERVICE,
        phone="0113 496 0000",
        online_booking_enabled=True,
        # Texts go out whatever the hour: a trial at night still sees its confirmation sent.
        quiet_from=None,
        quiet_until=None,
    )
    logins = [
        _login(service, "trial-super", Role.SUPERUSER),
        _login(service, "trial-admin", Role.ADMIN),
        _login(service, "trial-therapist", Role.THERAPIST),
    ]
    therapist = Therapist.objects.create(
        service=service,
        name="Tam Trial",
        user=User.objects.get(username="trial-therapist"),
    )
    # Every day, so that times are offered whenever the trial runs.
    since = timezone.localdate() - timedelta(days=7)
    WorkingPattern.objects.bulk_create(
        WorkingPattern(
            therapist=therapist,
            weekday=weekday,
            start_time=time(8),
            end_time=time(20),
            effective_from=since,
        )
        for weekday in range(7)
    )
    assessment = AppointmentType.objects.create(
        service=service, name="Assessment", duration_minutes=60
    )
    rule = BroadcastRule.objects.create(
        service=service,
        title=TRIAL_RULE,
        appointment_type=assessment,
        duration_minutes=60,
        medium=Medium.TELEPHONE,
        min_notice_hours=1,
        horizon_days=14,
        slot_step_minutes=60,
        welcome_content="Choose a time that suits you.",
    )
    rule.therapists.set([therapist])
    patient = Patient.objects.create(
        service=service,
        first_name="Alex",
        last_name="Trial",
        date_of_birth=date(1990, 4, 12),
        nhs_number=demo_nhs_number(900),
        mobile=drama_mobile(900),
    )
    return Trial(service, patient, rule, logins)


def _login(service: Service, username: str, role: Role) -> TrialLogin:
    password = secrets.token_urlsafe(18)
    user = User(
        username=username, role=role, service=service, first_name="Trial", last_name=role.label
    )
    user.set_password(password)
    user.save()
    key = ""
    if role in settings.OTP_REQUIRED_FOR:
        raw = secrets.token_bytes(20)
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True, key=raw.hex())
        key = b32encode(raw).decode()
    return TrialLogin(username, role.label, password, key)
