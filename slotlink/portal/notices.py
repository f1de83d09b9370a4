"""The notices every patient page links to: accessibility statement, privacy notice, cookies,
contact and feedback. A service writes its own, in English and Welsh; where it has not,
Slotlink's own wording (templates/portal/help/) is shown, in the patient's language."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from slotlink.clinic.models import Service
from slotlink.lib.language import Localised, localised
from slotlink.lib.richtext import render_markdown


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: Promise
    lasts: Promise


def cookies_set() -> list[Cookie]:
    """Every cookie a patient's browser can get from Slotlink, each strictly necessary (a
    test walks the patient journeys and fails on any cookie not listed here)."""
    return [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            _("Keeps you signed in to this booking or appointment, and nobody else."),
            _("Until you close your browser, or soon after you stop using these pages"),
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            _("Stops other websites sending forms in your name."),
            _("Up to a year (it holds nothing about you)"),
        ),
        Cookie(
            settings.LANGUAGE_COOKIE_NAME,
            _("Remembers whether you read these pages in English or Welsh."),
            _("Until you close your browser"),
        ),
    ]


@dataclass(frozen=True)
class Notice:
    """A service's own text for a notice, or nothing (the page then shows the default)."""

    own: Localised

    @property
    def html(self) -> SafeString:
        return render_markdown(self.own.text)

    @property
    def lang(self) -> str:
        return self.own.lang


def accessibility_notice(service: Service | None) -> Notice:
    if service is None:
        return Notice(Localised(""))
    return Notice(localised(service.accessibility_statement, service.accessibility_statement_cy))


def privacy_notice(service: Service | None) -> Notice:
    if service is None:
        return Notice(Localised(""))
    return Notice(localised(service.privacy_notice, service.privacy_notice_cy))


def cookie_notice(service: Service | None) -> Notice:
    if service is None:
        return Notice(Localised(""))
    return Notice(localised(service.cookie_statement, service.cookie_statement_cy))
