from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db import models
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.concurrency import VersionedForm
from common.documents import ACCEPT, document_check
from households import idnumbers
from households.choices import AssessmentItem, HouseholdStatus, PovertyCause, Relation
from households.classification import ExitClass
from households.models import Assessment, ExitStep, Household, IncomeLine, IncomeRecord, Member, Village, VillagerGroup
from households.selectors import UNCLASSIFIED, IncomeFlag
from households.services import MEMBER_FIELDS, MemberWrite


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


@dataclass(frozen=True)
class OutOfScopeClash:
    """A value typed into a form that a household out of the user's scope already holds."""

    field: str  # the form field: "number" or "id_number"
    household: Household  # the household that holds it


class UniqueInScopeMixin:
    """A value unique in the whole registry, refused without telling what lies outside the user's scope.

    Household numbers and ID numbers are unique across the deployment, so a
    form must refuse one that another village's household holds; but saying
    "already exists" there would let a cadre probe other villages' registries,
    where out of scope and missing must look the same. The clash is named when
    the user may see the household that holds the value; otherwise the form
    says only that the value cannot be used, and keeps the clash in
    `out_of_scope` for the view to record (services.out_of_scope_values_record).
    """

    unique_in_scope: str  # the model field checked here rather than by Django's "already exists"

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.out_of_scope: list[OutOfScopeClash] = []

    def validate_unique(self):
        exclude = self._get_validation_exclusions() | {self.unique_in_scope}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)
        name = self.unique_in_scope
        value = self.cleaned_data.get(name)
        if not value or name in self._errors:
            return
        holder = self.holder_of(value)
        if holder is None:
            return
        household = holder if isinstance(holder, Household) else holder.household
        if Household.objects.visible_to(self.user).filter(pk=household.pk).exists():
            self.add_error(name, self.clash_in_scope(holder))
        else:
            self.add_error(name, forms.ValidationError(self.clash_out_of_scope, code="cannot_be_used"))
            self.out_of_scope.append(OutOfScopeClash(field=name, household=household))


class RegisteredAs(models.TextChoices):
    """How a new household enters the registry: the status it starts with."""

    POOR = HouseholdStatus.UNEXITED.value, _("Registered poor household")
    GENERAL = HouseholdStatus.GENERAL.value, _("Ordinary rural household, to be reported for monitoring")


class HouseholdForm(UniqueInScopeMixin, VersionedForm):
    unique_in_scope = "number"
    clash_out_of_scope = _("This household number cannot be used here: check it, or ask the town office.")
    # Asked only of a new household: an edit never changes the status (that is a status change, or a case).
    registered_as = forms.ChoiceField(
        label=_("Registered as"),
        choices=RegisteredAs.choices,
        initial=RegisteredAs.POOR,
        required=False,  # left out (an older form, a script): registered poor, as every household was before
        widget=forms.RadioSelect,
        help_text=_(
            "An ordinary rural household is one never registered poor: close to poverty, or struck by a sudden "
            "hardship. It needs no year identified and no poverty cause; report it for monitoring from its page."
        ),
    )
    other_causes = forms.MultipleChoiceField(
        label=_("Other poverty causes"),
        choices=PovertyCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Household
        fields = [
            "number",
            "village",
            "group",
            "address",
            "phone",
            "identified_year",
            "attribute",
            "main_cause",
            "other_causes",
            "housing_grade",
        ]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["village"].queryset = Village.objects.editable_by(user)
        self.fields["group"].queryset = VillagerGroup.objects.editable_by(user).select_related("village")
        self.fields["group"].label_from_instance = lambda g: f"{g.village} · {g.name}"
        if self.instance.pk is not None:
            del self.fields["registered_as"]
        else:
            self.order_fields(["registered_as"])

    def clean_registered_as(self):
        return self.cleaned_data.get("registered_as") or RegisteredAs.POOR

    @property
    def registers_general(self) -> bool:
        return self.instance.pk is None and self.cleaned_data.get("registered_as") == RegisteredAs.GENERAL

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("registered_as"):
            # Before the model's own checks (_post_clean), which ask a household registered poor for its cause.
            self.instance.status = cleaned["registered_as"]
        if self.registers_general and cleaned.get("identified_year"):
            self.add_error(
                "identified_year",
                _("An ordinary rural household was never identified as poor: leave the year blank."),
            )
        return cleaned

    def clean_identified_year(self):
        # The exit year is not on this form (it is set by a status change); its check must land on a field that is.
        year = self.cleaned_data.get("identified_year")
        exit_year = self.instance.exit_year
        if year and exit_year and year > exit_year:
            raise forms.ValidationError(
                _("The household left poverty in %(exit)s: it cannot have been identified as poor later.")
                % {"exit": exit_year}
            )
        return year

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not all(c.isdigit() or c in " -" for c in phone):
            raise forms.ValidationError(_("A phone number holds only digits, spaces and dashes."))
        return phone

    def holder_of(self, value):
        return Household.objects.filter(number=value).exclude(pk=self.instance.pk).only("pk", "number").first()

    def clash_in_scope(self, household):
        return _("Household %(number)s is already registered; open it from the list of households.") % {
            "number": household.number
        }


class IdNumberField(forms.CharField):
    """An ID number typed whole; on a member already stored, blank keeps the stored one.

    The form never holds a stored ID number: it shows it masked beside the
    field, and showing it whole is a separate, logged request.
    """

    def __init__(self, *, keeps_stored: bool, **kwargs):
        self.keeps_stored = keeps_stored
        super().__init__(max_length=30, required=not keeps_stored, strip=True, **kwargs)

    def has_changed(self, initial, data):
        if self.keeps_stored and not (data or "").strip():
            return False
        return idnumbers.normalise(initial or "") != idnumbers.normalise(data or "")


class MemberForm(UniqueInScopeMixin, VersionedForm):
    """A member; the sex and birth date are not asked for, as they are read from the ID number.

    Showing them would also give back the masked part of the ID (its middle
    digits are the birth date), and asking for them only to check them against
    the number adds typing that the number's check character already covers.
    """

    unique_in_scope = "id_number"
    clash_out_of_scope = _("This ID number cannot be used here: check it, or ask the town office.")

    class Meta:
        model = Member
        fields = list(MEMBER_FIELDS)  # the service compares the members' versions over the same fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.pk is not None
        # Taken now, before cleaning copies what was typed onto the instance.
        self.masked_id_number = self.instance.masked_id_number if stored else ""
        self.fields["id_number"] = IdNumberField(
            keeps_stored=stored,
            label=_("New ID number") if stored else _("ID number"),
            help_text=_("Leave blank to keep the number above, or type the whole new number to replace it.")
            if stored
            else _("18 characters; the sex and birth date are read from it."),
            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        )
        if stored:
            self.initial["id_number"] = ""

    def clean_id_number(self):
        number = idnumbers.normalise(self.cleaned_data["id_number"])
        if not number and self.instance.pk is not None:
            return self.instance.id_number
        idnumbers.parse(number)
        return number

    def clean(self):
        cleaned = super().clean()
        # Read afresh from the number (Member.clean), never checked against the stored ones: a new number
        # replaces them too.
        self.instance.sex, self.instance.birth_date = "", None
        return cleaned

    def holder_of(self, value):
        return (
            Member.objects.filter(id_number=value)
            .exclude(pk=self.instance.pk)
            .select_related("household")
            .only("pk", "name", "household__number")
            .first()
        )

    def clash_in_scope(self, member):
        return _("%(name)s of household %(number)s already has this ID number.") % {
            "name": member.name,
            "number": member.household.number,
        }


class BaseMemberFormSet(BaseInlineFormSet):
    def writes(self) -> list[MemberWrite]:
        """The members as the editor left them, for household_save: every member shown, and those added."""
        shown = [
            MemberWrite(
                pk=form.instance.pk,
                version=form.sent_version(),
                values=form.values() if form.has_changed() else None,
                delete=self._should_delete_form(form),
            )
            for form in self.initial_forms
            # A member gone meanwhile is valid here only when this form deletes it too: nothing left to do.
            if form.instance.pk is not None
        ]
        added = [
            MemberWrite(values=form.values())
            for form in self.extra_forms
            if form.has_changed() and not self._should_delete_form(form)
        ]
        return shown + added

    def clean(self):
        super().clean()
        # Two forms of one member (only a tampered page sends that) share one instance: the last would
        # silently win, and could take away the household's only head.
        ids = [f.instance.pk for f in self.initial_forms if f.instance.pk is not None]
        if len(ids) != len(set(ids)):
            raise forms.ValidationError(_("A member appears twice in this form; reload it."), code="member_twice")
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        heads = sum(1 for f in kept if f.cleaned_data.get("relation") == Relation.HEAD)
        if heads != 1:
            raise forms.ValidationError(
                _("A household has exactly one head; this form has %(count)d.") % {"count": heads},
                code="heads",
            )


MemberFormSet = inlineformset_factory(
    Household,
    Member,
    form=MemberForm,
    formset=BaseMemberFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    can_delete=True,
)


class VerdictField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[(True, _("Met")), (False, _("Not met"))],
            coerce=lambda value: value in (True, "True"),
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            **kwargs,
        )


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["assessed_on"]
        for _item in AssessmentItem:
            fields += [_item.verdict_field, _item.note_field]
        field_classes = {item.verdict_field: VerdictField for item in AssessmentItem}
        widgets = {"assessed_on": DateInput()}

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household
        self.fields["assessed_on"].initial = timezone.localdate()
        for item in AssessmentItem:
            self.fields[item.verdict_field].initial = True
            self.fields[item.note_field].label = _("Note")

    def clean_assessed_on(self):
        assessed_on = self.cleaned_data["assessed_on"]
        if assessed_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return assessed_on

    def clean(self):
        cleaned = super().clean()
        for item in AssessmentItem:
            if cleaned.get(item.verdict_field) is False and not cleaned.get(item.note_field, "").strip():
                self.add_error(item.note_field, _("Say what is wrong when an item is not met."))
        return cleaned

    def item_rows(self):
        return [(item, self[item.verdict_field], self[item.note_field]) for item in AssessmentItem]


# The statuses an official sets by hand: a return to poverty, a household closed. A household becomes
# exited only through the exit procedure (households.exits), monitored only through a monitoring case,
# and an ordinary household is registered as one.
HAND_STATUSES = (HouseholdStatus.UNEXITED, HouseholdStatus.CLOSED)


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(
        label=_("New status"),
        help_text=_("A household leaves poverty through the exit procedure on its page, not here."),
    )
    changed_on = forms.DateField(label=_("Date of the change"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, label)
            for value, label in HouseholdStatus.choices
            if value in HAND_STATUSES and value != household.status
        ]
        self.fields["changed_on"].initial = timezone.localdate()


# ---------------------------------------------------------------- the exit procedure


class ExitStartForm(forms.Form):
    year = forms.IntegerField(label=_("Proposed exit year"), min_value=2014, max_value=2100)
    started_on = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial, self.fields["started_on"].initial = today.year, today


class ExitStepForm(forms.Form):
    done_on = forms.DateField(label=_("Date done"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(
        label=_("Document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("The minutes, the signed form or a photo of the notice: PDF, JPEG or PNG."),
    )

    def __init__(self, *args, step, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()
        self.fields["document"].required = step.needs_document

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        return document_check(upload, max_bytes=settings.EXIT_DOCUMENT_MAX_BYTES)


class ExitObjectionForm(forms.Form):
    done_on = forms.DateField(label=_("Date of the objection"), widget=DateInput())
    reason = forms.CharField(
        label=_("Objection and why it was upheld"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()


class ExitWithdrawForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class ExitRegisterFilterForm(forms.Form):
    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none(), required=False)
    step = forms.ModelChoiceField(label=_("Waiting on"), queryset=ExitStep.objects.none(), required=False)
    year = forms.IntegerField(label=_("Proposed exit year"), min_value=2014, max_value=2100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.visible_to(user)
        self.fields["step"].queryset = ExitStep.objects.active()
        self.fields["step"].label_from_instance = lambda step: step.label


# ---------------------------------------------------------------- income


class IncomeRecordForm(forms.ModelForm):
    """A household's income for one year; the year is fixed once recorded."""

    class Meta:
        model = IncomeRecord
        fields = [
            "year",
            "wage_income",
            "production_income",
            "property_income",
            "transfer_income",
            "production_costs",
            "household_size",
        ]
        widgets = {
            name: forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1})
            for name in fields
            if name not in ("year", "household_size")
        }
        help_texts = {"production_costs": _("Net income = all four incomes minus these costs.")}

    def __init__(self, *args, household, default_year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household
        if self.instance.pk:
            self.fields["year"].disabled = True
        else:
            self.initial["year"] = default_year
            # The current number of members, which the cadre may correct for that year.
            self.initial["household_size"] = max(1, household.members.count())

    def clean_year(self):
        year = self.cleaned_data["year"]
        others = IncomeRecord.objects.filter(household=self.instance.household, year=year).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("The income of %(year)s is already recorded; edit that year instead."), params={"year": year}
            )
        return year


class IncomeFlagFilterForm(forms.Form):
    """The flagged list's filters; the year offers the years that have a line."""

    year = forms.IntegerField(label=_("Year"), required=False, widget=forms.Select)
    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none(), required=False)
    flag = forms.ChoiceField(label=_("Reason"), choices=[("", _("Either reason")), *IncomeFlag.choices], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "---------"), *HouseholdStatus.choices], required=False)

    def __init__(self, *args, user, lines: dict[int, IncomeLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.fields["year"].widget.choices = [(year, year) for year in sorted(lines, reverse=True)]
        self.fields["village"].queryset = Village.objects.visible_to(user)

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year is None:
            return max(self.lines, default=None)
        if year not in self.lines:
            raise forms.ValidationError(
                _("No income line is configured for %(year)s; an administrator adds it in the administration."),
                params={"year": year},
            )
        return year

    def chosen_line(self) -> IncomeLine | None:
        """The line of the chosen year (the latest by default); None when there is none to judge by."""
        self.is_valid()
        return self.lines.get(self.cleaned_data.get("year"))


class ClassListFilterForm(forms.Form):
    exit_class = forms.ChoiceField(
        label=_("Class"),
        choices=[("", _("Every class")), *ExitClass.choices, (UNCLASSIFIED, _("Not classified yet"))],
        required=False,
    )
    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.visible_to(user)


# ---------------------------------------------------------------- classification after exit


class ClassificationForm(forms.Form):
    confirmed_class = forms.ChoiceField(label=_("Class"), choices=ExitClass.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you choose another class than the suggested one."),
    )

    def __init__(self, *args, suggestion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_class"].initial = suggestion.exit_class


# ---------------------------------------------------------------- roster import


class RosterUploadForm(forms.Form):
    """A roster workbook to check; the content is checked by the reader, the size and name here."""

    file = forms.FileField(
        label=_("Roster workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    sheet_name = forms.CharField(
        label=_("Worksheet"),
        max_length=100,
        required=False,
        help_text=_("Leave blank to read the first worksheet."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Only Excel workbooks (.xlsx) are accepted."))
        limit = settings.ROSTER_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest accepted is %(limit)s MB."),
                params={"size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.1f}"},
            )
        return upload
