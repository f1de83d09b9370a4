"""The admin dashboard: this week's links per rule (sent, opened, booked, expired) and the
median time from sending to booking, as a chart without scripts or inline styles."""

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import (
    Actor,
    booking_link_expire,
    booking_link_open,
    booking_link_send,
)
from slotlink.booking.reports.presenters import RuleWeek, duration_words, week_chart
from tests.conftest import MONDAY, Clinic, logged_in
from tests.factories import BroadcastRuleFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

WEDNESDAY_14 = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def row_of(page: str, title: str) -> list[str]:
    """The numbers in the table row of one rule."""
    table = page[page.index("This week in numbers") :]
    row = table[table.index(f'<th scope="row">{title}</th>') :]
    row = row[: row.index("</tr>")]
    return re.findall(r"<td>(.*?)</td>", row)


def send(clinic: Clinic, rule: Any = None) -> Any:
    patient = PatientFactory(service=clinic.service)
    link, _ = booking_link_send(patient=patient, rule=rule or clinic.rule, sent_by=clinic.admin)
    return link


@pytest.fixture
def week_of_links(clinic: Clinic) -> Clinic:
    """On Monday three links go out; one is opened and booked 2 hours later, one booked after
    4 hours, one expired by staff. A link sent the week before is booked this week."""
    with time_machine.travel(MONDAY - timedelta(days=7), tick=False):
        last_week = send(clinic)
    first, second, third = send(clinic), send(clinic), send(clinic)
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        booking_link_open(link=first)
        booking_link_book(link=first, start=WEDNESDAY_14)
    with time_machine.travel(MONDAY + timedelta(hours=4), tick=False):
        booking_link_open(link=second)
        booking_link_book(link=second, start=THURSDAY_10)
        booking_link_expire(link=third, actor=Actor.staff(clinic.admin, "Booked by phone"))
    with time_machine.travel(MONDAY + timedelta(hours=6), tick=False):
        booking_link_open(link=last_week)
        booking_link_book(link=last_week, start=THURSDAY_10 + timedelta(hours=2))
    return clinic


def test_the_dashboard_counts_this_weeks_links_per_rule(week_of_links: Clinic) -> None:
    clinic = week_of_links
    quiet = BroadcastRuleFactory(service=clinic.service, title="Quiet rule")
    page = text(logged_in(clinic.admin).get("/dashboard/"))
    # Sent this week: 3. Opened and booked this week: 3, including last week's link (booked
    # 7 days 6 hours after it was sent). Median of 2 h, 4 h and 7 d 6 h: 4 h.
    assert row_of(page, clinic.rule.title) == ["3", "3", "3", "1", "4 h 0 min"]
    assert row_of(page, quiet.title) == ["0", "0", "0", "0", "–"]
    assert "07 Dec – 13 Dec 2026" in page


def test_last_weeks_page_shows_last_weeks_links(week_of_links: Clinic) -> None:
    client = logged_in(week_of_links.admin)
    page = text(client.get("/dashboard/", {"week": "2026-12-01"}))
    assert "30 Nov – 06 Dec 2026" in page
    assert row_of(page, week_of_links.rule.title) == ["1", "0", "0", "0", "–"]


def test_a_junk_week_shows_this_week(clinic: Clinic) -> None:
    page = text(logged_in(clinic.admin).get("/dashboard/", {"week": "junk"}))
    assert "07 Dec – 13 Dec 2026" in page


def test_an_inactive_rule_appears_only_when_something_happened(clinic: Clinic) -> None:
    idle = BroadcastRuleFactory(service=clinic.service, title="Idle and off", active=False)
    used = BroadcastRuleFactory(service=clinic.service, title="Used and off")
    send(clinic, used)
    used.active = False
    used.save()
    page = text(logged_in(clinic.admin).get("/dashboard/"))
    assert idle.title not in page
    assert row_of(page, used.title)[0] == "1"


def test_the_chart_is_an_svg_with_no_script_and_no_inline_style(week_of_links: Clinic) -> None:
    response = logged_in(week_of_links.superuser).get("/dashboard/")
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg and "<desc" in svg
    assert "style=" not in page and "<script>" not in page.split("</head>")[1]
    assert 'class="bar bar--sent"' in svg and 'class="bar bar--booked"' in svg
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_bars_are_sized_against_the_largest_count() -> None:
    weeks = [
        RuleWeek("A", sent=10, opened=5, booked=0, expired=1, median_to_book=None),
        RuleWeek("B", sent=2, opened=1, booked=1, expired=0, median_to_book=timedelta(hours=3)),
    ]
    chart = week_chart(weeks)
    widths = [[bar.width for bar in group.bars] for group in chart.groups]
    assert widths == [[360, 180, 0, 36], [72, 36, 36, 0]]
    ys = [bar.y for group in chart.groups for bar in group.bars]
    assert ys == sorted(set(ys)), "bars never overlap"
    assert chart.groups[1].median == "3 h 0 min"
    assert (
        chart.description
        == "Links this week across all rules: 12 sent, 6 opened, 1 booked, 1 expired."
    )


def test_an_empty_week_draws_no_bars_and_does_not_divide_by_zero() -> None:
    chart = week_chart([RuleWeek("A", 0, 0, 0, 0, None)])
    assert [bar.width for bar in chart.groups[0].bars] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (None, "–"),
        (timedelta(seconds=20), "under 1 min"),
        (timedelta(minutes=7, seconds=40), "7 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_durations_read_shortly(span: timedelta | None, words: str) -> None:
    assert duration_words(span) == words


def test_only_admins_and_superusers_see_the_dashboard(clinic: Clinic) -> None:
    assert logged_in(clinic.therapist_user).get("/dashboard/").status_code == 403
    assert logged_in(clinic.admin).get("/dashboard/").status_code == 200
    assert logged_in(clinic.superuser).get("/dashboard/").status_code == 200
    assert Client().get("/dashboard/").status_code == 302


def test_another_services_links_and_rules_never_show(
    week_of_links: Clinic, other_clinic: Clinic
) -> None:
    send(other_clinic)
    page = text(logged_in(other_clinic.admin).get("/dashboard/"))
    assert week_of_links.rule.title not in page
    assert row_of(page, other_clinic.rule.title) == ["1", "0", "0", "0", "–"]


def test_the_top_bar_links_the_new_pages_by_role(clinic: Clinic) -> None:
    therapist = text(logged_in(clinic.therapist_user).get("/patients/"))
    admin = text(logged_in(clinic.admin).get("/patients/"))
    superuser = text(logged_in(clinic.superuser).get("/patients/"))
    for page in (therapist, admin, superuser):
        assert 'href="/diary/"' in page
    for link in ('href="/dashboard/"', 'href="/bulk-invitations/"'):
        assert link not in therapist and link in admin and link in superuser
    for link in ('href="/settings/rules/"', 'href="/settings/"'):
        assert link not in therapist and link not in admin and link in superuser
