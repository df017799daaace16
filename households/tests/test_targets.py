"""Setting a campaign target: its cohort is read from the status history at the start of a day, then fixed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone, translation

from audit.models import AuditEvent
from households.choices import HouseholdStatus
from households.models import Household, Target, TargetHousehold
from households.services import target_cohort, target_fix, target_refusal
from households.tests.factories import (
    HouseholdFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    poor_household,
    record_status,
)

pytestmark = pytest.mark.django_db

EXITED, UNEXITED, MONITORED = HouseholdStatus.EXITED, HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED
START_OF_2020 = dt.date(2020, 1, 1)


def fix(town, *, year=2020, as_of=START_OF_2020, user=None, name="2020年脱贫攻坚工作计划") -> Target:
    return target_fix(town=town, year=year, name=name, as_of=as_of, user=user)


def cohort_of(target: Target) -> dict[str, int]:
    return dict(target.cohort.values_list("household__number", "people"))


def test_a_target_holds_the_households_still_poor_at_the_start_of_its_day(town, dongfeng, hongqi):
    poor = poor_household(dongfeng, people=3)
    out_in_2019 = poor_household(dongfeng)
    record_status(out_in_2019, EXITED, dt.date(2019, 12, 20))
    back_in_2019 = poor_household(hongqi, people=2)
    record_status(back_in_2019, EXITED, dt.date(2017, 12, 20))
    record_status(back_in_2019, UNEXITED, dt.date(2019, 8, 1))
    out_on_new_years_day = poor_household(hongqi)  # its exit falls in the target's period
    record_status(out_on_new_years_day, EXITED, START_OF_2020)
    poor_household(dongfeng, since=START_OF_2020)  # identified on the day: part of the period, not of the cohort
    poor_household(dongfeng, since=dt.date(2020, 3, 1))
    marginal = HouseholdFactory(village=dongfeng)  # monitored without ever being registered poor
    record_status(marginal, MONITORED, dt.date(2019, 5, 1))
    HouseholdFactory(village=dongfeng)  # no history at all
    poor_household(VillageFactory(town=TownFactory(code="340321002", name="别镇")))

    target = fix(town)

    assert cohort_of(target) == {poor.number: 3, back_in_2019.number: 2, out_on_new_years_day.number: 1}


def test_the_cohort_is_read_from_history_not_from_todays_status(town, dongfeng):
    lifted_since = poor_household(dongfeng)
    record_status(lifted_since, EXITED, dt.date(2020, 6, 1))

    assert [pk for pk, _people in target_cohort(town=town, as_of=START_OF_2020)] == [lifted_since.pk]
    assert target_cohort(town=town, as_of=dt.date(2020, 7, 1)) == []


def test_a_fixed_cohort_does_not_follow_later_history_or_members(town, dongfeng):
    household = poor_household(dongfeng, people=2)
    target = fix(town)
    poor_household(dongfeng, since=dt.date(2019, 1, 1))  # recorded after the target was set, dated before it
    household.members.all().delete()

    assert cohort_of(target) == {household.number: 2}


def test_fixing_a_target_leaves_one_audit_event_with_its_size(town, dongfeng):
    admin = UserFactory(role="admin")
    for people in (1, 4):
        poor_household(dongfeng, people=people)

    with translation.override("en"):
        target = fix(town, user=admin)

    (event,) = AuditEvent.objects.filter(object_type="households.Target")
    assert (event.actor, event.via, event.object_id, event.action) == (admin, "admin", target.pk, "created")
    assert event.changes["as_of"] == [None, "2020-01-01"]
    assert event.reason == "2 households and 5 people still poor at the start of 2020-01-01."
    assert target.created_by == admin


def test_a_second_target_for_the_same_town_and_year_is_refused(town, dongfeng):
    poor_household(dongfeng)
    fix(town)
    with pytest.raises(ValidationError) as refused:
        fix(town, as_of=dt.date(2020, 2, 1), name="again")
    assert "__all__" in refused.value.message_dict
    assert Target.objects.count() == 1
    assert TargetHousehold.objects.count() == 1


@pytest.mark.parametrize(
    ("year", "as_of"),
    [(2020, dt.date(2019, 12, 31)), (2020, dt.date(2021, 1, 1))],
    ids=["before its year", "after its year"],
)
def test_a_day_outside_the_targets_year_is_refused(town, dongfeng, year, as_of):
    poor_household(dongfeng)
    with pytest.raises(ValidationError) as refused:
        fix(town, year=year, as_of=as_of)
    assert list(refused.value.message_dict) == ["as_of"]
    assert not Target.objects.exists()


def test_a_day_to_come_and_a_day_nobody_was_poor_are_refused(town, dongfeng):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    poor_household(dongfeng, since=dt.date(2021, 6, 1))

    for as_of in (tomorrow, START_OF_2020):
        with pytest.raises(ValidationError) as refused:
            fix(town, year=as_of.year, as_of=as_of)
        assert list(refused.value.message_dict) == ["as_of"]
        assert refused.value.message_dict["as_of"] == [target_refusal(town=town, as_of=as_of)]
    assert not Target.objects.exists()
    assert target_refusal(town=town, as_of=dt.date(2022, 1, 1)) is None


def test_a_household_of_a_cohort_cannot_be_deleted(town, dongfeng):
    household = poor_household(dongfeng)
    fix(town)
    with pytest.raises(ProtectedError):
        Household.objects.filter(pk=household.pk).delete()


def test_fixing_a_cohort_runs_the_same_queries_for_two_households_and_forty(
    town, dongfeng, hongqi, django_assert_num_queries
):
    # Savepoint; lock the town; full_clean: the town exists, the year is free; the cohort (one query,
    # whatever its size); insert the target, its households, the audit event; release the savepoint.
    for people in (1, 2):
        poor_household(dongfeng, people=people)
    with django_assert_num_queries(9) as small:
        fix(town)
    Target.objects.all().delete()
    for n in range(38):
        poor_household(hongqi if n % 2 else dongfeng, people=1 + n % 4)
    with django_assert_num_queries(len(small.captured_queries)):
        target = fix(town)
    assert target.cohort.count() == 40
