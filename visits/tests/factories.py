import datetime as dt
import uuid

import factory

from households.tests.factories import HouseholdFactory, KeepsDashboardFigures, UserFactory
from visits.models import Visit, VisitorRole


class VisitFactory(KeepsDashboardFigures, factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    client_key = factory.LazyFunction(uuid.uuid4)
    household = factory.SubFactory(HouseholdFactory)
    visitor = factory.SubFactory(UserFactory)
    role = VisitorRole.RESPONSIBLE
    visited_on = dt.date(2020, 3, 10)
