import datetime as dt

import factory

from assistance.models import Measure, MeasureCategory, Plan
from households.models import SupportUnit
from households.tests.factories import HouseholdFactory, VillageFactory


class SupportUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportUnit

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"县直单位{n}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    household = factory.SubFactory(HouseholdFactory)
    year = 2020
    cause_analysis = "因病致贫，缺技术"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    plan = factory.SubFactory(PlanFactory)
    category = MeasureCategory.HEALTH
    description = "落实“351”“180”健康扶贫政策"
    planned_date = dt.date(2020, 4, 1)
