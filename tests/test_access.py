"""Every staff URL in the URLconf, by name: anonymous visitors are sent to log in, staff of
another service get 404 for this service's records (whatever their role, so nothing tells
them the record exists), and staff without the role a page needs get 403.

The walk reverses every named pattern of the project's apps; a new URL that is not listed
below fails test_every_staff_url_is_listed_here, so every view gets these tests."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from slotlink.accounts.models import SetPasswordLink
from slotlink.api.models import ApiClient
from slotlink.api.services import api_client_create
from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.invitations.services import bulk_invitation_prepare_selection
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import LINK_ABOUT, BookingLink, BroadcastRule, BulkInvitation
from slotlink.clinic.models import (
    Appointment,
    AppointmentType,
    DiaryChange,
    DiaryChangeKind,
    InternalMessage,
    Patient,
    PatientAlert,
    Role,
    Service,
    Team,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.domain.questionnaires.forms import FormDefinition, Question, QuestionKind
from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.messaging.services import internal_message_send
from slotlink.questionnaires.models import (
    Form,
    FormAssignment,
    FormRequest,
    FormVersion,
    RequestStatus,
)
from slotlink.questionnaires.services import appointment_forms_send, builtin_forms_ensure, form_save
from tests.conftest import Clinic, logged_in
from tests.factories import BroadcastRuleFactory

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
EVERYONE = (Role.THERAPIST, Role.ADMIN, Role.SUPERUSER)
ADMINS = (Role.ADMIN, Role.SUPERUSER)
SUPERUSERS = (Role.SUPERUSER,)
OPERATORS = (Role.OPERATOR,)

# Patients' pages, logging in and out, and providers' callbacks (which prove who they are by
# signature): not staff pages.
NOT_STAFF = {
    "login",
    "logout",
    # A set-password link's pages: its token is the key (tests/accounts/test_set_password.py).
    "accounts:set_password_enter",
    "accounts:set_password",
    "messaging:notify_callback",
    "messaging:twilio_callback",
    # The FHIR API and its OAuth token endpoint: bearer tokens, not logins (tests/api).
    "api:oauth_token",
    "api:fhir_metadata",
    "api:fhir_type",
}
# The notices (help:) are public: the same for every patient, naming only the service.
NOT_STAFF_NAMESPACES = {"manage", "forms", "help"}
PATIENT_PAGES = {
    "book:enter",
    "book:welcome",
    "book:times",
    "book:day",
    "book:choose",
    "book:review",
    "book:confirm",
    "book:booked",
    "book:leave",
}


@dataclass(frozen=True)
class Route:
    roles: tuple[Role, ...]
    method: str = "get"
    record: str = ""  # which kind of record the <pk> names, if any
    args: tuple[str, ...] = ()  # for a page without a record: what its URL needs


# Staff URLs that name one record: the record kind, who may use them and how.
RECORD_ROUTES = {
    "clinic:patient_detail": Route(EVERYONE, record="patient"),
    "records:patient_record_edit": Route(EVERYONE, record="patient"),
    "records:appointment_edit": Route(EVERYONE, record="appointment"),
    "records:appointment_delete": Route(EVERYONE, "post", "appointment"),
    "records:appointment_cancel": Route(EVERYONE, "post", "appointment"),
    "clinic:clinical_contact": Route(EVERYONE, record="appointment"),
    "booking:care_pathway": Route(EVERYONE, record="patient"),
    "booking:send_link": Route(EVERYONE, "post", "patient"),
    "booking:expire_link": Route(EVERYONE, "post", "live_link"),
    "booking:resend_link": Route(EVERYONE, "post", "live_link"),
    "booking:link_history": Route(EVERYONE, record="used_link"),
    "booking:rule_edit": Route(SUPERUSERS, record="rule"),
    "booking:rule_duplicate": Route(SUPERUSERS, "post", "rule"),
    "booking:rule_set_active": Route(SUPERUSERS, "post", "rule"),
    "booking:rule_delete": Route(SUPERUSERS, "post", "spare_rule"),
    "booking:bulk_detail": Route(ADMINS, record="bulk"),
    "booking:bulk_confirm": Route(ADMINS, "post", "bulk"),
    "booking:bulk_discard": Route(ADMINS, "post", "bulk"),
    "messaging:retry": Route(ADMINS, "post", "message"),
    "messaging:inbox_message": Route(EVERYONE, record="inbox"),
    "audit:patient_trail": Route(ADMINS, record="patient"),
    "api:client_rotate": Route(SUPERUSERS, "post", "api_client"),
    "api:client_revoke": Route(SUPERUSERS, "post", "api_client"),
    "clinic:therapist_edit": Route(ADMINS, record="therapist"),
    "clinic:therapist_pattern": Route(ADMINS, record="therapist"),
    "clinic:pattern_preview": Route(ADMINS, "post", "therapist"),
    "clinic:pattern_edit": Route(ADMINS, record="pattern"),
    "clinic:pattern_edit_preview": Route(ADMINS, "post", "pattern"),
    "clinic:pattern_end": Route(ADMINS, "post", "pattern"),
    "clinic:diary_changes": Route(ADMINS, record="therapist"),
    "clinic:diary_change": Route(ADMINS, record="change"),
    "clinic:diary_change_delete": Route(ADMINS, "post", "change"),
    "clinic:team_edit": Route(ADMINS, record="team"),
    "clinic:appointment_type_edit": Route(ADMINS, record="appointment_type"),
    "records:questionnaires": Route(EVERYONE, record="patient"),
    "records:form_response": Route(EVERYONE, record="form_request"),
    "records:alert_acknowledge": Route((Role.THERAPIST, Role.SUPERUSER), "post", "alert"),
    "questionnaires:form_edit": Route(SUPERUSERS, record="own_form"),
    "questionnaires:form_active": Route(SUPERUSERS, "post", "own_form"),
    "accounts:staff_detail": Route(SUPERUSERS, record="staff"),
    "accounts:staff_deactivate": Route(SUPERUSERS, "post", "staff"),
    "accounts:staff_reactivate": Route(SUPERUSERS, "post", "staff"),
    "accounts:staff_two_factor_reset": Route(SUPERUSERS, "post", "staff"),
    "accounts:staff_unlock": Route(SUPERUSERS, "post", "staff"),
    "accounts:staff_password_link": Route(SUPERUSERS, "post", "staff"),
}
# Staff URLs without a record in them: each shows or changes only the user's own service.
PAGE_ROUTES = {
    "clinic:home": Route(EVERYONE),
    "clinic:patient_search": Route(EVERYONE),
    "clinic:diary": Route(EVERYONE),
    "records:appointment_new": Route(EVERYONE),
    "clinic:service_settings": Route(SUPERUSERS),
    "clinic:notify_callback_token": Route(SUPERUSERS, "post"),
    "booking:rule_list": Route(SUPERUSERS),
    "booking:rule_create": Route(SUPERUSERS),
    "booking:rule_preview": Route(SUPERUSERS, "post"),
    "booking:rule_sms": Route(SUPERUSERS, "post"),
    "booking:bulk_list": Route(ADMINS),
    "booking:bulk_upload": Route(ADMINS, "post"),
    "booking:bulk_selection": Route(ADMINS, "post"),
    "booking:dashboard": Route(ADMINS),
    "messaging:outbox": Route(ADMINS),
    "messaging:inbox": Route(EVERYONE),
    "accounts:account": Route(EVERYONE),
    "accounts:two_factor": Route(EVERYONE),
    "accounts:two_factor_setup": Route(EVERYONE),
    "accounts:logout_everywhere": Route(EVERYONE, "post"),
    "api:clients": Route(SUPERUSERS),
    "clinic:therapist_list": Route(ADMINS),
    "clinic:therapist_new": Route(ADMINS),
    "clinic:team_list": Route(ADMINS),
    "clinic:team_new": Route(ADMINS),
    "clinic:appointment_type_list": Route(ADMINS),
    "clinic:appointment_type_new": Route(ADMINS),
    "clinic:import_start": Route(ADMINS),
    "clinic:import_upload": Route(ADMINS, "post", args=("patients",)),
    "clinic:import_confirm": Route(ADMINS, "post", args=("patients",)),
    "clinic:import_example": Route(ADMINS, args=("therapists",)),
    "records:patient_new": Route(ADMINS),
    "questionnaires:form_list": Route(SUPERUSERS),
    "questionnaires:form_new": Route(SUPERUSERS),
    "questionnaires:assignments": Route(SUPERUSERS),
    "questionnaires:crisis": Route(SUPERUSERS, "post"),
    "accounts:staff_list": Route(SUPERUSERS),
    "accounts:staff_add": Route(SUPERUSERS),
}
# The operator's pages: above any one service, so not scoped to one (no service's staff may
# use them, tests/accounts/test_operator.py); never showing patient data.
OPERATOR_ROUTES = {
    "operator:service_list": Route(OPERATORS),
    "operator:service_new": Route(OPERATORS),
    "operator:service_detail": Route(OPERATORS, record="service"),
    "operator:service_set_active": Route(OPERATORS, "post", "service"),
    "operator:superuser_password_link": Route(OPERATORS, "post", "service_superuser"),
    "operator:superuser_two_factor_reset": Route(OPERATORS, "post", "service_superuser"),
}
ALL_ROUTES = {**RECORD_ROUTES, **PAGE_ROUTES, **OPERATOR_ROUTES}


def url_names() -> set[str]:
    """The name of every named pattern the project serves, with its namespace."""

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif pattern.name:
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns, ""))


def staff_url_names() -> set[str]:
    return {
        name
        for name in url_names()
        if name not in NOT_STAFF | PATIENT_PAGES and name.split(":")[0] not in NOT_STAFF_NAMESPACES
    }


# A plausible form for any of the actions, so a refusal is never just a form error.
FORM = {
    "rule": "",
    "outcome": "Changed by a stranger",
    "notes": "Changed by a stranger",
    "reason": "Changed by a stranger",
    "status": "cancelled",
    "medium": "telephone",
    "date": "2026-12-09",
    "start_time": "09:00",
    "duration_minutes": 30,
    "active": "0",
    "channel": "sms",
    "mobile": "+447700900999",
    "email": "",
    "title": "Changed by a stranger",
    "name": "Changed by a stranger",
    "first_name": "Changed",
    "last_name": "By a stranger",
    "date_of_birth": "1990-04-12",
    "preferred_language": "en",
    "kind": "leave",
    "first_day": "2026-12-21",
    "note": "Changed by a stranger",
    "last_day": "2026-12-07",
    "weekday": "0",
    "end_time": "17:00",
    "every_weeks": "1",
    "effective_from": "2026-12-07",
    "action": "save",
    "payload": "First name,Last name,Date of birth\r\nChanged,Stranger,12/04/1990\r\n",
    "crisis_information": "Changed by a stranger",
    "q-TOTAL_FORMS": "1",
    "q-INITIAL_FORMS": "0",
    "q-0-text": "Changed by a stranger",
    "q-0-kind": "short_text",
}


@dataclass
class Records:
    patient: int
    live_link: int
    used_link: int
    appointment: int
    rule: int
    spare_rule: int
    bulk: int
    message: int
    api_client: int
    therapist: int
    pattern: int
    change: int
    team: int
    appointment_type: int
    form_request: int
    alert: int
    own_form: int
    clinic: Clinic

    def url(self, name: str, user: User | None = None) -> str:
        route = ALL_ROUTES[name]
        if not route.record:
            return reverse(name, args=route.args)
        if route.record == "inbox":
            return reverse(name, args=[self.inbox_for(user)])
        if route.record == "form_request":
            return reverse(name, args=[self.patient, self.form_request])
        if route.record == "staff":
            return reverse(name, args=[self.clinic.therapist_user.pk])
        if route.record == "service":
            return reverse(name, args=[self.clinic.service.pk])
        if route.record == "service_superuser":
            return reverse(name, args=[self.clinic.service.pk, self.clinic.superuser.pk])
        return reverse(name, args=[getattr(self, route.record)])

    def inbox_for(self, user: User | None) -> int:
        """A message in the inbox of `user` if they are this service's, else someone's here."""
        recipient = user if user is not None and user.service_id == self.clinic.service.pk else None
        message = internal_message_send(
            recipient=recipient or self.clinic.admin, subject="For you only", body="Private"
        )
        assert message is not None
        return message.pk

    def form(self) -> dict[str, object]:
        return {**FORM, "rule": self.rule, "therapist": self.clinic.therapists[0].pk}


@pytest.fixture
def records(clinic: Clinic, frozen_now: object) -> Records:
    live, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    second_rule = BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists)
    used, _ = booking_link_send(patient=clinic.patient, rule=second_rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=used, start=TUESDAY_11)
    spare = BroadcastRule.objects.create(
        service=clinic.service, title="Unused", appointment_type=clinic.rule.appointment_type
    )
    bulk, _ = bulk_invitation_prepare_selection(
        user=clinic.admin, rule=clinic.rule, patient_ids=[clinic.patient.pk]
    )
    message = OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=live.pk).get()
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    therapist = clinic.therapists[0]
    team = Team.objects.create(service=clinic.service, name="North")
    team.therapists.add(therapist)
    change = DiaryChange.objects.create(
        therapist=therapist,
        kind=DiaryChangeKind.LEAVE,
        start=datetime(2026, 12, 14, tzinfo=UTC),
        end=datetime(2026, 12, 15, tzinfo=UTC),
        note="Annual leave",
    )
    [phq9, _] = builtin_forms_ensure()
    FormAssignment.objects.create(
        service=clinic.service,
        appointment_type=appointment.appointment_type,
        form=phq9,
        created_at=TUESDAY_11 - timedelta(days=9),
    )
    form_link = appointment_forms_send(appointment_id=appointment.pk)
    assert form_link is not None
    form_request = form_link.requests.get()
    FormRequest.objects.filter(pk=form_request.pk).update(status=RequestStatus.COMPLETED)
    alert = PatientAlert.objects.create(
        service=clinic.service,
        patient=clinic.patient,
        raised_at=TUESDAY_11,
        summary="Risk",
        about_kind="form_request",
        about_id=form_request.pk,
    )
    own_form = form_save(
        service=clinic.service,
        definition=FormDefinition(
            name="Welcome", questions=(Question("q1", QuestionKind.SHORT_TEXT, "Name?"),)
        ),
        user=clinic.superuser,
    )
    return Records(
        patient=clinic.patient.pk,
        live_link=live.pk,
        used_link=used.pk,
        appointment=appointment.pk,
        rule=clinic.rule.pk,
        spare_rule=spare.pk,
        bulk=bulk.pk,
        message=message.pk,
        api_client=api_client_create(
            service=clinic.service, name="Record system", scopes="system/Slot.read"
        ).client.pk,
        therapist=therapist.pk,
        pattern=therapist.working_patterns.first().pk,
        change=change.pk,
        team=team.pk,
        appointment_type=clinic.rule.appointment_type_id,
        form_request=form_request.pk,
        alert=alert.pk,
        own_form=own_form.pk,
        clinic=clinic,
    )


def state(records: Records) -> tuple[object, ...]:
    """Everything the actions above could change."""
    appointment = Appointment.objects.get(pk=records.appointment)
    return (
        list(BookingLink.objects.order_by("pk").values_list("pk", "status")),
        (appointment.status, appointment.start, appointment.clinical_contact.outcome),
        list(BroadcastRule.objects.order_by("pk").values_list("pk", "title", "active")),
        list(BulkInvitation.objects.order_by("pk").values_list("pk", "status")),
        OutboundMessage.objects.get(pk=records.message).status,
        OutboundMessage.objects.count(),
        records.clinic.patient.__class__.objects.get(pk=records.patient).mobile,
        list(ApiClient.objects.values_list("pk", "revoked_at", "secret_rotated_at")),
        # The set-up pages' records.
        list(Therapist.objects.order_by("pk").values_list("pk", "name", "active", "user")),
        list(WorkingPattern.objects.order_by("pk").values_list("pk", "effective_to")),
        list(DiaryChange.objects.order_by("pk").values_list("pk", "start", "end")),
        list(Team.objects.order_by("pk").values_list("pk", "name", "therapists")),
        list(AppointmentType.objects.order_by("pk").values_list("pk", "name", "medium")),
        list(Patient.objects.order_by("pk").values_list("pk", "first_name", "nhs_number")),
        list(PatientAlert.objects.order_by("pk").values_list("pk", "acknowledged_at")),
        list(Form.objects.order_by("pk").values_list("pk", "name", "active")),
        list(FormVersion.objects.order_by("pk").values_list("pk", "fingerprint")),
        list(FormAssignment.objects.order_by("pk").values_list("pk", "hours_before")),
        Service.objects.get(pk=records.clinic.service.pk).crisis_information,
        list(
            User.objects.order_by("pk").values_list(
                "pk", "is_active", "role", "session_generation", "password", "first_name"
            )
        ),
        list(Service.objects.order_by("pk").values_list("pk", "active")),
        SetPasswordLink.objects.count(),
    )


def call(client: Client, name: str, records: Records, user: User | None = None):
    route = ALL_ROUTES[name]
    url = records.url(name, user)
    if route.method == "post":
        return client.post(url, records.form())
    return client.get(url)


def test_every_staff_url_is_listed_here() -> None:
    assert staff_url_names() == set(ALL_ROUTES), (
        "Add the new staff URL to RECORD_ROUTES or PAGE_ROUTES, saying who may use it"
    )
    assert url_names() >= PATIENT_PAGES


@pytest.mark.parametrize("name", sorted(ALL_ROUTES))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(records: Records, name: str, method: str) -> None:
    before = state(records)
    url = records.url(name)
    response = getattr(Client(), method)(url, records.form())
    if method != ALL_ROUTES[name].method and response.status_code == 405:
        return  # refused before anything else; the view's own method is checked below
    assert response.status_code == 302, (name, method, response.status_code)
    assert response["Location"].startswith(f"{reverse('login')}?next=")
    assert state(records) == before


@pytest.mark.parametrize("name", sorted(RECORD_ROUTES))
def test_staff_of_another_service_get_404_for_every_record_url(
    records: Records, other_clinic: Clinic, name: str
) -> None:
    """Even holding the role the page needs: only the service boundary stops them, and it
    answers as if the record did not exist."""
    before = state(records)
    for role in RECORD_ROUTES[name].roles:
        stranger = {
            Role.THERAPIST: other_clinic.therapist_user,
            Role.ADMIN: other_clinic.admin,
            Role.SUPERUSER: other_clinic.superuser,
        }[role]
        response = call(logged_in(stranger), name, records, stranger)
        assert response.status_code == 404, (name, role, response.status_code)
        assert records.clinic.patient.last_name not in response.content.decode()
    assert state(records) == before


@pytest.mark.parametrize("name", sorted(RECORD_ROUTES))
def test_the_services_own_staff_reach_every_record_url(records: Records, name: str) -> None:
    """So the 404s above come from the service boundary, not from ids that do not exist.
    (An action is tried once: the first time may use up what it acts on.)"""
    route = RECORD_ROUTES[name]
    for role in route.roles if route.method == "get" else route.roles[:1]:
        user = {
            Role.THERAPIST: records.clinic.therapist_user,
            Role.ADMIN: records.clinic.admin,
            Role.SUPERUSER: records.clinic.superuser,
        }[role]
        response = call(logged_in(user), name, records, user)
        assert response.status_code in {200, 204, 302, 400}, (name, role, response.status_code)


def forbidden_cases() -> list[tuple[str, Role]]:
    return [
        (name, role)
        for name, route in sorted(ALL_ROUTES.items())
        for role in (Role.THERAPIST, Role.ADMIN)
        if role not in route.roles
    ]


@pytest.mark.parametrize(("name", "role"), forbidden_cases())
def test_staff_without_the_role_are_refused_with_403(
    records: Records, name: str, role: Role
) -> None:
    """A therapist cannot do an admin's or a superuser's work, nor an admin a superuser's."""
    user = records.clinic.therapist_user if role == Role.THERAPIST else records.clinic.admin
    before = state(records)
    response = call(logged_in(user), name, records, user)
    assert response.status_code == 403, (name, role, response.status_code)
    assert state(records) == before


def test_the_refusal_lists_cover_therapists_doing_superusers_work() -> None:
    superuser_only = {name for name, route in ALL_ROUTES.items() if route.roles == SUPERUSERS}
    assert {"clinic:service_settings", "booking:rule_edit", "booking:rule_create"} <= superuser_only
    assert {(name, Role.THERAPIST) for name in superuser_only} <= set(forbidden_cases())


def test_a_message_in_someone_elses_inbox_is_404_even_in_the_same_service(
    records: Records,
) -> None:
    clinic = records.clinic
    mine = records.inbox_for(clinic.admin)
    response = logged_in(clinic.therapist_user).get(reverse("messaging:inbox_message", args=[mine]))
    assert response.status_code == 404
    assert InternalMessage.objects.get(pk=mine).read_at is None
