"""The shared Excel writer: safe cells, native numbers and dates, headers in the export language, an audit line."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db.models import Prefetch
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import lazystr
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from common.spreadsheets import (
    XLSX,
    Sheet,
    export_language,
    export_response,
    resource_sheet,
    safe_value,
    wants_export,
    workbook_bytes,
)
from common.tests.workbooks import audit_lines, read_export
from households.choices import Relation
from households.models import Household, Member
from households.tests.factories import HouseholdFactory

FORMULA_TRIGGERS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tpadded", "\rreturned"]


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


class HeadResource(resources.ModelResource):
    """A small resource of the kind the apps declare: a translated header, a number, a prefetched head."""

    number = fields.Field(attribute="number", column_name=_("Household number"))
    identified_year = fields.Field(attribute="identified_year", column_name=_("Year"), widget=widgets.IntegerWidget())
    head = fields.Field(column_name=_("Head of household"))

    class Meta:
        model = Household
        fields = ("number", "identified_year", "head")
        export_order = fields

    def dehydrate_head(self, household):
        return household.heads[0].name if household.heads else ""


def households_with_heads():
    heads = Prefetch("members", queryset=Member.objects.filter(relation=Relation.HEAD), to_attr="heads")
    return Household.objects.prefetch_related(heads).order_by("number")


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize("text", FORMULA_TRIGGERS)
def test_text_that_excel_would_run_as_a_formula_gets_a_leading_apostrophe(text):
    assert safe_value(text) == "'" + text


@pytest.mark.parametrize("text", ["王小明", "1+1", "a=b", "", "'quoted"])
def test_other_text_is_written_as_it_is(text):
    assert safe_value(text) == text


@pytest.mark.parametrize("value", [0, -1, 5000, 3000.33, Decimal("-12.50"), True, None, dt.date(2020, 4, 30)])
def test_numbers_booleans_and_dates_stay_what_they_are(value):
    assert safe_value(value) == value
    assert type(safe_value(value)) is type(value)


def test_lazy_text_is_neutralised_like_any_text():
    assert safe_value(lazystr("-1")) == "'-1"


def test_an_aware_time_is_written_in_the_towns_time_zone():
    utc = dt.datetime(2020, 2, 29, 16, 30, tzinfo=dt.UTC)
    assert safe_value(utc) == dt.datetime(2020, 3, 1, 0, 30)
    assert safe_value(utc.astimezone(ZoneInfo("Asia/Shanghai"))).tzinfo is None


def test_characters_a_workbook_cannot_hold_are_dropped():
    assert safe_value("收入\x00稳定\x1b") == "收入稳定"


# ---------------------------------------------------------------- workbooks


def test_the_workbook_keeps_numbers_numeric_dates_dated_and_text_safe():
    sheet = Sheet(
        title="贫困户",
        headers=["户编号", "人口", "收入", "日期", "时间", "姓名"],
        rows=[["=1+1", 3, Decimal("3000.33"), dt.date(2020, 4, 30), dt.datetime(2020, 4, 30, 8, 15), "@王"]],
    )
    ws = open_book(workbook_bytes([sheet])).active
    number, people, income, date, time, name = ws[2]
    assert number.value == "'=1+1"
    assert isinstance(people.value, int)
    assert people.value == 3
    assert isinstance(income.value, float)
    assert income.value == pytest.approx(3000.33)
    assert (date.value, date.number_format) == (dt.datetime(2020, 4, 30), "yyyy-mm-dd")
    assert (time.value, time.number_format) == (dt.datetime(2020, 4, 30, 8, 15), "yyyy-mm-dd hh:mm")
    assert name.value == "'@王"


def test_the_header_row_is_bold_frozen_and_safe_too():
    ws = open_book(workbook_bytes([Sheet(title="t", headers=["户编号", "-1"], rows=[])])).active
    assert [cell.value for cell in ws[1]] == ["户编号", "'-1"]
    assert ws["A1"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 1


def test_sheet_titles_lose_the_characters_excel_forbids_and_stop_at_31():
    book = open_book(workbook_bytes([Sheet(title="a/b:c" + "x" * 40, headers=["h"], rows=[]), Sheet("", ["h"], [])]))
    assert book.sheetnames == ["abc" + "x" * 28, "Sheet"]


# ---------------------------------------------------------------- resources and the download


@pytest.mark.django_db
def test_a_resource_sheet_reads_a_prefetching_queryset_in_one_query_and_its_prefetch(
    dongfeng, django_assert_num_queries
):
    for name in ("张三", "李四", "王五"):
        HouseholdFactory(village=dongfeng, head__name=name)
    # 1 households, 2 their heads (import-export alone would count, then page with OFFSET: a query pair per 100)
    with django_assert_num_queries(2):
        sheet = resource_sheet(HeadResource(), households_with_heads(), "t")
    assert [row[2] for row in sheet.rows] == ["张三", "李四", "王五"]
    assert all(isinstance(row[1], int) for row in sheet.rows)


@pytest.mark.django_db
def test_a_resource_sheet_takes_rows_that_are_not_a_queryset(dongfeng):
    household = HouseholdFactory(village=dongfeng, head__name="张三")
    household.heads = [household.members.get()]
    sheet = resource_sheet(HeadResource(), [household], "t")
    assert sheet.rows == [(household.number, 2016, "张三")]


@pytest.mark.parametrize(
    ("query", "language"), [("", "zh-hans"), ("lang=en", "en"), ("lang=zh", "zh-hans"), ("lang=fr", "zh-hans")]
)
def test_headers_are_chinese_unless_english_is_asked_for(query, language):
    assert export_language(RequestFactory().get(f"/?{query}")) == language


def test_only_format_xlsx_asks_for_a_download():
    assert wants_export(RequestFactory().get("/?format=xlsx"))
    assert not wants_export(RequestFactory().get("/?format=csv"))
    assert not wants_export(RequestFactory().get("/"))


@pytest.fixture
def download(official):
    def download(query: str):
        request = RequestFactory().get(f"/households/?{query}")
        request.user = official
        return export_response(
            request,
            resource=HeadResource(),
            queryset=households_with_heads(),
            title=_("Households"),
            filename="households",
        )

    return download


@pytest.mark.django_db
def test_the_download_is_a_dated_attachment_with_headers_in_the_language_asked(download, dongfeng, settings):
    settings.LANGUAGE_CODE = "en"  # the page language does not decide the export language
    HouseholdFactory(village=dongfeng, head__name="=HYPERLINK(1)")
    response = download("format=xlsx")
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == f'attachment; filename="households-{timezone.localdate():%Y%m%d}.xlsx"'
    chinese = read_export(response)
    assert chinese.headers == ["户编号", "年度", "户主"]
    assert chinese.rows[0][1:] == (2016, "'=HYPERLINK(1)")
    assert read_export(download("format=xlsx&lang=en")).headers == ["Household number", "Year", "Head of household"]
    assert open_book(download("format=xlsx").content).sheetnames == ["贫困户"]


@pytest.mark.django_db
def test_every_download_writes_one_audit_line_with_user_list_rows_and_filters(download, official, dongfeng, caplog):
    HouseholdFactory(village=dongfeng)
    HouseholdFactory(village=dongfeng)
    download("format=xlsx&status=unexited")
    # A request made outside the URL resolver has no view name: the path stands for the list.
    (line,) = audit_lines(caplog)
    assert line == f"list_exported user={official.pk} list=/households/ rows=2 query=format=xlsx&status=unexited"


@pytest.mark.django_db
def test_a_list_longer_than_the_export_limit_sends_the_user_back_to_narrow_it(client, official, dongfeng, settings):
    settings.EXPORT_MAX_ROWS = 2
    for _n in range(3):
        HouseholdFactory(village=dongfeng)
    client.force_login(official)
    response = client.get("/households/", {"format": "xlsx", "lang": "en", "status": "unexited"})
    assert response.status_code == 302
    assert response.url == "/households/?status=unexited"
    page = client.get(response.url)
    assert "more than 2 rows" in page.text or "超过2行" in page.text


@pytest.mark.django_db
def test_a_list_at_the_export_limit_downloads(client, official, dongfeng, settings):
    settings.EXPORT_MAX_ROWS = 2
    HouseholdFactory(village=dongfeng)
    HouseholdFactory(village=dongfeng)
    client.force_login(official)
    response = client.get("/households/", {"format": "xlsx"})
    assert response["Content-Type"] == XLSX
    assert len(read_export(response).rows) == 2
