"""The content security policy middleware builds the header once, yet every response carries
exactly the header django-csp itself would give it: with or without a nonce, whatever a view's
decorators ask, with a report-only policy, and after the settings change."""

from collections.abc import Callable

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from slotlink.lib.middleware import ContentSecurityPolicyMiddleware

View = Callable[[HttpRequest], HttpResponse]


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>hello</p>")


def nonced(request: HttpRequest) -> HttpResponse:
    request._csp_nonce = "fixed-nonce-for-the-comparison"  # type: ignore[attr-defined]
    return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')  # type: ignore[attr-defined]


VIEWS: dict[str, View] = {
    "plain": plain,
    "nonced": nonced,
    "updated": csp_update({"img-src": ["https://example.org"]})(plain),
    "replaced": csp_replace({"script-src": [SELF, "https://example.org"]})(plain),
    "own policy": csp({"default-src": ["'none'"]})(plain),
    "exempt": csp_exempt()(plain),
    "already set": lambda request: HttpResponse(headers={HEADER: "default-src 'none'"}),
    "not found": lambda request: HttpResponse(status=404),
}


def headers(middleware: type[CSPMiddleware], view: View) -> dict[str, str | None]:
    response = middleware(view)(RequestFactory().get("/book/"))
    return {name: response.headers.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


@pytest.mark.parametrize("name", VIEWS)
def test_each_response_gets_the_header_django_csp_gives_it(name: str) -> None:
    view = VIEWS[name]
    assert headers(ContentSecurityPolicyMiddleware, view) == headers(CSPMiddleware, view)


@pytest.mark.parametrize("name", VIEWS)
def test_with_a_report_only_policy_too(name: str) -> None:
    report_only = {"DIRECTIVES": {"default-src": [SELF], "report-uri": ["/csp-report/"]}}
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        ours = headers(ContentSecurityPolicyMiddleware, VIEWS[name])
        assert ours == headers(CSPMiddleware, VIEWS[name])
    if name == "plain":
        assert ours[HEADER_REPORT_ONLY] == "default-src 'self'; report-uri /csp-report/"


def test_the_same_middleware_follows_a_change_of_settings() -> None:
    middleware = ContentSecurityPolicyMiddleware(plain)
    before = middleware(RequestFactory().get("/"))[HEADER]
    assert "object-src 'none'" in before
    changed = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        assert middleware(RequestFactory().get("/"))[HEADER] == "default-src 'none'"
    assert middleware(RequestFactory().get("/"))[HEADER] == before


def test_excluded_paths_get_no_header_as_with_django_csp() -> None:
    policy = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/static/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        middleware = ContentSecurityPolicyMiddleware(plain)
        assert HEADER not in middleware(RequestFactory().get("/static/x.css"))
        assert HEADER in middleware(RequestFactory().get("/book/"))


def test_a_nonce_asked_for_after_the_header_went_out_is_an_error() -> None:
    request = RequestFactory().get("/book/")
    ContentSecurityPolicyMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
