"""Small forms that several apps' pages share, and the words their fields' errors use."""

from django import forms


def one_message(text: str) -> dict[str, str]:
    """A field's error messages, all `text`: left empty or sent what it cannot read (a date
    that is no date, a choice no longer offered), the same words say how to fix it."""
    return {"required": text, "invalid": text, "invalid_choice": text}


class PreviewButtonForm(forms.Form):
    """Which button sent a form that shows what it would give before it is saved: the one
    named action with the value preview, or any other (which saves)."""

    action = forms.CharField(required=False)

    @property
    def previewing(self) -> bool:
        return self.is_valid() and self.cleaned_data["action"] == "preview"
