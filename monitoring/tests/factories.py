import datetime as dt

import factory
from django.utils import timezone

from households.choices import MonitoringRisk, MonitorKind
from households.tests.factories import HouseholdFactory
from monitoring.models import FollowUp, MonitoringCase, MonitoringLine, Origin
from monitoring.services import identification_deadline


class MonitoringLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringLine
        django_get_or_create = ("year",)

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    income_line = 6000
    rigid_expense_threshold = 20000


class MonitoringCaseFactory(factory.django.DjangoModelFactory):
    """A candidate reported a few days ago; pass state and the step dates for later states."""

    class Meta:
        model = MonitoringCase

    household = factory.SubFactory(HouseholdFactory)
    kind = MonitorKind.UNSTABLE
    origin = Origin.CADRE
    risks = factory.LazyFunction(lambda: [MonitoringRisk.values[0]])
    description = "因病支出大"
    reported_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))
    deadline_on = factory.LazyAttribute(lambda case: identification_deadline(case.reported_on))


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    case = factory.SubFactory(MonitoringCaseFactory)
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    per_capita_income = 8000
