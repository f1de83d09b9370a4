from django_tasks import task

from slotlink.audit.retention import retention_apply


@task()
def apply_retention() -> None:
    retention_apply()
