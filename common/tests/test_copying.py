"""Inserting many new rows at once (COPY on PostgreSQL): what goes in comes back, keys and awkward text included."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent, AuditRowChange
from common.copying import bulk_insert, insert_values, unsaved
from households.models import Member
from households.tests.factories import HouseholdFactory, valid_id_number

pytestmark = pytest.mark.django_db

AWKWARD = "tab\there, new\nline, back\\slash, \\N, 汉字\r"


def test_rows_inserted_as_values_come_back_as_written_whatever_their_text():
    event = AuditEvent.objects.create(via=AuditEvent.Via.IMPORT, object_type="x", object_repr="x", action="changed")
    at = timezone.now()
    insert_values(
        AuditRowChange,
        [
            "event_id",
            "at",
            "household_id",
            "household_number",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "changes",
            "reason",
        ],
        [
            (event.pk, at, None, "", "households.Member", 7, AWKWARD, "created", {"name": [None, AWKWARD]}, ""),
            (event.pk, at, 3, "N1", "households.Household", None, "n", "changed", {"exit_year": [None, 2019]}, "r"),
        ],
    )

    first, second = AuditRowChange.objects.order_by("pk")
    assert (first.object_repr, first.changes, first.household_id, first.at) == (
        AWKWARD,
        {"name": [None, AWKWARD]},
        None,
        at,
    )
    assert (second.household_id, second.object_id, second.changes) == (3, None, {"exit_year": [None, 2019]})


def test_instances_inserted_in_bulk_know_their_keys_and_are_stored_with_their_defaults():
    household = HouseholdFactory()
    members = [
        unsaved(
            Member,
            {
                "household_id": household.pk,
                "id_number": valid_id_number(birth=dt.date(1970 + index, 1, 1)),
                "name": name,
                "relation": "son",
                "sex": "male",
                "birth_date": dt.date(1970 + index, 1, 1),
            },
        )
        for index, name in enumerate(["王建国", AWKWARD[:50]])
    ]

    bulk_insert(Member, members)

    assert all(member.pk for member in members)
    stored = Member.objects.in_bulk([member.pk for member in members])
    assert [stored[member.pk].name for member in members] == ["王建国", AWKWARD[:50]]
    assert stored[members[0].pk].medical_insurance == Member._meta.get_field("medical_insurance").get_default()
