import datetime as dt
import random

import pytest

from audit.models import AccessEvent
from e2e.conftest import log_in
from households import idnumbers
from households.choices import Relation
from households.models import Household
from households.tests.factories import AssessmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cadre_on_a_phone_finds_a_household_and_reveals_a_logged_id_number(phone, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    head = household.members.get()
    log_in(phone, "alice")
    phone.goto("/households/")  # a cadre lands on the village dashboard

    phone.fill("input[name=q]", head.name)
    phone.keyboard.press("Enter")
    phone.click(f"text={household.number}")
    assert head.id_number not in phone.content()
    assert head.masked_id_number in phone.content()

    phone.click("td.id-number button")
    phone.wait_for_selector(f"text={head.id_number}")
    assert AccessEvent.objects.filter(user=alice, member_id=head.pk).exists()


def test_a_cadre_registers_a_family_adding_a_second_member_and_correcting_a_typo(phone, alice, dongfeng):
    rng = random.Random(3)
    head_id = idnumbers.make("340321", dt.date(1968, 4, 2), idnumbers.MALE, rng)
    child_id = idnumbers.make("340321", dt.date(2009, 9, 9), idnumbers.FEMALE, rng)
    log_in(phone, "alice")
    phone.goto("/households/")

    phone.click("text=新增农户")
    phone.fill("#id_number", "3403210019990001")
    phone.select_option("#id_village", label="东风村")
    phone.select_option("#id_main_cause", value="illness")
    phone.fill("#id_members-0-name", "赵大山")
    phone.fill("#id_members-0-id_number", head_id)
    phone.select_option("#id_members-0-relation", value=Relation.HEAD)
    phone.click("[data-formset-add]")
    phone.fill("#id_members-1-name", "赵小花")
    phone.fill("#id_members-1-id_number", child_id[:-1] + ("0" if child_id[-1] != "0" else "1"))
    phone.select_option("#id_members-1-relation", value=Relation.DAUGHTER)
    phone.get_by_role("button", name="保存", exact=True).click()

    phone.wait_for_selector("text=证件号码校验位错误")
    assert not Household.objects.exists()

    phone.fill("#id_members-1-id_number", child_id)
    phone.get_by_role("button", name="保存", exact=True).click()
    phone.wait_for_selector("text=已保存户 3403210019990001")
    household = Household.objects.get(number="3403210019990001")
    assert household.members.count() == 2
    assert household.members.get(relation=Relation.DAUGHTER).birth_date == dt.date(2009, 9, 9)


def test_an_official_sees_which_item_blocks_exit_and_reads_it_in_english(phone, official, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    MemberFactory(household=household)
    household.latest_assessment = AssessmentFactory(household=household, water_ok=False, water_note="水井干涸")
    household.save()
    log_in(phone, "official")

    phone.goto(f"/households/{household.pk}/status/")
    phone.wait_for_selector("text=“两不愁三保障”未达标：饮水安全")
    phone.select_option("#language", value="en")
    phone.wait_for_selector("text=Fails the 2W3G item: Safe drinking water.")
