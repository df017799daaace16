"""The programmes' admin pages are scoped like every other page."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Role
from assistance.tests.factories_programmes import FiveMutualTypeFactory, LoanFactory, RewardFactory
from households.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_every_villages_loans(client, dongfeng_household, hongqi_household):
    LoanFactory(household=dongfeng_household)
    LoanFactory(household=hongqi_household)
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:assistance_loan_changelist"))
    assert dongfeng_household.number in response.text
    assert hongqi_household.number in response.text
    assert client.get(reverse("admin:assistance_loan_add")).status_code == 403


def test_a_staff_cadre_sees_only_their_village_in_the_admin(client, dongfeng, dongfeng_household, hongqi_household):
    mine, theirs = RewardFactory(household=dongfeng_household), RewardFactory(household=hongqi_household)
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename__in=["view_reward", "change_reward"]))
    client.force_login(cadre)
    listed = client.get(reverse("admin:assistance_reward_changelist")).text
    assert dongfeng_household.number in listed
    assert hongqi_household.number not in listed
    assert client.get(reverse("admin:assistance_reward_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:assistance_reward_change", args=[theirs.pk])).status_code == 302


def test_administrators_keep_the_five_mutual_activity_types(client):
    kind = FiveMutualTypeFactory(name="邻里互帮")
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    assert kind.name in client.get(reverse("admin:assistance_fivemutualtype_changelist")).text
    response = client.post(
        reverse("admin:assistance_fivemutualtype_add"), {"name": "家风互评", "description": "", "active": "on"}
    )
    assert response.status_code == 302
