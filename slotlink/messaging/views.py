from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Role
from slotlink.formatting import staff_datetime
from slotlink.messaging.models import OutboundMessage
from slotlink.messaging.services import message_body


@staff_required(Role.ADMIN, Role.SUPERUSER)
def outbox(request: HttpRequest) -> HttpResponse:
    """Demo only: the texts the outbox backend 'sent', so a tester can open the links."""
    if not settings.DEMO_MODE:
        raise Http404
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    rows = [
        {
            "at": staff_datetime(m.created_at, zone),
            "to": m.to,
            "kind": m.get_kind_display(),
            "status": m.get_status_display(),
            "body": message_body(m),
        }
        for m in OutboundMessage.objects.filter(service_id=service_id_of(user))[:100]
    ]
    return render(request, "messaging/outbox.html", {"messages_out": rows})
