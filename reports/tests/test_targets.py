"""The campaign target on the town dashboard: a cohort fixed once, whose progress is read from its status history.

Every household here gets its status history through record_status, as the
registry would write it; the expected figures are counted by hand from the
story each test tells.
"""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from households.choices import HouseholdStatus
from households.models import Member, StatusChange
from households.services import target_fix
from households.tests.factories import (
    HouseholdFactory,
    MemberFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    poor_household,
    record_status,
)
from reports import selectors

pytestmark = pytest.mark.django_db

EXITED, UNEXITED, MONITORED = HouseholdStatus.EXITED, HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED
START_OF_2020 = dt.date(2020, 1, 1)
END_OF_2020 = dt.date(2020, 12, 31)


def on(month: int, day: int = 10) -> dt.date:
    return dt.date(2020, month, day)


def fix_2020(town, user=None):
    return target_fix(town=town, year=2020, name="2020年脱贫攻坚工作计划", as_of=START_OF_2020, user=user)


def target_of(user, today=END_OF_2020, year=None) -> selectors.TargetProgress:
    return selectors.dashboard(user=user, on=today, year=year).target


@pytest.fixture
def campaign(town, dongfeng, hongqi):
    """Five households poor at the start of 2020, with 1 to 5 people, and what happened to each during the year."""
    lifted_in_march = poor_household(dongfeng, people=1)
    came_back = poor_household(dongfeng, people=2)  # out in March, back in June, out again in October
    monitored_after = poor_household(hongqi, people=3)  # out in May, monitored from August: still out
    never = poor_household(hongqi, people=4)
    monitored_only = poor_household(hongqi, people=5)  # monitored in April, unexited again in July: never out
    left_before = poor_household(dongfeng, people=6)
    record_status(left_before, EXITED, dt.date(2019, 12, 20))
    fix_2020(town)
    for household, to_status, when in (
        (lifted_in_march, EXITED, on(3)),
        (came_back, EXITED, on(3, 20)),
        (monitored_only, MONITORED, on(4)),
        (monitored_after, EXITED, on(5)),
        (came_back, UNEXITED, on(6)),
        (monitored_only, UNEXITED, on(7)),
        (monitored_after, MONITORED, on(8)),
        (came_back, EXITED, on(10)),
    ):
        record_status(household, to_status, when)
    return {"lifted": [lifted_in_march, came_back, monitored_after], "not_lifted": [never, monitored_only]}


def test_the_cohort_is_lifted_month_by_month_with_its_returns_and_second_exits(campaign, official):
    target = target_of(official)

    assert (target.households, target.people) == (5, 15)
    assert [point.remaining for point in target.burndown] == [5, 5, 3, 3, 2, 3, 3, 3, 3, 2, 2, 2]
    assert [point.remaining_people for point in target.burndown] == [15, 15, 12, 12, 9, 11, 11, 11, 11, 9, 9, 9]
    assert (target.lifted_households, target.lifted_people, target.percent) == (3, 1 + 2 + 3, 60)


def test_the_headline_is_the_burn_downs_last_point_up_to_today(campaign, official):
    for today in (on(2, 28), on(3, 15), on(3, 20), on(6, 30), on(10, 9), END_OF_2020, dt.date(2023, 5, 1)):
        target = target_of(official, today=today)
        last = target.burndown[-1]
        assert (target.remaining_households, target.remaining_people) == (last.remaining, last.remaining_people)
        assert target.lifted_households == target.households - last.remaining
    # An exit dated later in the month than today is not counted yet.
    assert target_of(official, today=on(3, 15)).lifted_households == 1
    assert target_of(official, today=on(3, 20)).lifted_households == 2
    assert [p.month.month for p in target_of(official, today=on(6, 30)).burndown] == [1, 2, 3, 4, 5, 6]


def test_households_identified_later_do_not_change_a_past_target(campaign, official, dongfeng):
    before = target_of(official)
    newcomer = poor_household(dongfeng, since=on(2), people=3)  # identified in February, out in April
    record_status(newcomer, EXITED, on(4))
    poor_household(dongfeng, since=on(9), people=2)  # identified in September, still poor
    imported = HouseholdFactory(village=dongfeng)  # a roster import's first line is dated the day of the import
    record_status(imported, UNEXITED, dt.date(2021, 3, 1))
    # Even a household whose history says it was poor before 2020, added after the target was set, stays out of it.
    backdated = poor_household(dongfeng, people=2)
    record_status(backdated, EXITED, on(8))

    after = target_of(official)

    assert after == before
    assert (after.households, after.lifted_households) == (5, 3)


def test_one_exit_and_one_new_household_read_one_lifted_not_none(official, town, dongfeng):
    # The finding: the headline was "target minus households unexited now", which a new household cancelled out.
    cohort = [poor_household(dongfeng) for _ in range(25)]
    fix_2020(town, official)
    record_status(cohort[0], EXITED, on(5))
    poor_household(dongfeng, since=on(6))

    target = target_of(official)

    assert (target.households, target.lifted_households, target.remaining_households) == (25, 1, 24)
    assert target.burndown[-1].remaining == 24


def test_people_are_counted_as_they_were_when_the_target_was_set(campaign, official):
    first, second, _third = campaign["lifted"]
    MemberFactory(household=first)
    MemberFactory(household=first)
    Member.objects.filter(household=second).delete()
    MemberFactory(household=campaign["not_lifted"][0])

    target = target_of(official)

    assert (target.people, target.lifted_people, target.remaining_people) == (15, 6, 9)


def test_a_past_target_stays_as_it_was_when_its_households_are_closed_later(campaign, official):
    before = target_of(official)
    for household in campaign["lifted"]:
        record_status(household, HouseholdStatus.CLOSED, dt.date(2022, 1, 1))
    assert target_of(official) == before


def test_changes_before_the_targets_day_do_not_count(official, town, dongfeng):
    poor = poor_household(dongfeng)
    record_status(poor, EXITED, on(1, 5))
    record_status(poor, UNEXITED, on(2, 1))
    target_fix(town=town, year=2020, name="年中", as_of=on(3, 1), user=official)
    record_status(poor, EXITED, on(3, 1))  # on the day itself: part of the target's period

    assert [point.remaining for point in target_of(official).burndown][:3] == [1, 1, 0]


def test_the_targets_of_every_town_add_up_for_an_administrator(campaign, town):
    elsewhere = TownFactory(code="340321002", name="别镇")
    poor_household(VillageFactory(town=elsewhere), people=2)
    fix_2020(elsewhere)
    admin = UserFactory(role=Role.ADMIN)

    target = target_of(admin)

    assert (target.households, target.people, target.lifted_households) == (6, 17, 3)
    assert (target.name, target.as_of) == ("", START_OF_2020)


# ---------------------------------------------------------------- scoping


def test_an_official_sees_only_their_own_towns_targets(campaign, official, town):
    elsewhere = TownFactory(code="340321002", name="别镇")
    village = VillageFactory(town=elsewhere)
    for _ in range(7):
        poor_household(village)
    target_fix(town=elsewhere, year=2020, name="别镇2020", as_of=START_OF_2020, user=None)
    target_fix(town=elsewhere, year=2021, name="别镇2021", as_of=dt.date(2021, 1, 1), user=None)
    theirs = UserFactory(role=Role.OFFICIAL, town=elsewhere)

    mine = selectors.dashboard(user=official, on=END_OF_2020)
    other = selectors.dashboard(user=theirs, on=END_OF_2020, year=2020)

    assert (mine.target_years, mine.target.households, mine.target.name) == ([2020], 5, "2020年脱贫攻坚工作计划")
    assert selectors.dashboard(user=official, year=2021).target.year == 2020  # 2021 is the other town's
    assert (other.target_years, other.target.households, other.target.lifted_households) == ([2021, 2020], 7, 0)


def test_the_town_dashboard_shows_the_cohort_headline_and_its_day(client, campaign, official):
    client.force_login(official)
    page = client.get(reverse("reports:town"), {"year": 2020})
    target = page.context["d"].target

    assert page.status_code == 200
    assert (target.households, target.lifted_households, target.remaining_households) == (5, 3, 2)
    assert "2020年脱贫攻坚工作计划" in page.text
    assert "2020-01-01" in page.text


def test_the_burn_down_reads_a_fixed_number_of_queries_whatever_the_cohort(
    official, town, dongfeng, django_assert_num_queries
):
    households = [poor_household(dongfeng, people=2) for _ in range(30)]
    fix_2020(town)
    for n, household in enumerate(households):
        record_status(household, EXITED, on(1 + n % 12))
        if n % 3 == 0:
            record_status(household, UNEXITED, on(1 + n % 12, 25))
    assert StatusChange.objects.filter(changed_on__year=2020).count() == 40
    with django_assert_num_queries(2):  # targets by year with their cohorts' size; the cohort's changes
        selectors._target(official, 2020, END_OF_2020)
