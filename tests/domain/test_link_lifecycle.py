"""The booking-link life cycle as DOMAIN.md draws it, checked without a database."""

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from slotlink.domain.link_lifecycle import (
    LIVE,
    TRANSITIONS,
    USED,
    LinkAction,
    LinkStatus,
    TransitionNotAllowed,
    can,
    effective_status,
    next_status,
    sources_of,
)

S = LinkStatus
A = LinkAction

# Written out from the diagram in DOMAIN.md, independently of the module's own table.
EXPECTED = {
    (S.SENT, A.OPEN): S.ACCESSED,
    (S.SENT, A.BOOK): S.BOOKED,
    (S.ACCESSED, A.BOOK): S.BOOKED,
    (S.BOOKED, A.RESCHEDULE): S.RESCHEDULED,
    (S.RESCHEDULED, A.RESCHEDULE): S.RESCHEDULED,
    (S.SENT, A.EXPIRE): S.EXPIRED,
    (S.ACCESSED, A.EXPIRE): S.EXPIRED,
    (S.SENT, A.DELETE): S.DELETED,
    (S.ACCESSED, A.DELETE): S.DELETED,
    (S.BOOKED, A.DELETE): S.DELETED,
    (S.RESCHEDULED, A.DELETE): S.DELETED,
}
FORBIDDEN = [pair for pair in product(S, A) if pair not in EXPECTED]
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_the_transition_table_is_exactly_the_one_in_domain_md() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(EXPECTED))
def test_allowed_transition_goes_to_the_documented_status(
    status: LinkStatus, action: LinkAction
) -> None:
    assert can(status, action)
    assert next_status(status, action) == EXPECTED[(status, action)]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_forbidden_transition_raises_and_names_the_status_and_action(
    status: LinkStatus, action: LinkAction
) -> None:
    assert not can(status, action)
    with pytest.raises(TransitionNotAllowed) as raised:
        next_status(status, action)
    assert raised.value.status == status
    assert raised.value.action == action
    assert str(status) in str(raised.value) and str(action) in str(raised.value)


@pytest.mark.parametrize("terminal", [S.EXPIRED, S.DELETED])
def test_expired_and_deleted_links_allow_no_action_at_all(terminal: LinkStatus) -> None:
    assert not any(can(terminal, action) for action in A)


def test_opening_an_accessed_link_again_is_not_a_transition() -> None:
    # Later opens change nothing: the service must not record them as status changes.
    assert not can(S.ACCESSED, A.OPEN)


def test_only_sent_and_accessed_links_are_live_and_only_booked_or_rescheduled_are_used() -> None:
    assert frozenset({S.SENT, S.ACCESSED}) == LIVE
    assert frozenset({S.BOOKED, S.RESCHEDULED}) == USED
    assert not LIVE & USED


def test_only_live_links_can_book() -> None:
    assert sources_of(A.BOOK) == LIVE


@pytest.mark.parametrize("action", list(A))
def test_sources_of_an_action_are_every_status_it_is_allowed_from(action: LinkAction) -> None:
    assert sources_of(action) == {status for status in S if (status, action) in EXPECTED}


@pytest.mark.parametrize("status", sorted(LIVE))
def test_a_live_link_past_its_expiry_reads_as_expired(status: LinkStatus) -> None:
    assert effective_status(status, NOW, NOW) == S.EXPIRED
    assert effective_status(status, NOW, NOW + timedelta(days=30)) == S.EXPIRED


@pytest.mark.parametrize("status", sorted(LIVE))
def test_a_live_link_before_its_expiry_keeps_its_status(status: LinkStatus) -> None:
    assert effective_status(status, NOW, NOW - timedelta(microseconds=1)) == status


@pytest.mark.parametrize("status", sorted(USED | {S.EXPIRED, S.DELETED}))
def test_a_link_that_is_not_live_keeps_its_status_past_expiry(status: LinkStatus) -> None:
    assert effective_status(status, NOW, NOW + timedelta(days=365)) == status


class LinkLifeCycle(RuleBasedStateMachine):
    """Random sequences of patient, staff and clock events on one link. Callers act on what the
    link effectively is now (a live link past its validity can no longer open or book, as the
    services check), and a sweep records the expiry of overdue live links. Each step notes what
    the link looked like before it, so the invariants can check the move the step made."""

    @initialize(valid_days=st.integers(min_value=1, max_value=60))
    def send(self, valid_days: int) -> None:
        self.status = S.SENT
        self.now = NOW
        self.expires_at = NOW + timedelta(days=valid_days)
        self.bookings = 0
        self.previous = S.SENT

    def _effective(self) -> LinkStatus:
        return effective_status(self.status, self.expires_at, self.now)

    @rule(action=st.sampled_from(list(A)))
    def act(self, action: LinkAction) -> None:
        self.previous = seen = self._effective()
        if can(seen, action):
            self.status = next_status(seen, action)
            if action == A.BOOK:
                self.bookings += 1
        else:
            with pytest.raises(TransitionNotAllowed):
                next_status(seen, action)

    @rule(hours=st.integers(min_value=0, max_value=24 * 40))
    def time_passes(self, hours: int) -> None:
        self.previous = self._effective()
        self.now += timedelta(hours=hours)

    @rule()
    def overdue_sweep(self) -> None:
        self.previous = self._effective()
        if self.status in LIVE and self.now >= self.expires_at:
            self.status = next_status(self.status, A.EXPIRE)

    @invariant()
    def a_link_books_at_most_once(self) -> None:
        assert self.bookings <= 1

    @invariant()
    def expired_and_deleted_are_terminal(self) -> None:
        if self.previous in {S.EXPIRED, S.DELETED}:
            assert self._effective() == self.previous

    @invariant()
    def booked_and_rescheduled_only_move_to_rescheduled_or_deleted(self) -> None:
        if self.previous in USED:
            assert self._effective() in {self.previous, S.RESCHEDULED, S.DELETED}

    @invariant()
    def a_used_link_has_been_booked_exactly_once(self) -> None:
        if self._effective() in USED:
            assert self.bookings == 1


LinkLifeCycle.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
test_link_life_cycle_keeps_domain_invariants_over_random_actions = LinkLifeCycle.TestCase
