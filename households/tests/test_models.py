import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from households.choices import HouseholdStatus, Relation, Sex
from households.models import Household, Member
from households.tests.factories import HouseholdFactory, MemberFactory, valid_id_number

pytestmark = pytest.mark.django_db


def test_a_household_cannot_have_two_heads(dongfeng_household):
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(household=dongfeng_household, relation=Relation.HEAD)


def test_household_numbers_are_unique(dongfeng_household):
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdFactory(number=dongfeng_household.number, village=dongfeng_household.village)


def test_id_numbers_are_unique(dongfeng_household, hongqi_household):
    head = dongfeng_household.members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(household=hongqi_household, id_number=head.id_number)


def test_an_exited_household_must_have_an_exit_year(dongfeng_household):
    dongfeng_household.status = HouseholdStatus.EXITED
    with pytest.raises(IntegrityError), transaction.atomic():
        dongfeng_household.save()


def test_a_member_whose_sex_disagrees_with_the_id_number_is_invalid(dongfeng_household):
    member = Member(
        household=dongfeng_household,
        name="李四",
        relation=Relation.SPOUSE,
        id_number=valid_id_number(dt.date(1982, 1, 1), Sex.MALE),
        sex=Sex.FEMALE,
        birth_date=dt.date(1982, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "sex" in error.value.message_dict


def test_a_member_whose_birth_date_disagrees_with_the_id_number_is_invalid(dongfeng_household):
    member = Member(
        household=dongfeng_household,
        name="李四",
        relation=Relation.SPOUSE,
        id_number=valid_id_number(dt.date(1982, 1, 1), Sex.MALE),
        sex=Sex.MALE,
        birth_date=dt.date(1983, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "birth_date" in error.value.message_dict


def test_a_villager_group_of_another_village_is_rejected(dongfeng_household, hongqi):
    from households.tests.factories import VillagerGroupFactory

    dongfeng_household.group = VillagerGroupFactory(village=hongqi)
    with pytest.raises(ValidationError) as error:
        dongfeng_household.full_clean()
    assert "group" in error.value.message_dict


def test_the_main_cause_may_not_be_repeated_among_the_other_causes(dongfeng_household):
    dongfeng_household.other_causes = [dongfeng_household.main_cause]
    with pytest.raises(ValidationError) as error:
        dongfeng_household.full_clean()
    assert "other_causes" in error.value.message_dict


def test_lists_show_id_numbers_masked(dongfeng_household):
    head = dongfeng_household.members.get()
    assert head.masked_id_number == head.id_number[:6] + "********" + head.id_number[-4:]
    assert Household.objects.count() == 1
