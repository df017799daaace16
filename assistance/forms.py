from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from assistance.models import Measure, Plan
from assistance.services.guarantee import ROLES_FOR
from households.choices import AssignmentRole
from households.forms import DateInput
from households.models import SupportUnit


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


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["year", "cause_analysis", "goal"]
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


class MeasureForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = [
            "category",
            "description",
            "beneficiary",
            "responsible",
            "planned_date",
            "actual_date",
            "amount",
            "status",
        ]
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
