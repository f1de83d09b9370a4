"""The superuser's questionnaire settings: the service's own forms (each edit a new version),
which forms go with which appointment types and when, and the crisis information."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.models import Role, Service, User
from slotlink.domain.questionnaires.forms import DefinitionError
from slotlink.lib.contention import retry_on_contention
from slotlink.questionnaires.forms import (
    AssignmentForm,
    CrisisForm,
    FormContentForm,
    QuestionFormSet,
    assignment_initial,
    initial_content,
    initial_questions,
    sentence,
)
from slotlink.questionnaires.models import Form
from slotlink.questionnaires.presenters import FormRow, form_rows
from slotlink.questionnaires.selectors import (
    appointment_types_for,
    assignments_for,
    forms_for,
    service_form,
)
from slotlink.questionnaires.services import (
    Assignment,
    builtin_forms_ensure,
    crisis_information_save,
    form_active_set,
    form_assignments_save,
    form_current_version,
    form_save,
    version_definition,
)


def _service(user: User) -> Service:
    return get_object_or_404(Service, pk=user.service_id)


@staff_required(Role.SUPERUSER)
def form_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    service = _service(user)
    builtin_forms_ensure()
    rows: list[FormRow] = form_rows(list(forms_for(service).prefetch_related("versions")))
    return render(
        request,
        "questionnaires/form_list.html",
        {
            "rows": rows,
            "crisis": CrisisForm(
                initial={
                    "crisis_information": service.crisis_information,
                    "crisis_information_cy": service.crisis_information_cy,
                }
            ),
        },
    )


@retry_on_contention
@staff_required(Role.SUPERUSER)
def form_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = staff_user(request)
    service = _service(user)
    form: Form | None = None
    initial_rows: list[dict[str, object]] = []
    initial: dict[str, object] = {}
    if pk is not None:
        form = service_form(service, pk)
        if form is None:
            raise Http404
        definition = version_definition(form_current_version(form))
        initial_rows, initial = initial_questions(definition), initial_content(definition)
    content = FormContentForm(request.POST or None, initial=initial)
    # Rows as saved only to show them: bound, a row equal to its initial would count as
    # untouched and be dropped.
    questions = (
        QuestionFormSet(request.POST, prefix="q")
        if request.method == "POST"
        else QuestionFormSet(initial=initial_rows, prefix="q")
    )
    if request.method == "POST" and content.is_valid() and questions.is_valid():
        filled = [
            each
            for each in questions.forms
            if each.cleaned_data and not each.is_blank() and not each.cleaned_data.get("DELETE")
        ]
        try:
            definition = content.definition(
                [each.question(f"q{n}") for n, each in enumerate(filled, start=1)]
            )
        except DefinitionError as problem:  # a question's own rule, from the domain
            content.add_error(None, sentence(str(problem)))
        except ValidationError as problem:  # the form's rules, from definition()
            content.add_error(None, problem)
        else:
            saved = form_save(service=service, definition=definition, user=user, form=form)
            messages.success(
                request, f"{saved.name} saved (version {form_current_version(saved).number})."
            )
            return redirect("questionnaires:form_edit", pk=saved.pk)
    return render(
        request,
        "questionnaires/form_edit.html",
        {"form_row": form, "content": content, "questions": questions},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_required(Role.SUPERUSER)
def form_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    form = service_form(_service(user), pk)
    if form is None:
        raise Http404
    form_active_set(form=form, active=request.POST.get("active") == "1", user=user)
    return redirect("questionnaires:form_list")


@require_POST
@staff_required(Role.SUPERUSER)
def crisis(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = CrisisForm(request.POST)
    if form.is_valid():
        crisis_information_save(
            service=_service(user),
            text=form.cleaned_data["crisis_information"],
            text_cy=form.cleaned_data["crisis_information_cy"],
            user=user,
        )
        messages.success(request, "Crisis information saved.")
    else:
        messages.error(
            request,
            "Crisis information not saved: "
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect("questionnaires:form_list")


@retry_on_contention
@staff_required(Role.SUPERUSER)
def assignments(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    service = _service(user)
    builtin_forms_ensure()
    current = {(a.appointment_type_id, a.form_id): a for a in assignments_for(service)}
    sendable = [f for f in forms_for(service) if f.active]
    types = list(appointment_types_for(service))
    table = [
        (
            kind,
            [
                (
                    form,
                    AssignmentForm(
                        request.POST or None,
                        prefix=f"a{kind.pk}-{form.pk}",
                        type_name=kind.name,
                        form_name=form.name,
                        initial=assignment_initial(current.get((kind.pk, form.pk))),
                    ),
                )
                for form in sendable
            ],
        )
        for kind in types
    ]
    valid = request.method == "POST" and all(each.is_valid() for _, row in table for _, each in row)
    if valid:
        for kind, row in table:
            wanted = []
            for form, each in row:
                sent, hours = each.chosen()
                if sent:
                    wanted.append(Assignment(form.pk, hours))
            form_assignments_save(appointment_type=kind, wanted=wanted, user=user)
        messages.success(request, "Saved.")
        return redirect("questionnaires:assignments")
    return render(
        request,
        "questionnaires/assignments.html",
        {"table": table, "forms": sendable},
        status=400 if request.method == "POST" else 200,
    )
