"""The demo town's assistance: both persons and a 2020 plan for every household still in poverty."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from assistance.models import Plan
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment, Household

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def current(role):
    return Count("assignments", filter=Q(assignments__role=role, assignments__end_date__isnull=True))


def test_every_unexited_household_has_both_persons_and_a_2020_plan(demo):
    unexited = Household.objects.filter(status=HouseholdStatus.UNEXITED).annotate(
        responsible=current(AssignmentRole.RESPONSIBLE), contact=current(AssignmentRole.CONTACT)
    )
    assert unexited.count() == 25
    assert all(h.responsible == 1 and h.contact == 1 for h in unexited)
    assert Plan.objects.filter(year=2020, household__status=HouseholdStatus.UNEXITED).count() == 25
    assert not Plan.objects.filter(year=2020, measures__isnull=True).exists()


def test_every_responsible_person_comes_from_a_support_unit_of_the_households_village(demo):
    responsible = Assignment.objects.filter(role=AssignmentRole.RESPONSIBLE)
    assert responsible.exists()
    assert not responsible.filter(support_unit__isnull=True).exists()
    assert not responsible.exclude(support_unit__village=F("household__village")).exists()


def test_a_few_exited_households_are_left_without_a_responsible_person_for_the_gap_list(demo):
    exited = Household.objects.exclude(status=HouseholdStatus.UNEXITED)
    without = exited.exclude(assignments__role=AssignmentRole.RESPONSIBLE)
    assert without.count() == 7
