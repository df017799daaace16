"""Forms of the infrastructure app: a project, its next step, its documents, and the list's filters."""

import pathlib

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import Relation
from households.forms import DateInput
from households.models import Household, Member, Village
from infrastructure.models import Category, DocumentKind, Project, Status, next_status

DOCUMENTS_PER_SAVE = 10
# What a file must start with to be taken for its kind, and the names it may carry.
SIGNATURES = {
    DocumentKind.PDF: (b"%PDF-",),
    DocumentKind.JPEG: (b"\xff\xd8\xff",),
    DocumentKind.PNG: (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {".pdf": DocumentKind.PDF, ".jpg": DocumentKind.JPEG, ".jpeg": DocumentKind.JPEG, ".png": DocumentKind.PNG}


def document_max_bytes() -> int:
    return settings.INFRASTRUCTURE_DOCUMENT_MAX_BYTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """Optional PDF, JPEG or PNG files, each checked by its first bytes and its size; `kind` is set on each."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f]
        if len(files) > DOCUMENTS_PER_SAVE:
            raise forms.ValidationError(_("At most %(count)d files at a time.") % {"count": DOCUMENTS_PER_SAVE})
        errors = []
        for upload in files:
            try:
                upload.kind = _kind_of(upload)
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return files


def _kind_of(upload) -> DocumentKind:
    limit = document_max_bytes()
    if upload.size > limit:
        raise forms.ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": upload.name, "limit": limit // (1024 * 1024)}
        )
    kind = EXTENSIONS.get(pathlib.PurePath(upload.name).suffix.lower())
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if kind is None or not head.startswith(SIGNATURES[kind]):
        raise forms.ValidationError(_("%(name)s is not a PDF, JPEG or PNG file.") % {"name": upload.name})
    return kind


def _household_label(household: Household) -> str:
    heads = getattr(household, "heads", None)
    return f"{household.number} · {heads[0].name}" if heads else household.number


class ProjectForm(forms.ModelForm):
    documents = DocumentsField(
        label=_("Add documents"),
        required=False,
        help_text=_("Declarations, contracts, acceptance reports or photos: PDF, JPEG or PNG."),
    )

    class Meta:
        model = Project
        fields = ["year", "category", "name", "description", "budget", "funding_source", "contractor", "beneficiaries"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "budget": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "beneficiaries": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, village: Village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        if self.instance.year is None:
            self.initial["year"] = timezone.localdate().year
        heads = Member.objects.filter(relation=Relation.HEAD)
        beneficiaries = self.fields["beneficiaries"]
        beneficiaries.queryset = (
            Household.objects.visible_to(user)
            .filter(village=village)
            .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
            .order_by("number")
        )
        beneficiaries.label_from_instance = _household_label
        beneficiaries.help_text = _("Households of %(village)s that the project serves.") % {"village": village}


class AdvanceForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Step"), widget=forms.RadioSelect)
    on = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when cancelling."),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        following = next_status(project.status)
        if following:
            choices.append((following, Status(following).label))
        if not project.is_final:
            choices.append((Status.CANCELLED.value, _("Cancel the project")))
        self.fields["to_status"].choices = choices
        if choices:
            self.fields["to_status"].initial = choices[0][0]
        self.fields["on"].initial = timezone.localdate()


class VillagePickForm(forms.Form):
    """Asks for the village before the project form, which lists that village's households."""

    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none())

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class ProjectFilter(django_filters.FilterSet):
    village = django_filters.ModelChoiceFilter(label=_("Village"), queryset=Village.objects.none())
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    year = django_filters.ChoiceFilter(label=_("Year"), choices=[])

    class Meta:
        model = Project
        fields = ["village", "category", "status", "year"]

    def __init__(self, *args, user, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["village"].queryset = Village.objects.visible_to(user)
        self.filters["year"].extra["choices"] = [(year, year) for year in years]
