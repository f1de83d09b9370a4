import time
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

# How often an active session's idle expiry is pushed back (see SessionKeepAliveMiddleware).
KEEP_ALIVE_SECONDS = 60
KEPT_ALIVE_AT = "kept_alive_at"


class NoStoreMiddleware:
    """Pages carry patient data: no browser or proxy may keep a copy of any of them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class SessionKeepAliveMiddleware:
    """Sessions end after SESSION_COOKIE_AGE idle. Rather than write the session on every
    request to push that back, write it when it was last written a minute or more ago: one
    write a minute for a busy session instead of one a request, and an idle session ends at
    most a minute early, never late. Sits just after SessionMiddleware, which does the save."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if not session.modified and not session.is_empty():
            now = time.time()
            last = session.get(KEPT_ALIVE_AT)
            if not isinstance(last, int | float) or now - last >= KEEP_ALIVE_SECONDS:
                session[KEPT_ALIVE_AT] = now
        elif session.modified and not session.is_empty():  # saved anyway: note when
            session[KEPT_ALIVE_AT] = time.time()
        return response


def without_referrer(response: HttpResponse) -> HttpResponse:
    """For the responses to URLs that carry a token: the token must never travel on as a
    Referer. (Other pages use "same-origin", since "no-referrer" makes browsers send
    `Origin: null` with form posts, which the CSRF check rightly refuses.)"""
    response["Referrer-Policy"] = "no-referrer"
    return response


# What django-csp's decorators (csp, csp_update, csp_replace, csp_exempt) leave on a response.
_CSP_PER_RESPONSE = frozenset(
    f"_csp_{what}{ro}" for what in ("config", "update", "replace", "exempt") for ro in ("", "_ro")
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy's text built once per process rather than
    twice per response (in django-csp it took more CPU than any other middleware).

    The policy (settings.CONTENT_SECURITY_POLICY) is the same for every response but for a
    nonce, which goes in only when the page used one (request.csp_nonce), and what a view's
    decorators ask for. Those responses, and policies that depend on the path
    (EXCLUDE_URL_PREFIXES), get django-csp's own handling; every other response gets the text
    django-csp built for the policy as configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        super().__init__(get_response)
        self._built_for: tuple[Any, Any] | None = None
        self._headers: tuple[str, str] | None = None

    def _constant_headers(self) -> tuple[str, str] | None:
        """The enforced and report-only headers as configured, or None when the path matters.
        Built again when the settings change (as tests change them)."""
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built_for = self._built_for
        if built_for is None or built_for[0] is not enforced or built_for[1] is not report_only:
            path_matters = any(
                (policy or {}).get("EXCLUDE_URL_PREFIXES") for policy in (enforced, report_only)
            )
            self._headers = (
                None if path_matters else (build_policy(), build_policy(report_only=True))
            )
            self._built_for = (enforced, report_only)
        return self._headers

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        constant = (
            not settings.DEBUG
            and getattr(request, "_csp_nonce", None) is None
            and vars(response).keys().isdisjoint(_CSP_PER_RESPONSE)
        )
        headers = self._constant_headers() if constant else None
        if headers is None:
            return super().process_response(request, response)
        enforced, report_only = headers
        if enforced and HEADER not in response:
            response[HEADER] = enforced
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header went out would be refused by
        # the browser, so asking is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
