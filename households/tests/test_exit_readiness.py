"""A household leaves poverty only with income above the line and all six 2W3G items met."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from households import services
from households.choices import HouseholdStatus, MonitorKind, WorkAbility
from households.models import IncomeLine, StatusChange
from households.tests.factories import (
    AssessmentFactory,
    ClassificationFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
)
from households.tests.test_views import DETAIL_PAGE_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def assessed(household, **verdicts):
    household.latest_assessment = AssessmentFactory(household=household, **verdicts)
    household.save()
    return household


def earning(household, net, year=2020, size=1):
    return IncomeRecordFactory(household=household, year=year, wage_income=net, household_size=size)


def mark_exited(household, user):
    return services.household_set_status(
        household=household, to_status=HouseholdStatus.EXITED, changed_on=dt.date(2020, 6, 30), reason="达标", user=user
    )


def test_a_household_without_income_is_not_ready(dongfeng_household):
    assessed(dongfeng_household)
    assert services.exit_blockers(dongfeng_household) == ["No income has been recorded."]


def test_income_exactly_at_the_line_blocks_exit_and_says_by_how_much(dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 10_000, size=2)
    assert services.exit_blockers(dongfeng_household) == [
        "Per-capita net income of 5,000.00 yuan in 2020 is not above that year's line of 5,000 yuan."
    ]


def test_one_yuan_above_the_line_with_every_item_met_is_ready(dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 10_001, size=2)
    assert services.exit_blockers(dongfeng_household) == []


def test_a_year_without_a_line_blocks_exit_and_names_the_year(dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 50_000, year=2021)
    assert services.exit_blockers(dongfeng_household) == ["No income line is configured for 2021."]


def test_only_the_latest_income_record_counts(dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 9_000, year=2019)
    earning(dongfeng_household, 4_000, year=2020)
    assert len(services.exit_blockers(dongfeng_household)) == 1


def test_each_blocker_is_its_own_sentence(dongfeng_household):
    assessed(dongfeng_household, housing_ok=False, housing_note="C级", water_ok=False, water_note="无自来水")
    assert services.exit_blockers(dongfeng_household) == [
        "No income has been recorded.",
        "Fails the 2W3G item: Safe housing guaranteed.",
        "Fails the 2W3G item: Safe drinking water.",
    ]


def test_no_assessment_still_blocks_exit(dongfeng_household):
    earning(dongfeng_household, 6_000)
    assert services.exit_blockers(dongfeng_household) == ["No 2W3G assessment has been recorded."]


def test_marking_exited_is_refused_with_every_blocker(official, dongfeng_household):
    assessed(dongfeng_household, food_ok=False, food_note="缺粮")
    earning(dongfeng_household, 4_999)
    with pytest.raises(ValidationError) as error:
        mark_exited(dongfeng_household, official)
    messages = error.value.message_dict["to_status"]
    assert messages[0] == "The household cannot be marked out of poverty yet."
    assert any("4,999.00 yuan in 2020" in message for message in messages)
    assert "Fails the 2W3G item: No worry about food." in messages
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.status == HouseholdStatus.UNEXITED
    assert not StatusChange.objects.exists()


def test_marking_exited_works_once_income_and_every_item_pass(official, dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 5_001)
    mark_exited(dongfeng_household, official)
    dongfeng_household.refresh_from_db()
    assert (dongfeng_household.status, dongfeng_household.exit_year) == (HouseholdStatus.EXITED, 2020)


def test_a_risk_removed_keeps_the_year_the_household_left_poverty(official, dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 5_001)
    mark_exited(dongfeng_household, official)
    services.household_set_status(
        household=dongfeng_household,
        to_status=HouseholdStatus.MONITORED,
        monitor_kind=MonitorKind.UNSTABLE,
        changed_on=dt.date(2021, 3, 5),
        reason="因病",
        user=official,
    )
    earning(dongfeng_household, 6_001, year=2021)
    IncomeLine.objects.create(year=2021, line=6_000)
    services.household_set_status(
        household=dongfeng_household,
        to_status=HouseholdStatus.EXITED,
        changed_on=dt.date(2021, 11, 5),
        reason="风险消除",
        user=official,
    )
    dongfeng_household.refresh_from_db()
    assert (dongfeng_household.status, dongfeng_household.exit_year) == (HouseholdStatus.EXITED, 2020)


def test_an_exit_after_a_return_to_poverty_is_a_new_exit_year(official, dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 5_001)
    mark_exited(dongfeng_household, official)
    services.household_set_status(
        household=dongfeng_household,
        to_status=HouseholdStatus.UNEXITED,
        changed_on=dt.date(2021, 3, 5),
        reason="返贫",
        user=official,
    )
    earning(dongfeng_household, 6_001, year=2021)
    IncomeLine.objects.create(year=2021, line=6_000)
    services.household_set_status(
        household=dongfeng_household,
        to_status=HouseholdStatus.EXITED,
        changed_on=dt.date(2021, 11, 5),
        reason="达标",
        user=official,
    )
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.exit_year == 2021


def test_other_status_changes_do_not_need_income(official, dongfeng_household):
    services.household_set_status(
        household=dongfeng_household,
        to_status=HouseholdStatus.CLOSED,
        changed_on=dt.date(2020, 6, 30),
        reason="户已消亡",
        user=official,
    )
    dongfeng_household.refresh_from_db()
    assert dongfeng_household.status == HouseholdStatus.CLOSED


def test_the_verification_step_of_the_exit_procedure_lists_the_income_blocker(english, alice, dongfeng_household):
    from households import exits
    from households.models import ExitStep

    assessed(dongfeng_household)
    ExitStep.objects.filter(code="appraisal").update(active=False)
    procedure = exits.exit_procedure_start(
        household=dongfeng_household, year=2020, started_on=dt.date(2020, 6, 1), user=alice
    )
    english.force_login(alice)
    response = english.post(reverse("households:exit-step", args=[procedure.pk]), {"done_on": "2020-06-30"})
    assert response.status_code == 200
    assert "No income has been recorded." in response.text


# ---------------------------------------------------------------- readiness at a glance on the household page


def test_the_household_page_says_ready_when_nothing_blocks(english, alice, dongfeng_household):
    assessed(dongfeng_household)
    earning(dongfeng_household, 5_001)
    english.force_login(alice)
    response = english.get(dongfeng_household.get_absolute_url())
    assert response.context["exit_blockers"] == []
    assert "Ready to leave poverty:" in response.text


def test_the_household_page_lists_what_blocks_exit(english, alice, dongfeng_household):
    assessed(dongfeng_household, medical_ok=False, medical_note="未签约")
    english.force_login(alice)
    response = english.get(dongfeng_household.get_absolute_url())
    assert "Not yet ready to leave poverty:" in response.text
    assert "No income has been recorded." in response.text
    assert "Fails the 2W3G item: Basic medical care guaranteed." in response.text


def test_an_exited_household_shows_its_class_instead_of_readiness(english, alice, dongfeng):
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    ClassificationFactory(household=household, confirmed_class="bottom_line", suggested_class="bottom_line")
    english.force_login(alice)
    response = english.get(household.get_absolute_url())
    assert "Class after exit:" in response.text
    assert "Bottom-line guarantee" in response.text
    assert "Ready to leave poverty" not in response.text
    assert "Not yet ready to leave poverty" not in response.text


def test_the_page_of_an_exited_household_runs_the_same_fixed_number_of_queries(
    client, alice, dongfeng, django_assert_num_queries
):
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    household.members.update(work_ability=WorkAbility.NORMAL)
    for _ in range(3):
        MemberFactory(household=household, work_ability=WorkAbility.NONE)
    assessed(household)
    earning(household, 30_000, year=2019, size=4)
    earning(household, 32_000, year=2020, size=4)
    ClassificationFactory(household=household, current=False)
    ClassificationFactory(household=household)
    client.force_login(alice)
    # As test_views.test_the_detail_page_runs_a_fixed_number_of_queries: the suggestion, the readiness
    # and the income rows come from the prefetched members, income records, classifications and lines.
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        response = client.get(household.get_absolute_url())
    assert response.context["suggestion"].rule == "dependants"
    assert len(response.context["classifications"]) == 2
