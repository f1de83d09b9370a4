"""Which weeks a working pattern that repeats every n weeks applies in. The one rule, asked by
both the slot engine and the diary, so the booking pages and the diary cannot disagree.

Weeks count from the Monday of the week holding the pattern's first day (its effective_from):
that week is a working week, and so is every n-th week after it. Days are date ordinals, as
the engine uses them."""


def monday_of(day: int) -> int:
    return day - (day + 6) % 7  # ordinal 1 (1 January of year 1) was a Monday


def in_working_week(day: int, effective_from: int, every_weeks: int) -> bool:
    return ((monday_of(day) - monday_of(effective_from)) // 7) % every_weeks == 0


def first_working_day(on_or_after: int, weekday: int, effective_from: int, every_weeks: int) -> int:
    """The first day on or after `on_or_after` that falls on `weekday` (0 = Monday) in a
    working week; the next ones follow every `every_weeks` weeks."""
    day = on_or_after + (weekday - (on_or_after + 6) % 7) % 7
    weeks_off = (monday_of(day) - monday_of(effective_from)) // 7 % every_weeks
    return day + 7 * (-weeks_off % every_weeks)


def works_on(
    day: int, weekday: int, effective_from: int, effective_to: int | None, every_weeks: int
) -> bool:
    """Whether a pattern (weekday 0 = Monday, in effect from/to those days inclusive, every
    n weeks) gives a shift on `day`: what the diary shows, and the days the engine expands."""
    if (day + 6) % 7 != weekday or day < effective_from:
        return False
    if effective_to is not None and day > effective_to:
        return False
    return in_working_week(day, effective_from, every_weeks)
