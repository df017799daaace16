import datetime as dt

import pytest

from e2e.conftest import log_in
from households.choices import HouseholdStatus
from households.services import target_fix
from households.tests.factories import AssessmentFactory, HouseholdFactory, poor_household, record_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_official_follows_a_dashboard_figure_to_a_household_and_downloads_its_card(
    phone, official, town, dongfeng, hongqi
):
    blocked = poor_household(dongfeng)
    blocked.latest_assessment = AssessmentFactory(household=blocked, housing_ok=False)
    blocked.save(update_fields=["latest_assessment"])
    record_status(poor_household(dongfeng), HouseholdStatus.EXITED, dt.date(2019, 12, 20))
    poor_household(hongqi)
    target_fix(town=town, year=2020, name="2020年脱贫攻坚工作计划", as_of=dt.date(2020, 1, 1), user=official)

    log_in(phone, "official")
    phone.wait_for_url("**/dashboard/")
    assert phone.locator("#target-heading").inner_text() == "2020年脱贫目标"
    # What blocks the household is named on the dashboard itself.
    assert "住房安全有保障" in phone.locator(".remaining-table").inner_text()

    # The 东风村 row's "not yet out" figure opens the one household behind it.
    row = phone.locator(".village-table tbody tr", has_text="东风村")
    row.locator("td").nth(2).locator("a").click()
    phone.wait_for_url("**/households/?village=*&status=unexited")
    phone.click(f"text={blocked.number}")
    phone.click("text=一户一档")
    phone.wait_for_url(f"**/households/{blocked.pk}/card/")
    assert blocked.members.get().name in phone.content()

    with phone.expect_download() as download:
        phone.click("text=下载PDF")
    assert download.value.suggested_filename == f"card-{blocked.number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_cadre_lands_on_their_village_dashboard_and_opens_the_households_still_to_lift(phone, alice, dongfeng):
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.UNEXITED)
    log_in(phone, "alice")
    phone.wait_for_url(f"**/dashboard/villages/{dongfeng.pk}/")
    assert "东风村" in phone.locator("h1").inner_text()
    phone.click(".village-figures a >> nth=0")
    phone.wait_for_url("**/households/?village=*&status=unexited")
