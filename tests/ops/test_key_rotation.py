"""Rotating FIELD_ENCRYPTION_KEYS: put the new key first (it encrypts; every key decrypts), run
`manage.py encryption_keys_rotate` to re-encrypt what is stored, then drop the old key: every
link token, text and provider secret still reads. And SECRET_KEY_FALLBACKS for SECRET_KEY."""

from collections.abc import Iterator
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, ManageLink
from slotlink.clinic.models import Service
from slotlink.lib import crypto
from slotlink.lib.crypto import decrypt, encrypt
from slotlink.messaging.models import OutboundMessage
from tests.conftest import Clinic
from tests.portal.test_manage import book
from tests.test_settings import production_env, run

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def keys(settings) -> Iterator[object]:
    def use(*keys: str) -> None:
        settings.FIELD_ENCRYPTION_KEYS = list(keys)
        crypto._fernet.cache_clear()

    use(OLD)
    yield use
    crypto._fernet.cache_clear()


def stored() -> list[str]:
    return [
        *BookingLink.objects.order_by("pk").values_list("token_encrypted", flat=True),
        *ManageLink.objects.order_by("pk").values_list("token_encrypted", flat=True),
        *OutboundMessage.objects.order_by("pk").values_list("body_encrypted", flat=True),
        *Service.objects.exclude(sms_secret_encrypted="")
        .order_by("pk")
        .values_list("sms_secret_encrypted", flat=True),
    ]


def test_after_rotating_the_old_key_can_go_and_everything_still_reads(
    clinic: Clinic, frozen_now: object, keys
) -> None:
    book(clinic)
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    Service.objects.filter(pk=clinic.service.pk).update(sms_secret_encrypted=encrypt("api-key"))
    before = [decrypt(value) for value in stored()]
    assert len(before) >= 6 and None not in before

    keys(NEW, OLD)
    out = StringIO()
    call_command("encryption_keys_rotate", stdout=out)
    assert "Re-encrypted" in out.getvalue()
    keys(NEW)

    assert [decrypt(value) for value in stored()] == before


def test_rotating_twice_changes_nothing_more_and_blank_values_stay_blank(
    clinic: Clinic, frozen_now: object, keys
) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    keys(NEW, OLD)
    call_command("encryption_keys_rotate", stdout=StringIO())
    first = stored()
    out = StringIO()
    call_command("encryption_keys_rotate", stdout=out)
    assert "Re-encrypted 0 values" in out.getvalue()
    assert stored() == first
    assert Service.objects.get().sms_secret_encrypted == ""


def test_a_value_no_key_reads_is_reported_not_lost(clinic: Clinic, keys) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    keys(NEW)  # the old key was dropped too early
    out = StringIO()
    call_command("encryption_keys_rotate", stdout=out)
    assert "could not be read with any key" in out.getvalue()
    keys(OLD)
    assert None not in [decrypt(value) for value in stored()]


def test_secret_key_fallbacks_come_from_the_environment() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(len(s.SECRET_KEY_FALLBACKS))"
    )
    result = run(["-c", script], production_env(SECRET_KEY_FALLBACKS="o" * 50 + ",p" + "q" * 50))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
