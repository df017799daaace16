from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import MonitoringRisk, MonitorKind
from households.models import Household
from monitoring.models import MAX_AMOUNT, Origin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A report made on a page is the household's own application or a cadre's finding; the other origins
# (department warnings, the income ledger) are made by their imports.
PAGE_ORIGINS = [(Origin.APPLICATION, Origin.APPLICATION.label), (Origin.CADRE, Origin.CADRE.label)]


class ServiceErrorsMixin:
    """A service's ValidationError shown on the form: its fields where the form has them, the rest on top."""

    service_fields: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            field = self.service_fields.get(field, field)
            self.add_error(field if field in self.fields else None, messages)


class ReportForm(ServiceErrorsMixin, forms.Form):
    household_number = forms.CharField(
        label=_("Household number"),
        required=False,
        help_text=_("The whole number, or its last four digits or more."),
    )
    kind = forms.ChoiceField(label=_("Monitoring type"), choices=MonitorKind.choices)
    origin = forms.ChoiceField(label=_("Found through"), choices=PAGE_ORIGINS, initial=Origin.CADRE)
    risks = forms.MultipleChoiceField(
        label=_("Risks"), choices=MonitoringRisk.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("Situation"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened, and what the household needs."),
    )
    reported_on = forms.DateField(label=_("Reported on"), widget=DATE)

    def __init__(self, *args, user, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.household = user, household
        self.fields["reported_on"].initial = timezone.localdate()
        if household is not None:
            del self.fields["household_number"]
        else:
            self.fields["household_number"].required = True

    def clean_household_number(self):
        text = self.cleaned_data["household_number"].strip()
        if not text.isdigit() or len(text) < 4:
            raise ValidationError(_("Give the household number, or its last four digits or more."))
        found = list(Household.objects.editable_by(self.user).filter(number__endswith=text)[:2])
        if not found:
            raise ValidationError(_("No household you may report has this number."))
        if len(found) > 1:
            raise ValidationError(_("Several households end in these digits: give more of the number."))
        self.household = found[0]
        return text


class StepForm(ServiceErrorsMixin, forms.Form):
    """A step's date, and the reason where the step needs one (dismissal)."""

    on = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Why not at risk"), widget=forms.Textarea(attrs={"rows": 3}))

    service_fields = {"reason": "reason"}

    def __init__(self, *args, needs_reason=False, date_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        if date_label:
            self.fields["on"].label = date_label
        if not needs_reason:
            del self.fields["reason"]


class FollowUpForm(ServiceErrorsMixin, forms.Form):
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    per_capita_income = forms.IntegerField(
        label=_("Per-capita net income (yuan a year)"), min_value=0, max_value=MAX_AMOUNT
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = timezone.localdate().replace(day=1)

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)
