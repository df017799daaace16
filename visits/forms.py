import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import AssessmentItem
from households.forms import DateInput
from visits.models import Visit
from visits.photos import reencode

NOT_CHECKED = ""
MET, NOT_MET = "met", "not_met"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to VISIT_PHOTOS_PER_VISIT JPEG or PNG photos, each re-encoded small (visits.photos).

    The photos are decoded one after the other, each released before the next,
    and every one is tried, so that the visitor learns at once of each photo refused.
    """

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"})

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f]
        if len(files) > settings.VISIT_PHOTOS_PER_VISIT:
            raise forms.ValidationError(
                _("At most %(count)d photos per visit.") % {"count": settings.VISIT_PHOTOS_PER_VISIT}
            )
        photos, errors = [], []
        for upload in files:
            try:
                photos.append(reencode(upload))
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return photos


class VisitForm(forms.ModelForm):
    client_key = forms.UUIDField(widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"), required=False, help_text=_("Up to three JPEG or PNG photos."))

    class Meta:
        model = Visit
        fields = [
            "visited_on",
            "method",
            "met_with",
            "findings",
            "problems_found",
            "problems_solved",
            "policies_explained",
            "income_changes",
            "follow_up",
        ]
        small = {"rows": 2}
        widgets = {
            "visited_on": DateInput(),
            "method": forms.RadioSelect,
            "findings": forms.Textarea(attrs=small),
            "problems_found": forms.Textarea(attrs=small),
            "problems_solved": forms.Textarea(attrs=small),
            "policies_explained": forms.Textarea(attrs=small),
            "income_changes": forms.Textarea(attrs=small),
            "follow_up": forms.Textarea(attrs=small),
        }

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["client_key"].initial = uuid.uuid4()
        for item in AssessmentItem:
            self.fields[f"check_{item.value}"] = forms.ChoiceField(
                label=item.label,
                choices=[(NOT_CHECKED, _("Not checked")), (MET, _("Met")), (NOT_MET, _("Not met"))],
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            )
            self.fields[f"note_{item.value}"] = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        for item in AssessmentItem:
            if cleaned.get(f"check_{item.value}") == NOT_MET and not cleaned.get(f"note_{item.value}", "").strip():
                self.add_error(f"note_{item.value}", _("Say what is wrong when an item is not met."))
        return cleaned

    def verdicts(self) -> dict[str, tuple[bool, str]]:
        """The 2W3G items the visitor checked: item -> (passes, note)."""
        return {
            item.value: (self.cleaned_data[f"check_{item.value}"] == MET, self.cleaned_data[f"note_{item.value}"])
            for item in AssessmentItem
            if self.cleaned_data.get(f"check_{item.value}")
        }

    def item_rows(self):
        return [(item, self[f"check_{item.value}"], self[f"note_{item.value}"]) for item in AssessmentItem]

    def visit(self) -> Visit:
        visit = self.instance
        visit.client_key = self.cleaned_data["client_key"]
        return visit


class HouseholdSearchForm(forms.Form):
    """Which household to log a visit for, typed with one thumb: a name, a whole number or its last digits."""

    LAST_DIGITS = 4

    q = forms.CharField(
        label=_("Which household?"),
        max_length=50,
        help_text=_("The head of household's name or part of it, the household number, or its last 4 digits or more."),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "inputmode": "search",
                "enterkeyhint": "search",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "form-control form-control-lg",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # a first visit opens the keyboard; a list of matches must not hide under it
            self.fields["q"].widget.attrs["autofocus"] = True

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:  # Bootstrap's red border, and the message read out with the field
            attrs = self.fields[field].widget.attrs
            attrs["class"] += " is-invalid"
            attrs["aria-describedby"] = f"{self[field].auto_id}_error {self[field].auto_id}_helptext"

    def clean_q(self) -> str:
        text = " ".join(self.cleaned_data["q"].split())
        if text.replace(" ", "").isdigit():  # "3403 2100 1234", as copied from a paper card
            text = text.replace(" ", "")
        if text.isdigit() and len(text) < self.LAST_DIGITS:
            raise forms.ValidationError(
                _("Type at least the last %(count)d digits of the household number.") % {"count": self.LAST_DIGITS}
            )
        return text
