"""Excel downloads of the registry's lists: the households, the income flags and the classes after exit."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.tests.workbooks import audit_lines, read_export
from households.choices import HouseholdStatus
from households.tests.factories import (
    AssessmentFactory,
    AssignmentFactory,
    ClassificationFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
)

pytestmark = pytest.mark.django_db

FORMULA_LIKE_NAMES = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tpadded", "\rreturned"]


def registered(village, **kwargs):
    """A household of the registry list."""
    return HouseholdFactory(village=village, **kwargs)


def flagged(village, **kwargs):
    """A household flagged for its 2020 income: 4,000 yuan for one person, under the 5,000 line."""
    household = HouseholdFactory(village=village, **kwargs)
    IncomeRecordFactory(household=household, year=2020, wage_income=4_000, household_size=1)
    return household


def classified(village, **kwargs):
    """A household out of poverty with a confirmed class."""
    household = HouseholdFactory(village=village, status=HouseholdStatus.EXITED, exit_year=2019, **kwargs)
    ClassificationFactory(household=household)
    return household


LISTS = {"households:list": registered, "households:income-flagged": flagged, "households:classes": classified}


def export(client, name, **params):
    return read_export(client.get(reverse(name), {"format": "xlsx", **params}))


def numbers(sheet) -> set:
    with translation.override("zh-hans"):
        return set(sheet.column("户编号"))


# ---------------------------------------------------------------- scope


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("user", "villages"),
    [("alice", {"东风村"}), ("bob", {"红旗村"}), ("charlie", set()), ("official", {"东风村", "红旗村"})],
)
def test_each_list_exports_only_the_households_the_user_may_see(
    client, request, dongfeng, hongqi, name, user, villages
):
    made = {village.name: LISTS[name](village).number for village in (dongfeng, hongqi)}
    client.force_login(request.getfixturevalue(user))
    assert numbers(export(client, name)) == {made[village] for village in villages}


def test_a_responsible_person_exports_only_the_households_assigned_to_them(client, helper, dongfeng):
    mine = registered(dongfeng)
    registered(dongfeng)
    AssignmentFactory(household=mine, person=helper)
    client.force_login(helper)
    assert numbers(export(client, "households:list")) == {mine.number}


# ---------------------------------------------------------------- filters


def test_the_household_export_keeps_the_lists_filters(client, official, dongfeng, hongqi):
    exited = registered(dongfeng, status=HouseholdStatus.EXITED, exit_year=2018)
    registered(dongfeng)
    registered(hongqi, status=HouseholdStatus.EXITED, exit_year=2018)
    client.force_login(official)
    sheet = export(client, "households:list", status="exited", village=dongfeng.pk)
    assert numbers(sheet) == {exited.number}


def test_the_household_export_keeps_the_search(client, official, dongfeng):
    found = registered(dongfeng, head__name="张三丰")
    registered(dongfeng, head__name="李四")
    client.force_login(official)
    assert numbers(export(client, "households:list", q="三丰")) == {found.number}


def test_the_income_flag_export_keeps_the_reason_chosen(client, official, dongfeng):
    below = flagged(dongfeng)
    fell = HouseholdFactory(village=dongfeng)
    IncomeRecordFactory(household=fell, year=2019, wage_income=20_000, household_size=1)
    IncomeRecordFactory(household=fell, year=2020, wage_income=8_000, household_size=1)
    client.force_login(official)
    assert numbers(export(client, "households:income-flagged")) == {below.number, fell.number}
    assert numbers(export(client, "households:income-flagged", flag="drop")) == {fell.number}


def test_the_class_export_keeps_the_class_chosen(client, official, dongfeng):
    stable = classified(dongfeng)
    unclassified = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    client.force_login(official)
    assert numbers(export(client, "households:classes", exit_class="stable")) == {stable.number}
    assert numbers(export(client, "households:classes", exit_class="none")) == {unclassified.number}


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("name", LISTS)
def test_headers_are_chinese_by_default_and_english_on_request(client, official, dongfeng, name):
    LISTS[name](dongfeng)
    client.force_login(official)
    chinese, english = export(client, name).headers, export(client, name, lang="en").headers
    assert chinese[:2] == ["户编号", "行政村"]
    assert "户主" in chinese
    assert english[:2] == ["Household number", "Village"]
    assert "Head of household" in english


def test_the_export_language_does_not_follow_the_page_language(client, official, dongfeng):
    registered(dongfeng)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(official)
    assert export(client, "households:list").headers[0] == "户编号"


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("text", FORMULA_LIKE_NAMES)
def test_a_formula_like_head_name_is_written_as_text(client, official, dongfeng, name, text):
    LISTS[name](dongfeng, head__name=text)
    client.force_login(official)
    (name_cell,) = export(client, name, lang="en").column("Head of household")
    assert name_cell.startswith("'")
    assert name_cell[1:].strip() == text.strip()


def test_the_household_export_keeps_numbers_and_dates_as_such(client, official, dongfeng):
    household = registered(dongfeng, identified_year=2016, registered_on=dt.date(2016, 3, 1))
    MemberFactory(household=household)
    household.latest_assessment = AssessmentFactory(household=household, assessed_on=dt.date(2020, 3, 1))
    household.save()
    client.force_login(official)
    sheet = export(client, "households:list", lang="en")
    (row,) = sheet.rows
    values = dict(zip(sheet.headers, row, strict=True))
    assert values["People"] == 2
    assert values["Year identified as poor"] == 2016
    assert values["Registered on"] == dt.datetime(2016, 3, 1)
    assert values["Date assessed"] == dt.datetime(2020, 3, 1)
    assert values["Status"] == "Not yet out of poverty"
    assert values["Main poverty cause"] == "Illness"
    assert values["2W3G"] == "All met"


def test_the_income_flag_export_keeps_its_figures_numeric(client, official, dongfeng):
    household = HouseholdFactory(village=dongfeng)
    IncomeRecordFactory(household=household, year=2019, wage_income=20_000, household_size=2)
    IncomeRecordFactory(household=household, year=2020, wage_income=9_001, household_size=3)
    client.force_login(official)
    sheet = export(client, "households:income-flagged", lang="en")
    values = dict(zip(sheet.headers, sheet.rows[0], strict=True))
    assert (values["Year"], values["Net income"], values["Household size"], values["Line"]) == (2020, 9001, 3, 5000)
    assert Decimal(str(values["Per-capita net income"])) == Decimal("3000.33")
    assert Decimal(str(values["Per-capita net income the year before"])) == Decimal("10000")
    assert values["Fall (%)"] == 70
    assert values["Why"] == "Not above the line、Sharp fall in income"


def test_the_household_export_shows_the_masked_id_number_and_never_the_whole_one(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    client.force_login(alice)
    sheet = export(client, "households:list")
    with translation.override("zh-hans"):
        assert sheet.column("证件号码") == [head.masked_id_number]
    assert not any(head.id_number in str(value) for value in sheet.cells())


def test_the_class_export_names_the_class_and_its_rule(client, official, dongfeng):
    classified(dongfeng)
    client.force_login(official)
    sheet = export(client, "households:classes", lang="en")
    values = dict(zip(sheet.headers, sheet.rows[0], strict=True))
    assert (values["Class"], values["Rule"]) == ("Stably out of poverty", "No risk found")
    assert values["Date"] == dt.datetime(2020, 12, 31)
    assert values["Year out of poverty"] == 2019


# ---------------------------------------------------------------- queries and the audit log


def test_the_household_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    registered(dongfeng)
    client.force_login(official)
    # 1 session, 2 user, 3 households (village, group, latest assessment joined, size as a subquery),
    # 4 heads prefetch, 5 the access log's row for the download
    with django_assert_num_queries(5):
        assert len(export(client, "households:list").rows) == 1
    for _ in range(4):
        MemberFactory(household=registered(dongfeng))
    with django_assert_num_queries(5):
        assert len(export(client, "households:list").rows) == 5


def test_the_income_flag_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    flagged(dongfeng)
    client.force_login(official)
    # 1 session, 2 user, 3 income lines, 4 households (village and both years' income joined), 5 heads prefetch,
    # 6 the access log's row for the download
    with django_assert_num_queries(6):
        assert len(export(client, "households:income-flagged").rows) == 1
    for _ in range(4):
        flagged(dongfeng)
    with django_assert_num_queries(6):
        assert len(export(client, "households:income-flagged").rows) == 5


def test_the_class_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    classified(dongfeng)
    client.force_login(official)
    # 1 session, 2 user, 3 households (village and current class joined), 4 heads prefetch,
    # 5 the access log's row for the download
    with django_assert_num_queries(5):
        assert len(export(client, "households:classes").rows) == 1
    for _ in range(4):
        classified(dongfeng)
    with django_assert_num_queries(5):
        assert len(export(client, "households:classes").rows) == 5


@pytest.mark.parametrize("name", LISTS)
def test_an_export_writes_one_audit_line(client, caplog, alice, dongfeng, hongqi, name):
    LISTS[name](dongfeng)
    LISTS[name](hongqi)
    client.force_login(alice)
    export(client, name, lang="en")
    (line,) = audit_lines(caplog)
    assert line == f"list_exported user={alice.pk} list={name} rows=1 query=format=xlsx&lang=en"


def test_the_list_page_offers_the_downloads_with_its_filters(client, alice, dongfeng_household):
    client.force_login(alice)
    response = client.get(reverse("households:list"), {"status": "unexited", "page": "1"})
    assert 'href="?status=unexited&amp;format=xlsx"' in response.text
    assert 'href="?status=unexited&amp;format=xlsx&amp;lang=en"' in response.text
