"""An ordinary rural household (一般农户), never registered poor, registered in the browser to be monitored."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from households.choices import HouseholdStatus, Relation
from households.models import Household, StatusChange
from households.tests.factories import HouseholdFactory, valid_id_number
from households.tests.test_views import household_post, member_data

pytestmark = pytest.mark.django_db

NUMBER = "340321001000777"


def general_post(village, **extra):
    data = household_post(
        village,
        member_data(0, name="王五", relation=Relation.HEAD, id_number=valid_id_number()),
        registered_as=HouseholdStatus.GENERAL,
        main_cause="",
        other_causes=[],
        **extra,
    )
    return data


def test_a_cadre_registers_an_ordinary_rural_household_without_a_poverty_cause(client, alice, dongfeng):
    client.force_login(alice)
    response = client.post(reverse("households:create"), general_post(dongfeng))

    household = Household.objects.get(number=NUMBER)
    assert response.status_code == 302
    assert response.url == household.get_absolute_url()
    assert (household.status, household.main_cause, household.identified_year) == (HouseholdStatus.GENERAL, "", None)
    first = StatusChange.objects.get(household=household)
    assert (first.from_status, first.to_status) == ("", HouseholdStatus.GENERAL)


def test_the_ordinary_household_page_offers_to_report_it_for_monitoring(client, alice, dongfeng):
    client.force_login(alice)
    response = client.post(reverse("households:create"), general_post(dongfeng), follow=True)
    household = Household.objects.get(number=NUMBER)
    assert f"{reverse('monitoring:report')}?household={household.pk}" in response.content.decode()


def test_an_ordinary_rural_household_was_never_identified_as_poor(client, alice, dongfeng):
    client.force_login(alice)
    response = client.post(reverse("households:create"), general_post(dongfeng, identified_year=2015))
    assert response.status_code == 200
    assert "identified_year" in response.context["form"].errors
    assert not Household.objects.exists()


def test_a_poor_household_still_needs_its_main_cause(client, alice, dongfeng):
    client.force_login(alice)
    data = general_post(dongfeng)
    data["registered_as"] = HouseholdStatus.UNEXITED
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 200
    assert "main_cause" in response.context["form"].errors
    assert not Household.objects.exists()


def test_a_household_registered_without_the_choice_is_registered_poor(client, alice, dongfeng):
    client.force_login(alice)
    data = household_post(dongfeng, member_data(0, name="张三", relation=Relation.HEAD, id_number=valid_id_number()))
    client.post(reverse("households:create"), data)
    assert Household.objects.get(number=NUMBER).status == HouseholdStatus.UNEXITED


def test_the_choice_is_only_offered_when_registering(client, alice, dongfeng):
    client.force_login(alice)
    assert "registered_as" in client.get(reverse("households:create")).context["form"].fields
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.GENERAL, main_cause="")
    form = client.get(reverse("households:edit", args=[household.pk])).context["form"]
    assert "registered_as" not in form.fields


def test_a_cadre_cannot_register_an_ordinary_household_in_another_village(client, bob, dongfeng):
    client.force_login(bob)
    response = client.post(reverse("households:create"), general_post(dongfeng))
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not Household.objects.exists()


def test_a_user_without_scope_cannot_register_an_ordinary_household(client, charlie, dongfeng):
    client.force_login(charlie)
    assert client.post(reverse("households:create"), general_post(dongfeng)).status_code == 404
    assert not Household.objects.exists()


def test_the_model_asks_a_registered_poor_household_for_its_cause(dongfeng):
    household = HouseholdFactory.build(village=dongfeng, status=HouseholdStatus.UNEXITED, main_cause="")
    with pytest.raises(ValidationError) as raised:
        household.full_clean()
    assert "main_cause" in raised.value.message_dict
    household.status = HouseholdStatus.GENERAL
    household.full_clean(exclude=["number"])


def test_the_database_refuses_a_registered_poor_household_without_a_cause(dongfeng):
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.GENERAL, main_cause="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.UNEXITED)


def test_a_monitored_household_that_was_never_poor_keeps_no_cause(dongfeng):
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.MONITORED, monitor_kind="marginal", main_cause="")


def test_an_ordinary_household_cannot_become_poor_without_its_cause(official, dongfeng):
    import datetime as dt

    from households.services import household_set_status

    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.GENERAL, main_cause="")
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        household_set_status(
            household=household,
            to_status=HouseholdStatus.UNEXITED,
            changed_on=dt.date(2021, 3, 1),
            reason="识别为贫困户",
            user=official,
        )
    assert "main poverty cause" in str(raised.value.message_dict["to_status"])
    household.refresh_from_db()
    assert household.status == HouseholdStatus.GENERAL
