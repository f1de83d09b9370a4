"""Broadcast rules as superusers manage them: who may, the form's checks and their messages,
duplicating, deactivating instead of deleting, and the live preview and text length."""

import html
import re
from typing import Any

import pytest
from django.test import Client

from slotlink.booking.links.selectors import rules_for
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import BookingLink, BroadcastRule
from slotlink.clinic.models import Medium, SettingsChange, Team
from slotlink.domain.link_lifecycle import LinkStatus
from tests.conftest import Clinic, logged_in
from tests.factories import AppointmentTypeFactory, BroadcastRuleFactory, TherapistFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def rule_form(clinic: Clinic, **changes: Any) -> dict[str, Any]:
    """Everything a superuser fills in for a new rule, valid unless changed."""
    data: dict[str, Any] = {
        "title": "Follow-up – video",
        "appointment_type": clinic.rule.appointment_type_id,
        "duration_minutes": 50,
        "therapists": [t.pk for t in clinic.therapists],
        "team": "",
        "medium": Medium.VIDEO,
        "location": "Online",
        "location_cy": "Ar-lein",
        "min_notice_hours": 48,
        "horizon_days": 21,
        "slot_step_minutes": 25,
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "daily_cap": 3,
        "link_valid_days": 10,
        "hold_minutes": 15,
        "sms_template": "Hello {first_name}, book a follow-up with {service_name}: {link}",
        "welcome_content": "Please read [our guide](https://www.example.com/guide).",
        "confirmation_content": "**See you soon.** Call us on [0113 496 0500](tel:01134960500).",
        "allow_reschedule": "on",
        "reschedule_cutoff_hours": 12,
        "max_reschedules": 2,
        "send_confirmation_sms": "on",
        "show_therapists": "on",
        "active": "on",
    }
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def superuser_client(clinic: Clinic) -> Client:
    return logged_in(clinic.superuser)


def errors_for(response: Any) -> str:
    assert response.status_code == 400
    return text(response)


# Who may


def rule_pages(rule: BroadcastRule) -> list[tuple[str, str]]:
    return [
        ("get", "/settings/rules/"),
        ("get", "/settings/rules/new/"),
        ("get", f"/settings/rules/{rule.pk}/"),
        ("post", f"/settings/rules/{rule.pk}/"),
        ("post", f"/settings/rules/{rule.pk}/duplicate/"),
        ("post", f"/settings/rules/{rule.pk}/active/"),
        ("post", f"/settings/rules/{rule.pk}/delete/"),
        ("post", "/settings/rules/preview/"),
        ("post", "/settings/rules/sms-length/"),
    ]


def test_therapists_and_admins_are_turned_away_from_every_rule_page(clinic: Clinic) -> None:
    for user in (clinic.therapist_user, clinic.admin):
        client = logged_in(user)
        for method, url in rule_pages(clinic.rule):
            response = getattr(client, method)(url, rule_form(clinic, title="Hijacked"))
            assert response.status_code == 403, (user.role, url)
    assert BroadcastRule.objects.filter(service=clinic.service).count() == 1
    clinic.rule.refresh_from_db()
    assert clinic.rule.active and clinic.rule.title != "Hijacked"


def test_another_services_superuser_gets_404_for_this_services_rule(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    stranger = logged_in(other_clinic.superuser)
    for method, url in rule_pages(clinic.rule):
        if "/settings/rules/" + str(clinic.rule.pk) not in url:
            continue
        response = getattr(stranger, method)(url, rule_form(clinic, title="Hijacked"))
        assert response.status_code == 404, url
    clinic.rule.refresh_from_db()
    assert clinic.rule.active and clinic.rule.title != "Hijacked"
    assert BroadcastRule.objects.filter(service=clinic.service).count() == 1
    assert clinic.rule.title not in text(stranger.get("/settings/rules/"))


def test_anonymous_visitors_are_sent_to_log_in(clinic: Clinic) -> None:
    response = Client().get("/settings/rules/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_superuser_sees_active_and_deactivated_rules_with_links_sent(
    clinic: Clinic, superuser_client: Client
) -> None:
    old = BroadcastRuleFactory(service=clinic.service, title="Old pathway", active=False)
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    page = text(superuser_client.get("/settings/rules/"))
    assert clinic.rule.title in page and old.title in page
    assert "Deactivated" in page
    row = page[page.index(clinic.rule.title) :]
    assert "<td>1</td>" in row[: row.index("</tr>")]


# Creating and editing


def test_superuser_creates_a_rule_with_every_setting(
    clinic: Clinic, superuser_client: Client
) -> None:
    team = Team.objects.create(service=clinic.service, name="North")
    response = superuser_client.post("/settings/rules/new/", rule_form(clinic, team=team.pk))
    rule = BroadcastRule.objects.get(title="Follow-up – video")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/rules/{rule.pk}/"
    assert set(rule.therapists.all()) == set(clinic.therapists)
    assert rule.team == team
    assert (rule.duration_minutes, rule.slot_step_minutes) == (50, 25)
    assert (rule.min_notice_hours, rule.horizon_days, rule.link_valid_days) == (48, 21, 10)
    assert (rule.buffer_before_minutes, rule.buffer_after_minutes, rule.daily_cap) == (5, 10, 3)
    assert (rule.hold_minutes, rule.reschedule_cutoff_hours) == (15, 12)
    assert rule.medium == Medium.VIDEO and rule.location == "Online"
    assert rule.location_cy == "Ar-lein"
    assert rule.show_therapists and rule.allow_reschedule and rule.send_confirmation_sms
    assert rule.active and not rule.discreet_sms
    assert rule in rules_for(clinic.service.pk)
    change = SettingsChange.objects.get(service=clinic.service)
    assert change.changed_by == clinic.superuser
    assert change.subject == "Broadcast rule “Follow-up – video”"
    assert "Rule “Follow-up – video” saved." in text(superuser_client.get(response["Location"]))


def test_editing_a_rule_records_which_settings_changed(
    clinic: Clinic, superuser_client: Client
) -> None:
    form = rule_form(clinic, title=clinic.rule.title, duration_minutes=60, slot_step_minutes=60)
    superuser_client.post(f"/settings/rules/{clinic.rule.pk}/", form)
    superuser_client.post(
        f"/settings/rules/{clinic.rule.pk}/", {**form, "horizon_days": 28, "location": "Room 4"}
    )
    clinic.rule.refresh_from_db()
    assert (clinic.rule.horizon_days, clinic.rule.location) == (28, "Room 4")
    latest = SettingsChange.objects.filter(service=clinic.service).first()
    assert latest is not None and latest.fields == ["horizon_days", "location"]


def test_the_form_offers_only_this_services_therapists_types_and_teams(
    clinic: Clinic, other_clinic: Clinic, superuser_client: Client
) -> None:
    Team.objects.create(service=other_clinic.service, name="Elsewhere team")
    page = text(superuser_client.get("/settings/rules/new/"))
    assert clinic.therapists[0].name in page
    for name in [t.name for t in other_clinic.therapists] + ["Elsewhere team"]:
        assert name not in page
    response = superuser_client.post(
        "/settings/rules/new/",
        rule_form(
            clinic,
            therapists=[other_clinic.therapists[0].pk],
            appointment_type=other_clinic.rule.appointment_type_id,
        ),
    )
    page = errors_for(response)
    assert "Choose therapists from the list." in page
    assert "Choose an appointment type." in page
    assert not BroadcastRule.objects.filter(title="Follow-up – video").exists()


def test_an_inactive_therapist_is_not_offered(clinic: Clinic, superuser_client: Client) -> None:
    gone = TherapistFactory(service=clinic.service, name="Left Lastyear", active=False)
    assert gone.name not in text(superuser_client.get("/settings/rules/new/"))


# The form's checks, each with a message a superuser can act on


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title for the rule."),
        ({"title": "   "}, "Enter a title for the rule."),
        ({"appointment_type": ""}, "Choose an appointment type."),
        (
            {"duration_minutes": 50, "slot_step_minutes": 30},
            "The duration (50 minutes) must be a multiple of 30 minutes, the gap between start "
            "times: try 30 or 60.",
        ),
        (
            {"duration_minutes": 20, "slot_step_minutes": 30},
            "The duration (20 minutes) must be a multiple of 30 minutes, the gap between start "
            "times: try 30.",
        ),
        (
            {"min_notice_hours": 72, "horizon_days": 2},
            "The booking window ends before it starts: “how far ahead” (2 days) must be longer "
            "than the minimum notice (72 hours).",
        ),
        (
            {"min_notice_hours": 48, "horizon_days": 2},
            "The booking window ends before it starts",
        ),
        (
            {"sms_template": "Hello {first_name} {nhs_number} {link}"},
            "Unknown placeholder {nhs_number}. Use only {first_name}, {service_name}, {link}, "
            "{expiry_date}.",
        ),
        ({"sms_template": "Hello {first_name}, call us."}, "The text must include {link}"),
        ({"sms_template": ""}, "Enter the text message patients receive."),
        (
            {"sms_template": "Hello {first_name}. " + "Please book. " * 40 + "{link}"},
            "The text would take 4 text messages",
        ),
        (
            {"welcome_content": "Read [this](http://www.example.com/plain)."},
            "The link to http://www.example.com/plain is not secure. Links must start with "
            "https://",
        ),
        (
            {"confirmation_content": "Or see <http://www.example.com/auto>"},
            "The link to http://www.example.com/auto is not secure.",
        ),
        (
            {"therapists": [], "team": ""},
            "Choose at least one therapist or a team, or no times are offered.",
        ),
        ({"link_valid_days": 0}, "Enter a whole number from 1 to 90."),
    ],
)
def test_the_form_refuses_a_rule_that_cannot_work_and_says_why(
    clinic: Clinic, superuser_client: Client, changes: dict[str, Any], message: str
) -> None:
    response = superuser_client.post("/settings/rules/new/", rule_form(clinic, **changes))
    page = errors_for(response)
    assert message in page
    assert "There is a problem" in page
    assert BroadcastRule.objects.filter(service=clinic.service).count() == 1


def test_a_title_already_used_in_the_service_is_refused_whatever_its_case(
    clinic: Clinic, other_clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/rules/new/", rule_form(clinic, title=clinic.rule.title.upper())
    )
    assert (
        f"There is already a rule called “{clinic.rule.title.upper()}”. Give this one a "
        "different title." in errors_for(response)
    )
    # Another service's titles are its own business.
    response = superuser_client.post(
        "/settings/rules/new/", rule_form(clinic, title=other_clinic.rule.title)
    )
    assert response.status_code == 302


def test_a_rule_keeps_its_own_title_when_edited(clinic: Clinic, superuser_client: Client) -> None:
    form = rule_form(clinic, title=clinic.rule.title, duration_minutes=60, slot_step_minutes=30)
    response = superuser_client.post(f"/settings/rules/{clinic.rule.pk}/", form)
    assert response.status_code == 302


def test_a_long_text_of_unicode_counts_in_70_character_messages(
    clinic: Clinic, superuser_client: Client
) -> None:
    # "ë" is not in the GSM alphabet: the whole text goes as UCS-2, 67 characters a part.
    template = "Zoë, book here: {link} " + "x" * 120
    response = superuser_client.post(
        "/settings/rules/new/", rule_form(clinic, sms_template=template)
    )
    assert "characters, UCS-2); keep it to 3." in errors_for(response)


def test_a_discreet_rule_is_saved(clinic: Clinic, superuser_client: Client) -> None:
    superuser_client.post("/settings/rules/new/", rule_form(clinic, discreet_sms="on"))
    assert BroadcastRule.objects.get(title="Follow-up – video").discreet_sms


# Duplicating, deactivating, deleting


def test_duplicating_makes_an_inactive_copy_with_the_same_settings(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(f"/settings/rules/{clinic.rule.pk}/duplicate/")
    copy = BroadcastRule.objects.get(title=f"Copy of {clinic.rule.title}")
    assert response["Location"] == f"/settings/rules/{copy.pk}/"
    assert not copy.active
    assert set(copy.therapists.all()) == set(clinic.therapists)
    for name in ["appointment_type_id", "duration_minutes", "sms_template", "welcome_content"]:
        assert getattr(copy, name) == getattr(clinic.rule, name)
    assert copy not in rules_for(clinic.service.pk)
    superuser_client.post(f"/settings/rules/{clinic.rule.pk}/duplicate/")
    assert BroadcastRule.objects.filter(title=f"Copy of {clinic.rule.title} (2)").exists()


def test_deactivating_takes_a_rule_out_of_the_dropdown_but_sent_links_still_work(
    clinic: Clinic, superuser_client: Client
) -> None:
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    response = superuser_client.post(f"/settings/rules/{clinic.rule.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    clinic.rule.refresh_from_db()
    assert not clinic.rule.active
    assert clinic.rule not in rules_for(clinic.service.pk)
    link.refresh_from_db()
    assert link.status == LinkStatus.SENT
    page = text(logged_in(clinic.admin).get(f"/patients/{clinic.patient.pk}/care-pathway/"))
    assert f'<option value="{clinic.rule.pk}">' not in page
    superuser_client.post(f"/settings/rules/{clinic.rule.pk}/active/", {"active": "1"})
    clinic.rule.refresh_from_db()
    assert clinic.rule.active
    assert SettingsChange.objects.filter(fields=["active"]).count() == 2


def test_a_rule_links_were_sent_for_is_never_deleted(
    clinic: Clinic, superuser_client: Client
) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    response = superuser_client.post(f"/settings/rules/{clinic.rule.pk}/delete/", follow=True)
    assert "Links have been sent for this rule, so it is kept for their history." in text(response)
    assert BroadcastRule.objects.filter(pk=clinic.rule.pk).exists()
    assert BookingLink.objects.filter(rule=clinic.rule).count() == 1


def test_an_unused_rule_can_be_deleted(clinic: Clinic, superuser_client: Client) -> None:
    unused = BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists)
    page = text(superuser_client.get("/settings/rules/"))
    assert f"Delete {unused.title}" in page
    assert f"Delete {clinic.rule.title}" in page  # nothing sent for it yet either
    superuser_client.post(f"/settings/rules/{unused.pk}/delete/")
    assert not BroadcastRule.objects.filter(pk=unused.pk).exists()
    assert SettingsChange.objects.filter(fields=["deleted"]).exists()


def test_the_list_offers_no_delete_button_for_a_used_rule(
    clinic: Clinic, superuser_client: Client
) -> None:
    booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    assert f"Delete {clinic.rule.title}" not in text(superuser_client.get("/settings/rules/"))


# The live preview and the text's length


def test_the_preview_renders_the_patient_pages_from_what_is_typed(
    clinic: Clinic, superuser_client: Client
) -> None:
    form = rule_form(
        clinic,
        welcome_content="## Before you come\n\nSee [the map](https://www.example.com/map).",
        confirmation_content="Bring your *letter*.<script>alert(1)</script>",
        duration_minutes=90,
    )
    response = superuser_client.post("/settings/rules/preview/", form, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="rule-preview"')
    assert "<h2>Before you come</h2>" in page
    assert '<a href="https://www.example.com/map" rel="noopener noreferrer">the map</a>' in page
    assert "<em>letter</em>" in page
    assert "<script>" not in page
    assert "Book your assessment appointment" in page
    assert "1 hour 30 minutes" in page or "90 minutes" in page
    assert "Your appointment is booked" in page


def test_the_sms_meter_counts_characters_and_messages_as_typed(
    clinic: Clinic, superuser_client: Client
) -> None:
    short = superuser_client.post(
        "/settings/rules/sms-length/", rule_form(clinic, sms_template="Book: {link}")
    )
    assert "(GSM-7) · 1 text message" in text(short)
    long = superuser_client.post(
        "/settings/rules/sms-length/",
        rule_form(clinic, sms_template="Hi {first_name} {surname} " + "word " * 40 + "{link}"),
    )
    assert "2 text messages" in text(long)
    assert "Unknown placeholder {surname}" in text(long)
    assert "sms-meter--bad" in text(long)


def test_without_javascript_update_preview_shows_the_typed_content_and_saves_nothing(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        f"/settings/rules/{clinic.rule.pk}/",
        rule_form(
            clinic, title="Not saved", welcome_content="Typed **just now**.", action="preview"
        ),
    )
    assert response.status_code == 200
    assert "<strong>just now</strong>" in text(response)
    clinic.rule.refresh_from_db()
    assert clinic.rule.title != "Not saved"


def test_the_edit_page_shows_the_saved_rules_preview_and_text_length(
    clinic: Clinic, superuser_client: Client
) -> None:
    page = text(superuser_client.get(f"/settings/rules/{clinic.rule.pk}/"))
    assert '<a href="https://www.example.com/about" rel="noopener noreferrer">about us</a>' in page
    assert "characters (GSM-7) · 2 text messages" in page  # the default text, with a link
    assert 'hx-post="/settings/rules/preview/"' in page


def test_the_preview_uses_only_this_services_appointment_types(
    clinic: Clinic, other_clinic: Clinic, superuser_client: Client
) -> None:
    secret_type = AppointmentTypeFactory(service=other_clinic.service, name="Secret type")
    response = superuser_client.post(
        "/settings/rules/preview/", rule_form(clinic, appointment_type=secret_type.pk)
    )
    assert "Secret type" not in text(response)


@pytest.mark.parametrize("value", ["yes", "", "2"])
def test_switching_a_rule_on_or_off_with_a_value_that_says_neither_changes_nothing(
    clinic: Clinic, superuser_client: Client, value: str
) -> None:
    url = f"/settings/rules/{clinic.rule.pk}/active/"
    page = text(superuser_client.post(url, {"active": value}, follow=True))
    clinic.rule.refresh_from_db()
    assert clinic.rule.active
    assert "Choose whether the rule is active." in page
    assert not SettingsChange.objects.filter(fields=["active"]).exists()


def test_the_welsh_texts_and_pages_are_saved_beside_the_english(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/rules/new/",
        rule_form(
            clinic,
            sms_template_cy="Helo {first_name}, trefnwch apwyntiad: {link}",
            welcome_content_cy="Darllenwch [ein canllaw](https://www.example.com/canllaw).",
            confirmation_content_cy="**Welwn ni chi cyn bo hir.**",
            information_content_cy="Dewch â'ch sbectol.",
        ),
    )
    assert response.status_code == 302
    rule = BroadcastRule.objects.get(title="Follow-up – video")
    assert rule.sms_template_cy == "Helo {first_name}, trefnwch apwyntiad: {link}"
    assert rule.welcome_content_cy.startswith("Darllenwch [ein canllaw]")
    assert rule.information_content_cy == "Dewch â'ch sbectol."
    page = text(superuser_client.get(f"/settings/rules/{rule.pk}/"))
    # Side by side, and each Welsh box says it is Welsh.
    assert 'id="sms-meter-cy"' in page
    assert re.search(
        r'<textarea[^>]*lang="cy"[^>]*name="welcome_content_cy"|<textarea[^>]*name="welcome_content_cy"[^>]*lang="cy"',
        page,
    )


def test_a_welsh_text_must_carry_the_link_and_its_links_be_secure(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/rules/new/",
        rule_form(
            clinic,
            sms_template_cy="Helo {first_name}, dim dolen",
            welcome_content_cy="[canllaw](http://www.example.com/)",
        ),
    )
    assert response.status_code == 400
    errors = errors_for(response)
    assert "The text must include {link}" in errors
    assert "The link to http://www.example.com/ is not secure" in errors


def test_the_welsh_meter_counts_a_circumflex_as_ucs2_and_a_welsh_date(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/rules/sms-length/",
        {**rule_form(clinic, sms_template_cy="Dŵr {expiry_date} {link}"), "meter": "cy"},
    )
    page = text(response)
    assert 'id="sms-meter-cy"' in page
    assert "(UCS-2)" in page


@pytest.mark.parametrize(("provider", "encoding"), [("notify", "GSM-7"), ("twilio", "UCS-2")])
def test_the_meter_counts_what_the_services_provider_sends(
    clinic: Clinic, superuser_client: Client, provider: str, encoding: str
) -> None:
    clinic.service.sms_provider = provider
    clinic.service.save()
    response = superuser_client.post(
        "/settings/rules/sms-length/",
        rule_form(clinic, sms_template="We’ll see you – book here: {link}"),
    )
    assert f"({encoding})" in text(response)
