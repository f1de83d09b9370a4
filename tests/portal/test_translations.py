"""The build fails when a patient would meet English on a Welsh page: every translatable
string in the patient templates and in the code has a Welsh translation in the compiled
catalogue, no plain English sits outside {% translate %} in a patient template, and the
committed .mo files are what the .po files compile to."""

import ast
import gettext
import importlib.util
import re
from pathlib import Path

import pytest
from django.template import engines
from django.template.base import Node
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "slotlink" / "templates"
MO = ROOT / "slotlink" / "locale" / "cy" / "LC_MESSAGES" / "django.mo"
# Every template a patient sees, whole or in part.
PATIENT_TEMPLATES = sorted(
    [
        *TEMPLATES.glob("portal/**/*.html"),
        TEMPLATES / "base_patient.html",
        *(
            TEMPLATES / "booking" / "rules" / name
            for name in ("_welcome_body.html", "_booked_body.html", "_appointment_rows.html")
        ),
        *(TEMPLATES / f"{name}.html" for name in ("400", "403", "403_csrf", "404", "500", "busy")),
    ]
)
# Calls that mark a string for translation in the code.
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}
# Words that read the same in both languages, or are not words a patient reads.
SAME_IN_BOTH = {"English", "Cymraeg"}


def welsh() -> gettext.GNUTranslations:
    with MO.open("rb") as file:
        return gettext.GNUTranslations(file)


def translated(catalogue: gettext.GNUTranslations, msgid: str, context: str | None) -> bool:
    key = f"{context}\x04{msgid}" if context else msgid
    found = catalogue._catalog  # type: ignore[attr-defined]
    # A plural message is stored by (msgid, form): its first form stands for it.
    return bool(found.get(key) or found.get((key, 0)))


def template_messages(path: Path) -> list[tuple[str, str | None]]:
    """(msgid, context) of every {% translate %} and {% blocktranslate %} in the template,
    as Django looks them up."""
    template = engines["django"].from_string(path.read_text())  # type: ignore[attr-defined]
    nodes: list[Node] = template.template.nodelist.get_nodes_by_type(Node)
    found = []
    for node in nodes:
        if isinstance(node, TranslateNode):
            literal = node.filter_expression.var.literal
            found.append((literal.replace("%", "%%"), node.message_context))
        elif isinstance(node, BlockTranslateNode):
            msgid, _ = node.render_token_list(node.singular)
            found.append((msgid, node.message_context))
    return found


def code_messages() -> list[tuple[str, str | None, str]]:
    """(msgid, context, where) of every string the code marks for translation."""
    found = []
    for path in sorted((ROOT / "slotlink").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in GETTEXT_CALLS:
                continue
            strings = [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if node.func.id.startswith("pgettext") and len(strings) == 2:
                found.append((strings[1], strings[0], f"{where}:{node.lineno}"))
            elif strings:
                found.append((strings[0], None, f"{where}:{node.lineno}"))
    return found


def test_the_patient_templates_are_all_found() -> None:
    names = {path.name for path in PATIENT_TEMPLATES}
    assert {"base_patient.html", "_footer.html", "welcome.html", "verify.html", "500.html"} <= names
    assert all(path.exists() for path in PATIENT_TEMPLATES)


@pytest.mark.parametrize("path", PATIENT_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_translatable_string_in_a_patient_template_has_welsh(path: Path) -> None:
    catalogue = welsh()
    missing = [
        msgid
        for msgid, context in template_messages(path)
        if not translated(catalogue, msgid, context)
    ]
    assert not missing, f"No Welsh in slotlink/locale for: {missing} (edit the .po, make messages)"


def test_every_string_the_code_marks_has_welsh() -> None:
    catalogue = welsh()
    messages = code_messages()
    assert len(messages) > 40
    missing = [
        where + " " + msgid
        for msgid, context, where in messages
        if not translated(catalogue, msgid, context)
    ]
    assert not missing, missing


def visible_text(source: str) -> str:
    """What a template shows that is not a translated message, a variable or markup."""
    text = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    text = re.sub(r"{%\s*blocktranslate.*?endblocktranslate\s*%}", " ", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    # Attributes a person reads (or hears) stay; the rest of each tag goes.
    spoken = " ".join(re.findall(r'(?:aria-label|alt|title|placeholder)="([^"]*)"', text))
    return re.sub(r"<[^>]*>", " ", text) + " " + spoken


@pytest.mark.parametrize("path", PATIENT_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_patient_template_holds_plain_english(path: Path) -> None:
    words = set(re.findall(r"[A-Za-z][A-Za-z']+", visible_text(path.read_text()))) - SAME_IN_BOTH
    assert not words, f"Put these inside {{% translate %}}: {sorted(words)}"


def test_the_plain_english_check_finds_plain_english() -> None:
    assert re.findall(
        r"[A-Za-z]+", visible_text('<p>Hello {{ name }}</p><a aria-label="Back">')
    ) == ["Hello", "Back"]
    assert (
        visible_text(
            '{% translate "Hello" %}{% blocktranslate %}Hi {{ a }}{% endblocktranslate %}'
        ).strip()
        == ""
    )


def test_the_committed_catalogues_are_what_the_po_files_compile_to() -> None:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    messages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(messages)
    assert messages.catalogues()
    assert messages.main(check=True) == 0, "Run make messages and commit the .mo files"


def test_no_welsh_translation_is_empty_or_fuzzy() -> None:
    po = (MO.with_suffix(".po")).read_text()
    assert "#, fuzzy" not in po
    assert not re.search(r'^msgstr ""\n\n', po, flags=re.M)


def test_the_template_reader_sees_both_kinds_of_tag() -> None:
    messages = template_messages(TEMPLATES / "portal" / "book" / "welcome.html")
    assert ("Continue to book appointment", None) in messages
    rows = template_messages(TEMPLATES / "portal" / "_footer.html")
    assert ("Need help? Call %(name)s on", None) in rows


def test_a_plural_message_counts_as_translated() -> None:
    assert translated(welsh(), "There is %(counter)s question. It takes a few minutes.", None)
    assert not translated(welsh(), "No such message", None)
