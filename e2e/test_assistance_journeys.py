import pytest
from django.utils import timezone

from assistance.models import Measure, Plan
from e2e.conftest import log_in
from households.choices import Relation
from households.tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cadre_on_a_phone_writes_this_years_plan_and_adds_a_measure(phone, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    head = household.members.get(relation=Relation.HEAD)
    log_in(phone, "alice")

    phone.goto(household.get_absolute_url())
    phone.click(f"a[href='/assistance/households/{household.pk}/plans/new/']")
    assert "因病" in phone.input_value("#id_cause_analysis")
    phone.fill("#id_cause_analysis", "户主患慢性病，家中缺劳力")
    phone.click("main button[type=submit]")
    phone.wait_for_url("**/assistance/plans/*/")

    phone.click("a[href$='/measures/new/']")
    phone.select_option("#id_category", value="health")
    phone.fill("#id_description", "签约家庭医生")
    phone.select_option("#id_beneficiary", value=str(head.pk))
    phone.fill("#id_planned_date", f"{timezone.localdate():%Y-%m-%d}")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("text=签约家庭医生")

    plan = Plan.objects.get(household=household)
    assert plan.year == timezone.localdate().year
    assert Measure.objects.get(plan=plan).beneficiary == head
