"""The appointment life cycle's table, explored by Hypothesis as a state machine."""

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from slotlink.clinic.models import TIME_HOLDING as CLINIC_TIME_HOLDING
from slotlink.clinic.models import AppointmentStatus
from slotlink.domain.appointment_lifecycle import (
    TIME_HOLDING,
    TRANSITIONS,
    Status,
    StatusChangeNotAllowed,
    appointment_status_change,
    can_change,
)


def test_the_domain_and_the_model_name_the_same_statuses() -> None:
    assert {s.value for s in Status} == set(AppointmentStatus.values)
    assert {str(s) for s in TIME_HOLDING} == {str(s) for s in CLINIC_TIME_HOLDING}


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize("to", [Status.ATTENDED, Status.DNA])
def test_a_cancelled_appointment_is_not_marked_attended_or_missed(to: Status) -> None:
    with pytest.raises(StatusChangeNotAllowed, match="must be booked again"):
        appointment_status_change(Status.CANCELLED, to)


def test_the_models_choices_pass_straight_in_and_come_back_as_they_went() -> None:
    after = appointment_status_change(AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)
    assert after is AppointmentStatus.CANCELLED


class Appointment(RuleBasedStateMachine):
    """One appointment, changed at random: allowed changes happen, refused ones change
    nothing, and attended or DNA never directly follows cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.status = Status.BOOKED
        self.history = [Status.BOOKED]

    @rule(to=st.sampled_from(Status))
    def change(self, to: Status) -> None:
        before = self.status
        try:
            self.status = appointment_status_change(self.status, to)
        except StatusChangeNotAllowed:
            assert not can_change(before, to)
            assert self.status == before
        else:
            assert can_change(before, to)
            self.history.append(self.status)

    @precondition(lambda self: self.status == Status.CANCELLED)
    @rule()
    def rebook(self) -> None:
        self.status = appointment_status_change(self.status, Status.BOOKED)
        self.history.append(self.status)

    @invariant()
    def never_seen_after_cancelled_without_rebooking(self) -> None:
        for earlier, later in zip(self.history, self.history[1:], strict=False):
            if earlier == Status.CANCELLED:
                assert later in (Status.CANCELLED, Status.BOOKED)

    @invariant()
    def cancelled_can_always_come_back(self) -> None:
        assert can_change(self.status, Status.BOOKED)


TestAppointmentLifeCycle = Appointment.TestCase
