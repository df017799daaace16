import datetime as dt
import hashlib
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import AssessmentItem
from households.forms import DateInput
from visits.models import Visit
from visits.photos import reencode
from visits.sync import CONTENT_FIELDS, coarse

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
                photo = reencode(upload)
            except forms.ValidationError as error:
                errors.append(error)
            else:
                photo.upload_digest = _sha256(upload)  # a photo sent again is known by the bytes it came as
                photos.append(photo)
        if errors:
            raise forms.ValidationError(errors)
        return photos


def _sha256(upload) -> str:
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    return sha.hexdigest()


class DegreesField(forms.DecimalField):
    """Degrees of latitude or longitude at any precision, kept to 3 decimals (about 100 m) before the range check."""

    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return coarse(value)


class PhoneTimeField(forms.DateTimeField):
    """A moment as the phone's clock gave it (ISO 8601 with its offset); refused only when it cannot be stored."""

    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return value.astimezone(dt.UTC) if value is not None else None
        except OverflowError:  # the year 1 or 9999 with an offset that pushes it out of any calendar
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class VisitForm(forms.ModelForm):
    """A visit as the page or the phone sends it: one validation for both (visits:log and visits:sync).

    The hidden fields are the phone's: the village the household had when the visit was
    written (visits:sync refuses a household that moved since), when it was written and
    whether without a connection, and, with the user's consent, a location, kept coarse.
    """

    client_key = forms.UUIDField(widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"), required=False, help_text=_("Up to three JPEG or PNG photos."))
    village = forms.IntegerField(label=_("Village"), required=False, widget=forms.HiddenInput)
    made_at = PhoneTimeField(label=_("Written on the phone at"), required=False)
    offline = forms.BooleanField(label=_("Logged offline"), required=False, widget=forms.HiddenInput)
    latitude = DegreesField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = DegreesField(label=_("Longitude"), required=False, min_value=-180, max_value=180)

    class Meta:
        model = Visit
        fields = list(CONTENT_FIELDS)  # the fields a visit's digest is made of (visits.sync)
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
        # No household: the phone's shell of the form (visits.views_offline), filled in on the phone.
        self.fields["village"].initial = household.village_id if household else None
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
        if (
            "latitude" in cleaned
            and "longitude" in cleaned
            and (cleaned["latitude"] is None) != (cleaned["longitude"] is None)
        ):
            self.add_error(None, _("A location needs both its latitude and its longitude."))
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
        visit.made_at = self.cleaned_data["made_at"]
        visit.offline = self.cleaned_data["offline"]
        visit.latitude, visit.longitude = self.cleaned_data["latitude"], self.cleaned_data["longitude"]
        return visit


RESOLVE_CHOICES = [
    ("", _("Send the visit")),
    ("replace", _("Replace the stored version with the phone's")),
    ("keep", _("Keep the stored version")),
]


class SyncChoiceForm(forms.Form):
    """What the phone asks of visits:sync besides the visit: store it, or settle a conflict under its key."""

    client_key = forms.UUIDField()
    resolve = forms.ChoiceField(choices=RESOLVE_CHOICES, required=False)
    replaces = forms.CharField(max_length=64, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("resolve") == "replace" and not cleaned.get("replaces"):
            self.add_error("replaces", _("Say which stored version the phone's replaces."))
        return cleaned


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
