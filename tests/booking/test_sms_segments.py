"""How long a text message is, as a phone network counts it, and which Markdown links are
allowed on patient pages. Pure functions: no database."""

import pytest

from slotlink.lib.richtext import insecure_links, markdown_links
from slotlink.lib.sms import is_gsm7, sms_length, sms_template_length, unknown_placeholders


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),  # 2 × 153
        ("a" * 307, "GSM-7", 307, 3),
        ("a" * 459, "GSM-7", 459, 3),
        ("a" * 460, "GSM-7", 460, 4),
        ("é£¥ÄÖÑÜäöñüà@$_" * 10, "GSM-7", 150, 1),  # all in the basic alphabet
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 162, 2),
        ("[]{}^~|\\", "GSM-7", 16, 1),
        ("ë" * 70, "UCS-2", 70, 1),
        ("ë" * 71, "UCS-2", 71, 2),
        ("ë" * 134, "UCS-2", 134, 2),  # 2 × 67
        ("ë" * 135, "UCS-2", 135, 3),
        ("’" + "a" * 69, "UCS-2", 70, 1),  # one curly quote turns the whole text UCS-2
        ("😀" * 35, "UCS-2", 70, 1),  # beyond the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_sms_length_counts_units_and_parts_like_a_phone_network(
    text: str, encoding: str, units: int, segments: int
) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_gsm7_knows_its_alphabet() -> None:
    assert is_gsm7("Hello, you can book: https://x.example/b/abc_DEF-123 until Monday.")
    assert not is_gsm7("Zoë")
    assert not is_gsm7("\x1b")  # the escape character itself is not text


def test_summary_reads_naturally() -> None:
    assert sms_length("hi").summary == "2 characters (GSM-7) · 1 text message"
    assert sms_length("x" * 200).summary == "200 characters (GSM-7) · 2 text messages"


def test_template_length_measures_with_a_real_length_link_and_the_longest_date() -> None:
    length = sms_template_length(
        "{link} {expiry_date}", service_name="S", base_url="https://book.example.nhs.uk"
    )
    link = len("https://book.example.nhs.uk/b/") + 43
    assert length.units == link + 1 + len("Wednesday 30 September")


def test_unknown_placeholders_are_listed_once_each_in_order() -> None:
    assert unknown_placeholders("{b} {a} {b} {first_name} {link}") == ["a", "b"]
    assert unknown_placeholders("{first_name} {service_name} {link} {expiry_date}") == []


def test_markdown_links_include_autolinks_and_reference_links() -> None:
    source = "[a](https://a.example) <https://b.example>\n\n[c][ref]\n\n[ref]: https://c.example"
    assert markdown_links(source) == [
        "https://a.example",
        "https://b.example",
        "https://c.example",
    ]


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("[ok](https://www.example.com)", []),
        ("[call](tel:01134960500) [mail](mailto:help@example.com)", []),
        ("[plain](http://www.example.com)", ["http://www.example.com"]),
        ("<http://auto.example>", ["http://auto.example"]),
        ("[ftp](ftp://files.example)", ["ftp://files.example"]),
        ("[relative](/somewhere)", ["/somewhere"]),
        ("[shout](HTTPS://LOUD.EXAMPLE)", []),
        ("Just text, http://not-a-link.example", []),  # not a link: shown as text only
    ],
)
def test_insecure_links_are_those_not_to_https_phone_or_email(source: str, bad: list[str]) -> None:
    assert insecure_links(source) == bad
