"""Staff accounts, for the superusers of a service: list, add, change, deactivate and
reactivate, reset two-factor authentication, unlock a login, make a new set-password link.
Every account read or changed is looked up within the superuser's own service (another
service's account answers 404)."""

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from slotlink.accounts.presenters import HistoryRow, StaffRow
from slotlink.accounts.selectors import locked_out, staff_of, with_authenticator
from slotlink.accounts.services import two_factor_required_by_role
from slotlink.accounts.set_password import SET_PASSWORD_LINK_VALID
from slotlink.accounts.staff_forms import NewStaffForm, StaffForm
from slotlink.accounts.staff_services import (
    StaffRefused,
    set_password_link_email,
    staff_deactivate,
    staff_invite,
    staff_password_link,
    staff_reactivate,
    staff_two_factor_reset,
    staff_unlock,
    staff_update,
)
from slotlink.audit.selectors import record_audit_trail
from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Role, Service, User
from slotlink.lib.contention import retry_on_contention

HISTORY_ROWS = 20


def _row(user: User, service: Service) -> StaffRow:
    return StaffRow.of(
        user,
        zone=service.zone,
        has_authenticator=bool(with_authenticator([user])),
        locked=bool(locked_out([user])),
    )


def handed_over(
    request: HttpRequest, *, user: User, url: str, service_name: str, back: str
) -> HttpResponse:
    """Email the set-password link where email is set up; otherwise show it, this once, to
    whoever made it (it is not kept: only its hash is)."""
    if set_password_link_email(user=user, url=url, service_name=service_name):
        messages.success(
            request,
            f"We emailed {user.get_full_name()} a link to choose their password. "
            f"It works once, for {SET_PASSWORD_LINK_VALID.days} days.",
        )
        return redirect(back)
    return render(
        request,
        "accounts/staff/link.html",
        {
            "name": user.get_full_name() or user.username,
            "username": user.username,
            "url": url,
            "days": SET_PASSWORD_LINK_VALID.days,
            "two_factor": two_factor_required_by_role(user),
            "back": back,
        },
    )


@staff_required(Role.SUPERUSER)
def staff_list(request: HttpRequest) -> HttpResponse:
    service = staff_user(request).service
    assert service is not None  # noqa: S101 - staff_required
    users = list(staff_of(service_id=service.pk))
    devices = with_authenticator(users)
    locked = locked_out(users)
    rows = [
        StaffRow.of(
            user,
            zone=service.zone,
            has_authenticator=user.pk in devices,
            locked=user.username in locked,
        )
        for user in users
    ]
    return render(request, "accounts/staff/list.html", {"rows": rows})


@retry_on_contention
@staff_required(Role.SUPERUSER)
@require_http_methods(["GET", "POST"])
def staff_add(request: HttpRequest) -> HttpResponse:
    me = staff_user(request)
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, url = staff_invite(
                username=form.cleaned_data["username"],
                details=form.details(),
                service_id=service_id_of(me),
                by=me,
            )
        except StaffRefused as refusal:
            form.add_error("username", str(refusal))
        else:
            service_name = me.service.name if me.service else ""
            return handed_over(
                request,
                user=user,
                url=url,
                service_name=service_name,
                back=reverse("accounts:staff_detail", args=[user.pk]),
            )
    return render(
        request, "accounts/staff/add.html", {"form": form}, status=400 if form.errors else 200
    )


@retry_on_contention
@staff_required(Role.SUPERUSER)
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    me = staff_user(request)
    service = me.service
    assert service is not None  # noqa: S101 - staff_required
    member = get_object_or_404(User, pk=pk, service_id=service.pk)
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "role": member.role,
    }
    form = StaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = staff_update(
                user_id=member.pk, service_id=service.pk, by=me, details=form.details()
            )
        except StaffRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Changes saved." if changed else "Nothing had changed.")
            return redirect("accounts:staff_detail", pk=member.pk)
    history = record_audit_trail(object_type="user", object_id=member.pk, service_id=service.pk)
    return render(
        request,
        "accounts/staff/detail.html",
        {
            "form": form,
            "member": _row(member, service),
            "is_me": member.pk == me.pk,
            "history": [HistoryRow.of(e, service.zone) for e in history[:HISTORY_ROWS]],
        },
        status=400 if form.errors else 200,
    )


def _action(
    request: HttpRequest,
    pk: int,
    act: Callable[..., object],
    done: Callable[[object], str],
) -> HttpResponse:
    """Run one change to a member of staff of the superuser's service and say what happened."""
    me = staff_user(request)
    try:
        outcome = act(user_id=pk, service_id=service_id_of(me), by=me)
    except User.DoesNotExist:
        raise Http404 from None
    except StaffRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done(outcome))
    return redirect("accounts:staff_detail", pk=pk)


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def staff_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        staff_deactivate,
        lambda done: (
            "Deactivated: they are logged out and cannot log in."
            if done
            else "They were deactivated already."
        ),
    )


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def staff_reactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        staff_reactivate,
        lambda done: "Reactivated: they can log in again." if done else "They were active already.",
    )


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def staff_two_factor_reset_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        staff_two_factor_reset,
        lambda removed: (
            "Two-factor authentication reset: they set up their new phone at their next login."
            if removed
            else "They had no authenticator; their sessions have ended."
        ),
    )


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def staff_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        staff_unlock,
        lambda cleared: (
            "Unlocked: they can log in again now." if cleared else "Their login was not locked."
        ),
    )


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def staff_password_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    me = staff_user(request)
    try:
        member, url = staff_password_link(user_id=pk, service_id=service_id_of(me), by=me)
    except User.DoesNotExist:
        raise Http404 from None
    except StaffRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("accounts:staff_detail", pk=pk)
    service_name = me.service.name if me.service else ""
    return handed_over(
        request,
        user=member,
        url=url,
        service_name=service_name,
        back=reverse("accounts:staff_detail", args=[pk]),
    )
