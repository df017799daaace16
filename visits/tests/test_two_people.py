"""The two-person guarantee counted per person: a visit's role is the visitor's own assignment, and late entries count
for nothing."""

import datetime as dt
import uuid
import zoneinfo
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from assistance.services.guarantee import assignment_set
from assistance.tests.factories import SupportUnitFactory
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits.models import FlagKind, Visit, VisitFlag, VisitorRole
from visits.selectors import compliance, household_months
from visits.services import visit_log, visits_flag

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FEBRUARY = dt.date(2020, 2, 1)
MARCH_5 = dt.date(2020, 3, 5)


@pytest.fixture
def household(dongfeng, helper, alice):
    """Unexited, with helper responsible and alice (the village cadre) its contact person since 2020."""
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    AssignmentFactory(household=household, person=alice, role=AssignmentRole.CONTACT)
    return household


def at_shanghai(year, month, day, hour, minute=0):
    """A patch of the clock to that moment of the town's calendar."""
    moment = dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def log(household, person, day, **fields) -> Visit:
    visit = Visit(household=household, client_key=uuid.uuid4(), visited_on=day, method="home", **fields)
    return visit_log(visit=visit, user=person)[0]


def open_flag(household, role):
    return VisitFlag.objects.open().filter(household=household, rule__visitor_role=role)


# ---------------------------------------------------------------- the role is the visitor's own


def test_the_contact_person_cannot_clear_the_responsible_persons_flag_by_choosing_the_role(client, household, alice):
    with at_shanghai(2020, 3, 4, 9):
        visits_flag(on=MARCH_5 - dt.timedelta(days=1))
        client.force_login(alice)
        data = {"client_key": str(uuid.uuid4()), "role": "responsible", "visited_on": "2020-02-20", "method": "home"}
        assert client.post(f"{reverse('visits:log')}?household={household.pk}", data).status_code == 302

    visit = Visit.objects.get()
    assert (visit.visitor, visit.role) == (alice, VisitorRole.CONTACT)
    assert open_flag(household, AssignmentRole.RESPONSIBLE).exists()
    assert not open_flag(household, AssignmentRole.CONTACT).exists()


def test_a_visitor_assigned_to_nothing_is_recorded_as_another_visitor_and_clears_no_flag(household, official):
    with at_shanghai(2020, 3, 4, 9):
        visits_flag(on=dt.date(2020, 3, 4))
        visit = log(household, official, dt.date(2020, 2, 20), role=VisitorRole.RESPONSIBLE)

    assert visit.role == VisitorRole.OTHER
    assert open_flag(household, AssignmentRole.RESPONSIBLE).count() == 1
    assert open_flag(household, AssignmentRole.CONTACT).count() == 1


def test_the_role_is_the_one_held_on_the_visit_date_not_today(household, helper, official, dongfeng):
    """helper hands the household over on 15 February: their visit of the 10th was as responsible, their
    visit of the 20th as nobody's."""
    unit = SupportUnitFactory(village=dongfeng)
    assignment_set(
        household=household,
        role=AssignmentRole.RESPONSIBLE,
        person=official,
        start_date=dt.date(2020, 2, 15),
        support_unit=unit,
        user=official,
    )
    with at_shanghai(2020, 2, 25, 9):
        before = log(household, helper, dt.date(2020, 2, 10))
        after = log(household, helper, dt.date(2020, 2, 20))
    assert (before.role, after.role) == (VisitorRole.RESPONSIBLE, VisitorRole.OTHER)


def test_one_person_cannot_hold_both_halves_of_the_guarantee(household, alice, official, dongfeng):
    alice.role = Role.OFFICIAL  # alice, the contact person, has since become a town official
    alice.save()
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        assignment_set(
            household=household,
            role=AssignmentRole.RESPONSIBLE,
            person=alice,
            start_date=timezone.localdate(),
            support_unit=SupportUnitFactory(village=dongfeng),
            user=official,
        )
    assert "two-person guarantee needs two people" in str(refused.value)


# ---------------------------------------------------------------- compliance per person


def test_compliance_counts_a_visit_for_the_person_who_owed_it_only(household, helper, official, dongfeng):
    """helper visited on 10 February and handed over on the 15th: the household was visited, but the
    official, responsible at the month's end, made no visit of their own."""
    assignment_set(
        household=household,
        role=AssignmentRole.RESPONSIBLE,
        person=official,
        start_date=dt.date(2020, 2, 15),
        support_unit=SupportUnitFactory(village=dongfeng),
        user=official,
    )
    with at_shanghai(2020, 2, 25, 9):
        log(household, helper, dt.date(2020, 2, 10))
    with at_shanghai(2020, 3, 10, 9):
        villages, visitors, _total = compliance(user=official, month=FEBRUARY)

    assert [(row.label, row.done, row.required) for row in villages] == [("东风村", 1, 2)]
    by_person = {row.key: (row.done, row.required) for row in visitors}
    assert by_person[official.pk] == (0, 1)
    assert helper.pk not in by_person


def test_officials_see_who_was_required_and_who_came_each_month(client, household, helper, alice, official):
    with at_shanghai(2020, 2, 25, 9):
        log(household, helper, dt.date(2020, 2, 10))
        log(household, official, dt.date(2020, 2, 12))
    with at_shanghai(2020, 3, 10, 9):
        february = next(m for m in household_months(household, on=dt.date(2020, 3, 10)) if m.month == FEBRUARY)
        client.force_login(official)
        page = client.get(reverse("visits:household", args=[household.pk]))

    assert [(r.role, r.person, r.done) for r in february.required] == [
        (AssignmentRole.CONTACT, alice, False),
        (AssignmentRole.RESPONSIBLE, helper, True),
    ]
    assert [v.visitor for v in february.others] == [official]
    assert page.status_code == 200
    assert "2020-02" in page.text


# ---------------------------------------------------------------- late entries, in the town's calendar


@pytest.mark.parametrize(
    ("entered", "late"),
    [
        ((2020, 3, 5, 23, 30), False),  # the fifth day after February ended, late in the evening
        ((2020, 3, 6, 0, 30), True),  # half an hour later: still 5 March in UTC, but 6 March in the village
    ],
)
def test_a_visit_counts_for_its_period_up_to_five_days_after_it_closed(household, helper, entered, late):
    with at_shanghai(2020, 3, 4, 9):
        visits_flag(on=dt.date(2020, 3, 4))
    with at_shanghai(*entered):
        visit = log(household, helper, dt.date(2020, 2, 28))

    assert visit.late is late
    assert open_flag(household, AssignmentRole.RESPONSIBLE).exists() is late


def test_a_late_visit_is_kept_but_counts_for_no_flag_compliance_or_due_list(household, helper, official):
    with at_shanghai(2020, 3, 20, 9):
        visits_flag(on=dt.date(2020, 3, 20))
        visit = log(household, helper, dt.date(2020, 2, 28))
        visits_flag(on=dt.date(2020, 3, 20))  # the job does not count it either
        villages, _visitors, _total = compliance(user=official, month=FEBRUARY)

    assert visit.late
    assert open_flag(household, AssignmentRole.RESPONSIBLE).filter(kind=FlagKind.OVERDUE).exists()
    assert [(row.done, row.required) for row in villages] == [(0, 2)]


def test_the_form_says_from_which_date_a_visit_still_counts(client, household, helper, settings):
    settings.VISIT_LATE_ENTRY_DAYS = 5
    client.force_login(helper)
    with at_shanghai(2020, 3, 5, 9):
        early = client.get(f"{reverse('visits:log')}?household={household.pk}").context["counts_from"]
    with at_shanghai(2020, 3, 6, 9):
        later = client.get(f"{reverse('visits:log')}?household={household.pk}").context["counts_from"]
    assert (early, later) == (dt.date(2020, 2, 1), dt.date(2020, 3, 1))


def test_a_late_visit_is_logged_with_a_warning(client, household, helper):
    client.force_login(helper)
    with at_shanghai(2020, 3, 20, 9):
        data = {"client_key": str(uuid.uuid4()), "visited_on": "2020-02-20", "method": "home"}
        response = client.post(f"{reverse('visits:log')}?household={household.pk}", data, follow=True)
    assert Visit.objects.get().late
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
