import logging

from django_tasks import TaskContext, task

from slotlink.ops.services import housekeeping_round, housekeeping_take_turn

logger = logging.getLogger(__name__)

# Ahead of other waiting tasks: the round is short, and its heartbeat is what /readyz reads.
HOUSEKEEPING_PRIORITY = 50


@task(priority=HOUSEKEEPING_PRIORITY, takes_context=True)
def housekeeping(context: TaskContext) -> None:
    if not housekeeping_take_turn(run_id=context.task_result.id):
        return
    report = housekeeping_round()
    if report.expired_links or report.lapsed_holds or report.recovered_messages:
        logger.info(
            "Housekeeping expired %d links, cleared %d lapsed holds, recovered %d messages",
            report.expired_links,
            report.lapsed_holds,
            report.recovered_messages,
        )
