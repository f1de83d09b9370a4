"""Write-side operations on broadcast rules, each recorded as a settings change. A rule that
links were ever sent for is never deleted: its links, their history and their appointments
point at it. It is deactivated instead, which takes it out of staff's dropdown."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.forms.models import model_to_dict

from slotlink.booking.links.services import BookingError
from slotlink.booking.models import BookingLink, BroadcastRule, BulkInvitation
from slotlink.clinic.models import Therapist, User
from slotlink.clinic.settings_services import settings_change_record


class RuleInUse(BookingError):
    pass


def _subject(rule: BroadcastRule) -> str:
    return f"Broadcast rule “{rule.title}”"


@transaction.atomic
def broadcast_rule_save(
    *,
    rule: BroadcastRule,
    therapists: Iterable[Therapist],
    user: User,
    changed: list[str],
    now: datetime | None = None,
) -> BroadcastRule:
    """Create or update a rule (already checked by its form) and the therapists offering it."""
    created = rule.pk is None
    rule.save()
    rule.therapists.set(list(therapists))
    fields = ["created"] if created else changed
    if fields:
        settings_change_record(
            service=rule.service, user=user, subject=_subject(rule), fields=fields, now=now
        )
    return rule


def _copy_title(rule: BroadcastRule) -> str:
    taken = set(
        BroadcastRule.objects.filter(service_id=rule.service_id).values_list("title", flat=True)
    )
    base = f"Copy of {rule.title}"[:190]
    title, n = base, 2
    while title in taken:
        title, n = f"{base} ({n})", n + 1
    return title


@transaction.atomic
def broadcast_rule_duplicate(
    *, rule: BroadcastRule, user: User, now: datetime | None = None
) -> BroadcastRule:
    """A copy to edit, switched off until the superuser has reviewed it."""
    values = model_to_dict(
        rule, exclude=["id", "therapists", "service", "appointment_type", "team"]
    )
    copy = BroadcastRule(
        **values,
        service_id=rule.service_id,
        appointment_type_id=rule.appointment_type_id,
        team_id=rule.team_id,
    )
    copy.title = _copy_title(rule)
    copy.active = False
    copy.save()
    copy.therapists.set(rule.therapists.all())
    settings_change_record(
        service=rule.service,
        user=user,
        subject=_subject(copy),
        fields=[f"duplicated from {rule.title}"],
        now=now,
    )
    return copy


@transaction.atomic
def broadcast_rule_set_active(
    *, rule: BroadcastRule, active: bool, user: User, now: datetime | None = None
) -> bool:
    """Switch a rule on or off; returns whether anything changed. Links already sent keep
    working: deactivating only stops new ones being sent."""
    changed = BroadcastRule.objects.filter(pk=rule.pk).exclude(active=active).update(active=active)
    if changed:
        rule.active = active
        settings_change_record(
            service=rule.service, user=user, subject=_subject(rule), fields=["active"], now=now
        )
    return bool(changed)


@transaction.atomic
def broadcast_rule_delete(*, rule: BroadcastRule, user: User, now: datetime | None = None) -> None:
    """Delete a rule no link was ever sent for (a mistake, or an unused copy)."""
    locked = BroadcastRule.objects.select_for_update().get(pk=rule.pk)
    used = (
        BookingLink.objects.filter(rule=locked).exists()
        or BulkInvitation.objects.filter(rule=locked).exists()
    )
    if used:
        raise RuleInUse(
            "Links have been sent for this rule, so it is kept for their history. "
            "Deactivate it instead."
        )
    settings_change_record(
        service=rule.service, user=user, subject=_subject(rule), fields=["deleted"], now=now
    )
    locked.therapists.clear()
    locked.delete()
