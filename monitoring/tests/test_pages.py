"""The register's pages: who sees which case, what the list and a case show, and their query counts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import CaseState
from monitoring.tests.factories import MonitoringCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dongfeng_case(dongfeng_household):
    return MonitoringCaseFactory(household=dongfeng_household)


@pytest.fixture
def hongqi_case(hongqi_household):
    return MonitoringCaseFactory(household=hongqi_household)


def test_cadre_sees_only_her_village_cases_in_the_register(client, alice, dongfeng_case, hongqi_case):
    client.force_login(alice)
    response = client.get(reverse("monitoring:cases"))
    assert list(response.context["page"].object_list) == [dongfeng_case]


def test_official_sees_the_town_cases_in_the_register(client, official, dongfeng_case, hongqi_case):
    client.force_login(official)
    response = client.get(reverse("monitoring:cases"))
    assert set(response.context["page"].object_list) == {dongfeng_case, hongqi_case}


def test_user_without_scope_sees_no_case(client, charlie, dongfeng_case):
    client.force_login(charlie)
    response = client.get(reverse("monitoring:cases"))
    assert list(response.context["page"].object_list) == []


def test_register_lists_open_cases_by_default_and_all_on_request(client, official, dongfeng_case, hongqi_case):
    hongqi_case.state = CaseState.DISMISSED
    hongqi_case.dismissal_reason = "收入稳定"
    hongqi_case.save()
    client.force_login(official)
    assert list(client.get(reverse("monitoring:cases")).context["page"].object_list) == [dongfeng_case]
    everything = client.get(reverse("monitoring:cases"), {"state": ""}).context["page"].object_list
    assert set(everything) == {dongfeng_case, hongqi_case}


def test_register_shows_late_cases_with_a_badge_and_filters_them(client, official, dongfeng_case, hongqi_case):
    hongqi_case.reported_on = timezone.localdate() - dt.timedelta(days=20)
    hongqi_case.deadline_on = hongqi_case.reported_on + dt.timedelta(days=15)
    hongqi_case.save()
    client.force_login(official)
    response = client.get(reverse("monitoring:cases"), {"late": "on"})
    assert list(response.context["page"].object_list) == [hongqi_case]
    assert "逾期" in response.content.decode() or "Late" in response.content.decode()


def test_register_query_count_does_not_grow_with_its_cases(client, official, django_assert_num_queries, town):
    from households.tests.factories import HouseholdFactory, VillageFactory

    village = VillageFactory(town=town)
    for _ in range(5):
        MonitoringCaseFactory(household=HouseholdFactory(village=village))
    client.force_login(official)
    # session, user, the filter's villages, count, the page of cases (household, village and head joined)
    with django_assert_num_queries(5):
        client.get(reverse("monitoring:cases"))


def test_register_exports_the_cases_in_scope(client, alice, dongfeng_case, hongqi_case):
    client.force_login(alice)
    response = client.get(reverse("monitoring:cases"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_case_page_is_found_in_scope_only(client, alice, bob, helper, dongfeng_case):
    for user, status in ((alice, 200), (bob, 404), (helper, 404)):
        client.force_login(user)
        assert client.get(reverse("monitoring:detail", args=[dongfeng_case.pk])).status_code == status


def test_case_page_runs_a_fixed_number_of_queries(client, alice, dongfeng_case, django_assert_num_queries):
    from monitoring.tests.factories import FollowUpFactory

    dongfeng_case.state = CaseState.IDENTIFIED
    dongfeng_case.confirmed_on = dongfeng_case.reported_on
    dongfeng_case.save()
    for months in range(3):
        FollowUpFactory(
            case=dongfeng_case, month=(timezone.localdate() - dt.timedelta(days=31 * months)).replace(day=1)
        )
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 the case with household, village, assessment, actors and head,
    # 5 follow-ups with their recorders, 6 warnings, 7 measures answering its risks, 8 this year's plan,
    # 9 follow-ups for the removal conditions, 10 monitoring lines
    with django_assert_num_queries(10):
        response = client.get(reverse("monitoring:detail", args=[dongfeng_case.pk]))
    assert response.status_code == 200


def test_case_page_lists_the_measures_answering_each_risk(client, alice, dongfeng_case):
    from assistance.tests.factories import MeasureFactory, PlanFactory

    dongfeng_case.state = CaseState.IDENTIFIED
    dongfeng_case.confirmed_on = dongfeng_case.reported_on
    dongfeng_case.risks = ["illness", "schooling"]
    dongfeng_case.save()
    plan = PlanFactory(household=dongfeng_case.household, year=timezone.localdate().year)
    answering = MeasureFactory(plan=plan, risk="illness")
    MeasureFactory(plan=plan, risk="")
    client.force_login(alice)
    response = client.get(reverse("monitoring:detail", args=[dongfeng_case.pk]))
    per_risk = {item.risk.value: item.measures for item in response.context["per_risk"]}
    assert per_risk == {"illness": [answering], "schooling": []}
    assert f"{reverse('assistance:measure-create', args=[plan.pk])}?risk=schooling" in response.content.decode()


def test_measure_form_preselects_the_risk_it_was_opened_for(client, alice, dongfeng_household):
    from assistance.tests.factories import PlanFactory

    plan = PlanFactory(household=dongfeng_household)
    client.force_login(alice)
    response = client.get(reverse("assistance:measure-create", args=[plan.pk]), {"risk": "illness"})
    assert response.context["form"]["risk"].value() == "illness"


def test_cadre_reports_a_household_from_its_page(client, alice, dongfeng_household):
    client.force_login(alice)
    url = reverse("monitoring:report") + f"?household={dongfeng_household.pk}"
    response = client.post(
        url,
        {
            "kind": "marginal",
            "origin": "cadre",
            "risks": ["illness", "accident"],
            "description": "车祸住院",
            "reported_on": timezone.localdate().isoformat(),
        },
    )
    case = dongfeng_household.monitoring_cases.get()
    assert response.status_code == 302
    assert (case.state, case.risks, case.reported_by) == (CaseState.CANDIDATE, ["illness", "accident"], alice)


def test_report_form_finds_the_household_by_its_last_digits_in_scope_only(client, alice, hongqi_household):
    client.force_login(alice)
    response = client.post(
        reverse("monitoring:report"),
        {
            "household_number": hongqi_household.number[-6:],
            "kind": "marginal",
            "origin": "cadre",
            "risks": ["illness"],
            "description": "因病",
            "reported_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["household_number"]


def test_a_step_form_shows_the_service_refusal(client, alice, dongfeng_case):
    client.force_login(alice)
    before = (dongfeng_case.reported_on - dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("monitoring:verify", args=[dongfeng_case.pk]), {"on": before})
    assert response.status_code == 200
    assert response.context["form"].errors["on"]
    response = client.post(reverse("monitoring:verify", args=[dongfeng_case.pk]), {"on": timezone.localdate()})
    assert response.status_code == 302
    dongfeng_case.refresh_from_db()
    assert dongfeng_case.state == CaseState.VERIFIED


def test_a_cadre_cannot_open_the_town_review(client, alice, dongfeng_case):
    client.force_login(alice)
    assert client.get(reverse("monitoring:review", args=[dongfeng_case.pk])).status_code == 404


def test_household_page_shows_the_open_case_and_offers_a_report_otherwise(client, alice, dongfeng_household):
    client.force_login(alice)
    page = client.get(reverse("households:detail", args=[dongfeng_household.pk])).content.decode()
    assert f"{reverse('monitoring:report')}?household={dongfeng_household.pk}" in page
    case = MonitoringCaseFactory(household=dongfeng_household)
    page = client.get(reverse("households:detail", args=[dongfeng_household.pk])).content.decode()
    assert case.get_absolute_url() in page
    assert f"{reverse('monitoring:report')}?household=" not in page
