from django_tasks import task

from slotlink.messaging.services import messages_send_due


@task()
def send_due_messages() -> None:
    messages_send_due()
