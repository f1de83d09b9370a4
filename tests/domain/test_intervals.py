"""The interval algebra agrees with plain set arithmetic on the integers it covers."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from slotlink.domain.intervals import Interval, intersect, normalise, subtract, union

raw_intervals = st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), max_size=12)
normalised = raw_intervals.map(normalise)


def points(intervals: list[Interval]) -> set[int]:
    return {x for start, end in intervals for x in range(start, end)}


def is_normalised(intervals: list[Interval]) -> bool:
    pairs_ok = all(start < end for start, end in intervals)
    gaps_ok = all(left[1] < right[0] for left, right in pairwise(intervals))
    return pairs_ok and gaps_ok


@given(raw_intervals)
def test_normalise_keeps_the_covered_points_and_yields_sorted_disjoint_non_touching_intervals(
    raw: list[Interval],
) -> None:
    result = normalise(raw)
    assert points(result) == points(raw)
    assert is_normalised(result)


def test_normalise_merges_touching_intervals_and_drops_empty_and_reversed_ones() -> None:
    assert normalise([(5, 7), (1, 3), (3, 5), (9, 9), (12, 10)]) == [(1, 7)]


@given(normalised, normalised)
def test_union_is_set_union(a: list[Interval], b: list[Interval]) -> None:
    result = union(a, b)
    assert points(result) == points(a) | points(b)
    assert is_normalised(result)


@given(normalised, normalised)
def test_intersect_is_set_intersection(a: list[Interval], b: list[Interval]) -> None:
    result = intersect(a, b)
    assert points(result) == points(a) & points(b)
    assert is_normalised(result)


@given(normalised, normalised)
def test_subtract_is_set_difference(a: list[Interval], b: list[Interval]) -> None:
    result = subtract(a, b)
    assert points(result) == points(a) - points(b)
    assert is_normalised(result)


def test_operations_on_empty_lists_return_empty_or_the_other_operand() -> None:
    assert union([], [(1, 2)]) == [(1, 2)]
    assert intersect([], [(1, 2)]) == []
    assert subtract([(1, 2)], []) == [(1, 2)]
    assert subtract([], [(1, 2)]) == []


def test_subtract_splits_an_interval_around_a_hole() -> None:
    assert subtract([(0, 10)], [(3, 4), (6, 8)]) == [(0, 3), (4, 6), (8, 10)]
