"""Set-password links: the way a new member of staff (or one who forgot their password)
chooses a password. The token is random, kept only as a hash, works once, for three days,
only for an account that may still log in, and never reaches a Referer or a log."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from slotlink.accounts.models import SetPasswordLink
from slotlink.accounts.operator_services import service_switch
from slotlink.accounts.set_password import SET_PASSWORD_LINK_VALID, set_password_link_make
from slotlink.accounts.staff_services import StaffDetails, staff_invite
from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.clinic.models import Role, User
from slotlink.lib.crypto import token_hash
from slotlink.lib.logfilters import redact
from tests.conftest import Clinic
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

GOOD_PASSWORD = "violet-harbour-lantern-42"


def invite(
    clinic: Clinic, role: Role = Role.THERAPIST, username: str = "new.starter"
) -> tuple[User, str]:
    return staff_invite(
        username=username,
        details=StaffDetails(
            first_name="Nia", last_name="Newstarter", email="nia@example.nhs.uk", role=role
        ),
        service_id=clinic.service.pk,
        by=clinic.superuser,
    )


def token_of(url: str) -> str:
    match = re.search(r"/s/([\w-]+)$", url)
    assert match, url
    return match.group(1)


def choose(client: Client, url: str, password: str = GOOD_PASSWORD, again: str | None = None):
    opened = client.get("/s/" + token_of(url))
    assert opened.status_code == 302, opened.status_code
    return client.post(
        "/account/set-password/",
        {"new_password1": password, "new_password2": again or password},
    )


def test_the_token_is_long_random_and_only_its_hash_is_kept(clinic: Clinic) -> None:
    user, url = invite(clinic)
    token = token_of(url)
    assert len(token) >= 43  # 256 bits, URL-safe
    link = SetPasswordLink.objects.get(user=user)
    assert link.token_hash == token_hash(token)
    assert token not in str(list(SetPasswordLink.objects.values()))
    assert not user.has_usable_password()
    assert link.expires_at - link.made_at == SET_PASSWORD_LINK_VALID


def test_opening_the_link_moves_to_a_url_without_the_token_and_sends_no_referrer(
    clinic: Clinic,
) -> None:
    _, url = invite(clinic)
    client = Client()
    response = client.get("/s/" + token_of(url))
    assert response.status_code == 302
    assert response["Location"] == "/account/set-password/"
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get("/account/set-password/")
    assert page.status_code == 200
    assert token_of(url) not in page.content.decode()
    assert "new.starter" in page.content.decode()


def test_a_new_starter_chooses_a_password_and_is_logged_in_at_the_staff_home(
    clinic: Clinic,
) -> None:
    user, url = invite(clinic)
    client = Client()
    response = choose(client, url)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/patients/").status_code == 200
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert AuditEvent.objects.filter(
        action=AuditAction.PASSWORD_SET, actor_id=user.pk, object_id=str(user.pk)
    ).exists()
    # And later logs in with it like anyone else.
    assert (
        Client().post("/login/", {"username": user.username, "password": GOOD_PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "too short"),
        ("password1234", "too common"),
        ("newstarter-nia", "too similar"),
    ],
)
def test_the_password_must_pass_djangos_validators(
    clinic: Clinic, password: str, message: str
) -> None:
    user, url = invite(clinic)
    client = Client()
    response = choose(client, url, password)
    assert response.status_code == 400
    assert message in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
    # The link still works: a rejected password uses nothing up.
    assert choose(client, url).status_code == 302


def test_the_two_passwords_must_match(clinic: Clinic) -> None:
    _, url = invite(clinic)
    response = choose(Client(), url, GOOD_PASSWORD, again=GOOD_PASSWORD + "x")
    assert response.status_code == 400
    assert (
        "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()
    )


def test_an_admin_sets_up_two_factor_before_reaching_anything(clinic: Clinic) -> None:
    user, url = invite(clinic, Role.ADMIN)
    client = Client()
    choose(client, url)
    home = client.get("/")
    assert home["Location"].startswith("/account/two-factor/setup/")
    assert client.get("/patients/")["Location"].startswith("/account/two-factor/setup/")
    client.get("/account/two-factor/setup/")
    device = user.totpdevice_set.get()
    code = f"{totp(device.bin_key):06d}"
    done = client.post("/account/two-factor/setup/?next=/", {"code": code})
    assert done["Location"] == "/"
    assert client.get("/patients/").status_code == 200


def test_the_link_works_once(clinic: Clinic) -> None:
    _, url = invite(clinic)
    assert choose(Client(), url).status_code == 302
    again = Client().get("/s/" + token_of(url))
    assert again.status_code == 404
    assert "This link cannot be used" in again.content.decode()


def test_the_link_lapses_after_three_days(clinic: Clinic) -> None:
    _, url = invite(clinic)
    with time_machine.travel(timezone.now() + SET_PASSWORD_LINK_VALID + timedelta(seconds=1)):
        assert Client().get("/s/" + token_of(url)).status_code == 404


def test_a_link_opened_before_it_lapsed_cannot_be_used_after(clinic: Clinic) -> None:
    _, url = invite(clinic)
    client = Client()
    client.get("/s/" + token_of(url))
    with time_machine.travel(timezone.now() + SET_PASSWORD_LINK_VALID + timedelta(seconds=1)):
        response = client.post(
            "/account/set-password/",
            {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
        )
    assert response.status_code == 404


def test_a_newer_link_ends_the_older_one(clinic: Clinic) -> None:
    user, first = invite(clinic)
    second = set_password_link_make(user=user, by=clinic.superuser)
    assert Client().get("/s/" + token_of(first)).status_code == 404
    assert choose(Client(), second).status_code == 302


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 43, "A" * 500, "%00", "../../etc/passwd", "ünïcode-tökén"]
)
def test_made_up_tokens_get_the_same_plain_404(clinic: Clinic, token: str) -> None:
    response = Client().get(f"/s/{token}")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


def test_the_set_password_page_without_a_link_is_a_plain_404(db: None) -> None:
    response = Client().get("/account/set-password/")
    assert response.status_code == 404
    post = Client().post("/account/set-password/", {"new_password1": GOOD_PASSWORD})
    assert post.status_code == 404


def test_a_deactivated_account_or_a_switched_off_service_makes_the_link_useless(
    clinic: Clinic,
) -> None:
    user, url = invite(clinic)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert Client().get("/s/" + token_of(url)).status_code == 404
    User.objects.filter(pk=user.pk).update(is_active=True)
    service_switch(service_id=clinic.service.pk, active=False, by=Who.SYSTEM)
    assert Client().get("/s/" + token_of(url)).status_code == 404


def test_someone_else_logged_in_in_the_browser_is_logged_out_first(clinic: Clinic) -> None:
    _, url = invite(clinic)
    client = Client()
    client.force_login(clinic.therapist_user)
    client.get("/s/" + token_of(url))
    assert client.get("/patients/").status_code == 302


def test_the_token_reaches_no_log_record(clinic: Clinic, caplog: pytest.LogCaptureFixture) -> None:
    _, url = invite(clinic)
    token = token_of(url)
    assert token not in redact(f"GET /s/{token} 302")
    with caplog.at_level(logging.DEBUG):
        choose(Client(), url)
        Client().get("/s/" + token)
    assert all(token not in record.getMessage() for record in caplog.records)


def test_making_a_link_is_audited_without_the_token(clinic: Clinic) -> None:
    user, url = invite(clinic)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_LINK_MADE, object_id=str(user.pk))
    assert event.actor_id == clinic.superuser.pk
    assert event.service_id == clinic.service.pk
    assert token_of(url) not in str(event.details)


def test_a_member_of_staff_who_forgot_their_password_gets_a_new_one(clinic: Clinic) -> None:
    user = UserFactory(service=clinic.service, role=Role.THERAPIST)
    url = set_password_link_make(user=user, by=clinic.superuser)
    client = Client()
    assert choose(client, url, "a-brand-new-long-passphrase").status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-long-passphrase")
