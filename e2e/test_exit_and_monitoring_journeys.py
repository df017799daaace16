"""Browser journeys of issue 16: a household leaves poverty step by step, and a department's warning ends in a
removed risk. Every step is taken on a 360-px page; the dates typed are in the past, so that a publicity has
run its days by today."""

import datetime as dt
import importlib
import re
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from e2e.conftest import PHONE, log_in, wait_for_path
from households.choices import HouseholdStatus
from households.models import ExitProcedure
from households.tests.factories import (
    AssessmentFactory,
    IncomeLineFactory,
    IncomeRecordFactory,
    poor_household,
    record_status,
    valid_id_number,
)
from monitoring.models import CaseState, MonitoringCase, MonitoringLine, WarningUpload
from monitoring.tests.warning_lists import row, workbook

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = dt.timedelta(days=1)
SAVE = "保存"


@pytest.fixture
def exit_steps(db):
    """The exit steps the data migration seeds, for transactional tests: a flush between tests removes them."""
    importlib.import_module("households.migrations.0018_default_exit_steps").add_steps(apps, None)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def ready_to_leave(village):
    """A poor household that meets the exit standard: income above 2020's line, every 2W3G item met."""
    household = poor_household(village)
    IncomeLineFactory(year=2020, line=5000)
    IncomeRecordFactory(household=household, year=2020, wage_income=6_000, household_size=1)
    household.latest_assessment = AssessmentFactory(household=household)
    household.save()
    return household


def as_user(page, username):
    page.context.clear_cookies()
    log_in(page, username)


def save(page, then: str):
    """Submit the form and be sent on to `then`; a form shown again fails at once, saying its errors."""
    with page.expect_navigation():  # the POST's answer: the redirect to `then`, or the form with its errors
        page.get_by_role("button", name=SAVE, exact=True).click()
    errors = page.locator(".invalid-feedback, .alert-danger, .alert-block").all_inner_texts()
    assert urlparse(page.url).path == then, errors


def fits_the_phone(page):
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{urlparse(page.url).path} is {width} px wide"


def record_exit_step(page, procedure, on: dt.date, *, document=None):
    """On the household page, the button of the step waited on; its date (and document); back on the page."""
    household_page = procedure.household.get_absolute_url()
    page.click(f"a[href='{reverse('households:exit-step', args=[procedure.pk])}']")
    page.fill("#id_done_on", on.isoformat())
    if document:
        page.set_input_files("#id_document", document)
    save(page, household_page)


def test_an_official_and_a_cadre_take_a_household_out_of_poverty_through_every_exit_step_at_phone_width(
    phone, alice, official, dongfeng, exit_steps, tmp_path
):
    household = ready_to_leave(dongfeng)
    household_page = household.get_absolute_url()
    minutes = tmp_path / "评议纪要.pdf"
    minutes.write_bytes(PDF)
    today = timezone.localdate()
    started = today - 30 * DAY

    as_user(phone, "alice")
    phone.goto(household_page)
    phone.click(f"a[href='{reverse('households:exit-start', args=[household.pk])}']")
    phone.fill("#id_started_on", started.isoformat())
    save(phone, household_page)
    procedure = ExitProcedure.objects.get(household=household)

    record_exit_step(phone, procedure, started + 1 * DAY, document=minutes)  # democratic appraisal
    record_exit_step(phone, procedure, started + 2 * DAY)  # verification, against the exit standard
    record_exit_step(phone, procedure, started + 3 * DAY, document=minutes)  # the household acknowledges it

    # During the publicity a villager objects: upheld, the household is sent back to its acknowledgement.
    phone.wait_for_selector("text=公示可于")
    phone.click(f"a[href='{reverse('households:exit-objection', args=[procedure.pk])}']")
    phone.fill("#id_done_on", (started + 5 * DAY).isoformat())
    phone.fill("#id_reason", "邻居反映家中收入未如实申报，经核查属实，重新核算。")
    save(phone, household_page)
    procedure.refresh_from_db()
    assert procedure.waiting_on.code == "acknowledgement"

    record_exit_step(phone, procedure, started + 6 * DAY, document=minutes)  # acknowledged again
    record_exit_step(phone, procedure, started + 13 * DAY, document=minutes)  # a fresh publicity of 7 days

    as_user(phone, "official")
    phone.goto(household_page)
    record_exit_step(phone, procedure, started + 14 * DAY)  # the town's review
    record_exit_step(phone, procedure, started + 15 * DAY)  # the county's approval
    record_exit_step(phone, procedure, started + 16 * DAY, document=minutes)  # the county's announcement

    exited_on = started + 16 * DAY
    fits_the_phone(phone)  # the household page with its nine records of the procedure
    status = phone.locator("section", has=phone.get_by_role("heading", name="状态变更记录"))
    assert "未脱贫 → 已脱贫" in status.inner_text()
    assert exited_on.isoformat() in status.inner_text()
    assert "退出程序完成" in status.inner_text()
    assert "已脱贫" in phone.locator("h1").inner_text()  # the household's status badge
    household.refresh_from_db()
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, exited_on.year)
    procedure.refresh_from_db()
    assert procedure.state == ExitProcedure.State.COMPLETED
    assert list(procedure.records.order_by("done_on", "pk").values_list("step__code", "outcome")) == [
        ("appraisal", "done"),
        ("verification", "done"),
        ("acknowledgement", "done"),
        ("publicity", "objection"),
        ("acknowledgement", "done"),
        ("publicity", "done"),
        ("town_review", "done"),
        ("county_approval", "done"),
        ("announcement", "done"),
    ]


def months_after(first: dt.date, count: int) -> dt.date:
    month = first.month - 1 + count
    return first.replace(year=first.year + month // 12, month=month % 12 + 1, day=1)


def take_case_step(page, case, url_name: str, on: dt.date):
    page.click(f"a[href='{reverse(url_name, args=[case.pk])}']")
    page.fill("#id_on", on.isoformat())
    save(page, case.get_absolute_url())


def test_an_official_takes_a_department_warning_to_a_removed_risk_at_phone_width(
    phone, alice, official, dongfeng, media, tmp_path
):
    today = timezone.localdate()
    reported = months_after(today.replace(day=1), -8)  # the list came in eight months ago
    household = poor_household(dongfeng, registered_on=dt.date(2016, 1, 1))
    IncomeLineFactory(year=2019, line=4000)  # it left poverty in 2019, its income above that year's line
    IncomeRecordFactory(household=household, year=2019, wage_income=6_000, household_size=1)
    record_status(household, HouseholdStatus.EXITED, dt.date(2019, 12, 20))
    household.latest_assessment = AssessmentFactory(household=household)
    household.save()
    head = household.members.get()
    for year in range(reported.year, today.year + 1):
        MonitoringLine.objects.create(year=year, income_line=6_500, rigid_expense_threshold=20_000)
    warned = reported - 5 * DAY
    stranger = valid_id_number(dt.date(1975, 3, 3))
    warning_list = tmp_path / "医保预警名单.xlsx"
    warning_list.write_bytes(
        workbook([row(head.id_number, name=head.name, date=warned), row(stranger, name="外乡人", date=warned)])
    )

    as_user(phone, "official")
    phone.goto(reverse("monitoring:warnings"))
    phone.select_option("#id_department", value="health_insurance")
    phone.set_input_files("#id_file", str(warning_list))
    phone.get_by_role("button", name="上传并校验").click()
    phone.wait_for_url(lambda url: re.fullmatch(r"/monitoring/warnings/\d+/", urlparse(url).path) is not None)
    phone.wait_for_selector("text=匹配到的行")
    fits_the_phone(phone)
    counts = phone.locator("table").first.inner_text()
    assert "匹配到的人员\t1" in counts
    assert "系统中未找到\t1" in counts
    assert household.number in phone.locator("h2:text-is('匹配到的行') + .table-responsive").inner_text()
    assert "外乡人" in phone.locator("h2:text-is('系统中未找到的行') + .table-responsive").inner_text()
    assert head.id_number not in phone.content()  # masked, as in every list
    assert stranger not in phone.content()
    WarningUpload.objects.update(
        uploaded_at=timezone.localtime().replace(year=reported.year, month=reported.month, day=1)
    )
    phone.get_by_role("button", name="确认导入").click()
    phone.wait_for_selector("text=完成：名单已导入。")

    case = MonitoringCase.objects.get(household=household)
    assert case.reported_on == reported
    phone.goto(reverse("monitoring:cases"))
    fits_the_phone(phone)
    phone.click(f"a[href='{case.get_absolute_url()}']")
    wait_for_path(phone, case.get_absolute_url())

    as_user(phone, "alice")
    phone.goto(case.get_absolute_url())
    take_case_step(phone, case, "monitoring:verify", reported + 1 * DAY)

    as_user(phone, "official")
    phone.goto(case.get_absolute_url())
    take_case_step(phone, case, "monitoring:review", reported + 2 * DAY)
    take_case_step(phone, case, "monitoring:confirm", reported + 3 * DAY)
    phone.wait_for_selector("text=监测户")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.MONITORED

    # Six months in a row at or above the monitoring line, each entered on the follow-up page.
    as_user(phone, "alice")
    phone.goto(case.get_absolute_url())
    for n in range(6):
        phone.click(f"a[href='{reverse('monitoring:follow-up', args=[case.pk])}']")
        phone.fill("#id_month", f"{months_after(reported, n):%Y-%m}")
        phone.fill("#id_per_capita_income", "7200")
        save(phone, case.get_absolute_url())
    phone.wait_for_selector("text=可以标注风险消除")  # every condition for removal is met
    take_case_step(phone, case, "monitoring:appraise", today - 10 * DAY)
    take_case_step(phone, case, "monitoring:publicise", today - 9 * DAY)

    as_user(phone, "official")
    phone.goto(case.get_absolute_url())
    take_case_step(phone, case, "monitoring:sign-off", today - 1 * DAY)
    phone.wait_for_selector("text=风险已消除")
    fits_the_phone(phone)  # the case with its steps, its warning and six follow-ups

    case.refresh_from_db()
    assert case.state == CaseState.RISK_REMOVED
    household.refresh_from_db()
    assert (household.status, household.exit_year) == (HouseholdStatus.EXITED, 2019)
    phone.goto(household.get_absolute_url())
    status = phone.locator("section", has=phone.get_by_role("heading", name="状态变更记录"))
    assert "已脱贫" in phone.locator("h1").inner_text()
    assert "监测户 → 已脱贫" in status.inner_text()
    assert "风险已消除，监测对象办结。" in status.inner_text()
