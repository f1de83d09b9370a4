"""The admin dashboard: this week's booking links per rule, as a small chart and a table."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from slotlink.booking.reports.presenters import duration_words, week_chart, week_label
from slotlink.booking.reports.selectors import rule_weeks
from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.forms import day_asked_for
from slotlink.clinic.models import Role
from slotlink.clinic.selectors import week_start


@require_GET
@staff_required(Role.ADMIN, Role.SUPERUSER)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    today = timezone.localdate(timezone=zone)
    day, problem = day_asked_for(request.GET.get("week"), today)
    if problem:
        messages.warning(request, problem)
    monday = week_start(day)
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    weeks = rule_weeks(user, start, end)
    return render(
        request,
        "booking/dashboard.html",
        {
            "label": week_label(monday),
            "chart": week_chart(weeks),
            "rows": [(w, duration_words(w.median_to_book)) for w in weeks],
            "previous_week": (monday - timedelta(days=7)).isoformat(),
            "next_week": (monday + timedelta(days=7)).isoformat(),
            "this_week": week_start(today).isoformat(),
            "is_this_week": monday == week_start(today),
        },
    )
