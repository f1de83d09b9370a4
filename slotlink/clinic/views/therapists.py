"""Therapists and teams, for admins and superusers."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.forms.setup import TeamForm, TherapistForm
from slotlink.clinic.models import Role, Team, Therapist
from slotlink.clinic.presenters import TherapistRow
from slotlink.clinic.selectors import all_therapists_for, teams_for
from slotlink.clinic.services.setup import team_save, therapist_save
from slotlink.lib.contention import retry_on_contention

admins = staff_required(Role.ADMIN, Role.SUPERUSER)


@admins
def therapist_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    therapists = all_therapists_for(user).prefetch_related("teams").select_related("user")
    return render(
        request,
        "clinic/setup/therapists.html",
        {"therapists": [TherapistRow.of(t) for t in therapists], "section": "therapists"},
    )


def _therapist_page(request: HttpRequest, therapist: Therapist) -> HttpResponse:
    user = staff_user(request)
    form = TherapistForm(request.POST or None, instance=therapist, service_id=service_id_of(user))
    if request.method == "POST" and form.is_valid():
        saved = therapist_save(
            therapist=form.save(commit=False), teams=form.cleaned_data["teams"], user=user
        )
        messages.success(request, f"{saved.name} saved.")
        return redirect("clinic:therapist_edit", pk=saved.pk)
    return render(
        request,
        "clinic/setup/therapist_form.html",
        {"form": form, "therapist": therapist, "section": "therapists"},
        status=400 if request.method == "POST" else 200,
    )


@retry_on_contention
@admins
def therapist_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return _therapist_page(request, Therapist(service_id=service_id_of(user)))


@retry_on_contention
@admins
def therapist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    therapist = get_object_or_404(all_therapists_for(staff_user(request)), pk=pk)
    return _therapist_page(request, therapist)


@admins
def team_list(request: HttpRequest) -> HttpResponse:
    teams = teams_for(staff_user(request)).prefetch_related("therapists")
    return render(request, "clinic/setup/teams.html", {"teams": teams, "section": "teams"})


def _team_page(request: HttpRequest, team: Team) -> HttpResponse:
    user = staff_user(request)
    form = TeamForm(request.POST or None, instance=team, service_id=service_id_of(user))
    if request.method == "POST" and form.is_valid():
        saved = team_save(
            team=form.save(commit=False), members=form.cleaned_data["therapists"], user=user
        )
        messages.success(request, f"Team {saved.name} saved.")
        return redirect("clinic:team_list")
    return render(
        request,
        "clinic/setup/team_form.html",
        {"form": form, "team": team, "section": "teams"},
        status=400 if request.method == "POST" else 200,
    )


@retry_on_contention
@admins
def team_new(request: HttpRequest) -> HttpResponse:
    return _team_page(request, Team(service_id=service_id_of(staff_user(request))))


@retry_on_contention
@admins
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, get_object_or_404(teams_for(staff_user(request)), pk=pk))
