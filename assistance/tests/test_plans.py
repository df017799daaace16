import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assistance.models import Measure, MeasureStatus, Plan
from assistance.tests.factories import MeasureFactory, PlanFactory
from audit.models import AuditEvent
from common.tests.browser import sent_back
from households.choices import HouseholdStatus
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


def measure_post(**overrides):
    data = {
        "category": "health",
        "description": "签约家庭医生",
        "planned_date": "2020-04-01",
        "amount": "0",
        "status": "planned",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- writing a plan


def test_a_cadre_writes_this_years_plan_starting_from_the_registered_causes(client, alice, dongfeng_household):
    client.force_login(alice)
    url = reverse("assistance:plan-create", args=[dongfeng_household.pk])
    assert "因病" in client.get(url).context["form"].initial["cause_analysis"]

    response = client.post(url, {"year": THIS_YEAR, "cause_analysis": "户主患慢性病，缺劳力", "goal": "稳定增收"})

    plan = Plan.objects.get()
    assert response.url == plan.get_absolute_url()
    assert (plan.household, plan.year, plan.created_by) == (dongfeng_household, THIS_YEAR, alice)


def test_a_second_plan_for_the_same_year_is_refused_with_a_message(client, alice, dongfeng_household):
    PlanFactory(household=dongfeng_household, year=2020)
    client.force_login(alice)
    response = client.post(
        reverse("assistance:plan-create", args=[dongfeng_household.pk]), {"year": 2020, "cause_analysis": "x"}
    )
    assert "year" in response.context["form"].errors
    assert Plan.objects.count() == 1


def test_a_plan_with_no_creator_is_edited_through_the_page_and_saved(client, alice, dongfeng_household):
    """Plans from the demo, the county generator or an import have no human author; editing them must work."""
    plan = PlanFactory(household=dongfeng_household, year=2020, created_by=None, goal="")
    client.force_login(alice)
    url = reverse("assistance:plan-edit", args=[plan.pk])
    data = sent_back(client.get(url).context["form"])

    response = client.post(url, {**data, "cause_analysis": "户主患慢性病，缺劳力", "goal": "稳定增收"})

    assert response.status_code == 302
    assert response.url == plan.get_absolute_url()
    plan.refresh_from_db()
    assert (plan.year, plan.cause_analysis, plan.goal) == (2020, "户主患慢性病，缺劳力", "稳定增收")
    assert plan.created_by is None  # an edit does not make its editor the author
    [event] = AuditEvent.objects.filter(object_type="assistance.Plan", object_id=plan.pk)
    assert (event.action, event.actor, event.household) == (AuditEvent.Action.CHANGED, alice, dongfeng_household)
    assert event.changes == {
        "cause_analysis": ["因病致贫，缺技术", "户主患慢性病，缺劳力"],
        "goal": ["", "稳定增收"],
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", ["assistance:plan-detail", "assistance:plan-edit", "assistance:measure-create"])
def test_a_cadre_gets_404_on_another_villages_plan(client, alice, hongqi_household, method, name):
    plan = PlanFactory(household=hongqi_household)
    client.force_login(alice)
    assert getattr(client, method)(reverse(name, args=[plan.pk]), measure_post()).status_code == 404
    assert not Measure.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_cannot_write_a_plan_for_another_village(client, alice, hongqi_household, method):
    client.force_login(alice)
    url = reverse("assistance:plan-create", args=[hongqi_household.pk])
    assert getattr(client, method)(url, {"year": 2020, "cause_analysis": "x"}).status_code == 404
    assert not Plan.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_editing_another_villages_measure(client, alice, hongqi_household, method):
    measure = MeasureFactory(plan=PlanFactory(household=hongqi_household))
    client.force_login(alice)
    url = reverse("assistance:measure-edit", args=[measure.pk])
    assert getattr(client, method)(url, measure_post(description="改了")).status_code == 404
    measure.refresh_from_db()
    assert measure.description != "改了"


def test_a_user_without_scope_cannot_open_a_plan(client, charlie, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    client.force_login(charlie)
    assert client.get(plan.get_absolute_url()).status_code == 404


def test_an_official_reads_any_plan_and_a_responsible_person_reads_only_their_households(
    client, official, helper, dongfeng_household, hongqi_household
):
    from households.tests.factories import AssignmentFactory

    mine, theirs = PlanFactory(household=dongfeng_household), PlanFactory(household=hongqi_household)
    AssignmentFactory(household=dongfeng_household, person=helper)
    client.force_login(official)
    assert client.get(theirs.get_absolute_url()).status_code == 200
    client.force_login(helper)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("assistance:measure-create", args=[mine.pk])).status_code == 404


# ---------------------------------------------------------------- measures


def test_a_cadre_adds_a_measure_for_a_member_of_the_household(client, alice, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    member = dongfeng_household.members.get()
    client.force_login(alice)
    response = client.post(
        reverse("assistance:measure-create", args=[plan.pk]),
        measure_post(beneficiary=member.pk, responsible=alice.pk, amount="1200.50"),
    )
    assert response.url == plan.get_absolute_url()
    measure = Measure.objects.get()
    assert (measure.beneficiary, measure.responsible, str(measure.amount)) == (member, alice, "1200.50")


def test_a_member_of_another_household_cannot_benefit(client, alice, dongfeng_household, dongfeng):
    plan = PlanFactory(household=dongfeng_household)
    stranger = MemberFactory(household=HouseholdFactory(village=dongfeng))
    client.force_login(alice)
    response = client.post(reverse("assistance:measure-create", args=[plan.pk]), measure_post(beneficiary=stranger.pk))
    assert "beneficiary" in response.context["form"].errors
    assert not Measure.objects.exists()


def test_a_done_measure_needs_its_actual_date(client, alice, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    client.force_login(alice)
    response = client.post(reverse("assistance:measure-create", args=[plan.pk]), measure_post(status="done"))
    assert "actual_date" in response.context["form"].errors


def test_a_negative_amount_is_refused(client, alice, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    client.force_login(alice)
    response = client.post(reverse("assistance:measure-create", args=[plan.pk]), measure_post(amount="-5"))
    assert "amount" in response.context["form"].errors


def test_a_cadre_marks_a_measure_done(client, alice, dongfeng_household):
    measure = MeasureFactory(plan=PlanFactory(household=dongfeng_household))
    client.force_login(alice)
    client.post(
        reverse("assistance:measure-edit", args=[measure.pk]),
        measure_post(status="done", actual_date="2020-05-06"),
    )
    measure.refresh_from_db()
    assert (measure.status, measure.actual_date) == (MeasureStatus.DONE, dt.date(2020, 5, 6))


def test_the_plan_page_runs_a_fixed_number_of_queries(client, alice, dongfeng_household, django_assert_num_queries):
    plan = PlanFactory(household=dongfeng_household)
    MeasureFactory(plan=plan)
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 plan with household, village, group and author, 5 measures
    # with responsible persons and beneficiaries
    with django_assert_num_queries(5):
        client.get(plan.get_absolute_url())
    for _ in range(3):
        MeasureFactory(plan=plan, responsible=alice, beneficiary=dongfeng_household.members.get())
    with django_assert_num_queries(5):
        client.get(plan.get_absolute_url())


def test_the_household_page_shows_this_years_plan_and_its_measures(client, alice, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household, year=THIS_YEAR)
    MeasureFactory(plan=plan, description="发展葡萄种植")
    client.force_login(alice)
    assert "发展葡萄种植" in client.get(dongfeng_household.get_absolute_url()).text


# ---------------------------------------------------------------- households without a plan


def test_the_missing_plan_list_shows_unexited_households_without_a_plan_this_year(client, official, dongfeng):
    planned = HouseholdFactory(village=dongfeng)
    PlanFactory(household=planned, year=THIS_YEAR)
    last_years_only = HouseholdFactory(village=dongfeng)
    PlanFactory(household=last_years_only, year=THIS_YEAR - 1)
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    client.force_login(official)
    listed = {h.pk for h in client.get(reverse("assistance:plans-missing")).context["page"].object_list}
    assert listed == {last_years_only.pk}


def test_the_missing_plan_list_takes_a_year_and_a_status(client, official, dongfeng):
    exited = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    PlanFactory(household=exited, year=2019)
    client.force_login(official)
    page = client.get(reverse("assistance:plans-missing"), {"year": 2019, "status": "exited"}).context["page"]
    assert page.paginator.count == 0
    page = client.get(reverse("assistance:plans-missing"), {"year": 2020, "status": "exited"}).context["page"]
    assert [h.pk for h in page.object_list] == [exited.pk]


def test_the_missing_plan_list_is_scoped(client, alice, dongfeng_household, hongqi_household):
    client.force_login(alice)
    listed = [h.pk for h in client.get(reverse("assistance:plans-missing")).context["page"].object_list]
    assert listed == [dongfeng_household.pk]


def test_the_missing_plan_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    client.force_login(official)
    client.get(reverse("assistance:plans-missing"))
    HouseholdFactory(village=dongfeng)
    # 1 session, 2 user, 3 count, 4 page of households, 5 heads, 6 villages
    with django_assert_num_queries(6):
        client.get(reverse("assistance:plans-missing"))
    for _ in range(3):
        HouseholdFactory(village=dongfeng)
    with django_assert_num_queries(6):
        client.get(reverse("assistance:plans-missing"))


def test_the_household_page_shows_last_years_plan_with_a_note_that_this_years_is_missing(
    client, alice, dongfeng_household
):
    MeasureFactory(plan=PlanFactory(household=dongfeng_household, year=THIS_YEAR - 1), description="发展葡萄种植")
    client.force_login(alice)
    response = client.get(dongfeng_household.get_absolute_url())
    panel = dict(response.context["panels"])["assistance/includes/plan_panel.html"]
    assert (panel["plan"].year, panel["year"]) == (THIS_YEAR - 1, THIS_YEAR)
    assert "发展葡萄种植" in response.text
    assert reverse("assistance:plan-create", args=[dongfeng_household.pk]) in response.text
