"""Bulk invitations, for admins and superusers: upload a CSV of NHS numbers or tick patients
in a search, check the preview, confirm, and watch the links go out."""

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from slotlink.booking.invitations.forms import NOBODY_TICKED, BulkSelectionForm, BulkUploadForm
from slotlink.booking.invitations.imports import MAX_BYTES, read_nhs_numbers
from slotlink.booking.invitations.presenters import (
    BulkListRow,
    BulkProgress,
    BulkRowView,
    FindingCount,
)
from slotlink.booking.invitations.selectors import (
    bulk_finding_counts,
    bulk_invitations_for,
    bulk_result_counts,
    bulk_rows,
)
from slotlink.booking.invitations.services import (
    bulk_invitation_confirm,
    bulk_invitation_discard,
    bulk_invitation_prepare_selection,
    bulk_invitation_prepare_upload,
)
from slotlink.booking.links.selectors import rules_for
from slotlink.booking.links.services import BookingError
from slotlink.booking.models import BulkFinding, BulkInvitation, BulkResult, BulkStatus
from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Role
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.csvfiles import CsvFileError
from slotlink.lib.formatting import staff_datetime
from slotlink.lib.htmx import HtmxHttpRequest

admins = staff_required(Role.ADMIN, Role.SUPERUSER)
ROWS_PER_PAGE = 500


def _list_page(request: HttpRequest, form: BulkUploadForm, status: int = 200) -> HttpResponse:
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    recent = bulk_invitations_for(user)[:20]
    return render(
        request,
        "booking/bulk/list.html",
        {"form": form, "recent": [BulkListRow.of(b, user.service.zone) for b in recent]},
        status=status,
    )


@require_GET
@admins
def bulk_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, BulkUploadForm(rules=rules_for(service_id_of(staff_user(request)))))


@require_POST
@retry_on_contention
@admins
def bulk_upload(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = BulkUploadForm(request.POST, request.FILES, rules=rules_for(service_id_of(user)))
    if not form.is_valid():
        return _list_page(request, form, status=400)
    upload: UploadedFile = form.cleaned_data["file"]
    try:
        if upload.size is not None and upload.size > MAX_BYTES:
            raise CsvFileError("The file is larger than 2 MB. Split it into smaller files.")
        entries = read_nhs_numbers(upload.read(MAX_BYTES + 1))
    except CsvFileError as error:
        form.add_error("file", str(error))
        return _list_page(request, form, status=400)
    invitation, fresh = bulk_invitation_prepare_upload(
        user=user,
        rule=form.cleaned_data["rule"],
        entries=entries,
        file_name=upload.name or "",
    )
    return _to_invitation(request, invitation, fresh)


@require_POST
@retry_on_contention
@admins
def bulk_selection(request: HttpRequest) -> HttpResponse:
    """From the ticked rows of a patient search: ask which rule, then preview."""
    user = staff_user(request)
    form = BulkSelectionForm(request.POST, rules=rules_for(service_id_of(user)))
    if not form.is_valid():
        if form.has_error("patient"):
            messages.error(request, NOBODY_TICKED)
            return redirect("clinic:patient_search")
        patient_ids = form.cleaned_data["patient"]
        choosing = form.choosing
        if choosing:
            form = BulkSelectionForm(rules=rules_for(service_id_of(user)))
        return render(
            request,
            "booking/bulk/choose_rule.html",
            {"form": form, "patient_ids": patient_ids},
            status=200 if choosing else 400,
        )
    invitation, fresh = bulk_invitation_prepare_selection(
        user=user, rule=form.cleaned_data["rule"], patient_ids=form.cleaned_data["patient"]
    )
    return _to_invitation(request, invitation, fresh)


def _to_invitation(request: HttpRequest, invitation: BulkInvitation, fresh: bool) -> HttpResponse:
    if not fresh:
        zone = invitation.service.zone
        messages.info(
            request,
            f"This list was already sent for {invitation.rule.title} "
            f"(confirmed {staff_datetime(invitation.confirmed_at or invitation.created_at, zone)})."
            " Nothing has been sent again.",
        )
    return redirect("booking:bulk_detail", pk=invitation.pk)


def _progress(invitation: BulkInvitation) -> BulkProgress:
    findings = bulk_finding_counts(invitation)
    return BulkProgress.of(invitation, bulk_result_counts(invitation), findings["ready"])


@require_GET
@admins
def bulk_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(bulk_invitations_for(staff_user(request)), pk=pk)
    progress = _progress(invitation)
    if request.htmx:
        response = render(request, "booking/bulk/_progress.html", {"progress": progress})
        if progress.finished:
            # Finished while the page polled: load it again for the final table of results.
            response["HX-Refresh"] = "true"
        return response
    rows = bulk_rows(invitation)
    only_problems = request.GET.get("only") == "problems"
    if only_problems:
        rows = rows.filter(~Q(finding=BulkFinding.READY) | Q(result=BulkResult.SKIPPED))
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    findings = bulk_finding_counts(invitation)
    return render(
        request,
        "booking/bulk/detail.html",
        {
            "invitation": BulkListRow.of(invitation, invitation.service.zone),
            "progress": progress,
            "findings": [
                FindingCount(label=f.label, finding=f.value, count=findings[f.value])
                for f in BulkFinding
                if findings[f.value]
            ],
            "rows": [BulkRowView.of(row) for row in page.object_list],
            "page": page,
            "only_problems": only_problems,
            "refresh": not progress.finished and not progress.previewing,
        },
    )


@require_POST
@retry_on_contention
@admins
def bulk_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    invitation = get_object_or_404(bulk_invitations_for(user), pk=pk)
    try:
        started = bulk_invitation_confirm(invitation=invitation, user=user)
    except BookingError as error:
        messages.error(request, str(error))
        return redirect("booking:bulk_detail", pk=pk)
    if started:
        messages.success(request, "Sending has started. This page shows how it is going.")
    else:
        messages.info(request, "This list had already been confirmed; nothing was sent again.")
    return redirect("booking:bulk_detail", pk=pk)


@require_POST
@retry_on_contention
@admins
def bulk_discard(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        bulk_invitations_for(staff_user(request)), pk=pk, status=BulkStatus.PREVIEW
    )
    if bulk_invitation_discard(invitation=invitation):
        messages.success(request, "The list was discarded. Nothing was sent.")
    else:
        messages.info(request, "That list had already been confirmed.")
    return redirect("booking:bulk_list")
