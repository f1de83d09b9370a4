import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
