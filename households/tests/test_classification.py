"""Classification after exit: the service that confirms a class, its history, and its pages."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from households import services
from households.choices import HouseholdStatus, WorkAbility
from households.classification import ExitClass, Rule
from households.models import Classification
from households.tests.factories import (
    AssessmentFactory,
    ClassificationFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
    TownFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def exited_household(village, *, net=40_000, size=2):
    """An exited household of two working adults whose 2020 income is `net` and whose 2W3G all pass."""
    household = HouseholdFactory(village=village, status=HouseholdStatus.EXITED, exit_year=2019)
    household.members.update(work_ability=WorkAbility.NORMAL)
    MemberFactory(household=household, work_ability=WorkAbility.NORMAL)
    household.latest_assessment = AssessmentFactory(household=household)
    household.save()
    IncomeRecordFactory(household=household, year=2020, wage_income=net, household_size=size)
    return household


def confirm(household, user, confirmed_class, reason="", on=None):
    return services.classification_confirm(
        household=household, confirmed_class=confirmed_class, reason=reason, user=user, on=on
    )


# ---------------------------------------------------------------- the service


def test_an_official_confirms_the_suggestion_and_it_becomes_the_current_class(official, dongfeng):
    household = exited_household(dongfeng)
    decision = confirm(household, official, ExitClass.STABLE)
    assert (decision.suggested_class, decision.rule, decision.confirmed_class) == ("stable", "stable", "stable")
    assert (decision.decided_by, decision.classified_on, decision.current) == (official, timezone.localdate(), True)
    assert decision.figures["per_capita"] == "20000.00"


def test_the_suggestion_is_computed_afresh_from_the_data_not_from_the_caller(official, dongfeng):
    household = exited_household(dongfeng)
    household.income_records.update(wage_income=9_000)  # 4,500 per person: not above the line
    decision = confirm(household, official, ExitClass.AT_RISK)
    assert (decision.suggested_class, decision.rule) == (ExitClass.AT_RISK, Rule.BELOW_LINE)
    with translation.override("en"):
        assert (
            decision.explanation == "Per-capita net income of 4,500.00 yuan is not above the 2020 line of 5,000 yuan."
        )


def test_overriding_the_suggestion_needs_a_reason(official, dongfeng):
    household = exited_household(dongfeng)
    with pytest.raises(ValidationError) as error:
        confirm(household, official, ExitClass.CONSOLIDATION, reason="  ")
    assert "reason" in error.value.message_dict
    assert not Classification.objects.exists()
    decision = confirm(household, official, ExitClass.CONSOLIDATION, reason="务工收入不稳定")
    assert (decision.suggested_class, decision.confirmed_class, decision.is_override) == (
        "stable",
        "consolidation",
        True,
    )


def test_the_database_also_refuses_an_override_without_a_reason(official, dongfeng_household):
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassificationFactory(household=dongfeng_household, suggested_class="stable", confirmed_class="at_risk")


def test_a_new_decision_keeps_the_old_one_as_history(official, dongfeng):
    household = exited_household(dongfeng)
    first = confirm(household, official, ExitClass.STABLE)
    second = confirm(household, official, ExitClass.CONSOLIDATION, reason="家中有人新患大病")
    first.refresh_from_db()
    assert (first.current, second.current) == (False, True)
    assert household.classifications.current().get() == second
    assert household.classifications.count() == 2


def test_two_current_classes_for_one_household_are_refused_by_the_database(dongfeng_household):
    ClassificationFactory(household=dongfeng_household)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassificationFactory(household=dongfeng_household)


def test_a_village_cadre_cannot_confirm_even_through_the_service(alice, dongfeng):
    household = exited_household(dongfeng)
    with pytest.raises(PermissionDenied):
        confirm(household, alice, ExitClass.STABLE)
    assert not Classification.objects.exists()


def test_an_official_of_another_town_cannot_confirm(dongfeng):
    stranger = UserFactory(role=Role.OFFICIAL, town=TownFactory(code="999", name="别镇"))
    with pytest.raises(PermissionDenied):
        confirm(exited_household(dongfeng), stranger, ExitClass.STABLE)


def test_a_household_still_in_poverty_is_not_classified(official, dongfeng_household):
    with pytest.raises(ValidationError):
        confirm(dongfeng_household, official, ExitClass.STABLE)
    assert not Classification.objects.exists()


def test_a_monitored_household_is_classified_and_suggested_at_risk(official, dongfeng):
    household = exited_household(dongfeng)
    household.status, household.monitor_kind = HouseholdStatus.MONITORED, "unstable"
    household.save()
    assert confirm(household, official, ExitClass.AT_RISK).rule == Rule.MONITORED


def test_a_classification_cannot_be_dated_in_the_future(official, dongfeng):
    with pytest.raises(ValidationError):
        confirm(exited_household(dongfeng), official, ExitClass.STABLE, on=timezone.localdate() + dt.timedelta(days=1))


def test_ages_are_reckoned_on_the_date_given(official, dongfeng):
    household = exited_household(dongfeng)
    decision = confirm(household, official, ExitClass.STABLE, on=dt.date(2021, 3, 1))
    assert decision.classified_on == dt.date(2021, 3, 1)


# ---------------------------------------------------------------- the confirm page


def classify_url(household):
    return reverse("households:classify", args=[household.pk])


@pytest.mark.parametrize("method", ["get", "post"])
def test_cadres_even_of_the_village_get_404_on_the_confirm_page(client, alice, bob, dongfeng, method):
    household = exited_household(dongfeng)
    for user in (alice, bob):
        client.force_login(user)
        response = getattr(client, method)(classify_url(household), {"confirmed_class": "stable"})
        assert response.status_code == 404
    assert not Classification.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_scope_gets_404_on_the_confirm_page(client, charlie, dongfeng, method):
    client.force_login(charlie)
    response = getattr(client, method)(classify_url(exited_household(dongfeng)), {"confirmed_class": "stable"})
    assert response.status_code == 404


def test_an_official_opens_the_page_with_the_suggestion_chosen(english, official, hongqi):
    household = exited_household(hongqi)
    english.force_login(official)
    response = english.get(classify_url(household))
    assert response.status_code == 200
    assert response.context["form"]["confirmed_class"].value() == ExitClass.STABLE
    assert "is at least 1.50 times the 2020 line" in response.text


def test_an_official_confirms_a_class_from_the_page(client, official, hongqi):
    household = exited_household(hongqi)
    client.force_login(official)
    response = client.post(classify_url(household), {"confirmed_class": "stable", "reason": ""})
    assert response.status_code == 302
    assert response.url == household.get_absolute_url()
    assert household.classifications.get().decided_by == official


def test_an_override_without_a_reason_is_sent_back_with_the_error(client, official, dongfeng):
    household = exited_household(dongfeng)
    client.force_login(official)
    response = client.post(classify_url(household), {"confirmed_class": "bottom_line", "reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not Classification.objects.exists()


def test_an_unexited_household_is_sent_back_to_its_page(client, official, dongfeng_household):
    client.force_login(official)
    response = client.post(classify_url(dongfeng_household), {"confirmed_class": "stable"})
    assert response.status_code == 302
    assert not Classification.objects.exists()


def test_the_household_page_shows_the_suggestion_and_the_history(english, official, dongfeng):
    household = exited_household(dongfeng)
    confirm(household, official, ExitClass.CONSOLIDATION, reason="务工收入不稳定")
    english.force_login(official)
    response = english.get(household.get_absolute_url())
    assert response.context["suggestion"].rule == Rule.STABLE
    assert response.context["current_classification"].confirmed_class == ExitClass.CONSOLIDATION
    assert "务工收入不稳定" in response.text
    assert "(suggested: Stably out of poverty)" in response.text
    assert classify_url(household) in response.text


def test_a_cadre_sees_the_class_but_no_confirm_button(client, alice, dongfeng):
    household = exited_household(dongfeng)
    client.force_login(alice)
    response = client.get(household.get_absolute_url())
    assert response.context["suggestion"] is not None
    assert classify_url(household) not in response.text


# ---------------------------------------------------------------- the list by class


def classes(client, **params):
    return client.get(reverse("households:classes"), params)


def numbers(response):
    return {row.household.number for row in response.context["page"].object_list}


def counts(response):
    return {value: count for value, _, count in response.context["counts"]}


def test_the_list_counts_each_class_and_the_unclassified(client, official, dongfeng, hongqi):
    stable = ClassificationFactory(household=exited_household(dongfeng)).household
    old = ClassificationFactory(household=exited_household(hongqi), current=False)
    ClassificationFactory(household=old.household, suggested_class="at_risk", confirmed_class="at_risk")
    unclassified = exited_household(dongfeng)
    HouseholdFactory(village=dongfeng)  # unexited: not in the list
    client.force_login(official)
    response = classes(client)
    assert counts(response) == {"bottom_line": 0, "at_risk": 1, "consolidation": 0, "stable": 1, "none": 1}
    assert numbers(response) == {stable.number, old.household.number, unclassified.number}
    assert numbers(classes(client, exit_class="at_risk")) == {old.household.number}
    assert numbers(classes(client, exit_class="none")) == {unclassified.number}


def test_the_list_filters_by_village_and_counts_within_it(client, official, dongfeng, hongqi):
    mine = ClassificationFactory(household=exited_household(dongfeng)).household
    ClassificationFactory(household=exited_household(hongqi))
    client.force_login(official)
    response = classes(client, village=dongfeng.pk)
    assert numbers(response) == {mine.number}
    assert counts(response)["stable"] == 1


def test_a_cadre_lists_only_their_village(client, alice, dongfeng, hongqi):
    mine = ClassificationFactory(household=exited_household(dongfeng)).household
    theirs = ClassificationFactory(household=exited_household(hongqi)).household
    client.force_login(alice)
    response = classes(client)
    assert numbers(response) == {mine.number}
    assert counts(response)["stable"] == 1
    assert theirs.number not in classes(client, village=hongqi.pk).text


def test_a_user_without_scope_sees_an_empty_list(client, charlie, dongfeng):
    ClassificationFactory(household=exited_household(dongfeng))
    client.force_login(charlie)
    response = classes(client)
    assert response.status_code == 200
    assert not numbers(response)
    assert sum(counts(response).values()) == 0


def test_an_override_shows_the_suggestion_in_the_list(english, official, dongfeng):
    ClassificationFactory(
        household=exited_household(dongfeng), suggested_class="stable", confirmed_class="consolidation", reason="x"
    )
    english.force_login(official)
    assert "suggested: Stably out of poverty" in classes(english).text


def test_the_class_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            ClassificationFactory(household=exited_household(dongfeng))

    add(3)
    client.force_login(official)
    classes(client)  # warm the session
    # 1 session, 2 user, 3 counts per class (one grouped query), 4 paginator count, 5 page of households
    # (village and current class joined), 6 heads prefetch, 7 village choices
    with django_assert_num_queries(7):
        response = classes(client)
    assert len(response.context["page"].object_list) == 3
    add(4)
    with django_assert_num_queries(7):
        response = classes(client, exit_class="stable")
    assert len(response.context["page"].object_list) == 7
