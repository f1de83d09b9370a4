"""A therapist's working pattern and one-off diary changes, for admins and superusers.

The pattern page shows the weeks a new shift would give before it is saved: as the form
changes (htmx), or with the "Preview" button where JavaScript is off."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.diary_presenters import (
    AppointmentToMove,
    ChangeRow,
    pattern_rows,
    pattern_weeks,
    shift_text,
)
from slotlink.clinic.forms.setup import DiaryChangeForm, PatternEndForm, PatternForm
from slotlink.clinic.models import (
    DiaryChange,
    DiaryChangeKind,
    Role,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.clinic.selectors import (
    all_therapists_for,
    appointments_in_change,
    appointments_off_shift,
    diary_changes_for,
    patterns_for,
    week_start,
)
from slotlink.clinic.services.setup import (
    diary_change_add,
    diary_change_remove,
    working_pattern_add,
    working_pattern_change,
    working_pattern_end,
)
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.formatting import staff_datetime
from slotlink.lib.forms import PreviewButtonForm
from slotlink.lib.htmx import HtmxHttpRequest

admins = staff_required(Role.ADMIN, Role.SUPERUSER)
PREVIEW_WEEKS = 4


def _today(user: User) -> date:
    assert user.service is not None  # noqa: S101 - staff_required
    return timezone.localdate(timezone=user.service.zone)


def _preview(
    user: User, therapist: Therapist, form: PatternForm, changing: WorkingPattern | None = None
) -> dict[str, object]:
    """The weeks to show: from the new (or changed) shift's first week if the form is
    complete, else from this week, with the therapist's other shifts and changes. A changed
    shift shows as it would be, in place of what it is."""
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    proposed = form.pattern(therapist) if form.is_bound and form.is_valid() else None
    monday = week_start(proposed.effective_from if proposed else _today(user))
    changes = list(
        DiaryChange.objects.filter(
            therapist=therapist,
            end__gt=datetime.combine(monday, time(0), tzinfo=zone),
        )
    )
    patterns = [
        p
        for p in therapist.working_patterns.all()
        if proposed is None or changing is None or p.pk != changing.pk
    ]
    return {
        "weeks": pattern_weeks(monday, PREVIEW_WEEKS, zone, patterns, changes, proposed),
        "proposed": proposed is not None,
    }


@retry_on_contention
@admins
def therapist_pattern(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    therapist = get_object_or_404(all_therapists_for(user), pk=pk)
    today = _today(user)
    data = request.POST if request.method == "POST" else None
    form = PatternForm(data, today=today, initial={"effective_from": today})
    if data is not None and not PreviewButtonForm(data).previewing and form.is_valid():
        pattern = working_pattern_add(pattern=form.pattern(therapist), user=user)
        messages.success(request, f"Shift added: {shift_text(pattern)}.")
        return redirect("clinic:therapist_pattern", pk=therapist.pk)
    return render(
        request,
        "clinic/setup/pattern.html",
        {
            "therapist": therapist,
            "form": form,
            "rows": pattern_rows(list(therapist.working_patterns.all()), today),
            "end_form": PatternEndForm(initial={"last_day": today}),
            "off_shift": _off_shift(user, therapist),
            "section": "therapists",
            **_preview(user, therapist, form),
        },
        status=400 if data is not None and form.errors else 200,
    )


@require_POST
@admins
def pattern_preview(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The weeks alone, for htmx to put beside the form as it changes. Saves nothing."""
    user = staff_user(request)
    therapist = get_object_or_404(all_therapists_for(user), pk=pk)
    form = PatternForm(request.POST, today=_today(user))
    return render(request, "clinic/setup/_pattern_weeks.html", _preview(user, therapist, form))


def _off_shift(user: User, therapist: Therapist) -> list[AppointmentToMove]:
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    return [
        AppointmentToMove.of(a, zone) for a in appointments_off_shift(therapist, timezone.now())
    ]


@retry_on_contention
@admins
def pattern_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one shift: the same form as adding one, filled in, and the same preview."""
    user = staff_user(request)
    pattern = get_object_or_404(patterns_for(user).select_related("therapist__service"), pk=pk)
    therapist = pattern.therapist
    data = request.POST if request.method == "POST" else None
    form = PatternForm(data, today=_today(user), initial=PatternForm.initial_of(pattern))
    if data is not None and not PreviewButtonForm(data).previewing and form.is_valid():
        working_pattern_change(pattern=pattern, to=form.pattern(therapist), user=user)
        messages.success(request, f"Shift changed: {shift_text(pattern)}.")
        return redirect("clinic:therapist_pattern", pk=therapist.pk)
    return render(
        request,
        "clinic/setup/pattern_edit.html",
        {
            "therapist": therapist,
            "pattern": pattern,
            "form": form,
            "section": "therapists",
            **_preview(user, therapist, form, changing=pattern),
        },
        status=400 if data is not None and form.errors else 200,
    )


@require_POST
@admins
def pattern_edit_preview(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The weeks alone with the shift as changed, for htmx. Saves nothing."""
    user = staff_user(request)
    pattern = get_object_or_404(patterns_for(user).select_related("therapist"), pk=pk)
    form = PatternForm(request.POST, today=_today(user))
    context = _preview(user, pattern.therapist, form, changing=pattern)
    return render(request, "clinic/setup/_pattern_weeks.html", context)


@require_POST
@retry_on_contention
@admins
def pattern_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    pattern = get_object_or_404(patterns_for(user).select_related("therapist"), pk=pk)
    form = PatternEndForm(request.POST)
    if form.is_valid():
        working_pattern_end(pattern=pattern, last_day=form.cleaned_data["last_day"], user=user)
        messages.success(request, "Shift ended. The diary and the times patients see follow.")
    else:
        messages.error(request, "Enter the last day the shift is worked, for example 31/12/2026.")
    return redirect("clinic:therapist_pattern", pk=pattern.therapist_id)


@retry_on_contention
@admins
def diary_changes(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    therapist = get_object_or_404(all_therapists_for(user), pk=pk)
    today = _today(user)
    form = DiaryChangeForm(request.POST or None, zone=zone, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        change = diary_change_add(
            change=DiaryChange(
                therapist=therapist,
                kind=data["kind"],
                start=data["start"],
                end=data["end"],
                note=data["note"],
            ),
            user=user,
        )
        messages.success(request, f"{change.get_kind_display()} added.")
        return redirect("clinic:diary_change", pk=change.pk)
    since = timezone.now() - timedelta(days=31)
    changes = diary_changes_for(user).filter(therapist=therapist, end__gt=since)
    return render(
        request,
        "clinic/setup/changes.html",
        {
            "therapist": therapist,
            "form": form,
            "changes": [ChangeRow.of(change, zone) for change in changes],
            "section": "therapists",
        },
        status=400 if request.method == "POST" else 200,
    )


@admins
def diary_change(request: HttpRequest, pk: int) -> HttpResponse:
    """One change, and the appointments still booked in its time (never moved or cancelled
    by adding it: staff decide)."""
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    change = get_object_or_404(diary_changes_for(user).select_related("therapist"), pk=pk)
    affected = [AppointmentToMove.of(a, zone) for a in appointments_in_change(change)]
    return render(
        request,
        "clinic/setup/change.html",
        {
            "change": change,
            "therapist": change.therapist,
            "start": staff_datetime(change.start, zone),
            "end": staff_datetime(change.end, zone),
            "affected": affected,
            "takes_time": change.kind != DiaryChangeKind.EXTRA,
            "section": "therapists",
        },
    )


@require_POST
@retry_on_contention
@admins
def diary_change_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    change = get_object_or_404(diary_changes_for(user).select_related("therapist"), pk=pk)
    therapist_id = change.therapist_id
    diary_change_remove(change=change, user=user)
    messages.success(request, "Removed.")
    return redirect("clinic:diary_changes", pk=therapist_id)
