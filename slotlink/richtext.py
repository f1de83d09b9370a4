"""Admin-authored content: Markdown in, sanitised HTML out."""

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
        link_rel="noopener noreferrer",
    )


def render_markdown(source: str) -> SafeString:
    # Headings start at h2: the page's own title is the only h1.
    html = _markdown.render(source).replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return mark_safe(sanitise_html(html))  # noqa: S308 - nh3 has just cleaned it
