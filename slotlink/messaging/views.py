from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import InternalMessage, Role
from slotlink.lib.formatting import staff_datetime
from slotlink.messaging.models import MessageStatus, OutboundMessage
from slotlink.messaging.presenters import MessageRow
from slotlink.messaging.services import STUCK_AFTER, internal_message_read, message_retry


@staff_required(Role.ADMIN, Role.SUPERUSER)
def outbox(request: HttpRequest) -> HttpResponse:
    """Messages that need a person's attention (failed, or stuck), then the latest ones. The
    text itself is shown only in demo mode, so a tester can open the links."""
    user = staff_user(request)
    mine = OutboundMessage.objects.filter(service_id=service_id_of(user))
    overdue = timezone.now() - STUCK_AFTER
    attention = mine.filter(
        Q(status=MessageStatus.FAILED)
        | Q(status=MessageStatus.SENDING, claimed_at__lt=overdue)
        | Q(status=MessageStatus.QUEUED, send_after__lt=overdue)
    )[:200]
    zone = user.service.zone if user.service else timezone.get_default_timezone()
    show_text = settings.DEMO_MODE
    return render(
        request,
        "messaging/outbox.html",
        {
            "attention": [MessageRow.of(m, zone, show_text=show_text) for m in attention],
            "recent": [MessageRow.of(m, zone, show_text=show_text) for m in mine[:100]],
            "show_text": show_text,
        },
    )


@require_POST
@staff_required(Role.ADMIN, Role.SUPERUSER)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    message = get_object_or_404(OutboundMessage, pk=pk, service_id=service_id_of(user))
    if message_retry(message=message, user=user):
        messages.success(request, "The message will be sent again.")
    else:
        messages.info(request, "That message is not failed or stuck any more.")
    return redirect("messaging:outbox")


@staff_required()
def inbox(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    zone = user.service.zone if user.service else timezone.get_default_timezone()
    rows = [
        {
            "pk": m.pk,
            "subject": m.subject,
            "at": staff_datetime(m.created_at, zone),
            "unread": m.read_at is None,
        }
        for m in InternalMessage.objects.filter(recipient=user)[:200]
    ]
    return render(request, "messaging/inbox.html", {"rows": rows})


@staff_required()
def inbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    message = get_object_or_404(InternalMessage, pk=pk, recipient=user)
    internal_message_read(message=message)
    zone = user.service.zone if user.service else timezone.get_default_timezone()
    return render(
        request,
        "messaging/inbox_message.html",
        {
            "message": message,
            "at": staff_datetime(message.created_at, zone),
        },
    )
