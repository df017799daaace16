import datetime as dt
from decimal import Decimal

import factory

from households.tests.factories import VillageFactory
from infrastructure.models import PROGRESSION, Category, Milestone, MilestoneDeadline, Project


class ProjectFactory(factory.django.DjangoModelFactory):
    """A planned 2020 project; `reached={milestone: date, ...}` dates milestones in order and sets the status."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    village = factory.SubFactory(VillageFactory)
    year = 2020
    category = Category.ROAD_NEW
    name = factory.Sequence(lambda n: f"道路新建工程{n}")
    budget = Decimal("500000.00")
    funding_source = "中央财政专项扶贫资金"
    contractor = "固镇县通达路桥工程有限公司"

    @classmethod
    def _create(cls, model_class, *args, reached=None, **kwargs):
        reached = reached or {}
        for milestone in Milestone:
            if milestone in reached:
                kwargs[milestone.date_field] = reached[milestone]
        kwargs.setdefault("status", PROGRESSION[len(reached)])
        return super()._create(model_class, *args, **kwargs)


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MilestoneDeadline
        django_get_or_create = ("year", "milestone")

    year = 2021
    milestone = Milestone.DECLARED
    due_on = dt.date(2021, 4, 30)


def deadlines_for(year: int, declared: dt.date, started: dt.date, accepted: dt.date) -> None:
    """Set a year's three deadlines (replacing any the year had)."""
    MilestoneDeadline.objects.filter(year=year).delete()
    for milestone, due_on in zip(
        (Milestone.DECLARED, Milestone.STARTED, Milestone.ACCEPTED), (declared, started, accepted), strict=False
    ):
        MilestoneDeadline.objects.create(year=year, milestone=milestone, due_on=due_on)
