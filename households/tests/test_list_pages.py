"""The household list pages through the county village by village, within LIST_COUNT_BOUND rows, in scope."""

import pytest
from django.urls import reverse

from households.choices import HouseholdStatus
from households.tests.factories import HouseholdFactory


@pytest.fixture
def five_households(dongfeng):
    return [HouseholdFactory(village=dongfeng, head=False) for _ in range(5)]


def numbers_on(client, **query) -> list[str]:
    return [household.number for household in client.get(reverse("households:list"), query).context["page"]]


def test_the_pages_of_the_household_list_hold_every_household_once_village_by_village(
    client, official, dongfeng, hongqi, settings
):
    settings.HOUSEHOLDS_PER_PAGE = 2
    made = [HouseholdFactory(village=village, head=False) for village in (hongqi, dongfeng, hongqi, dongfeng, hongqi)]
    client.force_login(official)
    listed = [number for page in (1, 2, 3) for number in numbers_on(client, page=page)]
    expected = sorted(made, key=lambda household: (household.village_id, household.number))
    assert listed == [household.number for household in expected]


def test_the_pages_of_a_filtered_list_hold_only_the_filtered_households(client, official, dongfeng, settings):
    settings.HOUSEHOLDS_PER_PAGE = 2
    exited = [HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019) for _ in range(3)]
    HouseholdFactory(village=dongfeng)
    client.force_login(official)
    listed = numbers_on(client, status="exited", page=1) + numbers_on(client, status="exited", page=2)
    assert listed == sorted(household.number for household in exited)


def test_a_list_past_the_bound_shows_the_count_with_a_plus_and_says_how_to_find_the_rest(
    english, official, five_households, settings
):
    settings.HOUSEHOLDS_PER_PAGE = 2
    settings.LIST_COUNT_BOUND = 3
    english.force_login(official)
    first = english.get(reverse("households:list")).text
    assert ">3+</span>" in first
    assert "Page 1 of 2+" in first
    last = english.get(reverse("households:list"), {"page": 2}).text
    assert "Only the first 3 rows are listed: narrow the filters to find the others." in last


def test_a_cadre_paging_past_the_end_still_sees_only_their_village(client, alice, dongfeng, hongqi, settings):
    settings.HOUSEHOLDS_PER_PAGE = 1
    settings.LIST_COUNT_BOUND = 2
    own = [HouseholdFactory(village=dongfeng, head=False) for _ in range(3)]
    HouseholdFactory(village=hongqi, head=False)
    client.force_login(alice)
    for page in (2, 3, 4, 999, "last", "-1"):
        assert set(numbers_on(client, page=page)) <= {household.number for household in own}
