from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Slotlink: the periodic housekeeping, health and readiness probes, metrics, and
    the commands that start app servers and workers."""

    name = "slotlink.ops"
    label = "ops"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from slotlink.ops.services import count_staff_lockout

        user_locked_out.connect(count_staff_lockout, dispatch_uid="slotlink.ops.staff_lockout")
