"""The register's pages: who sees which case, what the list and a case show, and their query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import CaseState
from monitoring.tests.factories import MonitoringCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dongfeng_case(dongfeng_household):
    return MonitoringCaseFactory(household=dongfeng_household)


@pytest.fixture
def hongqi_case(hongqi_household):
    return MonitoringCaseFactory(household=hongqi_household)


def test_cadre_sees_only_her_village_cases_in_the_register(client, alice, dongfeng_case, hongqi_case):
    client.force_login(alice)
    response = client.get(reverse("monitoring:cases"))
    assert list(response.context["page"].object_list) == [dongfeng_case]


def test_official_sees_the_town_cases_in_the_register(client, official, dongfeng_case, hongqi_case):
    client.force_login(official)
    response = client.get(reverse("monitoring:cases"))
    assert set(response.context["page"].object_list) == {dongfeng_case, hongqi_case}


def test_user_without_scope_sees_no_case(client, charlie, dongfeng_case):
    client.force_login(charlie)
    response = client.get(reverse("monitoring:cases"))
    assert list(response.context["page"].object_list) == []


def test_register_lists_open_cases_by_default_and_all_on_request(client, official, dongfeng_case, hongqi_case):
    hongqi_case.state = CaseState.DISMISSED
    hongqi_case.dismissal_reason = "收入稳定"
    hongqi_case.save()
    client.force_login(official)
    assert list(client.get(reverse("monitoring:cases")).context["page"].object_list) == [dongfeng_case]
    everything = client.get(reverse("monitoring:cases"), {"state": ""}).context["page"].object_list
    assert set(everything) == {dongfeng_case, hongqi_case}


def test_register_shows_late_cases_with_a_badge_and_filters_them(client, official, dongfeng_case, hongqi_case):
    hongqi_case.reported_on = timezone.localdate() - dt.timedelta(days=20)
    hongqi_case.deadline_on = hongqi_case.reported_on + dt.timedelta(days=15)
    hongqi_case.save()
    client.force_login(official)
    response = client.get(reverse("monitoring:cases"), {"late": "on"})
    assert list(response.context["page"].object_list) == [hongqi_case]
    assert "逾期" in response.content.decode() or "Late" in response.content.decode()


def test_register_query_count_does_not_grow_with_its_cases(client, official, django_assert_num_queries, town):
    from households.tests.factories import HouseholdFactory, VillageFactory

    village = VillageFactory(town=town)
    for _ in range(5):
        MonitoringCaseFactory(household=HouseholdFactory(village=village))
    client.force_login(official)
    # session, user, the filter's villages, count, the page of cases (household, village and head joined)
    with django_assert_num_queries(5):
        client.get(reverse("monitoring:cases"))


def test_register_exports_the_cases_in_scope(client, alice, dongfeng_case, hongqi_case):
    client.force_login(alice)
    response = client.get(reverse("monitoring:cases"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_case_page_is_found_in_scope_only(client, alice, bob, helper, dongfeng_case):
    for user, status in ((alice, 200), (bob, 404), (helper, 404)):
        client.force_login(user)
        assert client.get(reverse("monitoring:detail", args=[dongfeng_case.pk])).status_code == status
