"""Onboarding in bulk, for admins and superusers: upload a CSV file of therapists (with their
weekly shifts) or of patients, read the preview row by row, then import all of it or nothing."""

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.forms.setup import ImportConfirmForm, ImportUploadForm
from slotlink.clinic.models import Role, Service
from slotlink.clinic.onboarding import (
    COLUMNS,
    EXAMPLES,
    MAX_BYTES,
    MAX_ROWS,
    PATIENTS,
    THERAPISTS,
    read_csv,
)
from slotlink.clinic.presenters import ImportRowView
from slotlink.clinic.services.onboarding import Checked, onboarding_check, onboarding_import
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.csvfiles import CsvFileError, csv_text

admins = staff_required(Role.ADMIN, Role.SUPERUSER)
_TITLES = {THERAPISTS: "therapists and their shifts", PATIENTS: "patients"}


def _kind(kind: str) -> str:
    if kind not in COLUMNS:
        raise Http404
    return kind


def _start(
    request: HttpRequest,
    kind: str = "",
    form: ImportUploadForm | None = None,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    return render(
        request,
        "clinic/setup/import.html",
        {
            "kinds": [
                {
                    "kind": k,
                    "title": _TITLES[k],
                    "columns": [c.heading for c in COLUMNS[k]],
                    "required": [c.heading for c in COLUMNS[k] if c.required],
                    "form": form if k == kind and form is not None else ImportUploadForm(prefix=k),
                    "problem": problem if k == kind else "",
                }
                for k in (THERAPISTS, PATIENTS)
            ],
            "max_rows": MAX_ROWS,
            "section": "import",
        },
        status=status,
    )


@require_GET
@admins
def import_start(request: HttpRequest) -> HttpResponse:
    return _start(request)


def _service(request: HttpRequest) -> Service:
    service = staff_user(request).service
    assert service is not None  # noqa: S101 - staff_required
    return service


def _result(
    request: HttpRequest, kind: str, checked: Checked, text: str, *, imported: bool
) -> HttpResponse:
    return render(
        request,
        "clinic/setup/import_preview.html",
        {
            "kind": kind,
            "title": _TITLES[kind],
            "headings": [c.heading for c in COLUMNS[kind]],
            "rows": [ImportRowView.of(row, [c.key for c in COLUMNS[kind]]) for row in checked.rows],
            "count": len(checked.rows),
            "problems": checked.problems,
            "warnings": checked.warnings,
            "imported": imported,
            "confirm": ImportConfirmForm(initial={"payload": text}) if not imported else None,
            "section": "import",
        },
        status=400 if checked.problems else 200,
    )


@require_POST
@admins
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    form = ImportUploadForm(request.POST, request.FILES, prefix=kind)
    if not form.is_valid():
        return _start(request, kind, form, status=400)
    upload: UploadedFile = form.cleaned_data["file"]
    try:
        if upload.size is not None and upload.size > MAX_BYTES:
            raise CsvFileError("The file is larger than 1 MB. Split it into smaller files.")
        data = upload.read(MAX_BYTES + 1)
        rows = read_csv(data, kind)
    except CsvFileError as error:
        form.add_error("file", str(error))
        return _start(request, kind, form, status=400)
    checked = onboarding_check(kind=kind, rows=rows, service=_service(request))
    return _result(request, kind, checked, csv_text(data), imported=False)


@require_POST
@retry_on_contention
@admins
def import_confirm(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    form = ImportConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise CsvFileError("The file was not sent. Upload it again.")
        text: str = form.cleaned_data["payload"]
        rows = read_csv(text.encode("utf-8"), kind)
    except CsvFileError as error:
        return _start(request, kind, status=400, problem=str(error))
    checked = onboarding_import(
        kind=kind, rows=rows, service=_service(request), user=staff_user(request)
    )
    return _result(request, kind, checked, text, imported=not checked.problems)


@require_GET
@admins
def import_example(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    response = HttpResponse(EXAMPLES[kind], content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="slotlink-{kind}-example.csv"'
    return response
