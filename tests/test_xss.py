"""Admin-written rich text against 148 cross-site scripting attempts (tests/xss_payloads.py):
nothing that could run survives rendering, nor saving through the rule form. A real browser
shows them all on a patient's page and runs none (tests/browser/test_xss.py)."""

import re
from html.parser import HTMLParser

import pytest

from slotlink.booking.rules.forms import BroadcastRuleForm
from slotlink.lib.richtext import clean_markdown_source, render_markdown
from tests.booking.test_rule_admin import rule_form
from tests.conftest import Clinic
from tests.xss_payloads import ALL_PAYLOADS

ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"href", "title", "rel"}
SAFE_SCHEMES = ("https:", "http:", "mailto:", "tel:")


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_harmless(html: str) -> None:
    for tag, attributes in elements(html):
        assert tag in ALLOWED_TAGS, tag
        assert set(attributes) <= ALLOWED_ATTRIBUTES, attributes
        href = attributes.get("href")
        if href is not None:
            # As the browser reads it: entities decoded, whitespace and controls dropped.
            squeezed = re.sub(r"[\x00-\x20]", "", href).lower()
            assert squeezed.startswith(SAFE_SCHEMES), href
    # Read the crude way too: any "<" that opens a tag opens an allowed one. Everything else
    # written (javascript:, onerror=…) is escaped text on the page, not markup.
    for name in re.findall(r"</?\s*([a-zA-Z][^\s/>]*)", html):
        assert name.lower() in ALLOWED_TAGS, name


def test_there_are_well_over_a_hundred_payloads() -> None:
    assert len(set(ALL_PAYLOADS)) >= 100


@pytest.mark.parametrize("payload", ALL_PAYLOADS)
def test_nothing_dangerous_survives_rendering(payload: str) -> None:
    assert_harmless(render_markdown(payload))


def test_nothing_dangerous_survives_rendering_all_of_them_together() -> None:
    html = render_markdown("\n\n".join(ALL_PAYLOADS))
    assert_harmless(html)
    assert len(elements(html)) > 100  # the harmless parts (paragraphs, https links) remain


@pytest.mark.parametrize("payload", ALL_PAYLOADS)
def test_saving_takes_every_tag_out_of_the_source(payload: str) -> None:
    saved = clean_markdown_source(payload)
    # What is left is Markdown: no tag at all, except Markdown's own <https://…> autolinks.
    for tag in re.findall(r"<[^>\s]*", saved):
        assert re.fullmatch(r"<(https?|mailto|tel):\S*", tag, re.I) or tag == "<", (tag, saved)
    assert_harmless(render_markdown(saved))


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("# Welcome\n\n**Bold** and *soft*", "# Welcome\n\n**Bold** and *soft*"),
        ("> A quote & more\n\n- a < b", "> A quote & more\n\n- a < b"),
        ("[guide](https://e.com/?a=1&b=2)", "[guide](https://e.com/?a=1&b=2)"),
        ("See <https://e.com/x>", "See <https://e.com/x>"),
        ("Call <b>now</b>", "Call now"),
        ("Hi<script>x()</script> there", "Hi there"),
    ],
)
def test_saving_leaves_ordinary_markdown_as_written(source: str, kept: str) -> None:
    assert clean_markdown_source(source) == kept


def test_the_rule_form_saves_the_cleaned_text(clinic: Clinic) -> None:
    form = BroadcastRuleForm(
        rule_form(
            clinic,
            welcome_content="Hello <img src=x onerror=alert(1)>**there**<script>x()</script>",
            confirmation_content="&lt;script&gt;alert(1)&lt;/script&gt;See you",
        ),
        service=clinic.service,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["welcome_content"] == "Hello **there**"
    assert form.cleaned_data["confirmation_content"] == "See you"


def test_the_rule_form_still_refuses_insecure_links_after_cleaning(clinic: Clinic) -> None:
    form = BroadcastRuleForm(
        rule_form(clinic, welcome_content="<b>Read</b> [this](http://example.com)"),
        service=clinic.service,
    )
    assert not form.is_valid()
    assert "not secure" in str(form.errors["welcome_content"])
