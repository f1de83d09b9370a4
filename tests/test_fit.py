"""Text from outside (a provider's reason, a subject) is cut to its model field's length."""

from slotlink.clinic.models import InternalMessage
from slotlink.lib.fields import fit
from slotlink.messaging.models import MessageEvent, OutboundMessage


def test_fit_cuts_text_to_the_fields_max_length() -> None:
    assert fit(OutboundMessage, "error", "x" * 500) == "x" * 300
    assert fit(MessageEvent, "provider_status", "y" * 50) == "y" * 40
    assert fit(InternalMessage, "subject", "z" * 201) == "z" * 200


def test_fit_leaves_short_text_and_unlimited_fields_alone() -> None:
    assert fit(OutboundMessage, "error", "Provider said no") == "Provider said no"
    assert fit(InternalMessage, "body", "b" * 5000) == "b" * 5000
