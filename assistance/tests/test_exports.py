"""Excel downloads of the assistance lists: the guarantee gaps, the missing plans and the programmes."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from assistance.models import ExampleKind, InstalmentFlag
from assistance.tests.factories import PlanFactory, SupportUnitFactory
from assistance.tests.factories_programmes import (
    FiveMutualActivityFactory,
    IndustrySupportFactory,
    LoanFactory,
    PVIncomeFactory,
    PVStationFactory,
    RewardFactory,
    TrainingSessionFactory,
    TypicalExampleFactory,
    WelfareJobFactory,
)
from common.tests.workbooks import audit_lines, read_export
from households.choices import HouseholdStatus
from households.tests.factories import AssignmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

FORMULA_LIKE_TEXTS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tpadded", "\rreturned"]


# ---------------------------------------------------------------- one row of each list, in a given village


def household_in(village, **kwargs):
    """A household not yet out of poverty, with nobody assigned and no plan: a row of both household lists."""
    return HouseholdFactory(village=village, **kwargs)


def overdue_loan(village, **kwargs):
    """A loan whose first instalment is flagged overdue: one row of the instalment list."""
    loan = LoanFactory(household=household_in(village), **kwargs)
    loan.instalments.update(flag=InstalmentFlag.NONE)
    loan.instalments.filter(number=1).update(flag=InstalmentFlag.OVERDUE)
    return loan


def welfare_job(village, name="王小二", **kwargs):
    return WelfareJobFactory(member=MemberFactory(household=household_in(village), name=name), **kwargs)


def pv_station(village, **kwargs):
    station = PVStationFactory(village=village, **kwargs)
    PVIncomeFactory(station=station)
    return station


BUILDERS = {
    "assistance:gaps": household_in,
    "assistance:plans-missing": household_in,
    "assistance:loan-list": lambda v, **kw: LoanFactory(household=household_in(v), **kw),
    "assistance:instalment-list": overdue_loan,
    "assistance:training-list": lambda v, **kw: TrainingSessionFactory(
        village=v, attendees=[household_in(v).members.get()], **kw
    ),
    "assistance:welfare-job-list": welfare_job,
    "assistance:pv-station-list": pv_station,
    "assistance:industry-list": lambda v, **kw: IndustrySupportFactory(village=v, households=[household_in(v)], **kw),
    "assistance:reward-list": lambda v, **kw: RewardFactory(household=household_in(v), **kw),
    "assistance:example-list": lambda v, **kw: TypicalExampleFactory(household=household_in(v), **kw),
    "assistance:five-mutual-list": lambda v, **kw: FiveMutualActivityFactory(
        village=v, households=[household_in(v)], **kw
    ),
}
LISTS = list(BUILDERS)


def export(client, name, **params):
    return read_export(client.get(reverse(name), {"format": "xlsx", **params}))


def villages(client, name, **params) -> list:
    return sorted(export(client, name, lang="en", **params).column("Village"))


# ---------------------------------------------------------------- scope and filters


@pytest.mark.parametrize("name", LISTS)
def test_a_cadre_exports_only_their_village(client, alice, dongfeng, hongqi, name):
    BUILDERS[name](dongfeng)
    BUILDERS[name](hongqi)
    client.force_login(alice)
    assert villages(client, name) == ["东风村"]
    assert villages(client, name, village=hongqi.pk) == ["东风村"]


@pytest.mark.parametrize("name", LISTS)
def test_an_official_exports_every_village_or_the_one_filtered(client, official, dongfeng, hongqi, name):
    BUILDERS[name](dongfeng)
    BUILDERS[name](hongqi)
    client.force_login(official)
    assert set(villages(client, name)) == {"东风村", "红旗村"}
    assert set(villages(client, name, village=hongqi.pk)) == {"红旗村"}


@pytest.mark.parametrize("name", LISTS)
def test_a_user_without_scope_exports_the_headers_and_no_row(client, charlie, dongfeng, name):
    BUILDERS[name](dongfeng)
    client.force_login(charlie)
    sheet = export(client, name, lang="en")
    assert "Village" in sheet.headers
    assert sheet.rows == []


def test_a_responsible_person_exports_only_the_loans_of_their_households(client, helper, dongfeng):
    mine, other = LoanFactory(household=household_in(dongfeng)), LoanFactory(household=household_in(dongfeng))
    AssignmentFactory(household=mine.household, person=helper)
    client.force_login(helper)
    numbers = export(client, "assistance:loan-list", lang="en").column("Household number")
    assert numbers == [mine.household.number]
    assert other.household.number not in numbers


def test_the_gap_export_follows_the_status_filter(client, alice, dongfeng):
    unexited = household_in(dongfeng)
    exited = household_in(dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    client.force_login(alice)
    sheet = export(client, "assistance:gaps", lang="en", status=HouseholdStatus.EXITED)
    assert sheet.column("Household number") == [exited.number]
    everyone = export(client, "assistance:gaps", lang="en").column("Household number")
    assert sorted(everyone) == sorted([unexited.number, exited.number])


def test_the_missing_plan_export_follows_the_year(client, alice, dongfeng):
    this_year = timezone.localdate().year
    planned = household_in(dongfeng)
    PlanFactory(household=planned, year=this_year)
    unplanned = household_in(dongfeng)
    client.force_login(alice)
    assert export(client, "assistance:plans-missing", lang="en").column("Household number") == [unplanned.number]
    last_year = export(client, "assistance:plans-missing", lang="en", year=this_year - 1)
    assert sorted(last_year.column("Household number")) == sorted([planned.number, unplanned.number])


def test_the_example_export_follows_the_kind_filter(client, alice, dongfeng):
    BUILDERS["assistance:example-list"](dongfeng, kind=ExampleKind.POSITIVE, description="勤劳致富")
    BUILDERS["assistance:example-list"](dongfeng, kind=ExampleKind.NEGATIVE, description="赌博致贫")
    client.force_login(alice)
    sheet = export(client, "assistance:example-list", lang="en", kind=ExampleKind.NEGATIVE)
    assert sheet.column("Description") == ["赌博致贫"]
    assert sheet.column("Kind") == ["Negative example"]


# ---------------------------------------------------------------- language


@pytest.mark.parametrize("name", LISTS)
def test_headers_are_chinese_by_default_even_when_the_page_is_in_english(client, alice, dongfeng, name):
    BUILDERS[name](dongfeng)
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    chinese, english = export(client, name), export(client, name, lang="en")
    with translation.override("zh-hans"):
        assert chinese.column("行政村") == ["东风村"]
    assert english.column("Village") == ["东风村"]
    assert len(chinese.headers) == len(english.headers)


def test_the_sheet_is_named_after_the_list_in_the_workbooks_language(client, alice, dongfeng):
    BUILDERS["assistance:loan-list"](dongfeng)
    client.force_login(alice)
    url = reverse("assistance:loan-list")
    for lang, title in [("", "扶贫小额信贷"), ("en", "Small poverty-alleviation loans")]:
        response = client.get(url, {"format": "xlsx", "lang": lang})
        assert load_workbook(io.BytesIO(response.content)).active.title == title


def test_the_values_of_choices_are_exported_as_their_labels(client, alice, dongfeng):
    BUILDERS["assistance:loan-list"](dongfeng)  # its household is a gap too: nobody is assigned
    client.force_login(alice)
    loan = export(client, "assistance:loan-list", lang="en")
    assert loan.column("Repayment method") == ["Interest quarterly, principal at the end"]
    assert loan.column("Status") == ["Being repaid"]
    assert loan.column("Interest subsidised") == ["Yes"]
    gap = export(client, "assistance:gaps", lang="en")
    assert gap.column("Status") == ["Not yet out of poverty"]
    assert gap.column("Responsible person") == ["Missing"]
    with translation.override("zh-hans"):
        assert export(client, "assistance:gaps").column("状态") == ["未脱贫"]


def test_the_gap_export_names_who_the_household_has(client, alice, dongfeng):
    household = household_in(dongfeng)
    unit = SupportUnitFactory(village=dongfeng, name="县农业农村局")
    person = AssignmentFactory(household=household, support_unit=unit).person
    client.force_login(alice)
    sheet = export(client, "assistance:gaps", lang="en")
    assert sheet.column("Responsible person") == [str(person)]
    assert sheet.column("Support unit") == ["县农业农村局"]
    assert sheet.column("Contact person") == ["Missing"]


# ---------------------------------------------------------------- cells


# (list, what to pass to its builder to plant a text, the column the text shows in)
TEXT_COLUMNS = [
    ("assistance:gaps", "head__name", "Head of household"),
    ("assistance:plans-missing", "head__name", "Head of household"),
    ("assistance:loan-list", "purpose", "Purpose"),
    ("assistance:instalment-list", "bank", "Bank"),
    ("assistance:training-list", "topic", "Topic"),
    ("assistance:welfare-job-list", "name", "Member"),
    ("assistance:pv-station-list", "name", "Station"),
    ("assistance:industry-list", "partner", "Enterprise or cooperative"),
    ("assistance:reward-list", "reason", "Reason"),
    ("assistance:example-list", "description", "Description"),
    ("assistance:five-mutual-list", "description", "Description"),
]


@pytest.mark.parametrize(("name", "field", "header"), TEXT_COLUMNS)
def test_formula_like_text_is_written_as_text(client, official, dongfeng, name, field, header):
    for text in FORMULA_LIKE_TEXTS:
        BUILDERS[name](dongfeng, **{field: text})
    client.force_login(official)
    cells = export(client, name, lang="en").column(header)
    assert len(cells) == len(FORMULA_LIKE_TEXTS)
    assert all(cell.startswith("'") for cell in cells)
    assert sorted(cell[1:].strip() for cell in cells) == sorted(text.strip() for text in FORMULA_LIKE_TEXTS)


def test_the_loan_export_keeps_amounts_numeric_and_dates_as_dates(client, alice, dongfeng):
    BUILDERS["assistance:loan-list"](dongfeng)
    client.force_login(alice)
    sheet = export(client, "assistance:loan-list", lang="en")
    values = dict(zip(sheet.headers, sheet.rows[0], strict=True))
    assert values["Amount (yuan)"] == 30000
    assert values["Term (months)"] == 36
    assert values["Annual interest rate (%)"] == pytest.approx(4.35)
    assert isinstance(values["Still owed (yuan)"], int | float)
    assert isinstance(values["Next instalment (yuan)"], int | float)
    assert values["Issue date"] == dt.datetime(2020, 3, 1)
    assert isinstance(values["Next instalment"], dt.datetime)
    assert values["Repaid on"] is None


# (list, a numeric column, a date column or None)
TYPED_COLUMNS = [
    ("assistance:instalment-list", "Still owed (yuan)", "Due date"),
    ("assistance:training-list", "Attendees", "Date"),
    ("assistance:welfare-job-list", "Monthly pay (yuan)", "Start date"),
    ("assistance:pv-station-list", "Latest income (yuan)", None),
    ("assistance:industry-list", "Households", None),
    ("assistance:reward-list", "Amount (yuan)", "Date"),
    ("assistance:example-list", None, "Date"),
    ("assistance:five-mutual-list", "Households", "Date"),
]


@pytest.mark.parametrize(("name", "number_header", "date_header"), TYPED_COLUMNS)
def test_numbers_stay_numbers_and_dates_stay_dates(client, alice, dongfeng, name, number_header, date_header):
    BUILDERS[name](dongfeng)
    client.force_login(alice)
    sheet = export(client, name, lang="en")
    if number_header:
        assert all(isinstance(value, int | float) and value > 0 for value in sheet.column(number_header))
    if date_header:
        assert all(isinstance(value, dt.datetime) for value in sheet.column(date_header))


def test_the_training_export_counts_the_attendees(client, alice, dongfeng):
    members = [household_in(dongfeng).members.get() for _ in range(3)]
    TrainingSessionFactory(village=dongfeng, attendees=members)
    client.force_login(alice)
    assert export(client, "assistance:training-list", lang="en").column("Attendees") == [3]


# (list, how to find the person whose ID number the row shows)
PEOPLE = [
    ("assistance:gaps", lambda household: household.members.get()),
    ("assistance:plans-missing", lambda household: household.members.get()),
    ("assistance:loan-list", lambda loan: loan.borrower),
    ("assistance:welfare-job-list", lambda job: job.member),
]


@pytest.mark.parametrize(("name", "person_of"), PEOPLE)
def test_id_numbers_are_exported_masked_and_never_whole(client, alice, dongfeng, name, person_of):
    person = person_of(BUILDERS[name](dongfeng))
    client.force_login(alice)
    sheet = export(client, name)
    with translation.override("zh-hans"):
        assert sheet.column("证件号码") == [person.masked_id_number]
    assert "*" in person.masked_id_number
    assert not any(person.id_number in str(value) for value in sheet.cells())


# ---------------------------------------------------------------- queries and the audit log

# Queries of an export for the official (no village lookup in their scope): 1 session, 2 user,
# 3 the rows with their joins and per-row subqueries; the household lists add 4 the heads, and the
# gap list 5 the current assignments with their persons and support units (prefetches, per 2,000 rows);
# then one more: the access log's row for the download.
EXPORT_QUERIES = {name: 4 for name in LISTS} | {"assistance:plans-missing": 5, "assistance:gaps": 6}


@pytest.mark.parametrize("name", LISTS)
def test_an_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries, name):
    BUILDERS[name](dongfeng)
    client.force_login(official)
    with django_assert_num_queries(EXPORT_QUERIES[name]):
        assert len(export(client, name).rows) == 1
    for _ in range(4):
        BUILDERS[name](dongfeng)
    with django_assert_num_queries(EXPORT_QUERIES[name]):
        assert len(export(client, name).rows) == 5


@pytest.mark.parametrize("name", LISTS)
def test_an_export_writes_one_audit_line(client, caplog, alice, dongfeng, hongqi, name):
    BUILDERS[name](dongfeng)
    BUILDERS[name](hongqi)
    client.force_login(alice)
    export(client, name, lang="en", village=dongfeng.pk)
    (line,) = audit_lines(caplog)
    assert line == f"list_exported user={alice.pk} list={name} rows=1 query=format=xlsx&lang=en&village={dongfeng.pk}"


def test_the_page_does_not_write_to_the_audit_log(client, caplog, alice, dongfeng):
    BUILDERS["assistance:reward-list"](dongfeng)
    client.force_login(alice)
    assert client.get(reverse("assistance:reward-list")).status_code == 200
    assert audit_lines(caplog) == []


def test_the_download_is_named_after_the_list_and_the_day(client, alice):
    client.force_login(alice)
    response = client.get(reverse("assistance:reward-list"), {"format": "xlsx"})
    assert f'filename="rewards-{timezone.localdate():%Y%m%d}.xlsx"' in response["Content-Disposition"]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_page_offers_the_downloads_with_its_filters(client, official, dongfeng, name):
    BUILDERS[name](dongfeng)
    client.force_login(official)
    response = client.get(reverse(name), {"village": dongfeng.pk, "page": "1"})
    assert f'href="?village={dongfeng.pk}&amp;format=xlsx"' in response.text
    assert f'href="?village={dongfeng.pk}&amp;format=xlsx&amp;lang=en"' in response.text
