"""Display strings for questionnaires on the staff record: the history table, completion
state in an appointment's details, and one response's answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slotlink.domain.questionnaires.forms import FormDefinition
from slotlink.lib.formatting import staff_datetime
from slotlink.questionnaires.answer_text import answer_rows
from slotlink.questionnaires.models import FormRequest, RequestStatus
from slotlink.questionnaires.services import loaded_answers

STATUS_CLASS = {
    RequestStatus.SENT: "sent",
    RequestStatus.OPENED: "accessed",
    RequestStatus.COMPLETED: "booked",
    RequestStatus.EXPIRED: "expired",
    RequestStatus.WITHDRAWN: "deleted",
}


def _at(moment: datetime | None, zone: ZoneInfo) -> str:
    return staff_datetime(moment, zone) if moment else "–"


@dataclass(frozen=True)
class RequestRow:
    pk: int
    form: str
    version: int
    status: str
    status_class: str
    sent: str
    opened: str
    finished: str  # completed, expired or withdrawn
    appointment_pk: int
    appointment: str
    score: str
    risk: bool
    completed: bool


def request_row(request: FormRequest, zone: ZoneInfo) -> RequestRow:
    score = ""
    if request.status == RequestStatus.COMPLETED and request.total is not None:
        score = f"{request.total}" + (f" ({request.band})" if request.band else "")
    return RequestRow(
        pk=request.pk,
        form=request.form.name,
        version=request.version.number,
        status=request.get_status_display(),
        status_class=STATUS_CLASS[RequestStatus(request.status)],
        sent=_at(request.created_at, zone),
        opened=_at(request.opened_at or request.link.opened_at, zone),
        finished=_at(request.completed_at or request.ended_at, zone),
        appointment_pk=request.appointment_id,
        appointment=staff_datetime(request.appointment.start, zone),
        score=score,
        risk=request.risk,
        completed=request.status == RequestStatus.COMPLETED,
    )


@dataclass(frozen=True)
class EventRow:
    at: str
    status: str
    by: str
    reason: str


@dataclass(frozen=True)
class ResponseView:
    row: RequestRow
    answers: list[tuple[int, str, str]]
    caseness: str
    events: list[EventRow]


def response_view(request: FormRequest, definition: FormDefinition, zone: ZoneInfo) -> ResponseView:
    answers = loaded_answers(definition, request.answers)
    return ResponseView(
        row=request_row(request, zone),
        answers=[(a.number, a.question, a.answer) for a in answer_rows(definition, answers)],
        caseness=("–" if request.caseness is None else ("Yes" if request.caseness else "No")),
        events=[
            EventRow(
                staff_datetime(e.at, zone), e.get_status_display(), e.by.capitalize(), e.reason
            )
            for e in request.events.all()
        ],
    )
