"""Settling two versions of one visit: what the phone's version changes when it replaces the stored one.

Its role and lateness are found again for its date, lateness as of the day it reached the server;
the flags follow its date; only the visit's own visitor may choose.
"""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits import services
from visits.models import FlagKind, Resolution, Visit, VisitFlag, VisitorRole, VisitRule
from visits.periods import MONTH, period_of, previous_period

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ASSIGNED_FROM = dt.date(2020, 1, 1)
LAST_MONTH = previous_period(TODAY, MONTH).start


@pytest.fixture
def household(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(
        household=household, person=helper, role=AssignmentRole.RESPONSIBLE, start_date=dt.date(2020, 1, 1)
    )
    return household


def version(household, key, visited_on, findings) -> Visit:
    return Visit(household=household, client_key=key, visited_on=visited_on, method="home", findings=findings)


def in_conflict(household, user, *, stored_on, sent_on, key=None):
    """A visit stored, and a different version of it sent: the stored visit, the version and its conflict."""
    key = key or uuid.uuid4()
    stored, _created = services.visit_log(visit=version(household, key, stored_on, "第一次"), user=user)
    sent = version(household, key, sent_on, "改过的")
    with pytest.raises(services.VisitConflictError) as raised:
        services.visit_log(visit=sent, user=user)
    return stored, version(household, key, sent_on, "改过的"), raised.value.conflict


def replace(stored, sent, user):
    return services.visit_replace(visit=stored, user=user, sent=sent, replaces=stored.content_digest)


def test_a_version_that_reached_the_server_in_time_is_not_made_late_by_choosing_it_later(household, helper):
    two_months_ago = previous_period(previous_period(TODAY, MONTH).start, MONTH)
    visited_on = two_months_ago.start + dt.timedelta(days=9)
    stored, sent, conflict = in_conflict(household, helper, stored_on=visited_on, sent_on=visited_on)
    assert stored.late, "entered today, long after its month closed"
    arrived = timezone.make_aware(dt.datetime.combine(two_months_ago.end + dt.timedelta(days=1), dt.time(9)))
    type(conflict).objects.filter(pk=conflict.pk).update(received_at=arrived)

    visit, changed = replace(stored, sent, helper)

    assert changed
    assert (visit.late, visit.received_at) == (False, arrived)


def test_a_version_no_conflict_brought_in_time_is_late_when_its_period_has_closed(household, helper):
    long_ago = previous_period(previous_period(TODAY, MONTH).start, MONTH).start
    stored, sent, _conflict = in_conflict(household, helper, stored_on=TODAY, sent_on=long_ago)
    visit, _changed = replace(stored, sent, helper)
    assert (stored.late, visit.late) == (False, True)


def test_the_role_is_found_again_for_the_new_date(household, helper):
    before_assigned = ASSIGNED_FROM - dt.timedelta(days=1)
    stored, sent, _conflict = in_conflict(household, helper, stored_on=TODAY, sent_on=before_assigned)
    assert stored.role == VisitorRole.RESPONSIBLE
    visit, _changed = replace(stored, sent, helper)
    assert visit.role == VisitorRole.OTHER, "not yet assigned on that day"


@pytest.fixture
def flags(household, helper, settings):
    """Open overdue flags of this month and the last for the responsible person's visit."""
    settings.VISIT_LATE_ENTRY_DAYS = 40  # last month's visit counts whatever today's day of the month
    rule = VisitRule.objects.get(household_status="unexited", visitor_role=AssignmentRole.RESPONSIBLE)
    made = {}
    for name, period in (("this", period_of(TODAY, MONTH)), ("last", previous_period(TODAY, MONTH))):
        made[name] = VisitFlag.objects.create(
            household=household,
            rule=rule,
            period_start=period.start,
            period_end=period.end,
            visitor=helper,
            kind=FlagKind.OVERDUE,
            raised_at=timezone.now(),
        )
    return made


def test_moving_a_visit_to_another_month_opens_the_flag_it_cleared_and_clears_the_new_months(household, helper, flags):
    stored, sent, _conflict = in_conflict(household, helper, stored_on=TODAY, sent_on=LAST_MONTH)
    flags["this"].refresh_from_db()
    assert flags["this"].cleared_by == stored

    replace(stored, sent, helper)

    flags["this"].refresh_from_db()
    flags["last"].refresh_from_db()
    assert (flags["this"].cleared_at, flags["this"].cleared_by) == (None, None)
    assert flags["last"].cleared_by == stored
    assert flags["last"].cleared_at is not None


def test_a_flag_another_visit_answers_goes_to_that_visit_instead_of_opening(household, helper, flags):
    stored, sent, _conflict = in_conflict(
        household, helper, stored_on=TODAY, sent_on=previous_period(TODAY, MONTH).start
    )
    other, _created = services.visit_log(visit=version(household, uuid.uuid4(), TODAY, "另一次"), user=helper)

    replace(stored, sent, helper)

    flags["this"].refresh_from_db()
    assert flags["this"].cleared_by == other
    assert flags["this"].cleared_at is not None


def test_only_the_visits_own_visitor_may_choose(household, helper, official):
    stored, sent, conflict = in_conflict(household, helper, stored_on=TODAY, sent_on=TODAY)
    with pytest.raises(ValidationError) as refused:
        replace(stored, sent, official)
    assert refused.value.code == "key_used"
    with pytest.raises(ValidationError):
        services.visit_conflict_keep(visit=stored, user=official)
    conflict.refresh_from_db()
    assert conflict.resolved_at is None
    stored.refresh_from_db()
    assert stored.findings == "第一次"


def test_keeping_resolves_every_version_sent_against_the_visit(household, helper):
    stored, _sent, _first = in_conflict(household, helper, stored_on=TODAY, sent_on=TODAY)
    third = version(household, stored.client_key, TODAY, "第三个版本")
    with pytest.raises(services.VisitConflictError):
        services.visit_log(visit=third, user=helper)

    assert services.visit_conflict_keep(visit=stored, user=helper) == 2
    assert set(stored.conflicts.values_list("resolution", flat=True)) == {Resolution.KEPT}
    assert services.visit_conflict_keep(visit=stored, user=helper) == 0
