"""insert_new, insert_selected and insert_selected_keys: the rows a unique constraint lets in, inserted and counted."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from common.bulk import insert_new, insert_selected, insert_selected_keys
from households.models import Household
from households.tests.factories import HouseholdFactory
from visits.models import FlagKind, VisitFlag, VisitRule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_visit_rules")]
FEBRUARY = {"period_start": dt.date(2020, 2, 1), "period_end": dt.date(2020, 2, 29)}


def flag(household, **fields) -> VisitFlag:
    fields = {"rule": VisitRule.objects.first(), **FEBRUARY, "kind": FlagKind.OVERDUE, **fields}
    return VisitFlag(household=household, raised_at=timezone.now(), **fields)


def test_it_returns_the_keys_of_the_rows_it_inserted_and_skips_those_already_there(dongfeng):
    there, new = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    kept = flag(there, notified_kind=FlagKind.OVERDUE)
    kept.save()
    inserted = insert_new(VisitFlag, [flag(there), flag(new)])
    assert inserted == list(VisitFlag.objects.filter(household=new).values_list("pk", flat=True))
    kept_now = VisitFlag.objects.get(household=there)
    assert (kept_now.pk, kept_now.notified_kind) == (kept.pk, FlagKind.OVERDUE)  # untouched


def test_it_inserts_in_batches_and_counts_them_all(dongfeng):
    households = [HouseholdFactory(village=dongfeng) for _ in range(7)]
    assert len(insert_new(VisitFlag, [flag(h) for h in households], batch_size=3)) == 7
    assert insert_new(VisitFlag, [flag(h) for h in households], batch_size=3) == []


def test_a_row_that_breaks_a_check_still_fails_rather_than_being_skipped(dongfeng):
    backwards = flag(HouseholdFactory(village=dongfeng), period_end=dt.date(2020, 1, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_new(VisitFlag, [backwards])


def flags_of(**columns) -> dict:
    rule = VisitRule.objects.first()
    return {
        "household_id": F("pk"),
        "rule_id": rule.pk,
        **FEBRUARY,
        "kind": FlagKind.OVERDUE,
        "raised_at": timezone.now(),
        **columns,
    }


def test_insert_selected_inserts_a_row_per_selected_row_and_counts_only_those_it_inserted(dongfeng):
    there, *new = [HouseholdFactory(village=dongfeng) for _ in range(3)]
    kept = flag(there, notified_kind=FlagKind.OVERDUE)
    kept.save()
    households = Household.objects.filter(village=dongfeng)
    assert insert_selected(VisitFlag, households, flags_of()) == 2
    assert set(VisitFlag.objects.values_list("household", flat=True)) == {there.pk, *(h.pk for h in new)}
    assert VisitFlag.objects.get(household=there).notified_kind == FlagKind.OVERDUE  # untouched
    assert VisitFlag.objects.get(household=new[0]).notified_kind == ""  # a field left out gets its default
    assert insert_selected(VisitFlag, households, flags_of()) == 0


def test_insert_selected_still_fails_on_a_row_that_breaks_a_check(dongfeng):
    HouseholdFactory(village=dongfeng)
    households = Household.objects.filter(village=dongfeng)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_selected(VisitFlag, households, flags_of(period_end=dt.date(2020, 1, 31)))


def test_insert_selected_refuses_a_field_the_model_does_not_have(dongfeng):
    with pytest.raises(ValueError, match="colour"):
        insert_selected(VisitFlag, Household.objects.all(), {"colour": "red"})


def test_insert_selected_keys_names_the_rows_it_inserted_in_order_and_not_those_already_there(dongfeng):
    there, *new = [HouseholdFactory(village=dongfeng) for _ in range(3)]
    flag(there).save()
    households = Household.objects.filter(village=dongfeng)
    keys = insert_selected_keys(VisitFlag, households, flags_of(notified_kind=FlagKind.OVERDUE))
    assert keys == sorted(VisitFlag.objects.filter(household__in=new).values_list("pk", flat=True))
    assert VisitFlag.objects.get(household=there).notified_kind == ""  # untouched
    assert insert_selected_keys(VisitFlag, households, flags_of()) == []
