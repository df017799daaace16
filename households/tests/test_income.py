"""The income ledger: lines, records, the form that keeps them, and the list of flagged households."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role
from households.choices import HouseholdStatus
from households.models import IncomeLine, IncomeRecord
from households.tests.factories import (
    AssignmentFactory,
    HouseholdFactory,
    IncomeLineFactory,
    IncomeRecordFactory,
    MemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def record(household, year, net, size=1):
    """An income record whose net income is `net` (a loss comes from the costs)."""
    if net >= 0:
        return IncomeRecordFactory(household=household, year=year, wage_income=net, household_size=size)
    return IncomeRecordFactory(household=household, year=year, production_costs=-net, household_size=size)


def add_url(household):
    return reverse("households:income-add", args=[household.pk])


def edit_url(household, year):
    return reverse("households:income-edit", args=[household.pk, year])


def income_post(**overrides):
    data = {
        "year": "2020",
        "wage_income": "12000",
        "production_income": "6000",
        "property_income": "500",
        "transfer_income": "1500",
        "production_costs": "2000",
        "household_size": "3",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- lines and records


def test_the_data_migration_holds_the_2020_line_of_5000_yuan_with_a_30_percent_drop_share():
    line = IncomeLine.objects.get(year=2020)
    assert (line.line, line.drop_share, line.consolidation_factor) == (5000, Decimal("0.30"), Decimal("1.50"))


def test_the_database_computes_net_income_and_keeps_it_current(dongfeng_household):
    created = IncomeRecordFactory(
        household=dongfeng_household,
        wage_income=12_000,
        production_income=6_000,
        property_income=500,
        transfer_income=1_500,
        production_costs=2_000,
        household_size=3,
    )
    assert created.net_income == 18_000
    created.production_costs = 20_500
    created.save()
    created.refresh_from_db()
    assert created.net_income == -500
    assert IncomeRecord.objects.filter(net_income__lt=0).get() == created


def test_per_capita_net_income_has_two_decimals(dongfeng_household):
    assert record(dongfeng_household, 2020, 10_000, size=3).per_capita == Decimal("3333.33")


def test_one_record_per_household_and_year(dongfeng_household):
    record(dongfeng_household, 2020, 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        record(dongfeng_household, 2020, 200)


def test_a_household_of_no_one_is_refused_by_the_database(dongfeng_household):
    with pytest.raises(IntegrityError), transaction.atomic():
        IncomeRecord.objects.create(household=dongfeng_household, year=2020, household_size=0)


def test_amounts_are_never_negative(dongfeng_household):
    income = IncomeRecord(household=dongfeng_household, year=2020, household_size=1, wage_income=-1)
    with pytest.raises(ValidationError) as error:
        income.full_clean()
    assert "wage_income" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        income.save()


@pytest.mark.parametrize("share", [Decimal("0"), Decimal("1")])
def test_a_line_needs_a_drop_share_strictly_between_0_and_1(share):
    with pytest.raises(IntegrityError), transaction.atomic():
        IncomeLine.objects.create(year=2021, line=5200, drop_share=share)


def test_administrators_keep_the_lines_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:households_incomeline_add"),
        {"year": "2021", "line": "5200", "drop_share": "0.25", "consolidation_factor": "1.60"},
    )
    assert response.status_code == 302
    assert IncomeLine.objects.get(year=2021).drop_share == Decimal("0.25")


# ---------------------------------------------------------------- recording a year


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_recording_income_in_another_village(client, alice, hongqi_household, method):
    record(hongqi_household, 2019, 100)
    client.force_login(alice)
    assert getattr(client, method)(add_url(hongqi_household), income_post()).status_code == 404
    assert getattr(client, method)(edit_url(hongqi_household, 2019), income_post()).status_code == 404
    assert not hongqi_household.income_records.filter(year=2020).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_without_scope_and_a_responsible_person_cannot_record_income(
    client, charlie, helper, dongfeng_household, method
):
    AssignmentFactory(household=dongfeng_household, person=helper)
    for user in (charlie, helper):
        client.force_login(user)
        assert getattr(client, method)(add_url(dongfeng_household), income_post()).status_code == 404
    assert not IncomeRecord.objects.exists()


def test_a_missing_household_or_year_gives_404(client, alice, dongfeng_household):
    client.force_login(alice)
    assert client.get(reverse("households:income-add", args=[987654])).status_code == 404
    assert client.get(edit_url(dongfeng_household, 2018)).status_code == 404


def test_a_cadre_records_a_year_of_income_for_a_household_of_their_village(client, alice, dongfeng_household):
    client.force_login(alice)
    response = client.post(add_url(dongfeng_household), income_post())
    assert response.status_code == 302
    assert response.url == dongfeng_household.get_absolute_url()
    income = IncomeRecord.objects.get(household=dongfeng_household, year=2020)
    assert (income.net_income, income.household_size, income.recorded_by) == (18_000, 3, alice)


def test_an_official_records_income_in_any_village(client, official, hongqi_household):
    client.force_login(official)
    assert client.post(add_url(hongqi_household), income_post()).status_code == 302
    assert hongqi_household.income_records.get().year == 2020


def test_the_form_starts_with_the_latest_line_year_and_the_current_number_of_members(client, alice, dongfeng_household):
    MemberFactory(household=dongfeng_household)
    IncomeLineFactory(year=2021, line=5300)
    client.force_login(alice)
    form = client.get(add_url(dongfeng_household)).context["form"]
    assert form["year"].value() == 2021
    assert form["household_size"].value() == 2


def test_a_year_already_recorded_is_refused_with_a_pointer_to_edit_it(client, alice, dongfeng_household):
    record(dongfeng_household, 2020, 100)
    client.force_login(alice)
    response = client.post(add_url(dongfeng_household), income_post())
    assert "year" in response.context["form"].errors
    assert dongfeng_household.income_records.get().net_income == 100


@pytest.mark.parametrize(("field", "value"), [("wage_income", "-5"), ("household_size", "0"), ("year", "1999")])
def test_impossible_figures_are_refused(client, alice, dongfeng_household, field, value):
    client.force_login(alice)
    response = client.post(add_url(dongfeng_household), income_post(**{field: value}))
    assert field in response.context["form"].errors
    assert not IncomeRecord.objects.exists()


def test_editing_a_year_changes_its_figures_but_never_its_year(client, alice, dongfeng_household):
    record(dongfeng_household, 2019, 100)
    client.force_login(alice)
    response = client.post(edit_url(dongfeng_household, 2019), income_post(year="2020", wage_income="30000"))
    assert response.status_code == 302
    income = dongfeng_household.income_records.get()
    assert (income.year, income.net_income) == (2019, 36_000)


def test_the_household_page_shows_each_year_against_its_line(english, alice, dongfeng_household):
    record(dongfeng_household, 2020, 15_001, size=3)
    record(dongfeng_household, 2019, 9_000, size=3)
    english.force_login(alice)
    response = english.get(dongfeng_household.get_absolute_url())
    years = response.context["income_years"]
    assert [(row.record.year, row.above) for row in years] == [(2020, True), (2019, None)]
    assert "5,000.33" in response.text
    assert "No line configured for 2019" in response.text
    assert edit_url(dongfeng_household, 2019) in response.text


# ---------------------------------------------------------------- the flagged list


def flagged(client, **params):
    return client.get(reverse("households:income-flagged"), params)


def flagged_rows(response):
    return {row.household.number: row for row in response.context["page"].object_list}


def test_the_line_itself_is_not_above_it_but_one_yuan_more_is(client, official, dongfeng):
    at_line, above = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    record(at_line, 2020, 15_000, size=3)
    record(above, 2020, 15_001, size=3)
    client.force_login(official)
    rows = flagged_rows(flagged(client))
    assert set(rows) == {at_line.number}
    assert rows[at_line.number].household.below_line
    assert rows[at_line.number].per_capita == Decimal("5000.00")


def test_a_fall_of_more_than_30_percent_is_flagged_with_both_figures(english, official, dongfeng):
    client = english
    exactly, more = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    for household, net_2020 in ((exactly, 14_000), (more, 13_998)):
        record(household, 2019, 10_000, size=1)
        record(household, 2020, net_2020, size=2)
    client.force_login(official)
    response = flagged(client)
    rows = flagged_rows(response)
    assert set(rows) == {more.number}
    row = rows[more.number]
    assert (row.household.dropped, row.household.below_line) == (True, False)
    assert (row.previous_per_capita, row.per_capita, row.drop) == (Decimal("10000.00"), Decimal("6999.00"), 30.0)
    assert "10,000.00 in 2019 → 6,999.00 in 2020" in response.text


def test_a_household_below_the_line_after_a_fall_shows_both_reasons_and_each_filter_finds_it(
    client, official, dongfeng
):
    both, only_low = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    record(both, 2019, 9_000)
    record(both, 2020, 4_000)
    record(only_low, 2020, 4_000)
    client.force_login(official)
    rows = flagged_rows(flagged(client))
    assert (rows[both.number].household.below_line, rows[both.number].household.dropped) == (True, True)
    assert set(flagged_rows(flagged(client, flag="drop"))) == {both.number}
    assert set(flagged_rows(flagged(client, flag="below_line"))) == {both.number, only_low.number}


def test_a_loss_is_below_the_line_but_never_a_fall_from_a_loss(client, official, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    record(household, 2019, -300)
    record(household, 2020, -900)
    client.force_login(official)
    row = flagged_rows(flagged(client))[household.number]
    assert row.household.below_line
    assert not row.household.dropped
    assert row.drop is None


def test_the_list_filters_by_village_and_status(client, official, dongfeng, hongqi):
    exited = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    unexited = HouseholdFactory(village=hongqi)
    for household in (exited, unexited):
        record(household, 2020, 100)
    client.force_login(official)
    assert set(flagged_rows(flagged(client, village=dongfeng.pk))) == {exited.number}
    assert set(flagged_rows(flagged(client, status="unexited"))) == {unexited.number}


def test_a_cadre_sees_only_their_village_and_cannot_filter_into_another(client, alice, dongfeng, hongqi):
    mine, theirs = HouseholdFactory(village=dongfeng), HouseholdFactory(village=hongqi)
    for household in (mine, theirs):
        record(household, 2020, 100)
    client.force_login(alice)
    assert set(flagged_rows(flagged(client))) == {mine.number}
    response = flagged(client, village=hongqi.pk)
    assert theirs.number not in response.text
    assert "village" in response.context["form"].errors


def test_a_user_without_scope_sees_an_empty_list(client, charlie, dongfeng_household):
    record(dongfeng_household, 2020, 100)
    client.force_login(charlie)
    response = flagged(client)
    assert response.status_code == 200
    assert dongfeng_household.number not in response.text
    assert response.context["page"].paginator.count == 0


def test_the_latest_year_with_a_line_is_the_default_and_others_can_be_chosen(client, official, dongfeng):
    IncomeLineFactory(year=2021, line=5300)
    household = HouseholdFactory(village=dongfeng)
    record(household, 2020, 100)
    client.force_login(official)
    response = flagged(client)
    assert response.context["line"].year == 2021
    assert not flagged_rows(response)
    assert set(flagged_rows(flagged(client, year=2020))) == {household.number}


def test_a_year_without_a_line_is_said_plainly(english, official, dongfeng_household):
    record(dongfeng_household, 2019, 100)
    english.force_login(official)
    response = flagged(english, year=2019)
    assert response.status_code == 200
    assert response.context["line"] is None
    assert "No income line is configured for 2019" in response.text


def test_without_any_line_the_page_says_so(english, official, dongfeng_household):
    IncomeLine.objects.all().delete()
    record(dongfeng_household, 2020, 100)
    english.force_login(official)
    response = flagged(english)
    assert response.status_code == 200
    assert "No income line has been configured yet" in response.text


def test_the_flagged_list_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    def add_flagged(count):
        for _ in range(count):
            household = HouseholdFactory(village=dongfeng)
            record(household, 2019, 20_000)
            record(household, 2020, 4_000)

    add_flagged(3)
    client.force_login(official)
    flagged(client)  # warm the session
    # 1 session, 2 user, 3 income lines, 4 paginator count, 5 page of households (village joined, this
    # year's and last year's income joined, both flags computed), 6 heads prefetch, 7 village choices
    with django_assert_num_queries(7):
        response = flagged(client)
    assert len(response.context["page"].object_list) == 3
    add_flagged(4)
    with django_assert_num_queries(7):
        response = flagged(client)
    assert len(response.context["page"].object_list) == 7


def test_the_flagged_list_is_paginated(client, official, dongfeng, settings):
    settings.HOUSEHOLDS_PER_PAGE = 2
    for _ in range(5):
        record(HouseholdFactory(village=dongfeng), 2020, 100)
    client.force_login(official)
    response = flagged(client, page=3)
    assert len(response.context["page"].object_list) == 1


def test_the_income_admin_is_scoped_for_a_staff_cadre(client, dongfeng, dongfeng_household, hongqi_household):
    mine, theirs = record(dongfeng_household, 2020, 100), record(hongqi_household, 2020, 100)
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename__in=["view_incomerecord", "change_incomerecord"]))
    client.force_login(cadre)
    listing = client.get(reverse("admin:households_incomerecord_changelist")).text
    assert dongfeng_household.number in listing
    assert hongqi_household.number not in listing
    assert client.get(reverse("admin:households_incomerecord_change", args=[theirs.pk])).status_code == 302
    assert client.get(reverse("admin:households_incomerecord_change", args=[mine.pk])).status_code == 200
