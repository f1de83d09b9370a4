"""What every staff request must satisfy beyond being logged in: a session at most
SESSION_MAX_AGE_SECONDS old (12 hours), and two-factor authentication done where required.

Idle sessions end by themselves (SESSION_COOKIE_AGE, kept alive by activity) and "log out
everywhere" is enforced by Django's own session hash check (see User)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from slotlink.accounts.services import two_factor_device, two_factor_required
from slotlink.clinic.models import User
from slotlink.lib.patient_pages import is_patient_page

LOGIN_AT = "staff_login_at"
# Where a logged-in user who still owes a code may go.
TWO_FACTOR_PATHS = ("/account/two-factor/", "/logout/", "/static/")


def session_verified(request: HttpRequest) -> bool:
    """Whether this session has passed two-factor authentication (django-otp's middleware
    puts the device that verified it on the user)."""
    return getattr(request.user, "otp_device", None) is not None


def _go(request: HttpRequest, url: str) -> HttpResponse:
    # htmx would swap a redirect's target into the fragment; ask it to navigate instead.
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def stamp_login(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """On every login (connected in AccountsConfig.ready): when this session began."""
    request.session[LOGIN_AT] = time.time()


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Patient pages never act on a staff login: they neither load the user nor check it
        # (a staff session past its limits is ended on its next staff page).
        if is_patient_page(request):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and isinstance(user, User):
            refusal = self._refusal(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request: HttpRequest, user: User) -> HttpResponse | None:
        login_at = request.session.get(LOGIN_AT)
        # No stamp (a session from before this rule) counts as too old: fail closed.
        if not isinstance(login_at, int | float) or (
            time.time() - login_at > settings.SESSION_MAX_AGE_SECONDS
        ):
            logout(request)
            hours = settings.SESSION_MAX_AGE_SECONDS / 3600
            messages.info(
                request, f"For safety you are logged out after {hours:g} hours. Log in again."
            )
            return _go(request, redirect_to_login(request.get_full_path())["Location"])
        if session_verified(request) or not two_factor_required(user):
            return None
        if request.path.startswith(TWO_FACTOR_PATHS):
            return None
        name = "accounts:two_factor" if two_factor_device(user) else "accounts:two_factor_setup"
        return _go(request, f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
