"""PHQ-9 and GAD-7 as published: wording, answers, scoring at every band boundary, caseness
and the PHQ-9 risk question."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotlink.domain.questionnaires.forms import FormDefinition, QuestionKind
from slotlink.domain.questionnaires.instruments import GAD7, PHQ9, PHQ9_RISK_QUESTION
from slotlink.domain.questionnaires.scoring import score

# Pinned: a change here means every past PHQ-9 or GAD-7 answer would be read under different
# words or scoring. Change the instrument only on purpose, as a new version.
PHQ9_FINGERPRINT = "sha256:5dd8b4beb270ca2603113ae2229818d7e5a1707d26e1da364ba4bef8fe056f8c"
GAD7_FINGERPRINT = "sha256:39d355f143783ead1509e5bef079ef2945fb9dbb1342b4a0ee7d96ebeec86f2a"

ANSWERS = [("0", "Not at all"), ("1", "Several days"), ("2", "More than half the days")]
ANSWERS.append(("3", "Nearly every day"))


def test_the_built_in_instruments_have_not_changed_meaning() -> None:
    assert PHQ9.fingerprint == PHQ9_FINGERPRINT
    assert GAD7.fingerprint == GAD7_FINGERPRINT


@pytest.mark.parametrize("form", [PHQ9, GAD7], ids=["PHQ-9", "GAD-7"])
def test_every_item_is_required_and_offers_the_four_published_answers_scored_0_to_3(
    form: FormDefinition,
) -> None:
    for question in form.questions:
        assert question.kind is QuestionKind.SINGLE_CHOICE and question.required
        assert [(o.key, o.label) for o in question.options] == ANSWERS
        assert [o.score for o in question.options] == [0, 1, 2, 3]


def test_phq9_asks_the_nine_published_items_under_the_published_stem() -> None:
    assert PHQ9.stem == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert [q.key for q in PHQ9.questions] == [f"phq9_{n}" for n in range(1, 10)]
    texts = [q.text for q in PHQ9.questions]
    assert texts[0] == "Little interest or pleasure in doing things"
    assert texts[1] == "Feeling down, depressed, or hopeless"
    assert texts[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert PHQ9.question(PHQ9_RISK_QUESTION) is PHQ9.questions[8]


def test_gad7_asks_the_seven_published_items_under_the_published_stem() -> None:
    assert GAD7.stem == (
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    )
    assert [q.text for q in GAD7.questions] == [
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ]


def answers_totalling(form: FormDefinition, total: int, risk_item: str = "0") -> dict[str, str]:
    """Answers to every item adding up to `total`, the risk item (if any) fixed as given."""
    answers, left = {}, total
    for question in form.questions:
        if question.key == PHQ9_RISK_QUESTION and form is PHQ9:
            answers[question.key] = risk_item
            left -= int(risk_item)
            continue
        item = min(3, left)
        answers[question.key] = str(item)
        left -= item
    assert left == 0, "total not reachable with this risk answer"
    return answers


# Written out from the published scoring, independently of the module's own bands.
PHQ9_BOUNDARIES = [
    (0, "Minimal", False),
    (4, "Minimal", False),
    (5, "Mild", False),
    (9, "Mild", False),
    (10, "Moderate", True),
    (14, "Moderate", True),
    (15, "Moderately severe", True),
    (19, "Moderately severe", True),
    (20, "Severe", True),
    (24, "Severe", True),  # the highest total with item 9 at "Not at all"
]
GAD7_BOUNDARIES = [
    (0, "Minimal", False),
    (4, "Minimal", False),
    (5, "Mild", False),
    (7, "Mild", False),
    (8, "Mild", True),
    (9, "Mild", True),
    (10, "Moderate", True),
    (14, "Moderate", True),
    (15, "Severe", True),
    (21, "Severe", True),
]


@pytest.mark.parametrize(("total", "band", "case"), PHQ9_BOUNDARIES)
def test_phq9_bands_and_caseness_at_every_boundary(total: int, band: str, case: bool) -> None:
    result = score(PHQ9, answers_totalling(PHQ9, total))
    assert (result.complete, result.total, result.band, result.caseness) == (
        True,
        total,
        band,
        case,
    )
    assert result.risk is False


def test_phq9_at_its_highest_total_is_severe_and_flags_risk() -> None:
    result = score(PHQ9, answers_totalling(PHQ9, 27, risk_item="3"))
    assert (result.total, result.band, result.caseness, result.risk) == (27, "Severe", True, True)


@pytest.mark.parametrize(("total", "band", "case"), GAD7_BOUNDARIES)
def test_gad7_bands_and_caseness_at_every_boundary(total: int, band: str, case: bool) -> None:
    result = score(GAD7, answers_totalling(GAD7, total))
    assert (result.complete, result.total, result.band, result.caseness, result.risk) == (
        True,
        total,
        band,
        case,
        False,
    )


@pytest.mark.parametrize(("form", "highest"), [(PHQ9, 27), (GAD7, 21)])
def test_the_bands_partition_every_possible_total(form: FormDefinition, highest: int) -> None:
    assert form.total_range == (0, highest)
    for total in range(highest + 1):
        assert sum(b.low <= total <= b.high for b in form.scoring.bands) == 1


item = st.sampled_from(["0", "1", "2", "3"])


@given(st.lists(item, min_size=9, max_size=9))
def test_any_complete_phq9_scores_within_0_to_27_in_the_band_holding_its_total(
    items: list[str],
) -> None:
    answers = {f"phq9_{n}": answer for n, answer in enumerate(items, start=1)}
    result = score(PHQ9, answers)
    assert result.complete and result.total == sum(int(a) for a in items)
    assert 0 <= result.total <= 27
    band = next(b for b in PHQ9.scoring.bands if b.label == result.band)
    assert band.low <= result.total <= band.high
    assert result.caseness == (result.total >= 10)
    assert result.risk == (items[8] != "0")


@given(st.lists(item, min_size=7, max_size=7))
def test_any_complete_gad7_scores_within_0_to_21_and_never_flags_risk(items: list[str]) -> None:
    result = score(GAD7, {f"gad7_{n}": answer for n, answer in enumerate(items, start=1)})
    assert result.complete and result.total is not None and 0 <= result.total <= 21
    assert result.caseness == (result.total >= 8)
    assert result.risk is False


whatever = st.one_of(
    st.none(),
    item,
    st.text(max_size=5),
    st.integers(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@given(
    st.sampled_from(["1", "2", "3"]),
    st.dictionaries(st.sampled_from([f"phq9_{n}" for n in range(1, 9)]), whatever),
    st.dictionaries(st.text(max_size=10), whatever, max_size=5),
)
def test_phq9_item_9_above_not_at_all_always_flags_risk_whatever_else_is_answered(
    item_9: str, others: dict[str, object], extra: dict[str, object]
) -> None:
    answers = {**extra, **others, PHQ9_RISK_QUESTION: item_9}
    assert score(PHQ9, answers).risk is True


@given(
    st.sampled_from(["0", None, "", "4", "yes", 3, True]),
    st.dictionaries(st.sampled_from([f"phq9_{n}" for n in range(1, 9)]), whatever),
)
def test_phq9_risk_is_not_flagged_unless_item_9_holds_an_answer_above_not_at_all(
    item_9: object, others: dict[str, object]
) -> None:
    assert score(PHQ9, {**others, PHQ9_RISK_QUESTION: item_9}).risk is False


def test_item_9_alone_flags_risk_while_the_score_waits_for_the_rest() -> None:
    result = score(PHQ9, {PHQ9_RISK_QUESTION: "1"})
    assert result.risk is True
    assert result.complete is False
    assert result.missing == tuple(f"phq9_{n}" for n in range(1, 9))
    assert (result.total, result.band, result.caseness) == (None, None, None)
