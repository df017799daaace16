"""The demo town's assistance: who answered for each household since it was registered, and the plans.

The town is seeded once for the session (conftest's demo_town), inside a transaction
rolled back at the end; each test runs in its own savepoint.
"""

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.db.models import F
from django.utils import timezone

from assistance.models import Measure, MeasureCategory, MeasureStatus, Plan
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus
from households.models import Assessment, Assignment, Household, StatusChange, Target

RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT
PLAN_DAY = dt.date(2020, 1, 1)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]


def exits() -> dict[int, dt.date]:
    """Each household's first exit from poverty."""
    first = {}
    for household, day in (
        StatusChange.objects.filter(to_status=HouseholdStatus.EXITED)
        .order_by("changed_on")
        .values_list("household_id", "changed_on")
    ):
        first.setdefault(household, day)
    return first


def cohort() -> set[int]:
    return set(Target.objects.get(year=2020).cohort.values_list("household_id", flat=True))


def by_household(role: str) -> dict[int, list[Assignment]]:
    result = defaultdict(list)
    for assignment in Assignment.objects.filter(role=role).select_related("person").order_by("start_date"):
        result[assignment.household_id].append(assignment)
    return result


def test_every_household_had_a_responsible_person_every_day_since_it_was_registered_but_a_few_lately():
    today = timezone.localdate()
    responsible = by_household(RESPONSIBLE)
    gaps = []
    for household in Household.objects.all():
        rows = responsible[household.pk]
        assert rows[0].start_date == household.registered_on
        for before, after in itertools.pairwise(rows):
            assert after.start_date == before.end_date + dt.timedelta(days=1), "the next one starts the day after"
            assert after.person_id != before.person_id
        if rows[-1].end_date is not None:
            gaps.append(household)
            assert today - dt.timedelta(days=120) <= rows[-1].end_date < today
    assert len(gaps) == 7, "the gap list"
    assert {household.status for household in gaps} == {HouseholdStatus.EXITED}
    assert not set(h.pk for h in gaps) & cohort()


def test_officials_were_replaced_after_the_campaign_and_the_helper_took_over_in_2020():
    responsible = by_household(RESPONSIBLE)
    handed_over = [rows for rows in responsible.values() if len(rows) > 1]
    rotated = {rows[1].start_date for rows in handed_over if rows[1].person.username != "helper"}
    helped = [rows for rows in handed_over if rows[-1].person.username == "helper"]

    assert len(handed_over) > 300
    assert len(rotated) == 1
    assert dt.date(2021, 1, 1) < rotated.pop() < dt.date(2022, 1, 1)
    assert helped
    assert {rows[-1].start_date for rows in helped} == {PLAN_DAY}


def test_the_25_had_both_persons_from_2020_until_the_day_they_left_and_no_one_else_had_a_contact():
    contacts = by_household(CONTACT)
    left = exits()

    assert set(contacts) == cohort()
    for household, rows in contacts.items():
        [row] = rows
        assert (row.start_date, row.end_date) == (PLAN_DAY, left[household])
        assert row.person.villages.filter(households=household).exists()
        assert (
            row.person_id
            != Assignment.objects.get(household=household, role=RESPONSIBLE, end_date__isnull=True).person_id
        )


def test_every_responsible_person_comes_from_a_support_unit_of_the_households_village():
    responsible = Assignment.objects.filter(role=RESPONSIBLE)
    assert responsible.exists()
    assert not responsible.filter(support_unit__isnull=True).exists()
    assert not responsible.exclude(support_unit__village=F("household__village")).exists()


def test_the_25s_2020_plans_were_carried_out_before_they_left_their_repairs_on_the_day_they_were_found_done():
    left = exits()
    plans = Plan.objects.filter(year=2020).prefetch_related("measures")

    assert set(plans.values_list("household_id", flat=True)) == cohort()
    repairs = 0
    for plan in plans:
        measures = list(plan.measures.all())
        assert measures
        for measure in measures:
            assert measure.status == MeasureStatus.DONE
            assert measure.planned_date <= measure.actual_date < left[plan.household_id]
        for measure in measures:
            if (
                measure.category in (MeasureCategory.HOUSING, MeasureCategory.WATER)
                or "医疗保障" in measure.description
            ):
                repairs += 1
                found_done = Assessment.objects.filter(household=plan.household_id, assessed_on=measure.actual_date)
                assert found_done.exists(), measure
    assert repairs == 5  # four households, one of which had two items to repair


def test_each_year_since_2021_the_25_and_the_monitored_have_a_plan_this_years_partly_done():
    today = timezone.localdate()
    monitored_in = defaultdict(set)
    history = defaultdict(list)
    for change in StatusChange.objects.order_by("changed_on", "pk"):
        history[change.household_id].append(change)
    for household, changes in history.items():
        since = None
        for change in changes:
            if change.to_status == HouseholdStatus.MONITORED:
                since = change.changed_on.year
            elif change.from_status == HouseholdStatus.MONITORED:
                monitored_in[household] |= set(range(since, change.changed_on.year + 1))
                since = None
        if since is not None:
            monitored_in[household] |= set(range(since, today.year + 1))

    for year in range(2021, today.year + 1):
        planned = set(Plan.objects.filter(year=year).values_list("household_id", flat=True))
        watched = {household for household, years in monitored_in.items() if year in years}
        assert watched <= planned, year
        assert planned <= watched | cohort(), year
        assert len(cohort() - planned) == (2 if year == today.year else 0), "two of the 25 without this year's yet"
    past = Measure.objects.filter(plan__year__lt=today.year)
    assert not past.exclude(status=MeasureStatus.DONE).exclude(plan__household__status=HouseholdStatus.MONITORED)
    this_year = Measure.objects.filter(plan__year=today.year)
    assert this_year.filter(status=MeasureStatus.DONE).exists()
    assert this_year.exclude(status=MeasureStatus.DONE).exists()
    assert not Measure.objects.filter(actual_date__gt=today).exists()
    assert not Plan.objects.filter(created_at__date__gt=today).exists()


def test_what_a_risk_broke_is_repaired_by_a_measure_done_on_the_day_the_assessment_found_it_repaired():
    repaired = []
    for household in StatusChange.objects.filter(to_status=HouseholdStatus.MONITORED).values_list(
        "household_id", flat=True
    ):
        checks = list(Assessment.objects.filter(household=household).order_by("assessed_on", "pk"))
        for before, after in itertools.pairwise(checks):
            for item in (AssessmentItem.HOUSING, AssessmentItem.WATER):
                if not getattr(before, item.verdict_field) and getattr(after, item.verdict_field):
                    repaired.append((household, after.assessed_on))
    assert repaired
    for household, day in repaired:
        assert Measure.objects.filter(plan__household=household, actual_date=day, status=MeasureStatus.DONE).exists()
