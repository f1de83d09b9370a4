from django.db import models
from django_tasks_db.models import DBTaskResult


class PeriodicJob(models.Model):
    """Something workers do again and again, with no loop of its own: each run queues the next
    one (see slotlink.ops.services). One row per job, locked while its next run is chosen, so
    however many workers or restarts there are, a job has at most one run waiting."""

    name = models.CharField(primary_key=True, max_length=40)
    # The queued task that is the job's next run; any other queued run of the job does nothing.
    next_run = models.OneToOneField(
        DBTaskResult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When a worker last began a run: the heartbeat /readyz reads.
    last_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
