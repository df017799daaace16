"""The dashboards' figures kept on each household: every write that changes one keeps it, and the command checks."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from households import summaries
from households.choices import AssignmentRole, HouseholdStatus, PovertyCause, Relation
from households.classification import ExitClass
from households.models import Assessment, Household, IncomeLine, IncomeRecord
from households.services import (
    MemberWrite,
    assessment_record,
    classification_confirm,
    household_save,
    income_record_save,
)
from households.tests.factories import (
    AssignmentFactory,
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    valid_id_number,
)
from visits.models import Visit, VisitorRole
from visits.services import visit_log

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def kept(household: Household) -> Household:
    return Household.objects.get(pk=household.pk)


def income(household, user, *, year=2020, wage=12_000, size=2) -> IncomeRecord:
    return income_record_save(
        household=household,
        year=year,
        wage_income=wage,
        production_income=0,
        property_income=0,
        transfer_income=0,
        production_costs=0,
        household_size=size,
        user=user,
    )


# ---------------------------------------------------------------- each write keeps its figure


def test_recording_an_assessment_keeps_the_items_its_household_fails(dongfeng_household, alice):
    assessment_record(
        assessment=Assessment(household=dongfeng_household, assessed_on=dt.date(2020, 3, 1), housing_ok=False),
        user=alice,
    )
    assert summaries.failing_items_of(kept(dongfeng_household).failing_items) == ["housing"]


def test_an_older_assessment_recorded_later_leaves_the_newest_verdicts(dongfeng_household, alice):
    assessment_record(
        assessment=Assessment(household=dongfeng_household, assessed_on=dt.date(2020, 3, 1), water_ok=False),
        user=alice,
    )
    assessment_record(
        assessment=Assessment(household=dongfeng_household, assessed_on=dt.date(2019, 3, 1), food_ok=False),
        user=alice,
    )
    assert summaries.failing_items_of(kept(dongfeng_household).failing_items) == ["water"]


def test_a_passing_assessment_clears_the_failing_items(dongfeng_household, alice):
    for day, verdicts in ((dt.date(2020, 3, 1), {"food_ok": False}), (dt.date(2020, 4, 1), {})):
        assessment_record(assessment=Assessment(household=dongfeng_household, assessed_on=day, **verdicts), user=alice)
    assert kept(dongfeng_household).failing_items == 0


def test_income_of_the_lines_year_is_kept_and_another_years_is_not(dongfeng_household, alice):
    income(dongfeng_household, alice, year=2019, wage=3_000, size=1)
    assert (kept(dongfeng_household).income_year, kept(dongfeng_household).income_net) == (2020, None)
    income(dongfeng_household, alice, year=2020, wage=12_000, size=3)
    household = kept(dongfeng_household)
    assert (household.income_year, household.income_net, household.income_size) == (2020, 12_000, 3)


def test_income_written_again_for_the_same_year_replaces_the_kept_figures(dongfeng_household, alice):
    income(dongfeng_household, alice, wage=12_000, size=3)
    income(dongfeng_household, alice, wage=4_000, size=1)
    assert (kept(dongfeng_household).income_net, kept(dongfeng_household).income_size) == (4_000, 1)


def test_confirming_a_class_keeps_it_as_the_households_current_class(dongfeng, official, alice):
    household = HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019)
    income(household, alice, wage=40_000, size=1)
    classification_confirm(household=household, confirmed_class=ExitClass.STABLE, reason="收入稳定", user=official)
    assert kept(household).exit_class == ExitClass.STABLE
    classification_confirm(household=household, confirmed_class=ExitClass.AT_RISK, reason="看病花销大", user=official)
    assert kept(household).exit_class == ExitClass.AT_RISK


def member_values(name: str, relation: str, birth: dt.date) -> dict:
    return {"name": name, "id_number": valid_id_number(birth), "relation": relation}


def test_adding_and_removing_members_keeps_the_people_count(dongfeng, alice):
    values = {"number": "34032100999001", "village": dongfeng, "main_cause": PovertyCause.ILLNESS}
    household = household_save(
        household=None,
        values=values,
        members=[
            MemberWrite(values=member_values("张一", Relation.HEAD, dt.date(1970, 1, 2))),
            MemberWrite(values=member_values("张二", Relation.SPOUSE, dt.date(1972, 3, 4))),
            MemberWrite(values=member_values("张三", Relation.SON, dt.date(2000, 5, 6))),
        ],
        user=alice,
    )
    assert kept(household).people_count == 3
    son = household.members.get(name="张三")
    others = household.members.exclude(pk=son.pk)
    household_save(
        household=household,
        values={"address": "东风村1组"},
        members=[*(MemberWrite(pk=m.pk) for m in others), MemberWrite(pk=son.pk, delete=True)],
        user=alice,
    )
    assert kept(household).people_count == 2


def test_a_visit_in_time_keeps_the_last_visit_of_its_role_and_another_visitors_does_not(dongfeng, helper, alice):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE, start_date=TODAY)
    stranger = UserFactory(role=Role.CADRE, villages=[dongfeng])
    visit_log(visit=Visit(household=household, client_key=uuid.uuid4(), visited_on=TODAY, method="home"), user=helper)
    visit_log(visit=Visit(household=household, client_key=uuid.uuid4(), visited_on=TODAY, method="home"), user=stranger)
    household = kept(household)
    assert Visit.objects.filter(household=household, role=VisitorRole.OTHER).exists()
    assert (household.last_responsible_visit_on, household.last_contact_visit_on) == (TODAY, None)


def test_a_visit_entered_late_is_not_kept_as_a_visit_that_counted(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    long_ago = TODAY - dt.timedelta(days=200)
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE, start_date=long_ago)
    visit = Visit(household=household, client_key=uuid.uuid4(), visited_on=long_ago, method="home")
    stored, _created = visit_log(visit=visit, user=helper)
    assert stored.late
    assert kept(household).last_responsible_visit_on is None


def test_a_member_deleted_in_the_admin_leaves_the_people_count_right(client, dongfeng):
    from audit.tests.test_trail import admin_data, member_index

    household = HouseholdFactory(village=dongfeng)
    spouse = MemberFactory(household=household)
    assert kept(household).people_count == 2
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    data = admin_data(client, household)
    data[f"members-{member_index(data, spouse)}-DELETE"] = "on"
    response = client.post(reverse("admin:households_household_change", args=[household.pk]), data)
    assert response.status_code == 302
    assert kept(household).people_count == 1


def test_an_income_record_deleted_in_the_admin_leaves_the_household_without_income(client, dongfeng_household, alice):
    record = income(dongfeng_household, alice)
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    url = reverse("admin:households_incomerecord_delete", args=[record.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert (kept(dongfeng_household).income_year, kept(dongfeng_household).income_net) == (2020, None)


# ---------------------------------------------------------------- a new year's line


def test_a_new_years_line_leaves_the_kept_income_behind_until_it_is_refreshed(dongfeng_household, alice):
    income(dongfeng_household, alice, year=2020, wage=12_000, size=2)
    income(dongfeng_household, alice, year=TODAY.year, wage=30_000, size=2)
    IncomeLine.objects.create(year=TODAY.year, line=6_000)
    assert kept(dongfeng_household).income_year == 2020
    assert summaries.stale().filter(pk=dongfeng_household.pk).exists()
    summaries.refresh_income()
    household = kept(dongfeng_household)
    assert (household.income_year, household.income_net) == (TODAY.year, 30_000)


def test_a_line_added_in_the_admin_brings_every_households_income_to_its_year(client, dongfeng_household, alice):
    income(dongfeng_household, alice, year=TODAY.year, wage=30_000, size=2)
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    data = {"year": TODAY.year, "line": 6_000, "drop_share": "0.30", "consolidation_factor": "1.50", "_save": "Save"}
    assert client.post(reverse("admin:households_incomeline_add"), data).status_code == 302
    assert (kept(dongfeng_household).income_year, kept(dongfeng_household).income_net) == (TODAY.year, 30_000)


# ---------------------------------------------------------------- refresh, rebuild and check


def test_a_refresh_of_more_households_than_one_statement_takes_updates_them_all(dongfeng, monkeypatch):
    households = [HouseholdFactory(village=dongfeng) for _ in range(5)]
    Household.objects.update(people_count=0)
    monkeypatch.setattr(summaries, "CHUNK", 2)
    assert summaries.refresh([h.pk for h in households]) == 5
    assert list(Household.objects.values_list("people_count", flat=True)) == [1] * 5


def test_the_check_names_the_households_whose_figures_differ_and_fails(dongfeng):
    right, wrong = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    Household.objects.filter(pk=wrong.pk).update(people_count=7, failing_items=1)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 households' dashboard figures differ"):
        call_command("dashboard_figures", "--check", stdout=out)
    assert f"{wrong.number} (#{wrong.pk}): failing_items 1 -> 0, people_count 7 -> 1" in out.getvalue()
    assert right.number not in out.getvalue()
    assert kept(wrong).people_count == 7  # the check writes nothing


def test_the_rebuild_puts_every_figure_right_and_the_check_then_passes(dongfeng):
    household = HouseholdFactory(village=dongfeng)
    Household.objects.filter(pk=household.pk).update(people_count=7, exit_class=ExitClass.STABLE, income_year=None)
    call_command("dashboard_figures", stdout=io.StringIO())
    out = io.StringIO()
    call_command("dashboard_figures", "--check", stdout=out)
    assert "current" in out.getvalue()
    assert (kept(household).people_count, kept(household).exit_class, kept(household).income_year) == (1, "", 2020)


def test_the_nightly_job_brings_the_income_to_a_new_years_line_and_a_rerun_writes_nothing(dongfeng_household, alice):
    from households.tasks import refresh_dashboard_income

    income(dongfeng_household, alice, year=TODAY.year, wage=30_000, size=2)
    IncomeLine.objects.create(year=TODAY.year, line=6_000)
    assert refresh_dashboard_income() == {"households": 1}
    assert (kept(dongfeng_household).income_year, kept(dongfeng_household).income_net) == (TODAY.year, 30_000)
    assert refresh_dashboard_income() == {"households": 0}
