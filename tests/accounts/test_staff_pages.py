"""Staff accounts, as a service's superusers manage them in the browser: list, add (with a
set-password link shown once or emailed), change details and role, deactivate (sessions end
at once, nothing deleted), reactivate, reset two-factor authentication, unlock a login. A
service always keeps an active superuser, and nobody demotes or deactivates themselves. Every
change is in the audit log with who made it."""

import re
import threading

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.models import SetPasswordLink
from slotlink.accounts.staff_services import StaffDetails, StaffRefused, staff_update
from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.clinic.models import Role, User
from tests.conftest import Clinic, logged_in, make_clinic
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

NEW = {
    "first_name": "Nia",
    "last_name": "Newstarter",
    "username": "nia.newstarter",
    "email": "nia.newstarter@example.nhs.uk",
    "role": "admin",
}


def text(response) -> str:
    return response.content.decode()


def details(user: User, **changes: str) -> dict[str, str]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email or "someone@example.nhs.uk",
        "role": user.role,
        **changes,
    }


def audited(action: AuditAction, subject: User, by: User) -> AuditEvent:
    return AuditEvent.objects.get(action=action, object_id=str(subject.pk), actor_id=by.pk)


def test_the_list_shows_every_account_of_the_service_only(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    UserFactory(service=clinic.service, role=Role.THERAPIST, is_active=False, last_name="Gone")
    page = text(logged_in(clinic.superuser).get("/staff/"))
    for user in (clinic.admin, clinic.therapist_user, clinic.superuser):
        assert user.username in page
    assert "Deactivated" in page
    assert other_clinic.admin.username not in page


def test_adding_a_member_of_staff_shows_their_link_once(clinic: Clinic) -> None:
    client = logged_in(clinic.superuser)
    response = client.post("/staff/new/", NEW)
    assert response.status_code == 200
    page = text(response)
    url = re.search(r'value="(http[^"]+/s/[\w-]+)"', page).group(1)
    assert "not shown again" in page
    assert "two-factor" in page  # admins need it
    user = User.objects.get(username="nia.newstarter")
    assert (user.service_id, user.role, user.email) == (clinic.service.pk, Role.ADMIN, NEW["email"])
    assert not user.has_usable_password()
    # Nowhere afterwards: not on the list, nor their page.
    assert url not in text(client.get("/staff/"))
    assert url not in text(client.get(f"/staff/{user.pk}/"))
    event = audited(AuditAction.STAFF_ADDED, user, clinic.superuser)
    assert event.service_id == clinic.service.pk
    assert event.details == {"role": "admin"}


@override_settings(STAFF_LINKS_BY_EMAIL=True)
def test_where_email_is_set_up_the_link_is_emailed_and_not_shown(clinic: Clinic) -> None:
    response = logged_in(clinic.superuser).post("/staff/new/", NEW)
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == [NEW["email"]]
    url = re.search(r"http\S+/s/[\w-]+", email.body).group(0)
    assert url not in text(logged_in(clinic.superuser).get(response["Location"]))
    assert "nia.newstarter" in email.body


@override_settings(STAFF_LINKS_BY_EMAIL=True)
def test_when_the_email_fails_the_link_is_shown_instead(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr("slotlink.accounts.staff_services.send_mail", refuse)
    response = logged_in(clinic.superuser).post("/staff/new/", NEW)
    assert response.status_code == 200
    assert "/s/" in text(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Enter a username."),
        ("username", "has spaces in it", "letters, digits"),
        ("email", "not-an-email", "Enter an email address"),
        ("role", "operator", "Choose a role."),
        ("role", "", "Choose a role."),
        ("first_name", "", "Enter a first name."),
    ],
)
def test_bad_input_gets_a_plain_message_and_adds_nobody(
    clinic: Clinic, field: str, value: str, message: str
) -> None:
    before = User.objects.count()
    response = logged_in(clinic.superuser).post("/staff/new/", {**NEW, field: value})
    assert response.status_code == 400
    assert message in text(response)
    assert User.objects.count() == before


def test_a_username_taken_in_any_service_or_case_is_refused(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    response = logged_in(clinic.superuser).post(
        "/staff/new/", {**NEW, "username": other_clinic.admin.username.upper()}
    )
    assert response.status_code == 400
    assert "That username is taken" in text(response)


def test_a_role_change_is_saved_and_audited_with_from_and_to(clinic: Clinic) -> None:
    target = clinic.therapist_user
    response = logged_in(clinic.superuser).post(
        f"/staff/{target.pk}/", details(target, role="admin", first_name="Renamed")
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.first_name) == (Role.ADMIN, "Renamed")
    event = audited(AuditAction.STAFF_ROLE_CHANGED, target, clinic.superuser)
    assert event.details == {"from": "therapist", "to": "admin"}
    # The factory's users have no email: the form gave one.
    assert audited(AuditAction.STAFF_UPDATED, target, clinic.superuser).details == {
        "fields": ["first_name", "email"]
    }
    history = text(logged_in(clinic.superuser).get(f"/staff/{target.pk}/"))
    assert "Therapist to Admin" in history
    assert clinic.superuser.username in history


def test_a_promoted_therapist_must_set_up_two_factor_before_going_on(clinic: Clinic) -> None:
    target = clinic.therapist_user
    their_session = logged_in(target)
    logged_in(clinic.superuser).post(f"/staff/{target.pk}/", details(target, role="admin"))
    assert their_session.get("/patients/")["Location"].startswith("/account/two-factor/setup/")


def test_deactivating_ends_their_sessions_at_once_and_keeps_everything(clinic: Clinic) -> None:
    target = clinic.admin
    their_session = logged_in(target)
    assert their_session.get("/patients/").status_code == 200
    response = logged_in(clinic.superuser).post(f"/staff/{target.pk}/deactivate/")
    assert response.status_code == 302
    assert their_session.get("/patients/")["Location"].startswith("/login/")
    login = Client().post(
        "/login/", {"username": target.username, "password": settings.DEMO_PASSWORD}
    )
    assert login.status_code == 200 and "did not match" in text(login)
    target.refresh_from_db()
    assert not target.is_active
    assert User.objects.filter(pk=target.pk).exists()
    audited(AuditAction.STAFF_DEACTIVATED, target, clinic.superuser)


def test_reactivating_lets_them_log_in_but_revives_no_old_session(clinic: Clinic) -> None:
    target = clinic.therapist_user
    old_session = logged_in(target)
    superuser = logged_in(clinic.superuser)
    superuser.post(f"/staff/{target.pk}/deactivate/")
    superuser.post(f"/staff/{target.pk}/reactivate/")
    assert old_session.get("/patients/").status_code == 302
    client = Client()
    login = client.post(
        "/login/", {"username": target.username, "password": settings.DEMO_PASSWORD}
    )
    assert login.status_code == 302
    assert client.get("/patients/").status_code == 200
    audited(AuditAction.STAFF_REACTIVATED, target, clinic.superuser)


def test_deactivating_ends_their_unused_set_password_links(clinic: Clinic) -> None:
    client = logged_in(clinic.superuser)
    client.post("/staff/new/", NEW)
    user = User.objects.get(username=NEW["username"])
    client.post(f"/staff/{user.pk}/deactivate/")
    assert not SetPasswordLink.objects.filter(user=user, used_at__isnull=True).exists()


def test_resetting_two_factor_removes_the_authenticator_and_ends_sessions(clinic: Clinic) -> None:
    target = clinic.admin
    their_session = logged_in(target)
    response = logged_in(clinic.superuser).post(f"/staff/{target.pk}/two-factor-reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert their_session.get("/patients/").status_code == 302
    audited(AuditAction.TWO_FACTOR_RESET, target, clinic.superuser)


def test_unlocking_lets_a_locked_out_member_of_staff_log_in_at_once(clinic: Clinic) -> None:
    target = clinic.therapist_user
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"192.0.2.{n}").post(
            "/login/", {"username": target.username, "password": "wrong"}
        )
    locked = Client(REMOTE_ADDR="198.51.100.1").post(
        "/login/", {"username": target.username, "password": settings.DEMO_PASSWORD}
    )
    assert locked.status_code == 429
    superuser = logged_in(clinic.superuser)
    assert "Locked out" in text(superuser.get("/staff/"))
    assert "Unlock login" in text(superuser.get(f"/staff/{target.pk}/"))
    superuser.post(f"/staff/{target.pk}/unlock/")
    assert not AccessAttempt.objects.filter(username=target.username).exists()
    again = Client(REMOTE_ADDR="198.51.100.1").post(
        "/login/", {"username": target.username, "password": settings.DEMO_PASSWORD}
    )
    assert again.status_code == 302
    audited(AuditAction.STAFF_UNLOCKED, target, clinic.superuser)


def test_a_new_set_password_link_for_someone_who_forgot_theirs(clinic: Clinic) -> None:
    target = clinic.therapist_user
    response = logged_in(clinic.superuser).post(f"/staff/{target.pk}/password-link/")
    assert response.status_code == 200
    assert re.search(r"/s/[\w-]{43}", text(response))
    target.refresh_from_db()
    assert target.check_password(settings.DEMO_PASSWORD)  # until the link is used
    audited(AuditAction.PASSWORD_LINK_MADE, target, clinic.superuser)


# Never without a superuser, never yourself


def test_a_superuser_cannot_demote_or_deactivate_themselves(clinic: Clinic) -> None:
    me = clinic.superuser
    client = logged_in(me)
    UserFactory(service=clinic.service, role=Role.SUPERUSER)  # not the last, even so
    demote = client.post(f"/staff/{me.pk}/", details(me, role="admin"))
    assert demote.status_code == 400
    assert "You cannot demote yourself" in text(demote)
    deactivate = client.post(f"/staff/{me.pk}/deactivate/", follow=True)
    assert "You cannot deactivate yourself" in text(deactivate)
    me.refresh_from_db()
    assert (me.role, me.is_active) == (Role.SUPERUSER, True)
    assert "cannot" in text(client.post(f"/staff/{me.pk}/two-factor-reset/", follow=True))
    assert TOTPDevice.objects.filter(user=me).exists()


def test_the_last_active_superuser_cannot_be_demoted_or_deactivated(clinic: Clinic) -> None:
    """Only reachable by another superuser of the service, so the second is deactivated
    first: the last one left is then protected from them both."""
    second = UserFactory(service=clinic.service, role=Role.SUPERUSER)
    # The second superuser is deactivated, so clinic.superuser is the last active one; the
    # rule holds in the service whoever calls it (here the deactivated one's old session).
    logged_in(clinic.superuser).post(f"/staff/{second.pk}/deactivate/")
    with pytest.raises(StaffRefused, match="at least one active superuser"):
        staff_update(
            user_id=clinic.superuser.pk,
            service_id=clinic.service.pk,
            by=second,
            details=StaffDetails("Test", "Super", "s@example.nhs.uk", Role.ADMIN),
        )
    clinic.superuser.refresh_from_db()
    assert clinic.superuser.role == Role.SUPERUSER


def test_a_superuser_can_demote_another_while_one_remains(clinic: Clinic) -> None:
    second = UserFactory(service=clinic.service, role=Role.SUPERUSER, email="s@example.nhs.uk")
    response = logged_in(clinic.superuser).post(
        f"/staff/{second.pk}/", details(second, role="therapist")
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.role == Role.THERAPIST


def test_two_superusers_demoting_each_other_at_once_leave_one_superuser(
    transactional_db: None, needs_postgres: None
) -> None:
    """Each sees the other still a superuser when it checks; the lock on the service's row
    makes the second wait and see the first's change."""
    clinic = make_clinic()
    second = UserFactory(service=clinic.service, role=Role.SUPERUSER)
    pairs = [(clinic.superuser, second), (second, clinic.superuser)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(by: User, target: User) -> None:
        try:
            barrier.wait()
            staff_update(
                user_id=target.pk,
                service_id=clinic.service.pk,
                by=by,
                details=StaffDetails(target.first_name, target.last_name, "", Role.ADMIN),
            )
            outcomes.append("demoted")
        except StaffRefused:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=demote, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["demoted", "refused"]
    assert (
        User.objects.filter(service=clinic.service, role=Role.SUPERUSER, is_active=True).count()
        == 1
    )


def test_another_services_superuser_gets_404_and_changes_nothing(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    stranger = logged_in(other_clinic.superuser)
    target = clinic.admin
    assert stranger.get(f"/staff/{target.pk}/").status_code == 404
    for action in ("deactivate", "reactivate", "two-factor-reset", "unlock", "password-link"):
        assert stranger.post(f"/staff/{target.pk}/{action}/").status_code == 404
    assert (
        stranger.post(f"/staff/{target.pk}/", details(target, role="therapist")).status_code == 404
    )
    target.refresh_from_db()
    assert (target.role, target.is_active) == (Role.ADMIN, True)
    assert not AuditEvent.objects.filter(
        object_id=str(target.pk), actor_id=other_clinic.superuser.pk
    ).exists()


def test_admins_and_therapists_cannot_manage_staff(clinic: Clinic) -> None:
    for user in (clinic.admin, clinic.therapist_user):
        client = logged_in(user)
        assert client.get("/staff/").status_code == 403
        assert client.post("/staff/new/", NEW).status_code == 403
    assert not User.objects.filter(username=NEW["username"]).exists()


def test_the_staff_link_is_in_the_superusers_navigation_only(clinic: Clinic) -> None:
    assert 'href="/staff/"' in text(logged_in(clinic.superuser).get("/patients/"))
    assert 'href="/staff/"' not in text(logged_in(clinic.admin).get("/patients/"))


def test_the_staff_list_and_the_services_list_cost_the_same_queries_however_many(
    clinic: Clinic,
) -> None:
    """No query per row: a service of a few staff and one of many load in as many queries."""
    operator = UserFactory(service=None, role=Role.OPERATOR)
    superuser, operator_client = logged_in(clinic.superuser), logged_in(operator)

    def count(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count(superuser, "/staff/"), count(operator_client, "/operator/services/")  # warm sessions
    few = (count(superuser, "/staff/"), count(operator_client, "/operator/services/"))
    for _ in range(30):
        UserFactory(service=clinic.service, role=Role.THERAPIST)
    for _ in range(3):
        make_clinic()
    many = (count(superuser, "/staff/"), count(operator_client, "/operator/services/"))
    assert many == few


@pytest.mark.django_db
def test_a_login_sent_empty_says_what_to_enter_at_each_box() -> None:
    # A browser that ignores `required` (or a password manager that submits) still learns
    # what is missing: in the summary, linked to the box, and above the box itself.
    page = Client().post("/login/", {"username": "", "password": ""}).content.decode()
    assert page.count("Enter your username.") == 2
    assert page.count("Enter your password.") == 2
    assert 'href="#id_username"' in page and 'aria-describedby="id_password_error"' in page
