"""The patient's questionnaires: the form link's token is swapped for a session bound to
that link, as a booking link's is (ADR 3), and the patient answers one question per page.
Each answer is kept as it is given, so leaving and coming back loses nothing; GETs change
nothing but "opened"."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from slotlink.domain.questionnaires.forms import FormDefinition
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.language import django_language
from slotlink.lib.middleware import without_referrer
from slotlink.lib.requestlog import log_service
from slotlink.portal.form_pages import (
    ShownForm,
    check_rows,
    crisis_information,
    error_text,
    form_item,
    intro_html,
    question_page,
    shown_form,
)
from slotlink.portal.language import remember_language
from slotlink.questionnaires.models import OPEN_STATUSES, FormLink, FormRequest, RequestStatus
from slotlink.questionnaires.selectors import link_requests
from slotlink.questionnaires.services import (
    FormClosed,
    form_answer_save,
    form_link_find,
    form_link_open,
    form_link_usable,
    form_request_submit,
    loaded_answers,
    version_definition,
)

SESSION_FORM_LINK = "form_link_id"

FormView = Callable[..., HttpResponse]


def _unusable(request: HttpRequest, link: FormLink | None = None) -> HttpResponse:
    service = link.service if link else None
    return without_referrer(
        render(request, "portal/forms/unusable.html", {"service": service}, status=404)
    )


def _session_link(request: HttpRequest) -> FormLink | None:
    link_id = request.session.get(SESSION_FORM_LINK)
    if not isinstance(link_id, int):
        return None
    link = (
        FormLink.objects.select_related("service", "patient", "appointment")
        .filter(pk=link_id)
        .first()
    )
    if link is not None:
        log_service(link.service_id)
    return link


def with_form_link(view: FormView) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        link = _session_link(request)
        if link is None:
            return render(request, "portal/book/session_ended.html", {"service": None}, status=403)
        return view(request, link, **kwargs)

    return wrapper


def _request_at(link: FormLink, position: int) -> FormRequest | None:
    return link.requests.select_related("version", "form").filter(position=position).first()


def with_form(view: FormView) -> Callable[..., HttpResponse]:
    """The form at `position` of the session's link, open for answering; else where to go."""

    @wraps(view)
    @with_form_link
    def wrapper(request: HttpRequest, link: FormLink, position: int, **kwargs: Any) -> HttpResponse:
        form_request = _request_at(link, position)
        if form_request is None:
            return redirect("forms:home")
        if form_request.status == RequestStatus.COMPLETED:
            return redirect("forms:done", position=position)
        if form_request.status not in OPEN_STATUSES:
            return _unusable(request, link)
        if not form_link_usable(link, timezone.now()):
            return _unusable(request, link)
        form = shown_form(version_definition(form_request.version))
        return view(request, link, form_request, form, **kwargs)

    return wrapper


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    link = form_link_find(token)
    if link is None:
        return _unusable(request)
    log_service(link.service_id)
    if not form_link_usable(link, timezone.now()):
        return _unusable(request, link)
    if request.session.session_key is not None:
        request.session.cycle_key()  # against session fixation
    request.session[SESSION_FORM_LINK] = link.pk
    form_link_open(link=link)
    response = without_referrer(redirect("forms:home"))
    # A link from a text opens in the language on the patient's record, as a booking link does.
    remember_language(response, django_language(link.patient.preferred_language))
    return response


@require_GET
@with_form_link
def home(request: HttpRequest, link: FormLink) -> HttpResponse:
    requests = link_requests(link)
    items = [form_item(r, shown_form(version_definition(r.version))) for r in requests]
    usable = form_link_usable(link, timezone.now())
    if not usable and not all(item.done for item in items):
        return _unusable(request, link)
    return render(
        request,
        "portal/forms/home.html",
        {
            "service": link.service,
            "first_name": link.patient.first_name,
            "items": items,
            "all_done": all(item.done for item in items),
            "risk": any(r.risk for r in requests),
            "crisis": crisis_information(link.service),
        },
    )


@require_GET
@with_form
def start(
    request: HttpRequest, link: FormLink, form_request: FormRequest, form: ShownForm
) -> HttpResponse:
    definition = form.definition
    return render(
        request,
        "portal/forms/start.html",
        {
            "service": link.service,
            "name": definition.name,
            "form_lang": form.lang,
            "intro": intro_html(definition),
            "count": len(definition.questions),
            "position": form_request.position,
            "first": _first_unanswered(definition, form_request.answers),
        },
    )


def _first_unanswered(definition: FormDefinition, answers: dict[str, Any]) -> int:
    for number, question in enumerate(definition.questions, start=1):
        if question.key not in answers:
            return number
    return 1


def _submitted(request: HttpRequest) -> dict[str, str]:
    return {
        name: value
        for name in ("answer", "day", "month", "year")
        if isinstance(value := request.POST.get(name), str)
    }


@retry_on_contention
@with_form
def question(
    request: HttpRequest,
    link: FormLink,
    form_request: FormRequest,
    form: ShownForm,
    number: int,
) -> HttpResponse:
    definition = form.definition
    if not 1 <= number <= len(definition.questions):
        return redirect("forms:start", position=form_request.position)
    position = form_request.position
    changing = request.GET.get("change") == "1"
    error = ""
    submitted: dict[str, str] = {}
    if request.method == "POST":
        submitted = _submitted(request)
        asked = definition.questions[number - 1]
        raw: object = submitted.get("answer")
        if asked.kind == "date":
            parts = [submitted.get(p, "").strip() for p in ("day", "month", "year")]
            raw = " ".join(parts) if any(parts) else ""
        try:
            cleaned = form_answer_save(request=form_request, key=asked.key, raw=raw)
        except FormClosed:
            return _unusable(request, link)
        if cleaned.error is None:
            form_request.refresh_from_db(fields=["answers", "risk"])
            after = (
                reverse("forms:check", kwargs={"position": position})
                if changing or number == len(definition.questions)
                else reverse("forms:question", kwargs={"position": position, "number": number + 1})
            )
            if definition.scoring.risk_question == asked.key and form_request.risk:
                request.session["forms_after_support"] = after
                return redirect("forms:support", position=position)
            return redirect(after)
        error = error_text(cleaned)
    page = question_page(form, number - 1, form_request.answers, submitted)
    back = (
        reverse("forms:check", kwargs={"position": position})
        if changing
        else reverse("forms:question", kwargs={"position": position, "number": number - 1})
        if number > 1
        else reverse("forms:start", kwargs={"position": position})
    )
    return render(
        request,
        "portal/forms/question.html",
        {
            "service": link.service,
            "page": page,
            "error": error,
            "back": back,
            "action": request.get_full_path(),
        },
        status=400 if error else 200,
    )


@require_GET
@with_form_link
def support(request: HttpRequest, link: FormLink, position: int) -> HttpResponse:
    after = request.session.get("forms_after_support")
    if not isinstance(after, str) or not after.startswith("/forms/"):
        after = reverse("forms:home")
    return render(
        request,
        "portal/forms/support.html",
        {
            "service": link.service,
            "crisis": crisis_information(link.service),
            "after": after,
        },
    )


@require_GET
@with_form
def check(
    request: HttpRequest, link: FormLink, form_request: FormRequest, form: ShownForm
) -> HttpResponse:
    answers = loaded_answers(form.definition, form_request.answers)
    return render(
        request,
        "portal/forms/check.html",
        {
            "service": link.service,
            "name": form.definition.name,
            "form_lang": form.lang,
            "position": form_request.position,
            "rows": check_rows(form, answers),
            "last": len(form.definition.questions),
        },
    )


@require_POST
@retry_on_contention
@with_form_link
def submit(request: HttpRequest, link: FormLink, position: int) -> HttpResponse:
    form_request = _request_at(link, position)
    if form_request is None:
        return redirect("forms:home")
    try:
        result = form_request_submit(request=form_request)
    except FormClosed:
        return _unusable(request, link)
    if not result.complete:
        definition = version_definition(form_request.version)
        first = next(
            n for n, q in enumerate(definition.questions, start=1) if q.key == result.missing[0]
        )
        return redirect("forms:question", position=position, number=first)
    return redirect("forms:done", position=position)


@require_GET
@with_form_link
def done(request: HttpRequest, link: FormLink, position: int) -> HttpResponse:
    form_request = _request_at(link, position)
    if form_request is None or form_request.status != RequestStatus.COMPLETED:
        return redirect("forms:home")
    following = (
        link.requests.filter(position__gt=position, status__in=OPEN_STATUSES)
        .order_by("position")
        .first()
    )
    form = shown_form(version_definition(form_request.version))
    return render(
        request,
        "portal/forms/done.html",
        {
            "service": link.service,
            "name": form.definition.name,
            "form_lang": form.lang,
            "next": following.position if following else None,
            "risk": form_request.risk,
            "crisis": crisis_information(link.service),
        },
    )
