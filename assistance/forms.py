"""Forms of the assistance app: the guarantee, plans and measures, and the programmes."""

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from assistance.models import (
    ExampleKind,
    FiveMutualActivity,
    FiveMutualType,
    IndustryDrive,
    IndustrySupport,
    Instalment,
    InstalmentFlag,
    Loan,
    LoanStatus,
    Measure,
    Plan,
    PVIncome,
    PVShare,
    PVStation,
    Reward,
    TrainingKind,
    TrainingSession,
    TypicalExample,
    WelfareJob,
    WelfarePost,
)
from assistance.selectors import flagged_loans_filter
from assistance.services.guarantee import ROLES_FOR
from assistance.services.plans import MEASURE_FIELDS, PLAN_FIELDS
from common.concurrency import VersionedForm
from households.choices import AssignmentRole, Relation
from households.forms import DateInput
from households.models import Household, Member, SupportUnit, Village


class AssignmentForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    support_unit = forms.ModelChoiceField(label=_("Support unit"), queryset=SupportUnit.objects.none(), required=False)
    start_date = forms.DateField(label=_("From"), widget=DateInput())

    def __init__(self, *args, household, role, **kwargs):
        super().__init__(*args, **kwargs)
        village = household.village
        people = User.objects.filter(is_active=True, role__in=ROLES_FOR[role])
        if role == AssignmentRole.CONTACT:
            people = people.filter(villages=village)
            del self.fields["support_unit"]
        else:
            people = people.filter(Q(role=Role.RESPONSIBLE) | Q(town=village.town_id))
            self.fields["support_unit"].queryset = SupportUnit.objects.filter(village=village)
            self.fields["support_unit"].required = True
        self.fields["person"].queryset = people.order_by("last_name", "first_name", "username").distinct()
        self.fields["start_date"].initial = timezone.localdate()


class PlanForm(VersionedForm):
    class Meta:
        model = Plan
        fields = list(PLAN_FIELDS)  # what plan_save writes and compares versions over
        widgets = {"cause_analysis": forms.Textarea(attrs={"rows": 4}), "goal": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year

    def clean_year(self):
        year = self.cleaned_data["year"]
        others = Plan.objects.filter(household=self.household, year=year).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("This household already has a plan for %(year)s.") % {"year": year})
        return year


class MeasureForm(VersionedForm):
    class Meta:
        model = Measure
        fields = list(MEASURE_FIELDS)  # what measure_save writes and compares versions over
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "planned_date": DateInput(),
            "actual_date": DateInput(),
            "amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        household = plan.household
        self.fields["beneficiary"].queryset = household.members.all()
        # Whoever may answer for a measure: the household's people, the village's cadres, the town's officials.
        self.fields["responsible"].queryset = (
            User.objects.filter(is_active=True)
            .filter(
                Q(villages=household.village_id)
                | Q(town=household.village.town_id)
                | Q(assignments__household=household)
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )


# ---------------------------------------------------------------- programmes

SCROLLING_CHECKBOXES = forms.CheckboxSelectMultiple()
USUAL_ANNUAL_RATE = Decimal("4.35")  # the benchmark one-year lending rate most county banks apply


def _member_label(member: Member) -> str:
    return f"{member.name} · {member.household.number}"


def _household_label(household: Household) -> str:
    heads = getattr(household, "heads", None)
    return f"{household.number} · {heads[0].name}" if heads else household.number


def _village_households(user, village):
    """The households of one village the user may edit, with their heads (one more query), for a choice list."""
    heads = Member.objects.filter(relation=Relation.HEAD)
    return (
        Household.objects.editable_by(user)
        .filter(village=village)
        .prefetch_related(Prefetch("members", queryset=heads, to_attr="heads"))
        .order_by("number")
    )


# ---------------------------------------------------------------- choosing what a record belongs to


class HouseholdPickForm(forms.Form):
    """Asks for the household by its number before a form that belongs to one household."""

    number = forms.CharField(label=_("Household number"), max_length=32)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.household = None

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        self.household = Household.objects.editable_by(self.user).filter(number=number).first()
        if self.household is None:
            raise forms.ValidationError(_("No household with this number in the villages you work in."))
        return number


class VillagePickForm(forms.Form):
    """Asks for the village before a form that lists a village's households or members."""

    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.editable_by(user)


# ---------------------------------------------------------------- loans


class LoanForm(forms.ModelForm):
    class Meta:
        model = Loan
        fields = [
            "borrower",
            "bank",
            "amount",
            "issued_on",
            "term_months",
            "annual_rate",
            "interest_subsidised",
            "repayment_method",
            "purpose",
        ]
        widgets = {
            "issued_on": DateInput(),
            "amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "annual_rate": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household
        self.fields["borrower"].queryset = household.members.all()
        self.fields["borrower"].required = True
        if not self.instance.pk:
            self.fields["issued_on"].initial = timezone.localdate()
            self.fields["annual_rate"].initial = USUAL_ANNUAL_RATE


class RepaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Date paid"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


# ---------------------------------------------------------------- village programmes


class TrainingSessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["kind", "held_on", "topic", "organiser", "location", "attendees"]
        widgets = {"held_on": DateInput(), "attendees": SCROLLING_CHECKBOXES}

    def __init__(self, *args, village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        attendees = self.fields["attendees"]
        attendees.queryset = (
            Member.objects.editable_by(user)
            .filter(household__village=village)
            .select_related("household")
            .order_by("household__number", "pk")
        )
        attendees.label_from_instance = _member_label
        attendees.help_text = _("Members of households in %(village)s.") % {"village": village}


class WelfareJobForm(forms.ModelForm):
    class Meta:
        model = WelfareJob
        fields = ["post", "member", "monthly_pay", "start_date", "end_date"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "monthly_pay": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        }

    def __init__(self, *args, village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        member = self.fields["member"]
        member.queryset = (
            Member.objects.editable_by(user)
            .filter(household__village=village)
            .select_related("household")
            .order_by("household__number", "pk")
        )
        member.label_from_instance = _member_label


class PVStationForm(forms.ModelForm):
    class Meta:
        model = PVStation
        fields = ["name", "village", "capacity_kw", "built_year"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.editable_by(user)


class PVIncomeForm(forms.ModelForm):
    class Meta:
        model = PVIncome
        fields = ["year", "income"]
        widgets = {"income": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"})}

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.station = station
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year - 1


class PVShareForm(forms.ModelForm):
    class Meta:
        model = PVShare
        fields = ["household", "amount"]
        widgets = {"amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"})}

    def __init__(self, *args, income, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.income = income
        household = self.fields["household"]
        household.queryset = _village_households(user, income.station.village_id)
        household.label_from_instance = _household_label


class IndustrySupportForm(forms.ModelForm):
    class Meta:
        model = IndustrySupport
        fields = ["drive", "partner", "industry", "year", "households", "description"]
        widgets = {"households": SCROLLING_CHECKBOXES, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        households = self.fields["households"]
        households.queryset = _village_households(user, village)
        households.label_from_instance = _household_label
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year


class FiveMutualActivityForm(forms.ModelForm):
    class Meta:
        model = FiveMutualActivity
        fields = ["type", "held_on", "description", "households"]
        widgets = {
            "held_on": DateInput(),
            "households": SCROLLING_CHECKBOXES,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        # A type retired since keeps showing on the activities that used it.
        types = FiveMutualType.objects.filter(Q(active=True) | Q(pk=self.instance.type_id))
        self.fields["type"].queryset = types
        households = self.fields["households"]
        households.queryset = _village_households(user, village)
        households.label_from_instance = _household_label


# ---------------------------------------------------------------- household programmes
# Every programme form is given the user (assistance.specs); these offer no choice the user's scope limits.


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ["awarded_on", "amount", "reason"]
        widgets = {
            "awarded_on": DateInput(),
            "amount": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, household, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household


class TypicalExampleForm(forms.ModelForm):
    class Meta:
        model = TypicalExample
        fields = ["kind", "noted_on", "description"]
        widgets = {"noted_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, household, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household


# ---------------------------------------------------------------- list filters


class VillageFilterSet(django_filters.FilterSet):
    """A list filter whose village choices are the villages the user may see."""

    village = django_filters.ModelChoiceFilter(label=_("Village"), queryset=Village.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["village"].queryset = Village.objects.visible_to(user)


def _village_filter(field_name: str):
    return django_filters.ModelChoiceFilter(label=_("Village"), field_name=field_name, queryset=Village.objects.none())


FLAG_ANY = "any"
HELD, NOT_HELD = "yes", "no"


class LoanFilter(VillageFilterSet):
    village = _village_filter("household__village")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=LoanStatus.choices, method="filter_status")
    flagged = django_filters.ChoiceFilter(
        label=_("Flag"),
        choices=[
            (FLAG_ANY, _("Due soon or overdue")),
            (InstalmentFlag.OVERDUE, InstalmentFlag.OVERDUE.label),
            (InstalmentFlag.DUE_SOON, InstalmentFlag.DUE_SOON.label),
        ],
        method="filter_flagged",
    )

    class Meta:
        model = Loan
        fields = ["village", "status", "flagged"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(repaid_on__isnull=value == LoanStatus.ACTIVE)

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(flagged_loans_filter(None if value == FLAG_ANY else value))


class InstalmentFilter(VillageFilterSet):
    village = _village_filter("loan__household__village")
    flag = django_filters.ChoiceFilter(
        label=_("Flag"),
        choices=[
            (InstalmentFlag.OVERDUE, InstalmentFlag.OVERDUE.label),
            (InstalmentFlag.DUE_SOON, InstalmentFlag.DUE_SOON.label),
        ],
    )

    class Meta:
        model = Instalment
        fields = ["village", "flag"]


class TrainingFilter(VillageFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=TrainingKind.choices)

    class Meta:
        model = TrainingSession
        fields = ["village", "kind"]


class WelfareJobFilter(VillageFilterSet):
    post = django_filters.ChoiceFilter(label=_("Post"), choices=WelfarePost.choices)
    current = django_filters.ChoiceFilter(
        label=_("Held today"),
        choices=[(HELD, _("Held today")), (NOT_HELD, _("Ended or not yet started"))],
        method="filter_current",
    )

    class Meta:
        model = WelfareJob
        fields = ["village", "post", "current"]

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        if value == HELD:
            return queryset.current_on(today)
        return queryset.filter(Q(start_date__gt=today) | Q(end_date__lt=today))


class PVStationFilter(VillageFilterSet):
    class Meta:
        model = PVStation
        fields = ["village"]


class IndustryFilter(VillageFilterSet):
    drive = django_filters.ChoiceFilter(label=_("Drive"), choices=IndustryDrive.choices)
    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = IndustrySupport
        fields = ["village", "drive", "year"]


class RewardFilter(VillageFilterSet):
    village = _village_filter("household__village")

    class Meta:
        model = Reward
        fields = ["village"]


class ExampleFilter(VillageFilterSet):
    village = _village_filter("household__village")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ExampleKind.choices)

    class Meta:
        model = TypicalExample
        fields = ["village", "kind"]


class FiveMutualFilter(VillageFilterSet):
    type = django_filters.ModelChoiceFilter(label=_("Activity type"), queryset=FiveMutualType.objects.all())

    class Meta:
        model = FiveMutualActivity
        fields = ["village", "type"]
