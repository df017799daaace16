"""The demo town's exit procedures: every household of the 2020 cohort went through the steps before its exit.

The town is seeded once for the session (conftest's demo_town).
"""

import datetime as dt
import itertools

import pytest

from accounts.models import Role
from households.choices import HouseholdStatus
from households.models import ExitProcedure, ExitStep, StatusChange, StepLevel, Target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]


def cohort_exits() -> dict[int, dt.date]:
    """The day each household of the 2020 target left poverty in 2020, from its status history."""
    target = Target.objects.get(year=2020)
    changes = StatusChange.objects.filter(
        household__target_entries__target=target, to_status=HouseholdStatus.EXITED, changed_on__year=2020
    ).order_by("-changed_on")
    return {change.household_id: change.changed_on for change in changes}


def test_each_of_the_25_has_a_completed_procedure_ending_on_its_exit_day():
    exits = cohort_exits()
    assert len(exits) == 25
    procedures = ExitProcedure.objects.all()
    assert {p.household_id: (p.state, p.ended_on, p.year) for p in procedures} == {
        household: ("completed", day, 2020) for household, day in exits.items()
    }


def test_the_steps_run_in_order_with_a_full_publicity_the_last_on_the_exit_day():
    steps = list(ExitStep.objects.active().order_by("position"))
    exits = cohort_exits()
    for procedure in ExitProcedure.objects.prefetch_related("records__step"):
        records = sorted(procedure.records.all(), key=lambda r: (r.done_on, r.pk))
        assert [r.step for r in records] == steps
        assert procedure.started_on <= records[0].done_on
        assert all(a.done_on < b.done_on for a, b in itertools.pairwise(records))
        for previous, record in itertools.pairwise(records):
            assert record.done_on >= previous.done_on + dt.timedelta(days=record.step.publicity_days)
        assert records[-1].done_on == exits[procedure.household_id] == procedure.ended_on


def test_village_steps_were_recorded_by_the_villages_cadre_and_the_others_by_the_town_official():
    for procedure in ExitProcedure.objects.select_related("household").prefetch_related(
        "records__step", "records__actor__villages"
    ):
        for record in procedure.records.all():
            if record.step.level == StepLevel.VILLAGE and record.actor.role == Role.CADRE:
                assert procedure.household.village_id in {v.pk for v in record.actor.villages.all()}
            else:
                assert record.actor.role == Role.OFFICIAL


def test_exits_before_2020_predate_the_system_and_have_no_procedure():
    assert not ExitProcedure.objects.filter(household__exit_year__lt=2020).exists()
    assert not ExitProcedure.objects.filter(year__lt=2020).exists()
