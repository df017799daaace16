"""The demo town's visits: from 2020 to today, by the people assigned, saying what the assessments say,
and the flags the daily job would have left had it run every day since 1 April 2020.

The town is seeded once for the session (conftest's demo_town), inside a transaction
rolled back at the end; each test runs in its own savepoint. Everything is
counted from the database and reckoned from today, the day the demo was loaded,
against the rules as the app states them (VisitRule rows, visit_standing's
lateness) and the registry's history, never against the demo's own constants.
"""

import datetime as dt
import io
import re
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import Notification, User
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus
from households.models import Assessment, Assignment, Household, StatusChange
from visits.models import FlagKind, Method, Visit, VisitFlag, VisitorRole, VisitRule
from visits.periods import MONTH, Period, due_soon_from, period_of, previous_period
from visits.selectors import visits_due
from visits.services import visits_flag

VISITS_FROM = dt.date(2020, 1, 1)  # visits are on record from the plan year
JOB_FROM = dt.date(2020, 4, 1)  # the daily job has run since then: the first quarter was entered from paper
RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT
HOUSING, MEDICAL, WATER, EDUCATION = (
    AssessmentItem.HOUSING,
    AssessmentItem.MEDICAL,
    AssessmentItem.WATER,
    AssessmentItem.EDUCATION,
)
# What a note says of a 2W3G item, in the words cadres write: (pattern, item, whether it says the item is met).
CLAIMS = (
    (r"[CD]级危房|住房安全无保障", HOUSING, False),
    (r"(危房|加固)改造已完成|拆除重建已完成|住房安全有保障", HOUSING, True),
    (r"家庭医生未签约|未参加城乡居民基本医疗保险|未参保", MEDICAL, False),
    (r"已签约家庭医生|均已参加城乡居民基本医疗保险|基本医疗有保障", MEDICAL, True),
    (r"自来水未入户|饮水不便|饮水困难", WATER, False),
    (r"自来水已入户|饮水安全有保障", WATER, True),
    (r"辍学|失学", EDUCATION, False),
)
ALL_MET = re.compile(r"(?<!其余各项)均有保障")  # every item met, not "the others are"


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]


class Registry:
    """The registry's history, assessments and assignments, asked about by date."""

    def __init__(self):
        self.history = defaultdict(list)
        for change in StatusChange.objects.order_by("changed_on", "pk"):
            self.history[change.household_id].append(change)
        self.checks = defaultdict(list)
        for check in Assessment.objects.order_by("assessed_on", "pk"):
            self.checks[check.household_id].append(check)
        self.assignments = defaultdict(list)
        for assignment in Assignment.objects.all():
            self.assignments[assignment.household_id, assignment.role].append(assignment)
        self.registered = dict(Household.objects.values_list("pk", "registered_on"))

    def status_on(self, household: int, day: dt.date) -> str:
        status = ""
        for change in self.history[household]:
            if change.changed_on > day:
                break
            status = change.to_status
        return status

    def statuses_between(self, household: int, first: dt.date, last: dt.date) -> set[str]:
        """The statuses the household had on some day from `first` to `last`."""
        changes = [c.to_status for c in self.history[household] if first < c.changed_on <= last]
        return {self.status_on(household, first), *changes}

    def check_on(self, household: int, day: dt.date) -> Assessment | None:
        return next((c for c in reversed(self.checks[household]) if c.assessed_on <= day), None)

    def person_on(self, household: int, role: str, day: dt.date) -> int | None:
        return next(
            (
                a.person_id
                for a in self.assignments[household, role]
                if a.start_date <= day and (a.end_date is None or a.end_date >= day)
            ),
            None,
        )


@pytest.fixture(scope="module")
def registry(demo_town, django_db_blocker):
    with django_db_blocker.unblock():
        return Registry()


def periods_of(rule: VisitRule, first: dt.date, last: dt.date) -> list[Period]:
    periods = [rule.period_of(first)]
    while periods[-1].end < last:
        periods.append(rule.period_of(periods[-1].end + dt.timedelta(days=1)))
    return periods


def counted_visits() -> dict[tuple[int, str], list[dt.date]]:
    """The days of the visits that count, by household and role (entered late, a visit counts for nothing)."""
    visits = defaultdict(list)
    for household, role, day in Visit.objects.filter(late=False).values_list("household_id", "role", "visited_on"):
        visits[household, role].append(day)
    return visits


def owed_by_the_job(registry: Registry, rule: VisitRule, period: Period, today: dt.date) -> set[int]:
    """The households the daily job, run every day since JOB_FROM, would have asked a visit of in `period`.

    A run on a day of the period from its due-soon day on asks it of the households
    then in the rule's status (due soon), and so does every run of the next period
    (overdue): owed, whoever was assigned, when the household was registered by
    the period's end and had the rule's status on one of those days.
    """
    first = max(due_soon_from(period, settings.VISIT_DUE_SOON_DAY), JOB_FROM)
    last = min(rule.period_of(period.end + dt.timedelta(days=1)).end, today)
    if first > last:
        return set()
    return {
        household
        for household, registered in registry.registered.items()
        if registered <= period.end and rule.household_status in registry.statuses_between(household, first, last)
    }


def required_and_logged(registry: Registry, today: dt.date, *, current: bool):
    """(household, rule, period start) the job asked for, and those with a visit that counts.

    Past periods judged since JOB_FROM, or (current=True) this period once its due-soon day has come.
    """
    visits = counted_visits()
    required, logged = set(), set()
    for rule in VisitRule.objects.filter(active=True):
        if current:
            periods = [rule.period_of(today)]
        else:
            periods = [
                p for p in periods_of(rule, previous_period(JOB_FROM, rule.period).start, today) if p.end < today
            ]
        for period in periods:
            for household in owed_by_the_job(registry, rule, period, today):
                key = (household, rule.pk, period.start)
                required.add(key)
                if any(day in period for day in visits.get((household, rule.visitor_role), ())):
                    logged.add(key)
    return required, logged


# ---------------------------------------------------------------- who visited whom, when


def test_no_visit_is_before_2020_in_the_future_before_registration_after_closing_or_logged_before_it_happened(
    registry,
):
    today = timezone.localdate()
    closed = {h for h in registry.history if registry.status_on(h, today) == HouseholdStatus.CLOSED}

    quarters = (today.year - VISITS_FROM.year) * 4 + (today.month - 1) // 3 + 1
    assert Visit.objects.count() > 1400 * quarters  # every household, at least quarterly
    assert not Visit.objects.filter(visited_on__lt=VISITS_FROM).exists()
    assert not Visit.objects.filter(visited_on__gt=today).exists()
    assert not Visit.objects.filter(visited_on__lt=F("household__registered_on")).exists()
    assert Visit.objects.filter(household__registered_on__gt=VISITS_FROM).exists(), "households registered later"
    assert not Visit.objects.filter(created_at__gt=timezone.now()).exists()
    for household, visited_on, created_at in Visit.objects.values_list("household_id", "visited_on", "created_at"):
        assert timezone.localdate(created_at) >= visited_on
        if household in closed:
            assert registry.status_on(household, visited_on) != HouseholdStatus.CLOSED


def test_every_visit_is_by_the_person_assigned_to_the_household_on_its_day_in_the_role_recorded(registry):
    visits = Visit.objects.values_list("household_id", "role", "visitor_id", "visited_on")

    for household, role, visitor, day in visits:
        assert registry.person_on(household, role, day) == visitor, (household, role, day)
    assert set(visits.values_list("role", flat=True).distinct()) == {RESPONSIBLE, CONTACT}
    assert not Visit.objects.filter(role=VisitorRole.OTHER).exists()


def test_the_households_poor_in_2020_were_visited_every_month_by_both_persons_until_they_left(registry):
    cohort = {h for h in registry.history if registry.status_on(h, VISITS_FROM - dt.timedelta(1)) == "unexited"}
    owed, done = Counter(), Counter()
    for month in range(1, 13):
        period = period_of(dt.date(2020, month, 1), MONTH)
        still_poor = {h for h in cohort if registry.status_on(h, period.end) == HouseholdStatus.UNEXITED}
        in_month = Visit.objects.filter(household__in=cohort, visited_on__range=(period.start, period.end))
        for role in (RESPONSIBLE, CONTACT):
            visited = set(in_month.filter(role=role).values_list("household_id", flat=True)) & still_poor
            assert visited or not still_poor, (month, role)
            owed[role] += len(still_poor)
            done[role] += len(visited)
    assert all(done[role] >= 0.85 * owed[role] for role in (RESPONSIBLE, CONTACT)), (done, owed)
    for household, day in Visit.objects.filter(role=CONTACT).values_list("household_id", "visited_on"):
        assert registry.status_on(household, day) == HouseholdStatus.UNEXITED, "the guarantee ends with the exit"


def test_exited_households_are_visited_quarterly_by_their_responsible_person_since_2020(registry):
    quarters = Counter()
    for household, day in Visit.objects.filter(role=RESPONSIBLE).values_list("household_id", "visited_on"):
        if registry.status_on(household, day) == HouseholdStatus.EXITED:
            quarters[day.year, (day.month - 1) // 3] += 1
    today = timezone.localdate()
    for year in range(2020, today.year):
        for quarter in range(4):
            assert quarters[year, quarter] > 1400, (year, quarter)


def test_visits_vary_in_method_and_what_was_found():
    visits = Visit.objects.all()
    total = visits.count()

    assert 0.05 < visits.filter(method=Method.PHONE).count() / total < 0.3
    assert visits.exclude(problems_found="").exists()
    assert visits.exclude(problems_solved="").exists()
    assert visits.exclude(income_changes="").exists()
    assert visits.exclude(follow_up="").exists()
    assert not visits.filter(met_with="").exists()
    assert not visits.filter(policies_explained="").exists()
    assert not visits.filter(findings="").exists()
    assert visits.values("client_key").distinct().count() == total


def test_a_visit_is_late_exactly_when_visit_log_would_have_called_it_late_and_only_a_very_few_are(registry):
    rules = {(rule.household_status, rule.visitor_role): rule for rule in VisitRule.objects.filter(active=True)}
    visits = list(Visit.objects.values_list("household_id", "role", "visited_on", "created_at", "late"))

    for household, role, day, created_at, late in visits:
        entered = timezone.localdate(created_at)
        rule = rules.get((registry.status_on(household, entered), role))
        period = rule.period_of(day) if rule else period_of(day, MONTH)
        assert late == (entered > period.end + dt.timedelta(days=settings.VISIT_LATE_ENTRY_DAYS)), (household, day)
    late = sum(1 for *_rest, late in visits if late)
    assert 0 < late < 0.005 * len(visits)


def test_every_assessment_since_2020_was_recorded_on_a_home_visit_by_its_assessor_checking_every_item():
    for assessment in Assessment.objects.filter(assessed_on__gte=VISITS_FROM).select_related("visit"):
        visit = assessment.visit
        assert (visit.visited_on, visit.visitor_id, visit.role) == (
            assessment.assessed_on,
            assessment.assessed_by_id,
            RESPONSIBLE,
        )
        assert visit.method == Method.HOME
        assert set(visit.items_checked) == set(AssessmentItem.values)
        assert assessment.created_at == visit.created_at
    assert not Visit.objects.filter(assessment__assessed_on__lt=VISITS_FROM).exists()


# ---------------------------------------------------------------- what visits say


def claims(text: str) -> list[tuple[AssessmentItem, bool]]:
    return [(item, met) for pattern, item, met in CLAIMS if re.search(pattern, text)]


def test_every_visit_says_what_the_assessment_in_force_that_day_says(registry):
    said = Counter()
    fields = ("household_id", "visited_on", "items_checked", "findings", "problems_found", "problems_solved")
    for household, day, checked, *texts in Visit.objects.values_list(*fields, "follow_up", "income_changes"):
        text = "；".join(texts)
        check = registry.check_on(household, day)
        for item, met in claims(text):
            assert check is not None, (household, day, text)
            assert getattr(check, item.verdict_field) == met, (household, day, text)
            said[met] += 1
        if ALL_MET.search(text):
            assert check.passes, (household, day, text)
        if checked:  # a visit that checked every item says which fail
            assert {item for item, met in claims(text) if not met} >= set(check.failing_items()), (household, day)
        elif check is None:
            assert not claims(text)
    assert said[False], "notes say that items fail"
    assert said[True], "and that they were put right"


def test_the_issues_example_renovation_done_never_stands_beside_a_failing_housing_verdict(registry):
    done = Visit.objects.filter(findings__contains="改造已完成")

    assert done.exists()
    for household, day in done.values_list("household_id", "visited_on"):
        assert registry.check_on(household, day).housing_ok


# ---------------------------------------------------------------- the flags the daily job left


def test_between_85_and_95_percent_of_the_visits_the_job_asked_for_were_logged_in_past_periods(registry):
    today = timezone.localdate()
    required, logged = required_and_logged(registry, today, current=False)

    assert len(required) > 1600 * 4 * (today.year - 2020)  # at least every exited household every quarter
    assert 0.85 <= len(logged) / len(required) <= 0.95


def test_every_visit_the_job_asked_for_and_not_logged_has_an_open_overdue_flag_and_no_other_is_open(registry):
    required, logged = required_and_logged(registry, timezone.localdate(), current=False)
    overdue = set(
        VisitFlag.objects.open().filter(kind=FlagKind.OVERDUE).values_list("household_id", "rule_id", "period_start")
    )

    assert overdue
    assert overdue == required - logged


def test_due_soon_flags_are_open_for_this_periods_missing_visits_from_the_due_soon_day(registry):
    today = timezone.localdate()
    required, logged = required_and_logged(registry, today, current=True)
    due_soon = set(
        VisitFlag.objects.open().filter(kind=FlagKind.DUE_SOON).values_list("household_id", "rule_id", "period_start")
    )

    assert due_soon == required - logged
    if today.day >= settings.VISIT_DUE_SOON_DAY:  # this month's visits are due soon
        assert due_soon


def test_cleared_flags_were_cleared_by_the_first_visit_logged_that_answers_them():
    cleared = VisitFlag.objects.filter(cleared_at__isnull=False).select_related("cleared_by", "rule")

    assert cleared.filter(kind=FlagKind.OVERDUE).count() > 20, "visits synced after their period"
    assert cleared.filter(kind=FlagKind.DUE_SOON).count() > 100, "visits made after the due-soon day"
    for flag in cleared:
        visit = flag.cleared_by
        assert flag.period_start <= visit.visited_on <= flag.period_end
        assert (visit.household_id, visit.role, visit.late) == (flag.household_id, flag.rule.visitor_role, False)
        assert flag.raised_at <= flag.cleared_at == visit.created_at
        assert (flag.kind == FlagKind.OVERDUE) == (timezone.localdate(visit.created_at) > flag.period_end)
        earlier = Visit.objects.filter(
            household=flag.household_id,
            role=flag.rule.visitor_role,
            late=False,
            visited_on__range=(flag.period_start, flag.period_end),
            created_at__lt=visit.created_at,
        )
        assert not earlier.exists()


def test_flags_are_dated_when_the_job_ran_from_their_due_soon_day_to_the_end_of_the_next_period():
    now = timezone.now()
    flags = VisitFlag.objects.select_related("rule").values_list("rule__period", "period_start", "raised_at")

    for length, start, raised_at in flags:
        period = period_of(start, length)
        day = timezone.localdate(raised_at)
        assert max(due_soon_from(period, settings.VISIT_DUE_SOON_DAY), JOB_FROM) <= day
        assert day <= period_of(period.end + dt.timedelta(days=1), length).end
        assert timezone.localtime(raised_at).time() == dt.time(1, 0) or raised_at > now - dt.timedelta(minutes=10)
        if day <= period.end:
            assert day == due_soon_from(period, settings.VISIT_DUE_SOON_DAY)
    assert flags.filter(raised_at__lt=dt.datetime(2021, 1, 1, tzinfo=dt.UTC)).exists()


def test_the_demo_cadres_notices_of_earlier_months_are_read_and_this_months_are_not():
    this_month = timezone.make_aware(dt.datetime.combine(period_of(timezone.localdate(), MONTH).start, dt.time()))
    notices = Notification.objects.filter(recipient=User.objects.get(username="cadre"))

    assert notices.filter(created_at__lt=this_month).count() >= 3
    assert not notices.filter(created_at__lt=this_month, read_at__isnull=True).exists()
    assert not notices.filter(created_at__gte=this_month, read_at__isnull=False).exists()
    assert not VisitFlag.objects.open().exclude(notified_kind=F("kind")).exists()


def test_the_helper_owes_visits_this_period_and_missed_one_in_the_last():
    today = timezone.localdate()
    helper = User.objects.get(username="helper")
    due = visits_due(user=helper, on=today)
    last_periods = {
        (rule.pk, previous_period(today, rule.period).start) for rule in VisitRule.objects.filter(active=True)
    }
    overdue = VisitFlag.objects.open().filter(visitor=helper, kind=FlagKind.OVERDUE)

    assert len(due) >= 10
    assert {entry.household.village.name for entry in due} == {"东风村"}
    assert any(not entry.done for entry in due)
    assert any(entry.flag == FlagKind.OVERDUE for entry in due)
    assert any((flag.rule_id, flag.period_start) in last_periods for flag in overdue)


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
