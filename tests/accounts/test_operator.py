"""The platform operator: above any one service, creates a service with its first superuser,
switches a service off and on, and never sees patient data. A switched-off service's staff
are logged out and cannot log in, its patients' links offer only the number to call, and it
sends no texts; switching it on restores all of that. manage.py does the same for automation."""

import html
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.models import SetPasswordLink
from slotlink.accounts.operator_services import service_switch
from slotlink.audit.models import AuditAction, AuditEvent, Who
from slotlink.booking.links.services import booking_link_send, booking_link_url
from slotlink.clinic.models import Nation, Role, Service, User
from slotlink.lib.crypto import token_hash
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import SERVICE_SWITCHED_OFF, message_queue, messages_send_due
from tests.conftest import Clinic, logged_in
from tests.factories import UserFactory
from tests.test_access import ALL_ROUTES, OPERATOR_ROUTES, Records, call

pytestmark = pytest.mark.usefixtures("frozen_now")

NEW_SERVICE = {
    "name": "Northshire Talking Therapies",
    "nation": "WLS",
    "time_zone": "Europe/London",
    "phone": "029 2018 0123",
    "first_name": "Sam",
    "last_name": "Firstsuper",
    "username": "sam.firstsuper",
    "email": "sam.firstsuper@example.nhs.uk",
}
# The operator's own account pages, which show nothing of any service.
OWN_ACCOUNT = {
    "accounts:account",
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:logout_everywhere",
    "clinic:home",
}


@pytest.fixture
def operator(db: None) -> User:
    return UserFactory(service=None, role=Role.OPERATOR, username="olu.operator")


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_an_operator_creates_a_service_and_its_first_superuser(operator: User) -> None:
    client = logged_in(operator)
    response = client.post("/operator/services/new/", NEW_SERVICE)
    assert response.status_code == 200
    url = re.search(r'value="(http[^"]+/s/([\w-]+))"', text(response))
    assert url, text(response)
    service = Service.objects.get(name=NEW_SERVICE["name"])
    assert (service.nation, service.time_zone, service.phone, service.active) == (
        Nation.WALES,
        "Europe/London",
        "029 2018 0123",
        True,
    )
    assert not service.online_booking_enabled  # until its superuser is ready
    superuser = User.objects.get(username="sam.firstsuper")
    assert (superuser.service, superuser.role) == (service, Role.SUPERUSER)
    assert SetPasswordLink.objects.get(user=superuser).token_hash == token_hash(url.group(2))
    created = AuditEvent.objects.get(action=AuditAction.SERVICE_CREATED)
    assert (created.actor_id, created.service_id) == (operator.pk, service.pk)
    added = AuditEvent.objects.get(action=AuditAction.STAFF_ADDED, object_id=str(superuser.pk))
    assert (added.actor_id, added.service_id) == (operator.pk, service.pk)
    listed = text(client.get("/operator/services/"))
    assert NEW_SERVICE["name"] in listed
    detail = text(client.get(f"/operator/services/{service.pk}/"))
    assert "sam.firstsuper" in detail and "Invited" in detail


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "Enter the service's name."),
        ("phone", "call us", "Enter a UK phone number"),
        ("time_zone", "Mars/Olympus", "Choose the service's time zone"),
        ("nation", "FR", "Choose the nation whose bank holidays the service keeps."),
        ("username", "", "Enter a username."),
        ("email", "nope", "Enter an email address"),
    ],
)
def test_bad_input_creates_nothing_and_says_what_to_fix(
    operator: User, field: str, value: str, message: str
) -> None:
    response = logged_in(operator).post("/operator/services/new/", {**NEW_SERVICE, field: value})
    assert response.status_code == 400
    assert message in text(response)
    assert not Service.objects.filter(name=NEW_SERVICE["name"]).exists()


def test_a_taken_username_creates_neither_service_nor_account(
    operator: User, clinic: Clinic
) -> None:
    response = logged_in(operator).post(
        "/operator/services/new/", {**NEW_SERVICE, "username": clinic.admin.username}
    )
    assert response.status_code == 400
    assert not Service.objects.filter(name=NEW_SERVICE["name"]).exists()


def test_the_operator_never_sees_patient_data(records: Records, operator: User) -> None:
    """Every staff page but the operator's own and their account's refuses them (they belong
    to no service), whatever record it names: a page added later is covered once it is listed
    in tests/test_access.py, as it must be."""
    client = logged_in(operator)
    patient = records.clinic.patient
    checked = 0
    for name in sorted(set(ALL_ROUTES) - set(OPERATOR_ROUTES) - OWN_ACCOUNT):
        response = call(client, name, records, operator)
        assert response.status_code in {403, 404}, (name, response.status_code)
        body = text(response)
        assert patient.last_name not in body and patient.mobile not in body, name
        checked += 1
    assert checked > 30
    assert client.get("/")["Location"] == "/operator/services/"


def test_the_operators_pages_show_no_patient(records: Records, operator: User) -> None:
    client = logged_in(operator)
    patient = records.clinic.patient
    for url in ("/operator/services/", f"/operator/services/{records.clinic.service.pk}/"):
        body = text(client.get(url))
        assert patient.last_name not in body and patient.first_name not in body


@pytest.mark.parametrize("role", ["therapist", "admin", "superuser"])
def test_no_service_role_reaches_an_operator_page(records: Records, role: str) -> None:
    user = {
        "therapist": records.clinic.therapist_user,
        "admin": records.clinic.admin,
        "superuser": records.clinic.superuser,
    }[role]
    client = logged_in(user)
    for name in OPERATOR_ROUTES:
        assert call(client, name, records, user).status_code == 403, name
    assert Service.objects.get(pk=records.clinic.service.pk).active


def test_operators_must_use_two_factor(operator: User) -> None:
    client = Client()
    client.post("/login/", {"username": operator.username, "password": settings.DEMO_PASSWORD})
    assert client.get("/operator/services/")["Location"].startswith("/account/two-factor/setup/")


def test_an_operator_has_no_service_by_constraint(db: None) -> None:
    with pytest.raises(IntegrityError):
        UserFactory(role=Role.OPERATOR)  # the factory gives a service


# Switching a service off


def test_switching_off_logs_its_staff_out_and_refuses_their_logins(
    clinic: Clinic, other_clinic: Clinic, operator: User
) -> None:
    session = logged_in(clinic.admin)
    elsewhere = logged_in(other_clinic.admin)
    response = logged_in(operator).post(
        f"/operator/services/{clinic.service.pk}/switch/", {"active": "0"}
    )
    assert response.status_code == 302
    assert session.get("/patients/")["Location"].startswith("/login/")
    assert elsewhere.get("/patients/").status_code == 200
    refused = Client().post(
        "/login/", {"username": clinic.therapist_user.username, "password": settings.DEMO_PASSWORD}
    )
    assert refused.status_code == 200
    assert "switched off for your service" in text(refused)
    wrong = Client().post("/login/", {"username": clinic.therapist_user.username, "password": "x"})
    assert "switched off" not in text(wrong)  # only the right password learns it
    event = AuditEvent.objects.get(action=AuditAction.SERVICE_SWITCHED_OFF)
    assert (event.actor_id, event.service_id) == (operator.pk, clinic.service.pk)


def test_switching_on_again_lets_staff_log_in_but_revives_no_session(
    clinic: Clinic, operator: User
) -> None:
    old = logged_in(clinic.therapist_user)
    client = logged_in(operator)
    client.post(f"/operator/services/{clinic.service.pk}/switch/", {"active": "0"})
    client.post(f"/operator/services/{clinic.service.pk}/switch/", {"active": "1"})
    assert old.get("/patients/").status_code == 302
    fresh = Client()
    login = fresh.post(
        "/login/", {"username": clinic.therapist_user.username, "password": settings.DEMO_PASSWORD}
    )
    assert login.status_code == 302
    assert fresh.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.SERVICE_SWITCHED_ON).count() == 1


def test_a_switched_off_services_patient_links_offer_only_the_number_to_call(
    clinic: Clinic,
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    url = booking_link_url(token).removeprefix(settings.PUBLIC_BASE_URL)
    service_switch(service_id=clinic.service.pk, active=False, by=Who.SYSTEM)
    patient = Client()
    page = patient.get(url, follow=True)
    body = text(page)
    assert "not available online" in body
    assert clinic.service.phone in body
    assert patient.get(reverse("book:times")).status_code in {200, 302, 403, 404}
    assert "Choose a time" not in text(patient.get(reverse("book:times"), follow=True))
    service_switch(service_id=clinic.service.pk, active=True, by=Who.SYSTEM)
    assert "not available online" not in text(Client().get(url, follow=True))


def test_a_switched_off_service_sends_no_texts(clinic: Clinic) -> None:
    queued = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Queued before",
        kind=MessageKind.CONFIRMATION,
        patient=clinic.patient,
    )
    service_switch(service_id=clinic.service.pk, active=False, by=Who.SYSTEM)
    clinic.service.refresh_from_db()
    later = message_queue(
        service=clinic.service,
        to=clinic.patient.mobile,
        body="Queued after",
        kind=MessageKind.REMINDER,
        patient=clinic.patient,
    )
    assert messages_send_due(now=timezone.now() + timedelta(days=1)) == 0
    for message in (queued, later):
        message.refresh_from_db()
        assert (message.status, message.error) == (MessageStatus.CANCELLED, SERVICE_SWITCHED_OFF)
        assert message.sent_at is None
    assert not OutboundMessage.objects.filter(status=MessageStatus.SENT).exists()


def test_a_new_link_for_a_superuser_whose_invitation_lapsed(operator: User) -> None:
    client = logged_in(operator)
    client.post("/operator/services/new/", NEW_SERVICE)
    service = Service.objects.get(name=NEW_SERVICE["name"])
    superuser = User.objects.get(username=NEW_SERVICE["username"])
    response = client.post(
        f"/operator/services/{service.pk}/superusers/{superuser.pk}/password-link/"
    )
    assert response.status_code == 200
    assert re.search(r"/s/[\w-]{43}", text(response))
    assert SetPasswordLink.objects.filter(user=superuser, used_at__isnull=True).count() == 1


def test_the_superuser_link_names_a_superuser_of_that_service_only(
    clinic: Clinic, other_clinic: Clinic, operator: User
) -> None:
    client = logged_in(operator)
    wrong_service = f"/operator/services/{other_clinic.service.pk}/superusers/{clinic.superuser.pk}"
    assert client.post(wrong_service + "/password-link/").status_code == 404
    not_superuser = f"/operator/services/{clinic.service.pk}/superusers/{clinic.admin.pk}"
    assert client.post(not_superuser + "/password-link/").status_code == 404
    assert not SetPasswordLink.objects.exists()


# manage.py, for automation


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_commands_create_a_service_and_invite_its_superuser_printing_the_link_once(
    db: None,
) -> None:
    created = run(
        "service_create", "--name", "Eastshire TT", "--phone", "0113 496 0000", "--nation", "SCT"
    )
    service = Service.objects.get(name="Eastshire TT")
    assert f"service id {service.pk}" in created
    assert service.nation == Nation.SCOTLAND
    invited = run(
        "staff_invite",
        "kim.super",
        "--service",
        str(service.pk),
        "--first-name",
        "Kim",
        "--last-name",
        "Super",
        "--email",
        "kim@example.nhs.uk",
    )
    token = re.search(r"/s/([\w-]{43})", invited).group(1)
    user = User.objects.get(username="kim.super")
    assert (user.service, user.role) == (service, Role.SUPERUSER)
    assert SetPasswordLink.objects.get(user=user).token_hash == token_hash(token)
    added = AuditEvent.objects.get(action=AuditAction.STAFF_ADDED)
    assert (added.actor_kind, added.service_id) == (Who.SYSTEM, service.pk)


def test_the_first_operator_is_invited_by_command(db: None) -> None:
    out = run(
        "staff_invite",
        "ops.one",
        "--operator",
        "--first-name",
        "Ops",
        "--last-name",
        "One",
        "--email",
        "ops@example.org",
    )
    assert "/s/" in out
    user = User.objects.get(username="ops.one")
    assert (user.service, user.role) == (None, Role.OPERATOR)


@pytest.mark.parametrize(
    "args",
    [
        ["service_create", "--name", "X", "--phone", "not a phone"],
        ["service_create", "--name", "X", "--phone", "0113 496 0000", "--time-zone", "Nowhere"],
        [
            "staff_invite",
            "u1",
            "--service",
            "999999",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--email",
            "a@b.nhs.uk",
        ],
        [
            "staff_invite",
            "u1",
            "--operator",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--email",
            "bad",
        ],
        ["service_switch", "999999", "off"],
    ],
)
def test_commands_refuse_bad_input_plainly(db: None, args: list[str]) -> None:
    with pytest.raises(CommandError):
        run(*args)
    assert not User.objects.filter(username="u1").exists()


def test_the_switch_command_switches_a_service_off_and_on(clinic: Clinic) -> None:
    assert "now switched off" in run("service_switch", str(clinic.service.pk), "off")
    assert not Service.objects.get(pk=clinic.service.pk).active
    assert "already switched off" in run("service_switch", str(clinic.service.pk), "off")
    assert "now switched on" in run("service_switch", str(clinic.service.pk), "on")


def test_the_service_page_counts_its_active_staff(clinic: Clinic, operator: User) -> None:
    UserFactory(service=clinic.service, role=Role.THERAPIST, is_active=False)
    page = text(logged_in(operator).get(f"/operator/services/{clinic.service.pk}/"))
    assert re.search(r"<dt>Active staff</dt><dd>3</dd>", page)


@pytest.mark.parametrize("form", [{}, {"active": "maybe"}, {"active": ""}])
def test_a_switch_without_a_clear_choice_changes_nothing(
    clinic: Clinic, operator: User, form: dict[str, str]
) -> None:
    response = logged_in(operator).post(
        f"/operator/services/{clinic.service.pk}/switch/", form, follow=True
    )
    assert "Choose whether to switch the service on or off." in text(response)
    assert Service.objects.get(pk=clinic.service.pk).active
    assert not AuditEvent.objects.filter(action=AuditAction.SERVICE_SWITCHED_OFF).exists()


def test_the_operator_resets_two_factor_of_a_superuser_who_lost_their_phone(
    clinic: Clinic, operator: User
) -> None:
    their_session = logged_in(clinic.superuser)  # gives them an authenticator
    page = text(logged_in(operator).get(f"/operator/services/{clinic.service.pk}/"))
    assert "Reset two-factor" in page
    base = f"/operator/services/{clinic.service.pk}/superusers/{clinic.superuser.pk}"
    response = logged_in(operator).post(base + "/two-factor-reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clinic.superuser).exists()
    assert their_session.get("/patients/").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (event.actor_id, event.service_id) == (operator.pk, clinic.service.pk)
    admin = f"/operator/services/{clinic.service.pk}/superusers/{clinic.admin.pk}"
    assert logged_in(operator).post(admin + "/two-factor-reset/").status_code == 404
