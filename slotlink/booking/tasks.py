from django_tasks import task

from slotlink.booking.invitations.services import bulk_invitation_process


@task()
def send_bulk_invitation(invitation_id: int) -> None:
    bulk_invitation_process(invitation_id=invitation_id)
