"""The demo town's visits: a year of history with gaps, and the flags the daily job would have left.

The town is seeded once for this module, inside a transaction rolled back at the
end, because it takes seconds; each test runs in its own savepoint. Everything is
counted from the database and reckoned from today, the day the demo was loaded.
"""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import Notification, User
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment, Household
from visits.models import FlagKind, Visit, VisitFlag, VisitRule
from visits.periods import MONTH, due_soon_from, period_of, previous_period
from visits.services import visits_flag


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed the demo town once for the module; roll it back so that other modules start empty."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def last_twelve_month_starts(today: dt.date) -> list[dt.date]:
    starts = [period_of(today, MONTH).start]
    while len(starts) < 12:
        starts.insert(0, previous_period(starts[0], MONTH).start)
    return starts


def required_and_logged(periods_of) -> tuple[set, set]:
    """(household, rule, period start) the rules required in the given periods, and those with a visit.

    `periods_of(rule)` names each rule's periods. Required means what the daily
    job asks for: every household with the rule's status registered by the
    period's end, whoever is (or is not) assigned to it.
    """
    visits = {}
    for household_id, role, day in Visit.objects.values_list("household_id", "role", "visited_on"):
        visits.setdefault((household_id, role), []).append(day)
    required, logged = set(), set()
    for rule in VisitRule.objects.filter(active=True):
        households = Household.objects.filter(status=rule.household_status).values_list("pk", "registered_on")
        for period in periods_of(rule):
            for household_id, registered_on in households:
                if registered_on > period.end:
                    continue
                key = (household_id, rule.pk, period.start)
                required.add(key)
                if any(day in period for day in visits.get((household_id, rule.visitor_role), ())):
                    logged.add(key)
    return required, logged


def judged_periods(rule):
    """The periods the daily job judged when it ran on the first of each of the last twelve months."""
    return sorted({previous_period(day, rule.period) for day in last_twelve_month_starts(timezone.localdate())})


def test_visits_by_both_persons_were_logged_in_each_of_the_last_twelve_months():
    today = timezone.localdate()
    for start in last_twelve_month_starts(today):
        month = period_of(start, MONTH)
        in_month = Visit.objects.filter(visited_on__range=(month.start, month.end))

        assert in_month.filter(role=AssignmentRole.RESPONSIBLE, household__status=HouseholdStatus.UNEXITED).exists()
        assert in_month.filter(role=AssignmentRole.CONTACT, household__status=HouseholdStatus.UNEXITED).exists()
        assert in_month.filter(household__status=HouseholdStatus.EXITED).exists(), start


def test_no_visit_is_in_the_future_before_its_household_was_registered_or_logged_before_it_happened():
    today = timezone.localdate()

    assert Visit.objects.count() > 5000
    assert not Visit.objects.filter(visited_on__gt=today).exists()
    assert not Visit.objects.filter(visited_on__lt=F("household__registered_on")).exists()
    assert not Visit.objects.filter(created_at__gt=timezone.now()).exists()
    for visited_on, created_at in Visit.objects.values_list("visited_on", "created_at"):
        assert timezone.localdate(created_at) >= visited_on


def test_every_visit_is_by_the_households_current_assignee_for_that_role():
    assignee = Assignment.objects.current().filter(
        household=OuterRef("household"), role=OuterRef("role"), person=OuterRef("visitor")
    )

    assert not Visit.objects.exclude(Exists(assignee)).exists()
    assert set(Visit.objects.values_list("role", flat=True).distinct()) == {
        AssignmentRole.RESPONSIBLE,
        AssignmentRole.CONTACT,
    }


def test_visits_vary_in_method_and_what_was_found():
    visits = Visit.objects.all()
    total = visits.count()

    assert 0.05 < visits.filter(method="phone").count() / total < 0.3
    assert visits.exclude(problems_found="").exists()
    assert visits.exclude(problems_solved="").exists()
    assert visits.exclude(income_changes="").exists()
    assert visits.exclude(follow_up="").exists()
    assert not visits.filter(met_with="").exists()
    assert not visits.filter(policies_explained="").exists()
    assert visits.values("client_key").distinct().count() == total


def test_between_85_and_95_percent_of_required_visits_were_logged_in_past_periods():
    required, logged = required_and_logged(judged_periods)

    assert len(required) > 5000
    assert 0.85 <= len(logged) / len(required) <= 0.95


def test_about_60_percent_of_this_periods_visits_are_logged_already():
    required, logged = required_and_logged(lambda rule: [rule.period_of(timezone.localdate())])

    assert 0.5 <= len(logged) / len(required) <= 0.7


def test_every_required_visit_not_logged_in_a_past_period_has_an_open_overdue_flag_and_no_other_is_open():
    required, logged = required_and_logged(judged_periods)
    overdue = set(
        VisitFlag.objects.open().filter(kind=FlagKind.OVERDUE).values_list("household_id", "rule_id", "period_start")
    )

    assert overdue
    assert overdue == required - logged


def test_due_soon_flags_are_open_for_this_periods_missing_visits_from_the_due_soon_day():
    today = timezone.localdate()
    due_soon = VisitFlag.objects.open().filter(kind=FlagKind.DUE_SOON)
    due = [
        rule
        for rule in VisitRule.objects.filter(active=True)
        if due_soon_from(rule.period_of(today), settings.VISIT_DUE_SOON_DAY) <= today
    ]
    required, logged = required_and_logged(lambda rule: [rule.period_of(today)] if rule in due else [])

    assert set(due_soon.values_list("household_id", "rule_id", "period_start")) == required - logged
    if today.day >= settings.VISIT_DUE_SOON_DAY:  # this month's visits are due soon
        assert due_soon.exists()


def test_visits_logged_after_their_period_cleared_the_overdue_flag_raised_before():
    cleared = VisitFlag.objects.filter(cleared_at__isnull=False).select_related("cleared_by")

    assert cleared.count() > 20
    for flag in cleared:
        visit = flag.cleared_by
        assert flag.kind == FlagKind.OVERDUE
        assert flag.period_start <= visit.visited_on <= flag.period_end
        assert visit.household_id == flag.household_id
        assert timezone.localdate(visit.created_at) > flag.period_end
        assert flag.raised_at <= flag.cleared_at == visit.created_at


def test_flags_are_dated_on_the_first_run_of_the_job_after_their_period():
    today = timezone.localdate()
    job_days = [*last_twelve_month_starts(today), today]
    flags = VisitFlag.objects.values_list("kind", "period_end", "raised_at")

    for kind, period_end, raised_at in flags:
        expected = today if kind == FlagKind.DUE_SOON else min(day for day in job_days if day > period_end)
        assert timezone.localdate(raised_at) == expected
    assert flags.filter(raised_at__lt=timezone.now() - dt.timedelta(days=60)).exists()


def test_the_demo_cadres_notices_of_earlier_months_are_read_and_this_months_are_not():
    this_month = timezone.make_aware(dt.datetime.combine(period_of(timezone.localdate(), MONTH).start, dt.time()))
    notices = Notification.objects.filter(recipient=User.objects.get(username="cadre"))

    assert notices.filter(created_at__lt=this_month).count() >= 3  # at least those of the quarterly runs
    assert not notices.filter(created_at__lt=this_month, read_at__isnull=True).exists()
    assert not notices.filter(created_at__gte=this_month, read_at__isnull=False).exists()
    assert not VisitFlag.objects.open().exclude(notified_kind=F("kind")).exists()


def test_running_the_daily_job_again_changes_nothing():
    fields = ("household_id", "rule_id", "period_start", "kind", "raised_at", "notified_kind", "cleared_at")
    flags_before = list(VisitFlag.objects.order_by("pk").values_list(*fields))
    notices_before = Notification.objects.count()

    run = visits_flag()

    assert (run.raised, run.escalated, run.cleared, run.notified) == (0, 0, 0, 0)
    assert list(VisitFlag.objects.order_by("pk").values_list(*fields)) == flags_before
    assert Notification.objects.count() == notices_before


def test_a_second_seed_demo_adds_no_visit_and_no_flag():
    counts_before = (Visit.objects.count(), VisitFlag.objects.count(), Notification.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (Visit.objects.count(), VisitFlag.objects.count(), Notification.objects.count()) == counts_before
