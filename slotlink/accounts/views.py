"""The staff member's own account: choosing a password through a set-password link,
two-factor authentication and logging out everywhere."""

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slotlink.accounts.forms import ChoosePasswordForm, CodeForm
from slotlink.accounts.middleware import session_verified
from slotlink.accounts.services import (
    secret_text,
    sessions_end_everywhere,
    two_factor_check,
    two_factor_confirm,
    two_factor_device,
    two_factor_pending,
    two_factor_required,
    two_factor_wait_seconds,
)
from slotlink.accounts.set_password import (
    set_password_link_find,
    set_password_link_get,
    set_password_link_use,
)
from slotlink.clinic.access import staff_user
from slotlink.lib.middleware import without_referrer

# The set-password link being used, by id, once its token has been swapped for this session.
INVITATION_IN_SESSION = "staff_invitation_link"


def _next(request: HttpRequest, default: str = "clinic:home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _verified(request: HttpRequest, device: django_otp.models.Device) -> None:
    django_otp.login(request, device)
    # More rights than a moment ago: a new session key, so an old one learnt is worth nothing.
    request.session.cycle_key()


def _wrong_code(request: HttpRequest, form: CodeForm) -> None:
    wait = two_factor_wait_seconds(staff_user(request))
    message = "That code is not right, or has expired. Enter the code your app shows now."
    if wait:
        message += f" After a wrong code you must wait {wait} seconds before trying again."
    form.add_error("code", message)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Every login of someone with an authenticator ends here."""
    user = staff_user(request)
    if session_verified(request):
        return redirect(_next(request))
    if two_factor_device(user) is None:
        return redirect("accounts:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor_check(user=user, token=form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            return redirect(_next(request))
        _wrong_code(request, form)
    return render(
        request,
        "accounts/two_factor.html",
        {"form": form, "next": _next(request, "")},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app, or replace one. Replacing needs the old one first: a stolen
    password alone must never be enough to swap in the thief's phone."""
    user = staff_user(request)
    if two_factor_device(user) is not None and not session_verified(request):
        return redirect("accounts:two_factor")
    device = two_factor_pending(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor_confirm(user=user, token=form.cleaned_data["code"])
        if confirmed is not None:
            _verified(request, confirmed)
            messages.success(request, "Two-factor authentication is set up.")
            return redirect(_next(request, "accounts:account"))
        _wrong_code(request, form)
    uri = device.config_url
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
            "secret": secret_text(device),
            "next": _next(request, ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "accounts/account.html",
        {
            "has_device": two_factor_device(user) is not None,
            "required": two_factor_required(user),
        },
    )


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    sessions_end_everywhere(user=staff_user(request))
    logout(request)
    messages.success(request, "You are logged out everywhere, on every device.")
    return redirect("login")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: object
) -> HttpResponse:
    """django-axes' answer once an account or a client has failed too often: a plain page
    (429), the same whether or not the username exists."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )


def _dead_link(request: HttpRequest) -> HttpResponse:
    return without_referrer(render(request, "accounts/set_password_dead.html", status=404))


@require_GET
def set_password_enter(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation: swap the token for this session and go on to a URL
    without it, so it is never in the history, a Referer or a log."""
    link = set_password_link_find(token)
    if link is None:
        return _dead_link(request)
    if request.user.is_authenticated:
        logout(request)  # someone else's session in this browser must not carry on
    request.session[INVITATION_IN_SESSION] = link.pk
    return without_referrer(redirect("accounts:set_password"))


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest) -> HttpResponse:
    link_id = request.session.get(INVITATION_IN_SESSION)
    link = set_password_link_get(link_id) if isinstance(link_id, int) else None
    if link is None:
        return _dead_link(request)
    form = ChoosePasswordForm(link.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = set_password_link_use(link_id=link.pk, password=form.cleaned_data["new_password1"])
        if user is None:
            return _dead_link(request)
        del request.session[INVITATION_IN_SESSION]
        login(request, user, backend="slotlink.accounts.backends.StaffBackend")
        messages.success(request, "Your password is set.")
        # Where the role needs it, the staff middleware sends them to set up two-factor
        # authentication before anything else.
        return redirect("clinic:home")
    return render(
        request,
        "accounts/set_password.html",
        {"form": form, "username": link.user.username},
        status=400 if form.errors else 200,
    )
