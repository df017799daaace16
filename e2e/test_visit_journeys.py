import datetime as dt

import pytest
from django.utils import timezone

from e2e.conftest import log_in, wait_for_path
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits.models import Visit, VisitFlag
from visits.services import visits_flag

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("default_visit_rules")]


def test_a_responsible_person_logs_an_overdue_visit_from_the_due_list_in_two_taps(phone, helper, dongfeng):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    today = timezone.localdate()
    visits_flag(on=today)  # last month's visit is overdue
    flag = VisitFlag.objects.get(rule__visitor_role=AssignmentRole.RESPONSIBLE, kind="overdue")
    phone.goto("/accounts/login/")
    log_in(phone, "helper")

    phone.goto("/visits/due/")
    assert phone.locator("li[data-flag=overdue]").count() == 1
    phone.click(f"a[href^='/visits/log/?household={household.pk}']")  # tap 1
    assert phone.input_value("#id_visited_on") == f"{today:%Y-%m-%d}"
    phone.fill("#id_visited_on", f"{flag.period_end:%Y-%m-%d}")
    phone.fill("#id_findings", "户主身体好转，务工收入稳定")
    phone.click("main button[type=submit]")  # tap 2 (after typing what was found)
    wait_for_path(phone, "/visits/due/")

    visit = Visit.objects.get()
    assert (visit.household, visit.visitor, visit.role) == (household, helper, AssignmentRole.RESPONSIBLE)
    flag.refresh_from_db()
    assert flag.cleared_by == visit
    assert phone.locator("li[data-flag=overdue]").count() == 0  # this month's visit is still to do
