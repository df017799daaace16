"""A client key names one visit by one visitor to one household: anyone else's use of it is refused, saying nothing."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from households.tests.factories import HouseholdFactory
from visits.models import Visit
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def post(client, household, key):
    data = {
        "client_key": str(key),
        "role": "other",
        "visited_on": timezone.localdate().isoformat(),
        "method": "home",
        "met_with": "户主本人",
    }
    return client.post(f"{reverse('visits:log')}?household={household.pk}", data)


def test_the_key_of_a_visit_in_another_village_is_refused_without_naming_it(client, alice, bob, dongfeng, hongqi):
    theirs = VisitFactory(household=HouseholdFactory(village=hongqi), visitor=bob, client_key=uuid.uuid4())
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are compared in English

    response = post(client, HouseholdFactory(village=dongfeng), theirs.client_key)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This form can no longer be saved: open a new one."]
    assert [t for t in (theirs.get_absolute_url(), theirs.household.number) if t in response.text] == []
    assert Visit.objects.count() == 1


def test_the_key_of_a_colleagues_visit_to_the_same_household_is_refused(client, alice, dongfeng, official):
    household = HouseholdFactory(village=dongfeng)
    theirs = VisitFactory(household=household, visitor=official, client_key=uuid.uuid4())
    client.force_login(alice)

    assert post(client, household, theirs.client_key).status_code == 200
    assert list(Visit.objects.values_list("visitor", flat=True)) == [official.pk]


def test_the_visitors_own_key_sent_again_stores_nothing_more(client, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    key = uuid.uuid4()
    client.force_login(alice)

    assert post(client, household, key).status_code == 302
    assert post(client, household, key).status_code == 302
    assert Visit.objects.count() == 1
