import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Role
from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_lists_every_household_for_an_administrator(client, dongfeng_household, hongqi_household):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:households_household_changelist"))
    assert dongfeng_household.number in response.text
    assert hongqi_household.number in response.text


def test_the_admin_is_scoped_for_a_staff_cadre(client, dongfeng, dongfeng_household, hongqi_household, hongqi):
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(
        Permission.objects.filter(codename__in=["view_household", "change_household", "view_village"])
    )
    client.force_login(cadre)
    households = client.get(reverse("admin:households_household_changelist")).text
    assert dongfeng_household.number in households
    assert hongqi_household.number not in households
    assert client.get(reverse("admin:households_household_change", args=[hongqi_household.pk])).status_code == 302
    villages = client.get(reverse("admin:households_village_changelist")).text
    assert hongqi.name not in villages


def test_user_management_is_for_administrators_only(client, dongfeng):
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True, is_superuser=False)
    client.force_login(cadre)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_support_units_in_the_admin_are_scoped_to_the_users_villages(client, dongfeng, hongqi):
    from assistance.tests.factories import SupportUnitFactory

    SupportUnitFactory(village=dongfeng, name="县财政局")
    SupportUnitFactory(village=hongqi, name="县水利局")
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename="view_supportunit"))
    client.force_login(cadre)
    page = client.get(reverse("admin:households_supportunit_changelist")).text
    assert "县财政局" in page
    assert "县水利局" not in page
