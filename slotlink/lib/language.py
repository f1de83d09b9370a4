"""The two languages patients read Slotlink in, and how a patient's preference names them.

A patient's record says "en" or "cy" (clinic's Patient.Language); Django's translation names
the same languages "en-gb" and "cy"."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils import translation

ENGLISH = "en-gb"
WELSH = "cy"
LANGUAGES = (ENGLISH, WELSH)
# What <html lang> and lang attributes say for each.
HTML_LANG = {ENGLISH: "en-GB", WELSH: "cy"}


def django_language(preferred: str) -> str:
    """The translation to use for a patient whose record prefers `preferred`."""
    return WELSH if preferred == "cy" else ENGLISH


def current_language() -> str:
    return WELSH if translation.get_language() == WELSH else ENGLISH


def in_welsh() -> bool:
    return current_language() == WELSH


@contextmanager
def language_of(preferred: str) -> Iterator[None]:
    """Texts, emails and calendar files made inside are in the patient's language, wherever
    they are made (a staff request, a worker)."""
    with translation.override(django_language(preferred)):
        yield


@dataclass(frozen=True)
class Localised:
    """A text a service wrote, in the page's language where the service wrote it so, else in
    English; `lang` is then "en-GB", for the element holding it (a Welsh page, English words)."""

    text: str
    lang: str = ""


def localised(english: str, welsh: str) -> Localised:
    if not in_welsh():
        return Localised(english)
    if welsh.strip() or not english.strip():
        return Localised(welsh)
    return Localised(english, HTML_LANG[ENGLISH])
