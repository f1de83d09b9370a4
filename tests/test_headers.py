"""The headers every response carries, in development here and in production (a child
process with a complete production environment): HSTS, a nonce-based content security
policy, __Host- cookies that are Secure, HttpOnly and SameSite, no-store on every page, and
a referrer policy of same-origin, or no-referrer where the URL holds a token."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from slotlink.booking.appointments.services import booking_link_book
from slotlink.booking.links.services import booking_link_send
from tests.conftest import Clinic, logged_in
from tests.test_settings import production_env, run

pytestmark = pytest.mark.usefixtures("frozen_now")

TEMPLATES = Path(settings.BASE_DIR) / "slotlink" / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def responses(clinic: Clinic) -> dict[str, object]:
    """A response of every kind: staff pages, the patient's, errors, logging in."""
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    admin = logged_in(clinic.admin)
    return {
        "login page": Client().get("/login/"),
        "failed login": Client().post("/login/", {"username": "x", "password": "y"}),
        "staff page": admin.get("/patients/"),
        "patient record": admin.get(f"/patients/{clinic.patient.pk}/"),
        "staff 404": admin.get("/patients/999999/"),
        "staff 403": logged_in(clinic.therapist_user).get("/settings/"),
        "account page": admin.get("/account/"),
        "token entry": patient.get(f"/b/{token}"),
        "welcome": patient.get("/book/"),
        "times": patient.get("/book/times/"),
        "unknown token": Client().get("/b/" + "z" * 43),
        "manage entry": Client().get("/m/" + "z" * 43),
        "manage verify": Client().get("/manage/verify/"),
        "no session": Client().get("/book/"),
        "not found": Client().get("/no-such-page/"),
    }


def test_every_response_carries_a_strict_content_security_policy(responses) -> None:
    for name, response in responses.items():
        policy = directives(response)
        assert policy["default-src"] == ["'self'"], name
        assert policy["object-src"] == ["'none'"], name
        assert policy["base-uri"] == ["'none'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["form-action"] == ["'self'"], name
        assert policy["script-src"][0] == "'self'", name
        for values in policy.values():
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(values) or (
                values == ["'self'", "data:"]  # images only: the 2FA QR code
            ), name
        assert policy["img-src"] == ["'self'", "data:"], name


def test_scripts_run_only_from_our_own_files_or_with_the_requests_nonce(clinic: Clinic) -> None:
    """No template has an inline script without the nonce, an inline event handler or a
    javascript: URL; so script-src needs no 'unsafe-inline', and a nonce only when used."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'nonce="{{ request.csp_nonce }}"' in tag, template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text.lower(), template


def test_a_page_with_a_nonced_script_gets_that_nonce_in_its_policy(rf) -> None:
    from django.http import HttpResponse

    from slotlink.lib.middleware import ContentSecurityPolicyMiddleware

    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]
    again = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    assert re.search(r'nonce="([^"]+)"', again.content.decode()).group(1) != nonce


def test_every_page_is_no_store_and_framed_by_nobody(responses) -> None:
    for name, response in responses.items():
        assert response["Cache-Control"] == "no-store", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name


def test_token_urls_send_no_referrer_and_other_pages_same_origin(responses) -> None:
    """docs/adr/0003-link-tokens.md: no-referrer everywhere would make browsers send
    `Origin: null` with form posts, which the CSRF check refuses; same-origin still tells
    other sites nothing, and the token URLs themselves send nothing at all."""
    for name, response in responses.items():
        expected = (
            "no-referrer"
            if name in {"token entry", "unknown token", "manage entry"}
            else ("same-origin")
        )
        assert response["Referrer-Policy"] == expected, name


def test_the_patients_session_cookie_is_httponly_and_samesite(clinic: Clinic) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    response = Client().get(f"/b/{token}")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser, as well as when idle
    assert cookie["path"] == "/"


def test_a_booked_patients_pages_are_no_store_too(clinic: Clinic) -> None:
    from datetime import UTC, datetime

    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    booking_link_book(link=link, start=datetime(2026, 12, 8, 11, tzinfo=UTC))
    client = Client()
    client.get(f"/b/{token}")
    booked = client.get("/book/booked/")
    assert booked.status_code == 200
    assert booked["Cache-Control"] == "no-store"


# Production

PRODUCTION_REQUESTS = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test import Client, override_settings
from slotlink.clinic.models import Service, User
# The manifest of collected static files exists only after a release build; headers do not
# depend on it.
override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
).enable()
service = Service.objects.create(name="Test service", phone="0113 496 0000")
User.objects.create_user(
    "therapist", password="a long production password", service=service, role="therapist"
)
client = Client(HTTP_HOST="book.example.nhs.uk")

def cookies(response):
    return {
        name: {key: morsel[key] for key in ("secure", "httponly", "samesite", "path", "domain")}
        for name, morsel in response.cookies.items()
    }

plain = client.get("/login/")
page = client.get("/login/", secure=True)
login = client.post(
    "/login/", {"username": "therapist", "password": "a long production password"}, secure=True
)
after = client.get("/patients/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "page": dict(page.headers),
    "page_cookies": cookies(page),
    "login": [login.status_code, login.get("Location")],
    "login_cookies": cookies(login),
    "after": [after.status_code, dict(after.headers)],
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    database = tmp_path_factory.mktemp("production") / "db.sqlite3"
    result = run(["-c", PRODUCTION_REQUESTS], production_env(SQLITE_PATH=str(database)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_plain_http_to_https(production) -> None:
    assert production["plain"] == [301, "https://book.example.nhs.uk/login/"]


def test_production_sends_hsts_for_a_year_with_subdomains(production) -> None:
    for headers in (production["page"], production["after"][1]):
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )


def test_production_cookies_are_host_only_secure_httponly_and_samesite(production) -> None:
    csrf = production["page_cookies"]["__Host-csrftoken"]
    session = production["login_cookies"]["__Host-sessionid"]
    assert production["login"] == [302, "/"]
    for cookie in (csrf, session):
        # __Host- means: Secure, Path=/ and no Domain, or the browser refuses the cookie.
        assert cookie == {
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "path": "/",
            "domain": "",
        }
    assert set(production["login_cookies"]) >= {"__Host-sessionid"}
    assert "sessionid" not in production["login_cookies"]


def test_production_pages_carry_the_same_policy_and_no_store(production) -> None:
    status, headers = production["after"]
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert "object-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_to_start_without_two_factor_for_admins() -> None:
    from tests.test_settings import start

    result = start(production_env(OTP_REQUIRED_FOR="therapist"))
    assert result.returncode != 0
    assert "OTP_REQUIRED_FOR must include admin and superuser" in result.stderr
