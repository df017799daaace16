"""Excel downloads of the visit lists: my visits due, the flags, the visits and the compliance table."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from common.tests.workbooks import audit_lines, read_export
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory
from visits.models import VisitorRole
from visits.services import visits_flag
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
FORMULA_LIKE_TEXTS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tpadded", "\rreturned"]


def assigned(village, person, role=AssignmentRole.RESPONSIBLE, **kwargs):
    household = HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1), **kwargs)
    AssignmentFactory(household=household, person=person, role=role)
    return household


# One row-maker per list: (village, the exporting user, a responsible person) -> the household of the row.
def due_to(village, user, helper):
    """A household the exporting user is the contact person of."""
    return assigned(village, user, AssignmentRole.CONTACT)


def flagged(village, user, helper):
    household = assigned(village, helper)
    visits_flag(on=TODAY)
    return household


def visited(village, user, helper):
    return VisitFactory(household=assigned(village, helper)).household


def required(village, user, helper):
    """A household that owes visits this month, so that its village has a compliance line."""
    return assigned(village, helper)


LISTS = {"visits:due": due_to, "visits:flags": flagged, "visits:list": visited, "visits:compliance": required}


def export(client, name, **params):
    return read_export(client.get(reverse(name), {"format": "xlsx", **params}))


def midnight(day: dt.date) -> dt.datetime:
    """How openpyxl reads a date cell back."""
    return dt.datetime.combine(day, dt.time())


def values_of(sheet) -> list[dict]:
    return [dict(zip(sheet.headers, row, strict=True)) for row in sheet.rows]


def villages_in(sheet, name) -> set:
    """The villages the rows of an English download belong to."""
    rows = values_of(sheet)
    if name == "visits:compliance":
        return {row["Village or visitor"] for row in rows if row["Breakdown"] == "By village"}
    return {row["Village"] for row in rows}


# ---------------------------------------------------------------- scope


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("user", "villages"),
    [("alice", {"东风村"}), ("bob", {"红旗村"}), ("charlie", set()), ("official", {"东风村", "红旗村"})],
)
def test_each_list_exports_only_the_rows_the_user_may_see(
    client, request, dongfeng, hongqi, helper, name, user, villages
):
    exporter = request.getfixturevalue(user)
    for village in (dongfeng, hongqi):
        LISTS[name](village, exporter, helper)
    client.force_login(exporter)
    assert villages_in(export(client, name, lang="en"), name) == villages


def test_my_visits_due_exports_only_my_households(client, helper, dongfeng):
    mine = assigned(dongfeng, helper)
    assigned(dongfeng, UserFactory())
    client.force_login(helper)
    rows = values_of(export(client, "visits:due", lang="en"))
    assert [row["Household number"] for row in rows] == [mine.number]


# ---------------------------------------------------------------- filters


def test_the_flag_export_keeps_the_kind_and_village_chosen(client, official, dongfeng, hongqi, helper, settings):
    mine = assigned(dongfeng, helper)
    assigned(hongqi, helper)
    settings.VISIT_DUE_SOON_DAY = 1
    visits_flag(on=TODAY)  # last month's visits overdue, this month's due soon
    client.force_login(official)
    rows = values_of(export(client, "visits:flags", kind="due_soon", village=dongfeng.pk, lang="en"))
    assert {(row["Household number"], row["Flag"]) for row in rows} == {(mine.number, "Due soon")}
    overdue = values_of(export(client, "visits:flags", lang="en"))
    assert {row["Flag"] for row in overdue} == {"Overdue"}


def test_the_visit_export_keeps_the_household_and_month_chosen(client, alice, dongfeng, helper):
    household = assigned(dongfeng, helper)
    VisitFactory(household=household, visited_on=dt.date(2020, 5, 3))
    VisitFactory(household=household, visited_on=dt.date(2020, 6, 3))
    VisitFactory(household=assigned(dongfeng, helper), visited_on=dt.date(2020, 5, 4))
    client.force_login(alice)
    rows = values_of(export(client, "visits:list", household=household.number, month="2020-05", lang="en"))
    assert [(row["Household number"], row["Date"]) for row in rows] == [(household.number, dt.datetime(2020, 5, 3))]


def test_the_compliance_export_counts_the_month_chosen(client, official, dongfeng, helper):
    household = assigned(dongfeng, helper)
    VisitFactory(household=household, visitor=helper, role=VisitorRole.RESPONSIBLE, visited_on=LAST_MONTH)
    client.force_login(official)
    rows = values_of(export(client, "visits:compliance", month=f"{LAST_MONTH:%Y-%m}", lang="en"))
    # an unexited household owes a responsible and a contact visit a month; the responsible one was made,
    # and nobody is assigned to make the contact one
    columns = ("Breakdown", "Village or visitor", "Done", "Required", "Rate (%)")
    assert [tuple(row[column] for column in columns) for row in rows] == [
        ("By village", "东风村", 1, 2, 50),
        ("By visitor", "Nobody assigned", 0, 1, 0),
        ("By visitor", str(helper), 1, 1, 100),
        ("Total", None, 1, 2, 50),
    ]
    this_month = values_of(export(client, "visits:compliance", lang="en"))
    assert this_month[-1]["Done"] == 0


# ---------------------------------------------------------------- headers and cells

HEADERS = {
    "visits:due": ("户编号", "Household number"),
    "visits:flags": ("户编号", "Household number"),
    "visits:list": ("日期", "Date"),
    "visits:compliance": ("应走访", "Required"),
}


@pytest.mark.parametrize("name", LISTS)
def test_headers_are_chinese_by_default_and_english_on_request(client, official, dongfeng, helper, name):
    LISTS[name](dongfeng, official, helper)
    client.force_login(official)
    chinese, english = HEADERS[name]
    assert chinese in export(client, name).headers
    assert english in export(client, name, lang="en").headers
    assert english not in export(client, name).headers


@pytest.mark.parametrize("text", FORMULA_LIKE_TEXTS)
def test_formula_like_findings_are_written_as_text(client, official, dongfeng, text):
    VisitFactory(household=HouseholdFactory(village=dongfeng), findings=text, met_with=text)
    client.force_login(official)
    (row,) = values_of(export(client, "visits:list", lang="en"))
    for header in ("Findings", "Who was met"):
        assert row[header].startswith("'")
        assert row[header][1:].strip() == text.strip()


def test_a_formula_like_household_number_is_written_as_text(client, helper, dongfeng):
    assigned(dongfeng, helper, number="=1+1")
    client.force_login(helper)
    (row,) = values_of(export(client, "visits:due", lang="en"))
    assert row["Household number"] == "'=1+1"


def test_the_visit_export_names_its_choices_and_keeps_its_dates(client, official, dongfeng):
    visitor = UserFactory(last_name="王", first_name="芳")
    VisitFactory(
        household=HouseholdFactory(village=dongfeng),
        visitor=visitor,
        role=VisitorRole.CONTACT,
        visited_on=dt.date(2020, 3, 10),
        findings="屋顶需修缮",
    )
    client.force_login(official)
    (row,) = values_of(export(client, "visits:list", lang="en"))
    assert row["Date"] == dt.datetime(2020, 3, 10)
    assert (row["Visitor"], row["Visited as"], row["Method"]) == ("王芳", "Contact person", "Home visit")
    assert row["Findings"] == "屋顶需修缮"


def test_the_flag_export_keeps_its_period_as_dates(client, official, dongfeng, helper):
    assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    client.force_login(official)
    rows = values_of(export(client, "visits:flags", lang="en"))
    last_month_end = TODAY.replace(day=1) - dt.timedelta(days=1)
    periods = {(row["Period from"], row["Period until"]) for row in rows}
    assert periods == {(midnight(LAST_MONTH), midnight(last_month_end))}
    assert all(isinstance(row["Raised at"], dt.datetime) for row in rows)
    assert {row["Visited as"] for row in rows} == {"Responsible person", "Contact person"}


def test_my_visits_due_export_says_where_each_visit_stands(client, helper, dongfeng):
    done = assigned(dongfeng, helper)
    VisitFactory(household=done, visitor=helper, visited_on=TODAY)
    overdue = assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    client.force_login(helper)
    rows = values_of(export(client, "visits:due", lang="en"))
    assert [(row["Household number"], row["Status"]) for row in rows] == [
        (overdue.number, "Overdue"),
        (done.number, "Done this period"),
    ]
    assert rows[1]["Last visit"] == midnight(TODAY)
    assert rows[0]["Last visit"] is None
    assert rows[0]["Period from"] == midnight(TODAY.replace(day=1))


@pytest.mark.parametrize("name", ["visits:due", "visits:flags", "visits:list"])
def test_each_visit_export_names_the_head_of_household_beside_the_number(client, helper, dongfeng, name):
    household = assigned(dongfeng, helper, head__name="张三")
    VisitFactory(household=household, visited_on=LAST_MONTH)  # someone else's: last month stays flagged
    visits_flag(on=TODAY)
    client.force_login(helper)
    rows = values_of(export(client, name, lang="en"))
    assert rows
    assert {(row["Household number"], row["Head of household"]) for row in rows} == {(household.number, "张三")}


# ---------------------------------------------------------------- queries and the audit log


def test_the_visit_export_runs_a_fixed_number_of_queries(client, official, dongfeng, django_assert_num_queries):
    VisitFactory(household=HouseholdFactory(village=dongfeng))
    client.force_login(official)
    # 1 session, 2 user, 3 visits with household, head's name, village and visitor, 4 the access log's row
    with django_assert_num_queries(4):
        assert len(export(client, "visits:list").rows) == 1
    for _ in range(4):
        VisitFactory(household=HouseholdFactory(village=dongfeng))
    with django_assert_num_queries(4):
        assert len(export(client, "visits:list").rows) == 5


def test_the_flag_export_runs_a_fixed_number_of_queries(client, official, dongfeng, helper, django_assert_num_queries):
    assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    client.force_login(official)
    # 1 session, 2 user, 3 flags with household, village, rule and visitor, 4 the access log's row for the download
    with django_assert_num_queries(4):
        assert len(export(client, "visits:flags").rows) == 2
    for _ in range(3):
        assigned(dongfeng, helper)
    visits_flag(on=TODAY)
    with django_assert_num_queries(4):
        assert len(export(client, "visits:flags").rows) == 8


def test_my_visits_due_export_runs_a_fixed_number_of_queries(client, helper, dongfeng, django_assert_num_queries):
    assigned(dongfeng, helper)
    client.force_login(helper)
    # 1 session, 2 user, 3 rules, 4-7 one per active rule: the households it asks of me (scoped), with their
    # village and my last visit that counted, 8 open flags, 9 the access log's row for the download
    with django_assert_num_queries(9):
        assert len(export(client, "visits:due").rows) == 1
    for _ in range(4):
        assigned(dongfeng, helper)
    with django_assert_num_queries(9):
        assert len(export(client, "visits:due").rows) == 5


def test_the_compliance_export_runs_a_fixed_number_of_queries(
    client, official, dongfeng, hongqi, helper, django_assert_num_queries
):
    assigned(dongfeng, helper)
    client.force_login(official)
    # 1 session, 2 user, 3 active rules, then per rule (4 of them) 2 queries: per village, per visitor,
    # 12 the visitors' names, 13 the access log's row for the download
    with django_assert_num_queries(13):
        assert len(export(client, "visits:compliance").rows) == 4  # the village, nobody (contact), helper, total
    for village in (dongfeng, hongqi):
        assigned(village, UserFactory())
    with django_assert_num_queries(13):
        assert len(export(client, "visits:compliance").rows) == 7


@pytest.mark.parametrize("name", LISTS)
def test_an_export_writes_one_audit_line(client, caplog, alice, dongfeng, hongqi, helper, name):
    for village in (dongfeng, hongqi):
        LISTS[name](village, alice, helper)
    client.force_login(alice)
    export(client, name, lang="en")
    (line,) = audit_lines(caplog)
    assert line.startswith(f"list_exported user={alice.pk} list={name} rows=")
    assert line.endswith(" query=format=xlsx&lang=en")


@pytest.mark.parametrize("name", ["visits:flags", "visits:list"])
def test_the_list_page_offers_the_downloads_with_its_filters(client, alice, name):
    client.force_login(alice)
    response = client.get(reverse(name), {"household": "0001", "page": "2"})
    assert 'href="?household=0001&amp;format=xlsx"' in response.text


def test_the_compliance_page_offers_the_download_of_the_month_shown(client, alice):
    client.force_login(alice)
    response = client.get(reverse("visits:compliance"))
    assert f'href="?month={TODAY:%Y-%m}&amp;format=xlsx"' in response.text
