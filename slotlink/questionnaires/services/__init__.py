"""Writes of the questionnaires app; what other apps call is named here."""

from slotlink.questionnaires.services.answering import (
    FormClosed,
    form_answer_save,
    form_link_find,
    form_link_open,
    form_link_usable,
    form_request_start,
    form_request_submit,
    loaded_answers,
    risk_alert_raise,
)
from slotlink.questionnaires.services.forms import (
    Assignment,
    builtin_forms_ensure,
    crisis_information_save,
    form_active_set,
    form_assignments_save,
    form_current_version,
    form_save,
    version_definition,
)
from slotlink.questionnaires.services.sending import (
    appointment_forms_send,
    form_link_url,
    form_links_remind,
    form_requests_expire,
    form_requests_withdraw,
    form_requests_withdraw_cancelled,
    questionnaires_sweep,
)

__all__ = [
    "Assignment",
    "FormClosed",
    "appointment_forms_send",
    "builtin_forms_ensure",
    "crisis_information_save",
    "form_active_set",
    "form_answer_save",
    "form_assignments_save",
    "form_current_version",
    "form_link_find",
    "form_link_open",
    "form_link_url",
    "form_link_usable",
    "form_links_remind",
    "form_request_start",
    "form_request_submit",
    "form_requests_expire",
    "form_requests_withdraw",
    "form_requests_withdraw_cancelled",
    "form_save",
    "loaded_answers",
    "questionnaires_sweep",
    "risk_alert_raise",
    "version_definition",
]
