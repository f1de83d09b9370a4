"""What a rule's summary gives the templates that show it."""

import pytest
from django.template import base as template_base
from django.template.loader import render_to_string

from slotlink.portal.presenters import RuleSummary
from tests.factories import BroadcastRuleFactory


def test_the_appointment_rows_find_every_attribute_a_rules_summary_is_asked_for(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup the template finds missing costs it a dir() of the object, on the welcome and
    review pages of every booking."""
    looked_in: list[object] = []

    def spy(thing: object) -> list[str]:
        looked_in.append(thing)
        return dir(thing)

    monkeypatch.setattr(template_base, "dir", spy, raising=False)
    summary = RuleSummary.of(BroadcastRuleFactory(location="Room 4"))

    rows = render_to_string("booking/rules/_appointment_rows.html", {"about": summary})

    assert "Room 4" in rows and "With" not in rows
    assert looked_in == []
