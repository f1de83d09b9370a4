"""Staff accounts: login throttling per account and per client, two-factor authentication
(required for admins and superusers, available to everyone), sessions that end after 15 idle
minutes and 12 hours in all, and logging out everywhere."""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.functional import empty
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.services import two_factor_required
from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.clinic.models import Role, User
from slotlink.ops.demo_two_factor import demo_two_factor
from tests.conftest import Clinic, logged_in, totp_code, totp_device
from tests.factories import UserFactory
from tests.test_access import PAGE_ROUTES, RECORD_ROUTES

pytestmark = pytest.mark.usefixtures("frozen_now")

LOCKED = "Too many attempts"


def log_in(user: User, password: str | None = None, address: str = "192.0.2.10", **extra):
    client = Client(REMOTE_ADDR=address, **extra)
    response = client.post(
        "/login/", {"username": user.username, "password": password or settings.DEMO_PASSWORD}
    )
    return client, response


def page(response) -> str:
    return response.content.decode()


# Login throttling (django-axes)


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one_from_elsewhere(
    clinic: Clinic,
) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        _, response = log_in(clinic.therapist_user, "wrong-password", address=f"192.0.2.{n}")
        assert response.status_code in {200, 429}

    client, response = log_in(clinic.therapist_user, address="198.51.100.7")

    assert response.status_code == 429
    assert LOCKED in page(response)
    assert "Traceback" not in page(response)
    assert client.get("/patients/").status_code == 302  # not logged in


def test_one_client_guessing_at_many_accounts_is_locked_out_for_all_of_them(
    clinic: Clinic,
) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        stranger = UserFactory(service=clinic.service, username=f"guess{n}")
        log_in(stranger, "wrong-password", address="203.0.113.5")

    _, response = log_in(clinic.therapist_user, address="203.0.113.5")
    assert response.status_code == 429
    _, elsewhere = log_in(clinic.therapist_user, address="203.0.113.6")
    assert elsewhere.status_code == 302


def test_the_locked_out_page_is_plain_and_the_same_for_unknown_usernames(clinic: Clinic) -> None:
    nobody = User(username="nobody-here")
    responses = []
    for user in (clinic.therapist_user, nobody):
        for n in range(settings.AXES_FAILURE_LIMIT + 1):
            _, response = log_in(user, "wrong-password", address=f"192.0.2.{n + 50}")
        responses.append(response)
    assert [r.status_code for r in responses] == [429, 429]
    without_csrf = [re.sub(r'"X-CSRFToken": "\w+"', "", page(r)) for r in responses]
    assert without_csrf[0] == without_csrf[1]
    assert "15 minutes" in page(responses[0])


def test_a_lock_lapses_after_the_cool_off(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(clinic.therapist_user, "wrong-password")
    assert log_in(clinic.therapist_user)[1].status_code == 429

    frozen_now.shift(timedelta(minutes=16))

    assert log_in(clinic.therapist_user)[1].status_code == 302


def test_a_successful_login_clears_the_accounts_earlier_failures(clinic: Clinic) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(clinic.therapist_user, "wrong-password")
    assert log_in(clinic.therapist_user)[1].status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(clinic.therapist_user, "wrong-password")
    assert log_in(clinic.therapist_user)[1].status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_clients_are_told_apart_by_the_address_the_proxy_saw(
    clinic: Clinic,
) -> None:
    """Every request comes from the proxy; the client is the last X-Forwarded-For entry, and
    whatever a client writes further left cannot move it into someone else's count."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        stranger = UserFactory(service=clinic.service, username=f"behind{n}")
        log_in(
            stranger,
            "wrong-password",
            address="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9",
        )
    _, same_client = log_in(
        clinic.therapist_user, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    _, other_client = log_in(
        clinic.therapist_user, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10"
    )
    assert (same_client.status_code, other_client.status_code) == (429, 302)


# Two-factor authentication


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERUSER])
def test_admins_and_superusers_must_set_up_two_factor_on_first_login(
    clinic: Clinic, frozen_now: time_machine.Traveller, role: Role
) -> None:
    user = clinic.admin if role == Role.ADMIN else clinic.superuser
    client, response = log_in(user)
    assert response.status_code == 302

    setup = client.get("/patients/")
    assert setup["Location"].startswith("/account/two-factor/setup/")
    shown = page(client.get(setup["Location"]))
    assert 'src="data:image/svg+xml' in shown
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', shown).group(1)

    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert secret.replace(" ", "") in device.config_url
    wrong = client.post(setup["Location"], {"code": "000000"})
    assert wrong.status_code == 400
    assert "not right" in page(wrong)

    frozen_now.shift(timedelta(seconds=2))  # after a wrong code the next try must wait
    done = client.post(setup["Location"], {"code": totp_code(device)})
    assert done["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR_ENABLED, actor=user).exists()


def test_with_an_authenticator_every_login_needs_a_fresh_code(clinic: Clinic) -> None:
    device = totp_device(clinic.admin)
    client, _ = log_in(clinic.admin)
    ask = client.get("/diary/?view=day")
    assert ask["Location"] == "/account/two-factor/?next=%2Fdiary%2F%3Fview%3Dday"

    code = totp_code(device)
    assert client.post(ask["Location"], {"code": code})["Location"] == "/diary/?view=day"
    assert client.get("/diary/").status_code == 200

    # The same code again, in another browser: refused (an observed code cannot be replayed).
    thief, _ = log_in(clinic.admin)
    replay = thief.post("/account/two-factor/", {"code": code})
    assert replay.status_code == 400
    assert thief.get("/patients/").status_code == 302


def test_unverified_staff_reach_no_staff_page_at_all(clinic: Clinic) -> None:
    totp_device(clinic.superuser)
    client, _ = log_in(clinic.superuser)
    for name, route in {**PAGE_ROUTES, **RECORD_ROUTES}.items():
        if name.startswith("accounts:two_factor") or route.record:
            continue
        from django.urls import reverse

        response = getattr(client, route.method)(reverse(name, args=route.args))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/account/two-factor/"), name
    for url in ["/patients/1/", "/appointments/1/", "/patients/1/audit/"]:
        assert client.get(url)["Location"].startswith("/account/two-factor/")


def test_htmx_requests_are_sent_to_the_code_page_as_a_whole(clinic: Clinic) -> None:
    totp_device(clinic.admin)
    client, _ = log_in(clinic.admin)
    response = client.get("/patients/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/account/two-factor/")


def test_wrong_codes_slow_down_further_tries(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    device = totp_device(clinic.admin)
    client, _ = log_in(clinic.admin)
    client.post("/account/two-factor/", {"code": "123"})  # malformed counts as wrong
    client.post(
        "/account/two-factor/", {"code": "000000" if totp_code(device) != "000000" else "1"}
    )

    too_soon = client.post("/account/two-factor/", {"code": totp_code(device)})
    assert too_soon.status_code == 400
    assert "wait" in page(too_soon)

    frozen_now.shift(timedelta(seconds=3))
    assert client.post("/account/two-factor/", {"code": totp_code(device)}).status_code == 302
    assert client.get("/patients/").status_code == 200


def test_a_stolen_password_cannot_swap_in_another_authenticator(clinic: Clinic) -> None:
    original = totp_device(clinic.admin)
    thief, _ = log_in(clinic.admin)
    assert thief.get("/account/two-factor/setup/")["Location"] == "/account/two-factor/"
    assert thief.post("/account/two-factor/setup/", {"code": "123456"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=clinic.admin)) == [original]


def test_verifying_gives_the_session_a_new_key(clinic: Clinic) -> None:
    device = totp_device(clinic.admin)
    client, _ = log_in(clinic.admin)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/account/two-factor/", {"code": totp_code(device)})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_therapists_may_turn_two_factor_on_and_then_always_need_it(clinic: Clinic) -> None:
    therapist = clinic.therapist_user
    client, _ = log_in(therapist)
    assert client.get("/patients/").status_code == 200
    assert "Set up two-factor authentication" in page(client.get("/account/"))

    setup = client.get("/account/two-factor/setup/")
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=therapist)
    client.post("/account/two-factor/setup/", {"code": totp_code(device)})
    assert two_factor_required(therapist)

    later, _ = log_in(therapist)
    assert later.get("/patients/")["Location"].startswith("/account/two-factor/?")


def test_django_superusers_need_two_factor_whatever_their_role(clinic: Clinic) -> None:
    clinic.therapist_user.is_superuser = True
    clinic.therapist_user.save()
    client, _ = log_in(clinic.therapist_user)
    assert client.get("/patients/")["Location"].startswith("/account/two-factor/setup/")


@override_settings(OTP_REQUIRED_FOR=["admin", "superuser", "therapist"])
def test_a_deployment_may_require_two_factor_of_therapists_too(clinic: Clinic) -> None:
    client, _ = log_in(clinic.therapist_user)
    assert client.get("/patients/")["Location"].startswith("/account/two-factor/setup/")


def test_a_lost_phone_is_reset_by_command_which_ends_sessions_and_is_audited(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    assert client.get("/patients/").status_code == 200
    out = StringIO()

    call_command("two_factor_reset", clinic.admin.username, stdout=out)

    assert "Removed 1 authenticator" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=clinic.admin).exists()
    assert client.get("/patients/")["Location"].startswith("/login/")
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (event.actor_kind, event.object_id) == ("system", str(clinic.admin.pk))


def test_the_demo_key_is_refused_in_production(clinic: Clinic) -> None:
    with override_settings(PRODUCTION=True), pytest.raises(ImproperlyConfigured):
        demo_two_factor([clinic.admin.username])
    assert not TOTPDevice.objects.filter(user=clinic.admin).exists()


# Sessions


def test_sessions_end_after_fifteen_idle_minutes(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    client = logged_in(clinic.therapist_user)
    frozen_now.shift(timedelta(minutes=14))
    assert client.get("/patients/").status_code == 200  # activity keeps it alive
    frozen_now.shift(timedelta(minutes=14))
    assert client.get("/patients/").status_code == 200
    frozen_now.shift(timedelta(minutes=16))
    assert client.get("/patients/")["Location"].startswith("/login/?next=")


def test_a_session_busy_every_half_minute_stays_alive_past_fifteen_minutes(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    client = logged_in(clinic.therapist_user)
    for _ in range(40):  # twenty minutes
        frozen_now.shift(timedelta(seconds=30))
        assert client.get("/patients/").status_code == 200


def test_a_session_is_written_at_most_once_a_minute_while_busy(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    client = logged_in(clinic.therapist_user)
    frozen_now.shift(timedelta(seconds=61))

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/patients/").status_code == 200
        return sum('"django_session"' in q["sql"] and "UPDATE" in q["sql"] for q in captured)

    assert session_writes() == 1
    frozen_now.shift(timedelta(seconds=30))
    assert session_writes() == 0
    frozen_now.shift(timedelta(seconds=31))
    assert session_writes() == 1


def test_sessions_end_twelve_hours_after_login_however_busy(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    client = logged_in(clinic.admin)
    for _ in range(12 * 6 - 1):  # a request every ten minutes for just under twelve hours
        frozen_now.shift(timedelta(minutes=10))
        assert client.get("/patients/").status_code == 200
    frozen_now.shift(timedelta(minutes=11))

    response = client.get("/patients/")

    assert response["Location"] == "/login/?next=/patients/"
    assert "logged out after 12 hours" in page(client.get(response["Location"]))
    assert client.get("/patients/").status_code == 302


def test_patient_pages_leave_a_staff_login_alone_and_its_next_staff_page_checks_it(
    clinic: Clinic, frozen_now: time_machine.Traveller
) -> None:
    """Patient pages never act on a staff login, so they do not load it: the staff checks
    fall on the staff pages, every one of them."""
    client = logged_in(clinic.admin)
    for _ in range(12 * 6 + 1):  # kept alive, by patient pages alone, past twelve hours
        frozen_now.shift(timedelta(minutes=10))
        patient_page = client.get("/help/cookies/")
        assert patient_page.status_code == 200
        assert patient_page.wsgi_request.user._wrapped is empty  # a lazy user, never loaded

    response = client.get("/patients/")

    assert response["Location"] == "/login/?next=/patients/"
    assert "logged out after 12 hours" in page(client.get(response["Location"]))


def test_log_out_everywhere_ends_every_session_of_that_user_only(clinic: Clinic) -> None:
    office, laptop = logged_in(clinic.admin), logged_in(clinic.admin)
    colleague = logged_in(clinic.therapist_user)

    response = laptop.post("/account/logout-everywhere/")

    assert response["Location"] == "/login/"
    assert office.get("/patients/")["Location"].startswith("/login/")
    assert laptop.get("/patients/")["Location"].startswith("/login/")
    assert colleague.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.SESSIONS_ENDED, actor=clinic.admin).exists()
    # A new login works as before.
    again = logged_in(User.objects.get(pk=clinic.admin.pk))
    assert again.get("/patients/").status_code == 200


def test_log_out_everywhere_needs_a_post(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    assert client.get("/account/logout-everywhere/").status_code == 405
    assert client.get("/patients/").status_code == 200


def test_the_account_page_offers_both_controls(clinic: Clinic) -> None:
    shown = page(logged_in(clinic.admin).get("/account/"))
    assert "Log out everywhere" in shown
    assert "On: logging in needs a code" in shown


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_after_the_code_staff_are_never_sent_off_site(clinic: Clinic, target: str) -> None:
    device = totp_device(clinic.admin)
    client, _ = log_in(clinic.admin)
    response = client.post(f"/account/two-factor/?next={target}", {"code": totp_code(device)})
    assert response["Location"] == "/"
