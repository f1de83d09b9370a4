from django_tasks import TaskContext, task

from slotlink.ops.services import housekeeping_round, housekeeping_take_turn

# Ahead of other waiting tasks: the round is short, and its heartbeat is what /readyz reads.
HOUSEKEEPING_PRIORITY = 50


@task(priority=HOUSEKEEPING_PRIORITY, takes_context=True)
def housekeeping(context: TaskContext) -> None:
    if housekeeping_take_turn(run_id=context.task_result.id):
        housekeeping_round()
