"""SMS text: placeholder rendering and the length a patient's phone will see."""

import re
from datetime import date

PLACEHOLDERS = {
    "first_name": "The patient's first name",
    "service_name": "The service's name",
    "link": "The booking link",
    "expiry_date": "The last day the link works",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def unknown_placeholders(template: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})


def render_sms(
    template: str, *, first_name: str, service_name: str, link: str, expiry_date: date
) -> str:
    # Deliberately not str.format: an admin-written template must not reach object attributes.
    values = {
        "first_name": first_name,
        "service_name": service_name,
        "link": link,
        "expiry_date": f"{expiry_date:%A} {expiry_date.day} {expiry_date:%B}",
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
