import datetime as dt

import pytest

from accounts.models import Role
from households.models import Household, Member, Village
from households.tests.factories import AssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_cadre_sees_only_the_households_of_their_village(alice, dongfeng_household, hongqi_household):
    assert list(Household.objects.visible_to(alice)) == [dongfeng_household]


def test_a_town_official_sees_every_household_of_the_town(official, dongfeng_household, hongqi_household):
    assert set(Household.objects.visible_to(official)) == {dongfeng_household, hongqi_household}


def test_an_official_of_another_town_sees_nothing(dongfeng_household):
    from households.tests.factories import TownFactory

    other = UserFactory(role=Role.OFFICIAL, town=TownFactory(code="999", name="别镇"))
    assert not Household.objects.visible_to(other).exists()


def test_a_user_without_scope_sees_nothing(charlie, dongfeng_household):
    assert not Household.objects.visible_to(charlie).exists()
    assert not Village.objects.visible_to(charlie).exists()
    assert not Member.objects.visible_to(charlie).exists()


def test_a_cadre_with_no_village_sees_nothing(dongfeng_household):
    assert not Household.objects.visible_to(UserFactory(role=Role.CADRE)).exists()


def test_an_inactive_user_sees_nothing(alice, dongfeng_household):
    alice.is_active = False
    alice.save()
    assert not Household.objects.visible_to(alice).exists()


def test_an_anonymous_user_sees_nothing(dongfeng_household):
    from django.contrib.auth.models import AnonymousUser

    assert not Household.objects.visible_to(AnonymousUser()).exists()


def test_a_responsible_person_sees_only_the_households_assigned_to_them(helper, dongfeng_household, hongqi_household):
    AssignmentFactory(household=dongfeng_household, person=helper)
    assert list(Household.objects.visible_to(helper)) == [dongfeng_household]
    assert list(Village.objects.visible_to(helper)) == [dongfeng_household.village]


def test_a_responsible_person_loses_sight_of_a_household_when_the_assignment_ends(helper, dongfeng_household):
    AssignmentFactory(household=dongfeng_household, person=helper, end_date=dt.date(2020, 6, 30))
    assert not Household.objects.visible_to(helper).exists()


def test_a_responsible_person_may_read_but_not_edit(helper, dongfeng_household):
    AssignmentFactory(household=dongfeng_household, person=helper)
    assert not Household.objects.editable_by(helper).exists()


def test_only_officials_and_admins_change_status(alice, official, dongfeng_household):
    assert not Household.objects.status_changeable_by(alice).exists()
    assert Household.objects.status_changeable_by(official).exists()


def test_a_cadre_of_two_villages_sees_both(dongfeng, hongqi, dongfeng_household, hongqi_household):
    both = UserFactory(role=Role.TEAM_MEMBER, villages=[dongfeng, hongqi])
    assert Household.objects.visible_to(both).count() == 2
