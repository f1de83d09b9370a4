"""The diary by week or day, for one therapist or a whole team, and making and cancelling
appointments from it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.diary_presenters import day_label, one_day, therapist_weeks
from slotlink.clinic.forms import day_asked_for
from slotlink.clinic.models import (
    DiaryChange,
    Team,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.clinic.selectors import appointments_for, therapists_for, week_start
from slotlink.lib.inputs import record_id


@dataclass(frozen=True)
class DiaryChoice:
    """Whose diary, which day, week or day: read from the query string, junk ignored."""

    therapist: Therapist | None
    team: Team | None
    members: list[Therapist]
    day: date
    by_day: bool

    @property
    def monday(self) -> date:
        return week_start(self.day)

    def query(self, **changes: str) -> str:
        params = {"view": "day" if self.by_day else "week", "date": self.day.isoformat()}
        if self.team is not None:
            params["team"] = str(self.team.pk)
        elif self.therapist is not None:
            params["therapist"] = str(self.therapist.pk)
        params.update(changes)
        return "?" + urlencode(params)


def _choice(request: HttpRequest, user: User, today: date) -> DiaryChoice:
    therapists = list(therapists_for(user))
    teams = Team.objects.filter(service_id=service_id_of(user))
    team = teams.filter(pk=record_id(request.GET.get("team")) or 0).first()
    therapist = None
    if team is not None:
        member_ids = set(team.therapists.values_list("pk", flat=True))
        members = [t for t in therapists if t.pk in member_ids]
    else:
        wanted = record_id(request.GET.get("therapist"))
        therapist = next((t for t in therapists if t.pk == wanted), None)
        if therapist is None and therapists:
            own = next((t for t in therapists if t.user_id == user.pk), None)
            therapist = own or therapists[0]
        members = [therapist] if therapist else []
    # "week" (a Monday, or any day of the week) is the older parameter; "date" any day.
    day, problem = day_asked_for(request.GET.get("date") or request.GET.get("week"), today)
    if problem:
        messages.warning(request, problem)
    return DiaryChoice(
        therapist=therapist,
        team=team,
        members=members,
        day=day,
        by_day=request.GET.get("view") == "day",
    )


@require_GET
@staff_required()
def diary(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    today = timezone.localdate(timezone=zone)
    choice = _choice(request, user, today)
    monday = choice.monday
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    member_ids = [t.pk for t in choice.members]
    weeks = therapist_weeks(
        monday,
        zone,
        choice.members,
        list(
            appointments_for(user)
            .filter(therapist_id__in=member_ids, start__lt=end, end__gt=start)
            .order_by("start")
        ),
        list(WorkingPattern.objects.filter(therapist_id__in=member_ids)),
        list(DiaryChange.objects.filter(therapist_id__in=member_ids, start__lt=end, end__gt=start)),
        today,
    )
    step = timedelta(days=1 if choice.by_day else 7)
    return render(
        request,
        "clinic/diary.html",
        {
            "therapists": therapists_for(user),
            "teams": Team.objects.filter(service_id=service_id_of(user)),
            "choice": choice,
            "therapist": choice.therapist,
            "team": choice.team,
            "weeks": weeks,
            "week": weeks[0].week if weeks else None,
            "days": one_day(weeks, choice.day) if choice.by_day else [],
            "day_label": day_label(choice.day),
            "previous": choice.query(date=(choice.day - step).isoformat()),
            "next": choice.query(date=(choice.day + step).isoformat()),
            "today": choice.query(date=today.isoformat()),
            "as_week": choice.query(view="week"),
            "as_day": choice.query(view="day"),
        },
    )
