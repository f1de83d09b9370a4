"""Setting a service up in the browser: therapists, teams, working patterns, leave and extra
sessions, appointment types. Every change shows at once in the diary and in the times
patients are offered (the same rows, read afresh: nothing caches them)."""

import html
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    DiaryChange,
    Medium,
    Role,
    Team,
    Therapist,
    WorkingPattern,
)
from slotlink.clinic.services.setup import (
    appointment_type_save,
    diary_change_add,
    diary_change_remove,
    team_save,
    therapist_save,
    working_pattern_add,
    working_pattern_change,
    working_pattern_end,
)
from tests.conftest import Clinic, logged_in
from tests.factories import (
    AppointmentFactory,
    BroadcastRuleFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

# The clock is frozen on Monday 7 December 2026, 10:00 (London = UTC in winter).
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)
SATURDAY = date(2026, 12, 12)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def offered(clinic: Clinic) -> list[datetime]:
    return rule_available_times(clinic.rule, timezone.now())


def offered_on(clinic: Clinic, day: date) -> list[int]:
    return [t.hour for t in offered(clinic) if t.date() == day]


def shift_form(**changes: str) -> dict[str, str]:
    form = {
        "weekday": "5",
        "start_time": "10:00",
        "end_time": "13:00",
        "every_weeks": "1",
        "effective_from": "2026-12-07",
        "effective_to": "",
        "online_bookable": "on",
        "action": "save",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value != "-"}


def add_shift(client: Client, therapist: Therapist, **changes: str) -> Any:
    return client.post(
        reverse("clinic:therapist_pattern", args=[therapist.pk]), shift_form(**changes)
    )


def add_change(client: Client, therapist: Therapist, **changes: str) -> Any:
    form = {
        "kind": "leave",
        "first_day": WEDNESDAY.isoformat(),
        "last_day": "",
        "start_time": "",
        "end_time": "",
        "note": "Annual leave",
    }
    form.update(changes)
    return client.post(reverse("clinic:diary_changes", args=[therapist.pk]), form)


def only_first_therapist(clinic: Clinic) -> None:
    """The rule offers the first therapist's times alone, so one diary's changes show."""
    clinic.rule.therapists.set([clinic.therapists[0]])


# Therapists and teams


def test_a_service_without_teams_is_told_where_teams_are_made(clinic: Clinic) -> None:
    # An empty list of tick boxes reads as a fault; a line says why it is empty.
    client = logged_in(clinic.admin)
    page = text(client.get(reverse("clinic:therapist_new")))
    assert "This service has no teams yet: add them under Teams." in page
    Team.objects.create(service=clinic.service, name="North")
    assert "no teams yet" not in text(client.get(reverse("clinic:therapist_new")))


def test_an_admin_adds_a_therapist_tied_to_a_staff_account_and_in_a_team(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    team = Team.objects.create(service=clinic.service, name="North")
    account = UserFactory(service=clinic.service, role=Role.THERAPIST)
    response = client.post(
        reverse("clinic:therapist_new"),
        {"name": "Robin Fictional", "user": account.pk, "active": "on", "teams": [team.pk]},
    )
    therapist = Therapist.objects.get(name="Robin Fictional")
    assert response.status_code == 302
    assert (therapist.service, therapist.user, therapist.active) == (clinic.service, account, True)
    assert list(therapist.teams.all()) == [team]
    event = AuditEvent.objects.get(action=AuditAction.THERAPIST_SAVED)
    assert (event.actor, event.service_id, event.object_id) == (
        clinic.admin,
        clinic.service.pk,
        str(therapist.pk),
    )
    listing = text(client.get(reverse("clinic:therapist_list")))
    assert "Robin Fictional" in listing and account.username in listing


def test_a_therapist_cannot_be_tied_to_another_services_account(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    response = logged_in(clinic.admin).post(
        reverse("clinic:therapist_new"),
        {"name": "Robin Fictional", "user": other_clinic.therapist_user.pk, "active": "on"},
    )
    assert response.status_code == 400
    assert "Choose a staff account from the list, or none." in text(response)
    assert not Therapist.objects.filter(name="Robin Fictional").exists()


def test_an_inactive_therapist_stays_in_history_and_is_offered_to_no_patient(
    clinic: Clinic,
) -> None:
    only_first_therapist(clinic)
    therapist = clinic.therapists[0]
    booked = AppointmentFactory(
        service=clinic.service, therapist=therapist, start=at(TUESDAY, 11), end=at(TUESDAY, 12)
    )
    assert offered(clinic)
    response = logged_in(clinic.admin).post(
        reverse("clinic:therapist_edit", args=[therapist.pk]), {"name": therapist.name}
    )
    assert response.status_code == 302
    assert offered(clinic) == []
    therapist.refresh_from_db()
    assert not therapist.active
    assert Appointment.objects.get(pk=booked.pk).therapist == therapist
    assert therapist.working_patterns.count() == 5


def test_team_membership_is_set_on_the_team_page(clinic: Clinic) -> None:
    client = logged_in(clinic.superuser)
    first, second = clinic.therapists
    client.post(reverse("clinic:team_new"), {"name": "South", "therapists": [first.pk]})
    team = Team.objects.get(name="South")
    assert list(team.therapists.all()) == [first]
    client.post(
        reverse("clinic:team_edit", args=[team.pk]), {"name": "South", "therapists": [second.pk]}
    )
    assert list(team.therapists.all()) == [second]
    assert AuditEvent.objects.filter(action=AuditAction.TEAM_SAVED).count() == 2
    assert "South" in text(client.get(reverse("clinic:team_list")))


def test_a_team_cannot_take_another_services_therapist(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    response = logged_in(clinic.admin).post(
        reverse("clinic:team_new"), {"name": "South", "therapists": [other_clinic.therapists[0].pk]}
    )
    assert response.status_code == 400
    assert not Team.objects.filter(name="South").exists()


# Working patterns


def test_a_new_shift_is_offered_to_patients_and_shown_in_the_diary_at_once(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    assert offered_on(clinic, SATURDAY) == []
    response = add_shift(client, clinic.therapists[0])
    assert response.status_code == 302
    assert offered_on(clinic, SATURDAY) == [10, 11, 12]
    diary = text(client.get(reverse("clinic:diary") + f"?therapist={clinic.therapists[0].pk}"))
    assert "10:00–13:00" in diary
    event = AuditEvent.objects.get(action=AuditAction.PATTERN_ADDED)
    assert event.details["weekday"] == "Saturday"


def test_several_shifts_a_day_are_several_shifts(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    client = logged_in(clinic.admin)
    add_shift(client, clinic.therapists[0], start_time="09:00", end_time="11:00")
    add_shift(client, clinic.therapists[0], start_time="14:00", end_time="16:00")
    assert offered_on(clinic, SATURDAY) == [9, 10, 14, 15]


def test_a_staff_only_shift_shows_in_the_diary_but_is_offered_to_no_patient(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    add_shift(client, clinic.therapists[0], online_bookable="-")
    assert WorkingPattern.objects.get(weekday=5).online_bookable is False
    assert offered_on(clinic, SATURDAY) == []
    diary = text(client.get(reverse("clinic:diary") + f"?therapist={clinic.therapists[0].pk}"))
    assert "10:00–13:00 (staff only)" in diary


def test_the_preview_shows_alternate_weeks_and_saves_nothing(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    therapist = clinic.therapists[0]
    before = WorkingPattern.objects.count()
    response = add_shift(client, therapist, every_weeks="2", action="preview")
    page = text(response)
    assert response.status_code == 200
    assert WorkingPattern.objects.count() == before
    # Four weeks from the week of 7 December: Saturdays 12 and 26 December, not 19 or 2 January.
    assert page.count("10:00–13:00 new") == 2
    rows = page.split('<th scope="row">')[1:]
    assert ["new" in row for row in rows] == [True, False, True, False]
    # The therapist's own Monday-to-Friday shifts show beside it.
    weeks = page.split('id="pattern-weeks"')[1]
    assert weeks.count("09:00–17:00") == 20


def test_the_htmx_preview_answers_with_the_weeks_alone(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    response = client.post(
        reverse("clinic:pattern_preview", args=[clinic.therapists[0].pk]),
        shift_form(),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in text(response)
    assert 'id="pattern-weeks"' in text(response) and "10:00–13:00 new" in text(response)
    assert not WorkingPattern.objects.filter(weekday=5).exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"end_time": "09:00"}, "The shift must end after it starts"),
        ({"effective_to": "2026-12-01"}, "The last day must be on or after the first"),
        ({"start_time": "25:00"}, "Enter the time the shift starts, for example 09:00."),
        ({"effective_from": "9999-12-31"}, "Enter a date from"),
        ({"every_weeks": "9"}, "Choose how often the shift repeats."),
        ({"weekday": "8"}, "Choose the day of the week."),
    ],
)
@pytest.mark.parametrize("changing", [False, True], ids=["added", "changed"])
def test_a_bad_shift_is_explained_and_not_saved(
    clinic: Clinic, changes: dict[str, str], error: str, changing: bool
) -> None:
    client = logged_in(clinic.admin)
    wednesday = clinic.therapists[0].working_patterns.get(weekday=2)
    before = list(WorkingPattern.objects.order_by("pk").values())
    if changing:
        response = change_shift(client, wednesday, **{"weekday": "2", **changes})
    else:
        response = add_shift(client, clinic.therapists[0], **changes)
    assert response.status_code == 400
    assert error in text(response)
    assert list(WorkingPattern.objects.order_by("pk").values()) == before


def test_ending_a_shift_stops_its_times_after_the_last_day(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    for therapist in clinic.therapists:
        wednesday = therapist.working_patterns.get(weekday=2)
        client.post(reverse("clinic:pattern_end", args=[wednesday.pk]), {"last_day": "2026-12-10"})
    assert offered_on(clinic, WEDNESDAY)  # still worked that week
    assert offered_on(clinic, date(2026, 12, 16)) == []
    assert AuditEvent.objects.filter(action=AuditAction.PATTERN_ENDED).count() == 2


def test_ending_a_shift_before_it_starts_removes_it(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    add_shift(client, clinic.therapists[0], effective_from="2027-01-02")
    future = WorkingPattern.objects.get(weekday=5)
    client.post(reverse("clinic:pattern_end", args=[future.pk]), {"last_day": "2026-12-31"})
    assert not WorkingPattern.objects.filter(pk=future.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PATTERN_REMOVED).count() == 1


def change_shift(client: Client, pattern: WorkingPattern, **changes: str) -> Any:
    return client.post(reverse("clinic:pattern_edit", args=[pattern.pk]), shift_form(**changes))


def test_a_shift_is_changed_in_place_and_patients_see_it_at_once(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    client = logged_in(clinic.admin)
    wednesday = clinic.therapists[0].working_patterns.get(weekday=2)
    form = text(client.get(reverse("clinic:pattern_edit", args=[wednesday.pk])))
    assert 'value="09:00"' in form and 'value="17:00"' in form
    response = change_shift(
        client,
        wednesday,
        weekday="2",
        start_time="13:00",
        end_time="16:00",
        effective_from="2026-01-05",
        online_bookable="-",
    )
    assert response.status_code == 302
    wednesday.refresh_from_db()
    assert (wednesday.start_time, wednesday.end_time) == (time(13), time(16))
    assert wednesday.online_bookable is False
    assert clinic.therapists[0].working_patterns.count() == 5, "changed, not added"
    assert offered_on(clinic, WEDNESDAY) == []
    change_shift(
        client,
        wednesday,
        weekday="2",
        start_time="13:00",
        end_time="16:00",
        effective_from="2026-01-05",
        every_weeks="2",
    )
    # Alternate weeks from the week of 5 January: this week (48 on), not the next.
    assert offered_on(clinic, WEDNESDAY) == [13, 14, 15]
    assert offered_on(clinic, date(2026, 12, 16)) == []
    event = AuditEvent.objects.filter(action=AuditAction.PATTERN_CHANGED).order_by("pk").first()
    assert event is not None
    assert event.details["hours"] == "13:00-16:00"
    assert event.details["was_hours"] == "09:00-17:00"
    assert "was_weekday" not in event.details, "only what changed is named twice"


def test_a_changed_shift_lists_the_appointments_it_no_longer_holds_and_keeps_them(
    clinic: Clinic,
) -> None:
    therapist = clinic.therapists[0]
    morning, afternoon = (
        AppointmentFactory(
            service=clinic.service,
            therapist=therapist,
            patient=clinic.patient,
            start=at(WEDNESDAY, hour),
            end=at(WEDNESDAY, hour + 1),
        )
        for hour in (10, 14)
    )
    client = logged_in(clinic.admin)
    pattern_page = reverse("clinic:therapist_pattern", args=[therapist.pk])
    assert "outside the shifts" not in text(client.get(pattern_page))
    wednesday = therapist.working_patterns.get(weekday=2)
    response = change_shift(
        client,
        wednesday,
        weekday="2",
        start_time="13:00",
        end_time="17:00",
        effective_from="2026-01-05",
    )
    assert response["Location"] == pattern_page
    page = text(client.get(pattern_page))
    assert "1 appointment outside the shifts" in page
    assert reverse("records:appointment_edit", args=[morning.pk]) in page
    assert reverse("records:appointment_edit", args=[afternoon.pk]) not in page
    # Moved to another day, the shift holds neither.
    change_shift(client, wednesday, weekday="3", effective_from="2026-01-05")
    assert "2 appointments outside the shifts" in text(client.get(pattern_page))
    morning.refresh_from_db()
    assert morning.status == AppointmentStatus.BOOKED


def test_an_extra_session_or_a_back_to_back_shift_still_holds_an_appointment(
    clinic: Clinic,
) -> None:
    therapist = clinic.therapists[0]
    AppointmentFactory(
        service=clinic.service,
        therapist=therapist,
        patient=clinic.patient,
        start=at(WEDNESDAY, 12),
        end=at(WEDNESDAY, 13),
    )
    client = logged_in(clinic.admin)
    pattern_page = reverse("clinic:therapist_pattern", args=[therapist.pk])
    wednesday = therapist.working_patterns.get(weekday=2)
    shortened = {"weekday": "2", "effective_from": "2026-01-05", "end_time": "12:30"}
    change_shift(client, wednesday, start_time="09:00", **shortened)
    assert "1 appointment outside the shifts" in text(client.get(pattern_page))
    add_shift(client, therapist, weekday="2", start_time="12:30", end_time="17:00")
    assert "outside the shifts" not in text(client.get(pattern_page))
    WorkingPattern.objects.filter(therapist=therapist, weekday=2, start_time=time(12, 30)).delete()
    add_change(client, therapist, kind="extra", start_time="12:00", end_time="14:00")
    assert "outside the shifts" not in text(client.get(pattern_page))


def test_the_change_preview_shows_the_shift_as_it_would_be_and_saves_nothing(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    wednesday = clinic.therapists[0].working_patterns.get(weekday=2)
    fields = {"weekday": "2", "start_time": "09:00", "end_time": "12:00"}
    without_js = text(change_shift(client, wednesday, action="preview", **fields))
    htmx = text(
        client.post(
            reverse("clinic:pattern_edit_preview", args=[wednesday.pk]),
            shift_form(**fields),
            HTTP_HX_REQUEST="true",
        )
    )
    for page in (without_js, htmx):
        weeks = page.split('id="pattern-weeks"')[1]
        assert weeks.count("09:00–12:00 new") == 4
        # The shift as it is gives way to the change; the other therapist's are not here.
        assert weeks.count("09:00–17:00") == 16
    assert "<html" not in htmx
    wednesday.refresh_from_db()
    assert wednesday.end_time == time(17)


# Leave and extra sessions


def test_a_day_of_leave_takes_that_day_off_the_patients_times(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    assert offered_on(clinic, WEDNESDAY) == list(range(9, 17))
    response = add_change(logged_in(clinic.admin), clinic.therapists[0])
    assert response.status_code == 302
    assert offered_on(clinic, WEDNESDAY) == []
    assert offered_on(clinic, TUESDAY)
    change = DiaryChange.objects.get()
    assert (change.start, change.end) == (at(WEDNESDAY, 0), at(date(2026, 12, 10), 0))
    assert change.note == "Annual leave"


def test_half_a_day_takes_only_those_hours(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    add_change(logged_in(clinic.admin), clinic.therapists[0], start_time="13:00", end_time="17:00")
    assert offered_on(clinic, WEDNESDAY) == [9, 10, 11, 12]


def test_an_extra_session_adds_times(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    add_change(
        logged_in(clinic.admin),
        clinic.therapists[0],
        kind="extra",
        first_day=SATURDAY.isoformat(),
        start_time="10:00",
        end_time="12:00",
        note="Saturday clinic",
    )
    assert offered_on(clinic, SATURDAY) == [10, 11]


def test_leave_over_booked_appointments_lists_them_and_keeps_them(clinic: Clinic) -> None:
    therapist = clinic.therapists[0]
    booked = AppointmentFactory(
        service=clinic.service,
        therapist=therapist,
        patient=clinic.patient,
        start=at(WEDNESDAY, 11),
        end=at(WEDNESDAY, 12),
    )
    client = logged_in(clinic.admin)
    response = add_change(client, therapist)
    page = text(client.get(response["Location"]))
    assert "1 appointment to move" in page
    assert clinic.patient.full_name in page
    assert reverse("records:appointment_edit", args=[booked.pk]) in page
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(action=AuditAction.DIARY_CHANGE_ADDED).count() == 1


def test_removing_leave_gives_the_times_back(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    client = logged_in(clinic.admin)
    add_change(client, clinic.therapists[0])
    change = DiaryChange.objects.get()
    client.post(reverse("clinic:diary_change_delete", args=[change.pk]))
    assert offered_on(clinic, WEDNESDAY) == list(range(9, 17))
    assert AuditEvent.objects.filter(action=AuditAction.DIARY_CHANGE_REMOVED).count() == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"note": ""}, "Give a reason"),
        ({"start_time": "13:00"}, "Give both times"),
        ({"kind": "extra"}, "Give the times of the extra session"),
        ({"last_day": "2026-12-01"}, "The end must be after the start"),
        ({"first_day": "not a day"}, "Enter the first day, for example 14/12/2026."),
    ],
)
def test_a_bad_change_is_explained_and_not_saved(
    clinic: Clinic, changes: dict[str, str], error: str
) -> None:
    response = add_change(logged_in(clinic.admin), clinic.therapists[0], **changes)
    assert response.status_code == 400
    assert error in text(response)
    assert not DiaryChange.objects.exists()


def test_the_patients_times_page_follows_leave_at_once(clinic: Clinic) -> None:
    only_first_therapist(clinic)
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    wednesday_11 = at(WEDNESDAY, 11).isoformat()
    assert wednesday_11 in text(patient.get(f"/book/times/{WEDNESDAY.isoformat()}/"))
    add_change(logged_in(clinic.admin), clinic.therapists[0])
    assert wednesday_11 not in text(patient.get(f"/book/times/{WEDNESDAY.isoformat()}/"))
    assert f"/book/times/{WEDNESDAY.isoformat()}/" not in text(patient.get("/book/times/"))


def test_shift_and_diary_change_writes_are_audited_to_the_letter(clinic: Clinic) -> None:
    """Each row names the record, what was done and the therapist's service, not the actor's:
    the operator here belongs to none. A removal is recorded before the row goes."""
    therapist = clinic.therapists[0]
    operator = UserFactory(service=None, role=Role.OPERATOR)

    def shift(start_hour: int, first_day: date) -> WorkingPattern:
        return WorkingPattern(
            therapist=therapist,
            weekday=5,
            start_time=time(start_hour),
            end_time=time(13),
            effective_from=first_day,
        )

    def details(hours: str, first_day: str, last_day: str = "") -> dict[str, object]:
        return {
            "weekday": "Saturday",
            "hours": hours,
            "every_weeks": 1,
            "from": first_day,
            "to": last_day,
            "online": True,
        }

    saturday = working_pattern_add(pattern=shift(10, date(2026, 12, 7)), user=operator)
    working_pattern_change(pattern=saturday, to=shift(11, date(2026, 12, 7)), user=operator)
    working_pattern_end(pattern=saturday, last_day=date(2026, 12, 31), user=operator)
    future = working_pattern_add(pattern=shift(10, date(2027, 1, 2)), user=operator)
    future_pk = future.pk
    working_pattern_end(pattern=future, last_day=date(2026, 12, 31), user=operator)
    leave = DiaryChange(
        therapist=therapist, kind="leave", start=at(WEDNESDAY, 9), end=at(WEDNESDAY, 17)
    )
    leave_pk = diary_change_add(change=leave, user=operator).pk
    diary_change_remove(change=leave, user=operator)

    leave_details = {
        "kind": "leave",
        "start": "2026-12-09T09:00:00+00:00",
        "end": "2026-12-09T17:00:00+00:00",
    }
    events = AuditEvent.objects.order_by("pk")
    assert list(events.values_list("action", "object_type", "object_id", "details")) == [
        (
            AuditAction.PATTERN_ADDED,
            "working_pattern",
            str(saturday.pk),
            details("10:00-13:00", "2026-12-07"),
        ),
        (
            AuditAction.PATTERN_CHANGED,
            "working_pattern",
            str(saturday.pk),
            {**details("11:00-13:00", "2026-12-07"), "was_hours": "10:00-13:00"},
        ),
        (
            AuditAction.PATTERN_ENDED,
            "working_pattern",
            str(saturday.pk),
            details("11:00-13:00", "2026-12-07", "2026-12-31"),
        ),
        (
            AuditAction.PATTERN_ADDED,
            "working_pattern",
            str(future_pk),
            details("10:00-13:00", "2027-01-02"),
        ),
        (
            AuditAction.PATTERN_REMOVED,
            "working_pattern",
            str(future_pk),
            details("10:00-13:00", "2027-01-02"),
        ),
        (AuditAction.DIARY_CHANGE_ADDED, "diary_change", str(leave_pk), leave_details),
        (AuditAction.DIARY_CHANGE_REMOVED, "diary_change", str(leave_pk), leave_details),
    ]
    assert set(events.values_list("actor_id", "patient_id", "service_id")) == {
        (operator.pk, None, clinic.service.pk)
    }


def test_therapist_team_and_appointment_type_writes_are_audited_to_the_letter(
    clinic: Clinic,
) -> None:
    """Each row names the record, what was done and the record's service, not the actor's:
    the operator here belongs to none."""
    operator = UserFactory(service=None, role=Role.OPERATOR)
    therapist = therapist_save(
        therapist=Therapist(service=clinic.service, name="Robin Fictional", active=False),
        teams=[],
        user=operator,
    )
    team = team_save(
        team=Team(service=clinic.service, name="North"), members=clinic.therapists, user=operator
    )
    video = appointment_type_save(
        appointment_type=AppointmentType(
            service=clinic.service, name="Review", duration_minutes=30, medium=Medium.VIDEO
        ),
        user=operator,
    )
    events = AuditEvent.objects.order_by("pk")
    assert list(events.values_list("action", "object_type", "object_id", "details")) == [
        (
            AuditAction.THERAPIST_SAVED,
            "therapist",
            str(therapist.pk),
            {"active": False, "has_account": False},
        ),
        (AuditAction.TEAM_SAVED, "team", str(team.pk), {"members": 2}),
        (
            AuditAction.APPOINTMENT_TYPE_SAVED,
            "appointment_type",
            str(video.pk),
            {"duration_minutes": 30, "medium": "video"},
        ),
    ]
    assert set(events.values_list("actor_id", "patient_id", "service_id")) == {
        (operator.pk, None, clinic.service.pk)
    }


# Appointment types


def test_an_appointment_types_medium_is_the_default_for_its_new_appointments(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    response = client.post(
        reverse("clinic:appointment_type_new"),
        {"name": "Telephone review", "duration_minutes": "30", "medium": Medium.TELEPHONE},
    )
    assert response.status_code == 302
    kind = AppointmentType.objects.get(name="Telephone review")
    assert (kind.service, kind.duration_minutes) == (clinic.service, 30)
    assert "Telephone review" in text(client.get(reverse("clinic:appointment_type_list")))
    made = client.post(
        reverse("records:appointment_new"),
        {
            "patient": clinic.patient.pk,
            "therapist": clinic.therapists[0].pk,
            "date": TUESDAY.isoformat(),
            "start_time": "15:00",
            "duration_minutes": "30",
            "appointment_type": kind.pk,
            "medium": "",
            "location": "",
        },
    )
    assert made.status_code == 302
    assert Appointment.objects.get(appointment_type=kind).medium == Medium.TELEPHONE
    assert AuditEvent.objects.filter(action=AuditAction.APPOINTMENT_TYPE_SAVED).count() == 1


def test_a_new_type_is_offered_in_the_rule_editor(clinic: Clinic) -> None:
    logged_in(clinic.admin).post(
        reverse("clinic:appointment_type_new"),
        {"name": "Group session", "duration_minutes": "90", "medium": Medium.VIDEO},
    )
    editor = text(logged_in(clinic.superuser).get(reverse("booking:rule_create")))
    assert "Group session" in editor


def test_a_bad_duration_is_explained(clinic: Clinic) -> None:
    response = logged_in(clinic.admin).post(
        reverse("clinic:appointment_type_new"),
        {"name": "Long", "duration_minutes": "100000", "medium": Medium.VIDEO},
    )
    assert response.status_code == 400
    assert "Enter a whole number from 5 to 480" in text(response)


def test_other_rules_still_offer_their_own_therapists(clinic: Clinic) -> None:
    """A change to one therapist's diary leaves a rule offering only the other untouched."""
    second_only = BroadcastRuleFactory(service=clinic.service, therapists=[clinic.therapists[1]])
    add_change(logged_in(clinic.admin), clinic.therapists[0])
    times = rule_available_times(second_only, timezone.now())
    assert [t.hour for t in times if t.date() == WEDNESDAY] == list(range(9, 17))


def test_an_appointment_types_welsh_name_is_edited_beside_the_english(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    page = text(client.get(reverse("clinic:appointment_type_new")))
    assert 'name="name_cy"' in page and 'lang="cy"' in page
    response = client.post(
        reverse("clinic:appointment_type_new"),
        {
            "name": "Review",
            "name_cy": "Adolygiad",
            "duration_minutes": "60",
            "medium": Medium.FACE_TO_FACE,
        },
    )
    assert response.status_code == 302
    assert AppointmentType.objects.get(name="Review").name_cy == "Adolygiad"
