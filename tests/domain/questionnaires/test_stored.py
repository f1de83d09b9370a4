"""Storing a definition as JSON and rebuilding it: what the database keeps for each version
must come back as the very form, fingerprint and all, and anything else must fail plainly."""

from __future__ import annotations

import contextlib
import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotlink.domain.questionnaires.forms import (
    DefinitionError,
    FormDefinition,
    Option,
    Question,
    QuestionKind,
    definition_from_json,
    definition_to_json,
)
from slotlink.domain.questionnaires.instruments import GAD7, PHQ9

K = QuestionKind

EVERY_KIND = FormDefinition(
    name="Welcome form",
    intro="Tell us a little about **you**.",
    questions=(
        Question(
            "mood", K.SINGLE_CHOICE, "Mood", options=(Option("a", "Low", 0), Option("b", "OK", 1))
        ),
        Question("meds", K.YES_NO, "Taking medication?"),
        Question("name", K.SHORT_TEXT, "Preferred name", required=False),
        Question("story", K.LONG_TEXT, "Anything else?", required=False),
        Question("hours", K.NUMBER, "Hours of sleep", minimum=0, maximum=24),
        Question(
            "since", K.DATE, "Since when?", earliest=date(2000, 1, 1), latest=date(2030, 1, 1)
        ),
        Question("born", K.DATE, "Born"),
    ),
)


@pytest.mark.parametrize("form", [PHQ9, GAD7, EVERY_KIND], ids=lambda f: f.name)
def test_a_stored_definition_comes_back_as_the_same_form(form: FormDefinition) -> None:
    stored = json.loads(json.dumps(definition_to_json(form)))  # as a JSON column returns it
    rebuilt = definition_from_json(stored)
    assert rebuilt == form
    assert rebuilt.fingerprint == form.fingerprint
    assert rebuilt.name == form.name


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_anything_that_is_not_a_stored_form_raises_only_definition_error(data: object) -> None:
    with contextlib.suppress(DefinitionError):
        definition_from_json(data)


def test_stored_data_that_breaks_a_rule_is_refused_with_the_rule() -> None:
    broken = definition_to_json(GAD7)
    broken["scoring"]["bands"] = broken["scoring"]["bands"][:-1]  # no longer covers 21
    with pytest.raises(DefinitionError, match="bands"):
        definition_from_json(broken)


def test_a_score_that_is_not_a_whole_number_is_refused() -> None:
    broken = definition_to_json(PHQ9)
    broken["questions"][0]["options"][0][2] = True
    with pytest.raises(DefinitionError, match="whole number"):
        definition_from_json(broken)
