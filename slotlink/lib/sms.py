"""SMS text: placeholder rendering, what each provider really sends, and the length a
patient's phone will see."""

import math
import re
from dataclasses import dataclass
from datetime import date

from slotlink.lib.formatting import short_date

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
        "expiry_date": short_date(expiry_date),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# GSM 03.38: the default alphabet phones send at 7 bits a character, and its extension table,
# whose characters are sent as an escape plus the character and so count twice.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# A single message holds 160 GSM-7 characters or 70 UCS-2 ones; a long message is split
# into parts that each give up room to a header saying how they join up.
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MAX_SEGMENTS = 3


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # characters as the network counts them
    segments: int

    @property
    def summary(self) -> str:
        texts = "1 text message" if self.segments == 1 else f"{self.segments} text messages"
        return f"{self.units} characters ({self.encoding}) · {texts}"


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


# GOV.UK Notify rewrites these before sending (notifications-utils' SanitiseSMS), whether or
# not the rest of the text fits GSM-7: typographic punctuation becomes its plain form and
# invisible spacing goes. It changes no letter: Welsh ŵ ŷ â ê î ô û (and ë ï, which GSM-7
# lacks too) stay, and make the text UCS-2.
NOTIFY_REPLACEMENTS = {
    "\u2011": "-",  # non-breaking hyphen
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u2018": "'",
    "\u2019": "'",  # the curly apostrophe every word processor types
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\t": " ",
    "\u180e": "",  # Mongolian vowel separator
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero-width no-break space
    "\u2028": "",  # line separator
    "\u2029": "",  # paragraph separator
}
NOTIFY = "notify"


def sms_as_sent(text: str, provider: str) -> str:
    """The text a provider puts on the network: Notify's rewriting applied; Twilio (and the
    outbox, which sends nothing) take the text exactly as given. Slotlink hands a provider
    this text, so the length meter and the phone agree."""
    if provider != NOTIFY:
        return text
    return "".join(NOTIFY_REPLACEMENTS.get(char, char) for char in text)


def sms_length(text: str, provider: str = "") -> SmsLength:
    """How many characters and messages `text` takes when `provider` sends it (no provider:
    the text as it is). One character outside GSM-7 (an emoji, "ŵ", a curly quote Twilio is
    given) makes the whole text UCS-2, where characters beyond the Basic Multilingual Plane
    take two units."""
    text = sms_as_sent(text, provider)
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsLength(encoding=encoding, units=units, segments=segments)


# Stand-ins for a template's placeholders when measuring it: a longish first name, the
# longest a date can be written, and a link as long as a real one.
SAMPLE_FIRST_NAME = "Alexandrina"
SAMPLE_EXPIRY_DATE = date(2026, 9, 30)  # "Wednesday 30 September"
TOKEN_LENGTH = 43


def sms_template_length(
    template: str, *, service_name: str, base_url: str, provider: str = ""
) -> SmsLength:
    """The length of the text a template makes for a typical patient, as `provider` sends
    it; dates in the active language."""
    text = render_sms(
        template,
        first_name=SAMPLE_FIRST_NAME,
        service_name=service_name,
        link=f"{base_url}/b/{'x' * TOKEN_LENGTH}",
        expiry_date=SAMPLE_EXPIRY_DATE,
    )
    return sms_length(text, provider)
