"""Interval algebra over sorted, disjoint half-open integer intervals [start, end).

A normalised list is sorted by start, holds no empty intervals, and no two of
its intervals overlap or touch. `union`, `intersect` and `subtract` take and
return normalised lists and run in time linear in their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Interval = tuple[int, int]

__all__ = ["Interval", "intersect", "normalise", "subtract", "union"]


def normalise(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge those that overlap or touch."""
    out: list[Interval] = []
    current_start = current_end = 0
    started = False
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if started and start <= current_end:
            if end > current_end:
                current_end = end
            continue
        if started:
            out.append((current_start, current_end))
        current_start, current_end, started = start, end, True
    if started:
        out.append((current_start, current_end))
    return out


def union(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Everything in a or b."""
    if not a:
        return list(b)
    if not b:
        return list(a)
    # Timsort finds the two sorted runs and merges them once: a linear merge in C.
    return normalise([*a, *b])


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Everything in both a and b."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        a_start, a_end = a[i]
        b_start, b_end = b[j]
        start = a_start if a_start > b_start else b_start
        end = a_end if a_end < b_end else b_end
        if start < end:
            out.append((start, end))
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Everything in a that is not in b."""
    if not b:
        return list(a)
    out: list[Interval] = []
    j = 0
    count = len(b)
    for start, end in a:
        while j < count and b[j][1] <= start:
            j += 1
        k = j
        while k < count:
            cut_start, cut_end = b[k]
            if cut_start >= end:
                break
            if cut_start > start:
                out.append((start, cut_start))
            if cut_end >= end:
                start = end
                break
            start = cut_end
            k += 1
        if start < end:
            out.append((start, end))
    return out
