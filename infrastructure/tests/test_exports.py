"""Excel download of the infrastructure project list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from common.tests.workbooks import audit_lines, read_export
from households.choices import HouseholdStatus
from households.tests.factories import HouseholdFactory
from infrastructure.models import Category, Milestone
from infrastructure.tests.factories import ProjectFactory, deadlines_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
FORMULA_LIKE_TEXTS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tpadded", "\rreturned"]


@pytest.fixture(autouse=True)
def this_years_deadlines(db):
    """Declared due 10 days ago (late unless reached), started in 5 days (due soon), accepted in 60."""
    deadlines_for(YEAR, TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=5), TODAY + dt.timedelta(days=60))


def export(client, **params):
    return read_export(client.get(reverse("infrastructure:list"), {"format": "xlsx", **params}))


def values_of(sheet) -> list[dict]:
    return [dict(zip(sheet.headers, row, strict=True)) for row in sheet.rows]


def names(sheet) -> set:
    return {row["Project"] for row in values_of(sheet)}


# ---------------------------------------------------------------- scope and filters


@pytest.mark.parametrize(
    ("user", "projects"),
    [
        ("alice", {"东风路"}),
        ("bob", {"红旗水"}),
        ("charlie", set()),
        ("official", {"东风路", "红旗水"}),
    ],
)
def test_the_export_holds_only_the_projects_the_user_may_see(client, request, dongfeng, hongqi, user, projects):
    ProjectFactory(village=dongfeng, year=YEAR, name="东风路")
    ProjectFactory(village=hongqi, year=YEAR, name="红旗水")
    client.force_login(request.getfixturevalue(user))
    assert names(export(client, lang="en")) == projects


def test_the_export_keeps_the_lists_filters_and_light(client, official, dongfeng, hongqi):
    ProjectFactory(village=dongfeng, year=YEAR, name="东风路")  # late: not declared
    ProjectFactory(village=dongfeng, year=YEAR, name="东风村已申报", reached={Milestone.DECLARED: TODAY})  # due soon
    ProjectFactory(village=dongfeng, year=YEAR, name="东风村饮水", category=Category.DRINKING_WATER)
    ProjectFactory(village=hongqi, year=YEAR, name="红旗村道路")
    client.force_login(official)
    assert names(export(client, village=dongfeng.pk, category=Category.ROAD_NEW, lang="en")) == {
        "东风路",
        "东风村已申报",
    }
    assert names(export(client, village=dongfeng.pk, light="due_soon", lang="en")) == {"东风村已申报"}


# ---------------------------------------------------------------- headers and cells


def test_headers_are_chinese_by_default_and_english_on_request(client, official, dongfeng):
    ProjectFactory(village=dongfeng, year=YEAR)
    client.force_login(official)
    chinese, english = export(client).headers, export(client, lang="en").headers
    assert chinese[:3] == ["年度", "行政村", "项目"]
    assert english[:3] == ["Year", "Village", "Project"]


@pytest.mark.parametrize("text", FORMULA_LIKE_TEXTS)
def test_formula_like_names_and_contractors_are_written_as_text(client, official, dongfeng, text):
    ProjectFactory(village=dongfeng, year=YEAR, name=text, contractor=text)
    client.force_login(official)
    (row,) = values_of(export(client, lang="en"))
    for header in ("Project", "Contractor"):
        assert row[header].startswith("'")
        assert row[header][1:].strip() == text.strip()


def test_amounts_counts_and_dates_stay_numbers_and_dates(client, official, dongfeng):
    project = ProjectFactory(
        village=dongfeng, year=YEAR, budget=Decimal("123456.78"), reached={Milestone.DECLARED: TODAY}
    )
    project.beneficiaries.add(
        HouseholdFactory(village=dongfeng),
        HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019),
    )
    client.force_login(official)
    (row,) = values_of(export(client, lang="en"))
    assert row["Year"] == YEAR
    assert row["Budget (yuan)"] == pytest.approx(123456.78)
    assert (row["Beneficiary households"], row["Poor or monitored beneficiaries"]) == (2, 1)
    assert row["Declared on"] == dt.datetime.combine(TODAY, dt.time())
    assert row["Construction started on"] is None
    assert (row["Category"], row["Status"], row["Traffic light"]) == (
        "Village and group roads, new",
        "Declared",
        "Due soon",
    )


# ---------------------------------------------------------------- queries and the audit log


def test_the_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    ProjectFactory(village=dongfeng, year=YEAR)
    client.force_login(official)
    # 1 session, 2 user, 3 deadlines, 4 years for the filter, 5 projects with village, beneficiary counts and light,
    # 6 the access log's row for the download
    with django_assert_num_queries(6):
        assert len(export(client).rows) == 1
    for n in range(4):
        project = ProjectFactory(village=dongfeng, year=YEAR - n % 2)
        project.beneficiaries.add(HouseholdFactory(village=dongfeng))
    with django_assert_num_queries(6):
        assert len(export(client).rows) == 5


def test_an_export_writes_one_audit_line(client, caplog, alice, dongfeng, hongqi):
    ProjectFactory(village=dongfeng, year=YEAR)
    ProjectFactory(village=hongqi, year=YEAR)
    client.force_login(alice)
    export(client, year=YEAR)
    (line,) = audit_lines(caplog)
    assert line == f"list_exported user={alice.pk} list=infrastructure:list rows=1 query=format=xlsx&year={YEAR}"


def test_the_list_page_offers_the_downloads_with_its_filters(client, alice, dongfeng):
    client.force_login(alice)
    response = client.get(reverse("infrastructure:list"), {"light": "late", "page": "1"})
    assert 'href="?light=late&amp;format=xlsx"' in response.text
