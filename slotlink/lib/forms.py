"""Small forms that several apps' pages share."""

from django import forms


class PreviewButtonForm(forms.Form):
    """Which button sent a form that shows what it would give before it is saved: the one
    named action with the value preview, or any other (which saves)."""

    action = forms.CharField(required=False)

    @property
    def previewing(self) -> bool:
        return self.is_valid() and self.cleaned_data["action"] == "preview"
