"""Admin-authored content: Markdown in, sanitised HTML out.

Sanitised twice: when it is saved (clean_markdown_source, from the rule form) and whenever it
is rendered (render_markdown), so neither a gap in one nor content that reached the database
some other way can put markup in front of a patient."""

import functools
import html
import re
import secrets

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Raw HTML in the source is escaped, not passed through; nh3 then strips anything left over.
_markdown = MarkdownIt("commonmark", {"html": False})

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "blockquote", "code"}


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"https", "http", "mailto", "tel"},
        # Only whole addresses: a "relative" one is either a slip or an obfuscated scheme.
        url_relative="deny",
        link_rel="noopener noreferrer",
    )


# Rounds of unwrapping before giving up on content that keeps revealing more markup.
_MAX_ROUNDS = 8
# A Markdown autolink: a web, email or phone address in angle brackets, nothing else inside.
_AUTOLINK = re.compile(r"<(?:https?|mailto|tel):[^\s<>\"'`]*>", re.IGNORECASE)


def clean_markdown_source(source: str) -> str:
    """The Markdown as it is saved: every HTML tag, comment and script or style block taken
    out by nh3, the Markdown itself left as written. nh3 escapes what it keeps (`&`, `<`,
    `>`), which Markdown would show literally, so that is undone; and since undoing it could
    reveal markup hidden behind entities (`&lt;script&gt;`), the cleaning repeats until
    nothing changes. Content that never settles is kept fully escaped: shown, never run."""
    # Markdown's own <https://…> links look like tags to nh3: set them aside first, behind a
    # mark nobody can have typed.
    autolinks: list[str] = []
    mark = f"autolink{secrets.token_hex(8)}"

    def set_aside(match: re.Match[str]) -> str:
        autolinks.append(match.group(0))
        return f"{mark}{len(autolinks) - 1}{mark}"

    text = _AUTOLINK.sub(set_aside, source)
    for _ in range(_MAX_ROUNDS):
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    else:
        text = nh3.clean(text, tags=set())
    return re.sub(f"{mark}(\\d+){mark}", lambda m: autolinks[int(m.group(1))], text)


# A pure function of the text, which a service writes once for all its patients: each
# worker keeps the HTML of the latest few hundred texts rather than making it on every page.
@functools.lru_cache(maxsize=256)
def render_markdown(source: str) -> SafeString:
    # Headings start at h2: the page's own title is the only h1.
    html = _markdown.render(source).replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    # nh3 has just cleaned it:
    return mark_safe(sanitise_html(html))  # noqa: S308  # nosec B308, B703


def markdown_links(source: str) -> list[str]:
    """Every link target in the Markdown, as the renderer will write it."""
    targets = []
    for block in _markdown.parse(source):
        for token in block.children or []:
            if token.type == "link_open":
                targets.append(str(token.attrGet("href") or ""))
    return targets


# Web links must be https; phone and email links are not web sites and stay allowed.
_ALLOWED_LINK_PREFIXES = ("https://", "mailto:", "tel:")


def insecure_links(source: str) -> list[str]:
    links = markdown_links(source)
    return [href for href in links if not href.lower().startswith(_ALLOWED_LINK_PREFIXES)]
