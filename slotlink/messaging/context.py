from collections.abc import Callable

from django.http import HttpRequest

from slotlink.clinic.models import InternalMessage


def unread_messages(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """The unread count beside "Messages" in the staff top bar. A callable, which templates
    call only when they show it, so pages without the top bar pay no query."""
    user = getattr(request, "user", None)

    def count() -> int:
        if user is None or not user.is_authenticated:
            return 0
        return InternalMessage.objects.filter(recipient=user, read_at__isnull=True).count()

    return {"unread_messages": count}
