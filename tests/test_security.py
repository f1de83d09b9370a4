"""Cross-cutting protections: who may reach which staff page, the headers every page carries,
link tokens kept out of logs, and admin-written content that cannot run or leak anything."""

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils.safestring import SafeString

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import LINK_ABOUT, BookingLink
from slotlink.clinic.models import Appointment, AppointmentStatus, ClinicalContact, Role
from slotlink.domain.link_lifecycle import LinkStatus
from slotlink.lib.logfilters import RedactTokens
from slotlink.lib.middleware import ContentSecurityPolicyMiddleware
from slotlink.lib.richtext import render_markdown, sanitise_html
from slotlink.lib.sms import render_sms, unknown_placeholders
from slotlink.messaging.models import OutboundMessage
from tests.conftest import Clinic, logged_in
from tests.factories import BroadcastRuleFactory

TUESDAY_11 = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


# Who may reach what


@dataclass
class Records:
    patient: int
    live_link: int
    used_link: int
    appointment: int
    message: int


@pytest.fixture
def records(clinic: Clinic, frozen_now: object) -> Records:
    live, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    second_rule = BroadcastRuleFactory(service=clinic.service, therapists=clinic.therapists)
    used, _ = booking_link_send(patient=clinic.patient, rule=second_rule, sent_by=clinic.admin)
    appointment = booking_link_book(link=used, start=TUESDAY_11)
    message = OutboundMessage.objects.filter(about_kind=LINK_ABOUT, about_id=live.pk).get()
    return Records(clinic.patient.pk, live.pk, used.pk, appointment.pk, message.pk)


# Every staff page or action that names one of the foundation's records. Pages added since
# (rules, bulk invitations, settings…) are covered for anonymous visitors by the route walk below.
RECORD_URLS = [
    ("get", "/patients/{patient}/"),
    ("get", "/patients/{patient}/care-pathway/"),
    ("post", "/patients/{patient}/booking-links/"),
    ("post", "/booking-links/{live_link}/expire/"),
    ("get", "/booking-links/{used_link}/history/"),
    ("get", "/appointments/{appointment}/"),
    ("post", "/appointments/{appointment}/"),
    ("post", "/appointments/{appointment}/delete/"),
    ("get", "/appointments/{appointment}/clinical-contact/"),
    ("post", "/appointments/{appointment}/clinical-contact/"),
    ("post", "/outbox/{message}/retry/"),
]
# Patient pages (and "Leave this page"), logging in and out, SMS providers' callbacks (which
# prove who they are by signature, not by login) and choosing a password through a set-password
# link (tests/accounts/test_set_password.py): everything else is a staff page.
NOT_STAFF = (
    "b/",
    "book/",
    "m/",
    "manage/",
    "q/",
    "forms/",
    "leave/",
    "help/",
    "login/",
    "logout/",
    "callbacks/",
    "s/",
    "account/set-password/",
)
# The FHIR API and its token endpoint answer with OAuth 2.0 bearer tokens, not a login page
# (tests/api).
NOT_STAFF += ("fhir/", "^fhir/", "oauth/")


def staff_routes() -> list[str]:
    """Every staff URL the project serves, with its parameters filled in with an id."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern.pattern, RoutePattern):  # not static()'s development media
                yield route

    routes = [r for r in walk(get_resolver().url_patterns, "") if not r.startswith(NOT_STAFF)]
    return sorted({"/" + re.sub(r"<(?:int|str|slug):\w+>", "1", route) for route in routes})


def request_for(records: Records, clinic: Clinic, url: str) -> tuple[str, dict[str, object]]:
    """The URL filled in with this service's ids, and a plausible form for it."""
    form: dict[str, object] = {
        "rule": clinic.rule.pk,
        "outcome": "Changed by a stranger",
        "notes": "Changed by a stranger",
        "therapist": clinic.therapists[0].pk,
        "appointment_type": clinic.rule.appointment_type_id,
        "medium": "telephone",
        "status": AppointmentStatus.CANCELLED,
        "date": "2026-12-09",
        "start_time": "09:00",
        "duration_minutes": 30,
    }
    return url.format(**vars(records)), form


def assert_nothing_changed(records: Records, clinic: Clinic) -> None:
    assert BookingLink.objects.filter(patient=clinic.patient).count() == 2
    assert BookingLink.objects.get(pk=records.live_link).status == LinkStatus.SENT
    assert BookingLink.objects.get(pk=records.used_link).status == LinkStatus.BOOKED
    appointment = Appointment.objects.get(pk=records.appointment)
    assert (appointment.status, appointment.start) == (AppointmentStatus.BOOKED, TUESDAY_11)
    assert not ClinicalContact.objects.filter(outcome="Changed by a stranger").exists()


def test_the_route_walk_finds_the_staff_pages_and_no_patient_page() -> None:
    routes = staff_routes()
    for expected in ["/", "/patients/", "/diary/", "/appointments/1/", "/outbox/"]:
        assert expected in routes
    assert not [r for r in routes if r.startswith(("/b/", "/book/", "/m/", "/manage/"))]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", staff_routes())
def test_anonymous_visitors_to_any_staff_url_are_sent_to_log_in(
    clinic: Clinic, records: Records, method: str, url: str
) -> None:
    path = url.replace("/1/", f"/{records.patient}/")
    response = getattr(Client(), method)(path, request_for(records, clinic, "")[1])
    assert response.status_code in {302, 405}, response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith("/login/?next=")
    assert_nothing_changed(records, clinic)


@pytest.mark.parametrize(("method", "url"), RECORD_URLS)
def test_anonymous_visitors_change_none_of_a_services_records(
    clinic: Clinic, records: Records, method: str, url: str
) -> None:
    path, form = request_for(records, clinic, url)
    response = getattr(Client(), method)(path, form)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={path}")
    assert_nothing_changed(records, clinic)


@pytest.mark.parametrize(("method", "url"), RECORD_URLS)
def test_another_services_staff_get_404_for_this_services_records(
    clinic: Clinic, other_clinic: Clinic, records: Records, method: str, url: str
) -> None:
    path, form = request_for(records, clinic, url)
    for stranger in (other_clinic.superuser, other_clinic.admin, other_clinic.therapist_user):
        response = getattr(logged_in(stranger), method)(path, form)
        # A superuser holds every role, so only the service boundary can stop them: 404. Pages
        # for some roles may turn other staff away (403) before looking anything up.
        expected = {404} if stranger.role == Role.SUPERUSER else {403, 404}
        assert response.status_code in expected, (stranger.role, response.status_code)
        assert clinic.patient.last_name not in response.content.decode()
    assert_nothing_changed(records, clinic)


# Headers


@pytest.fixture
def patient_pages(clinic: Clinic, frozen_now: object) -> dict[str, HttpResponse]:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = Client()
    return {
        "entry": client.get(f"/b/{token}"),
        "welcome": client.get("/book/"),
        "times": client.get("/book/times/"),
        "day": client.get("/book/times/2026-12-08/"),
        "unusable": Client().get("/b/" + "x" * 43),
        "session ended": Client().get("/book/"),
    }


def test_patient_pages_are_never_cached(patient_pages: dict[str, HttpResponse]) -> None:
    for name, response in patient_pages.items():
        assert response["Cache-Control"] == "no-store", name


def test_patient_pages_tell_other_sites_nothing_about_where_the_patient_came_from(
    patient_pages: dict[str, HttpResponse],
) -> None:
    # "same-origin", not "no-referrer": under no-referrer browsers send `Origin: null` with
    # form POSTs and Django's CSRF check refuses them (see settings.py). Either way other sites
    # get no Referer.
    for name, response in patient_pages.items():
        assert response["Referrer-Policy"] in {"no-referrer", "same-origin"}, name


def test_patient_pages_carry_a_strict_content_security_policy(
    patient_pages: dict[str, HttpResponse],
) -> None:
    for name, response in patient_pages.items():
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["object-src"] == "'none'", name
        assert directives["base-uri"] == "'none'", name
        assert directives["frame-ancestors"] == "'none'", name
        assert "unsafe-inline" not in directives["script-src"], name
        assert "unsafe-eval" not in directives["script-src"], name
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_inline_script_is_allowed_only_by_the_nonce_the_header_carries(db: None) -> None:
    seen: dict[str, str] = {}

    def page_with_inline_script(request: HttpRequest) -> HttpResponse:
        seen["nonce"] = str(request.csp_nonce)  # type: ignore[attr-defined]
        return HttpResponse(f'<script nonce="{seen["nonce"]}">1</script>')

    middleware = ContentSecurityPolicyMiddleware(page_with_inline_script)
    response = middleware(RequestFactory().get("/book/"))
    assert len(seen["nonce"]) >= 16
    assert f"'nonce-{seen['nonce']}'" in response["Content-Security-Policy"]


def test_staff_pages_are_never_cached_either(admin_client: Client) -> None:
    response = admin_client.get("/patients/")
    assert response["Cache-Control"] == "no-store"
    assert "object-src 'none'" in response["Content-Security-Policy"]


# Tokens kept out of logs


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured log handlers (those that redact tokens) actually write."""
    output = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.request", "django.server")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(f, RedactTokens) for f in handler.filters)
    }
    assert handlers, "settings.LOGGING must put the redacting filter on its handlers"
    streams = {h: h.setStream(output) for h in handlers if isinstance(h, logging.StreamHandler)}
    yield output
    for handler, stream in streams.items():
        handler.setStream(stream)  # type: ignore[type-var]


def test_no_token_reaches_any_log_record(
    clinic: Clinic,
    frozen_now: object,
    caplog: pytest.LogCaptureFixture,
    log_output: io.StringIO,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, known = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    unknown = "Zz9_-" * 8 + "abc"
    client = Client()
    assert client.get(f"/b/{unknown}").status_code == 404
    assert client.get(f"/b/{known}").status_code == 302
    client.get("/book/")
    client.get("/book/times/")
    logged = caplog.text + log_output.getvalue()
    assert "/b/[redacted]" in logged, "the 404 for the unknown token must have been logged"
    for token in (known, unknown):
        assert token not in logged
        assert not [r for r in caplog.records if token in r.getMessage()]


def test_redaction_covers_both_link_kinds_and_leaves_other_paths_alone() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "GET %s and %s and %s", None, None
    )
    record.args = ("/b/" + "A" * 43, "/m/" + "B_-c" * 10, "/book/times/")
    RedactTokens().filter(record)
    assert record.getMessage() == "GET /b/[redacted] and /m/[redacted] and /book/times/"


# Admin-written content


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("Hello <img src=x onerror=alert(1)>", "<img"),
        ('<a href="https://e.com" onclick="steal()">x</a>', "<a "),
        ("[click](javascript:alert(1))", 'href="javascript:'),
        ("[click](JaVaScRiPt:alert(1))", 'href="javascript:'),
        ("[click](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
        ('<a href="javascript:alert(1)">x</a>', "<a "),
        ("[x](vbscript:msgbox(1))", 'href="vbscript:'),
        ("<iframe src=https://evil.example></iframe>", "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ('<div style="position:fixed">x</div>', "<div"),
        ("![tracker](https://evil.example/pixel.png)", "<img"),
    ],
)
def test_markdown_never_lets_scripts_or_raw_html_through(source: str, forbidden: str) -> None:
    html = render_markdown(source)
    assert forbidden.lower() not in html.lower()
    for tag, attributes in tags_of(html):
        assert tag in {"p", "a", "strong", "em", "h2", "h3", "ul", "ol", "li", "br", "code"}
        assert not [name for name, _ in attributes if name.startswith("on")]
        for name, value in attributes:
            if name == "href":
                assert (value or "").startswith(("https:", "http:", "mailto:", "tel:"))


def test_markdown_shows_raw_html_as_harmless_text() -> None:
    html = render_markdown("Call <b>now</b>")
    assert "<b>" not in html
    assert "&lt;b&gt;now&lt;/b&gt;" in html


def test_markdown_links_keep_their_address_and_open_safely() -> None:
    html = render_markdown("Read [about us](https://www.example.com/about?x=1&y=2).")
    assert 'href="https://www.example.com/about?x=1&amp;y=2"' in html
    assert 'rel="noopener noreferrer"' in html
    assert ">about us</a>" in html


def test_markdown_keeps_plain_formatting_and_demotes_headings() -> None:
    html = render_markdown("# Welcome\n\n**Bold** and *soft*\n\n- one\n- two")
    assert "<h2>Welcome</h2>" in html and "<h1>" not in html
    assert "<strong>Bold</strong>" in html and "<em>soft</em>" in html
    assert "<li>one</li>" in html
    assert isinstance(html, SafeString)


def test_sanitiser_strips_event_handlers_and_bad_schemes_from_allowed_tags() -> None:
    html = sanitise_html(
        '<a href="https://e.com" onmouseover="x()">e</a><p onclick="y()">p</p>'
        '<a href="javascript:alert(1)">j</a><script>alert(2)</script>'
    )
    assert "onmouseover" not in html and "onclick" not in html
    assert "javascript" not in html and "<script" not in html and "alert(2)" not in html
    assert 'href="https://e.com"' in html


# SMS templates


def render(template: str) -> str:
    return render_sms(
        template,
        first_name="Alex",
        service_name="Test Talking Therapies",
        link="https://book.example/b/TOKEN",
        expiry_date=date(2026, 12, 21),
    )


def test_sms_placeholders_are_filled_in() -> None:
    assert render("{first_name}: {link} until {expiry_date} ({service_name})") == (
        "Alex: https://book.example/b/TOKEN until Monday 21 December (Test Talking Therapies)"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{link.__class__}",
        "{link.__class__.__mro__}",
        "{first_name.__init__.__globals__}",
        "{expiry_date.year}",
        "{link[0]}",
        "{0}",
        "{}",
        "{!r}",
        "{first_name!r}",
        "{link:>100}",
    ],
)
def test_sms_templates_cannot_reach_attributes_or_format_specs(template: str) -> None:
    # Whatever an admin writes, only the four whole placeholders are ever replaced.
    assert render(template) == template


def test_unknown_placeholders_stay_literal_and_are_reported() -> None:
    assert render("Hi {first_name}, ref {nhs_number}") == "Hi Alex, ref {nhs_number}"
    assert unknown_placeholders("Hi {first_name}, ref {nhs_number} {Link}") == ["nhs_number"]


def test_sms_text_is_not_html_escaped() -> None:
    assert render("{first_name} & <co>") == "Alex & <co>"
