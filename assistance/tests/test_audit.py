"""The audit trail of the two-person guarantee, plans and measures: every write path leaves its events."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from assistance.models import Measure, Plan
from assistance.tests.factories import MeasureFactory, PlanFactory
from audit.models import AuditEvent
from audit.tests.test_trail import form_data, formset_data
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

Via, Action = AuditEvent.Via, AuditEvent.Action


def trail(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def measure_post(**overrides):
    data = {"category": "health", "description": "签约家庭医生", "planned_date": "2020-04-01", "amount": "0"}
    return {**data, "status": "planned", **overrides}


@pytest.fixture
def administrator(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


# ---------------------------------------------------------------- the two-person guarantee


def test_reassigning_records_the_end_of_the_old_assignment_and_the_new_one(client, alice, dongfeng, dongfeng_household):
    first = AssignmentFactory(
        household=dongfeng_household, person=alice, role=AssignmentRole.CONTACT, start_date=dt.date(2020, 1, 1)
    )
    successor = UserFactory(role=Role.CADRE, villages=[dongfeng], last_name="王", first_name="五")
    client.force_login(alice)
    url = reverse("assistance:assign", args=[dongfeng_household.pk, AssignmentRole.CONTACT])

    assert client.post(url, {"person": successor.pk, "start_date": "2020-07-01"}).status_code == 302

    ended, started = trail()
    assert (ended.object_type, ended.object_id, ended.action) == ("households.Assignment", first.pk, Action.CHANGED)
    assert ended.changes == {"end_date": [None, "2020-06-30"]}
    assert (started.object_type, started.action) == ("households.Assignment", Action.CREATED)
    assert started.changes["person"] == [None, "王五"]
    assert started.changes["role"] == [None, "contact"]
    assert started.changes["start_date"] == [None, "2020-07-01"]
    assert {(e.actor, e.via, e.household) for e in (ended, started)} == {(alice, Via.WEB, dongfeng_household)}


def test_a_refused_assignment_records_nothing(client, alice, bob, dongfeng_household):
    client.force_login(alice)
    url = reverse("assistance:assign", args=[dongfeng_household.pk, AssignmentRole.CONTACT])
    client.post(url, {"person": bob.pk, "start_date": "2020-07-01"})  # bob works in another village
    assert trail() == []


# ---------------------------------------------------------------- plans


def test_writing_then_editing_a_plan_records_it_created_then_what_changed(client, alice, dongfeng_household):
    client.force_login(alice)
    client.post(
        reverse("assistance:plan-create", args=[dongfeng_household.pk]),
        {"year": 2020, "cause_analysis": "因病", "goal": ""},
    )
    plan = Plan.objects.get()
    client.post(
        reverse("assistance:plan-edit", args=[plan.pk]), {"year": 2020, "cause_analysis": "因病", "goal": "增收"}
    )

    created, changed = trail()
    assert (created.object_type, created.object_id, created.action) == ("assistance.Plan", plan.pk, Action.CREATED)
    assert created.changes == {"year": [None, 2020], "cause_analysis": [None, "因病"]}
    assert (changed.action, changed.changes) == (Action.CHANGED, {"goal": ["", "增收"]})
    assert {(e.actor, e.via, e.household) for e in (created, changed)} == {(alice, Via.WEB, dongfeng_household)}


# ---------------------------------------------------------------- measures


def test_a_measure_records_who_benefits_and_who_answers_by_name(client, alice, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    head = dongfeng_household.members.get()
    client.force_login(alice)
    client.post(
        reverse("assistance:measure-create", args=[plan.pk]),
        measure_post(beneficiary=head.pk, responsible=alice.pk, amount="1200.50"),
    )
    measure = Measure.objects.get()

    (event,) = trail()
    assert (event.object_type, event.object_id, event.action) == ("assistance.Measure", measure.pk, Action.CREATED)
    assert (event.actor, event.via, event.household) == (alice, Via.WEB, dongfeng_household)
    assert event.changes["beneficiary"] == [None, head.name]
    assert event.changes["responsible"] == [None, "alice"]
    assert event.changes["amount"] == [None, "1200.50"]
    assert "plan" not in event.changes  # the event names the household; a measure never changes plan


def test_editing_a_measure_records_old_and_new_and_an_unchanged_save_nothing(client, alice, dongfeng_household):
    spouse = MemberFactory(household=dongfeng_household, name="李梅")
    measure = MeasureFactory(plan=PlanFactory(household=dongfeng_household), description="签约家庭医生")
    client.force_login(alice)
    url = reverse("assistance:measure-edit", args=[measure.pk])

    client.post(url, measure_post(status="done", actual_date="2020-05-06", beneficiary=spouse.pk))
    client.post(url, measure_post(status="done", actual_date="2020-05-06", beneficiary=spouse.pk))

    (event,) = trail()
    assert (event.object_id, event.action) == (measure.pk, Action.CHANGED)
    assert event.changes == {
        "beneficiary": [None, "李梅"],
        "actual_date": [None, "2020-05-06"],
        "status": ["planned", "done"],
    }


def test_saving_a_measure_costs_the_same_queries_however_many_fields_changed(client, alice, dongfeng_household):
    spouse = MemberFactory(household=dongfeng_household)
    measure = MeasureFactory(plan=PlanFactory(household=dongfeng_household))
    client.force_login(alice)
    url = reverse("assistance:measure-edit", args=[measure.pk])

    def post(data) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.post(url, data).status_code == 302
        return [query["sql"] for query in queries.captured_queries]

    one = post(measure_post(description="改一处", beneficiary=spouse.pk, responsible=alice.pk))
    many = post(
        measure_post(
            description="改多处",
            beneficiary=dongfeng_household.members.exclude(pk=spouse.pk).get().pk,
            responsible=alice.pk,
            amount="300",
            status="done",
            actual_date="2020-05-06",
            category="housing",
        )
    )

    assert len(many) == len(one)
    assert [sum(sql.startswith('INSERT INTO "audit_auditevent"') for sql in queries) for queries in (one, many)] == [
        1,
        1,
    ]
    assert [len(event.changes) for event in trail()] == [3, 6]


# ---------------------------------------------------------------- the admin


def test_a_plan_and_its_measures_edited_in_the_admin_are_recorded_via_the_admin(
    client, administrator, dongfeng_household
):
    plan = PlanFactory(household=dongfeng_household, goal="", created_by=administrator)
    measure = MeasureFactory(plan=plan, description="签约家庭医生")
    client.force_login(administrator)
    url = reverse("admin:assistance_plan_change", args=[plan.pk])
    context = client.get(url).context
    data = form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        data.update(formset_data(inline.formset))
    data.update({"goal": "稳定增收", "measures-0-description": "签约家庭医生并随访", "_save": "Save"})

    response = client.post(url, data)

    assert response.status_code == 302, (response.context["errors"], data)
    plan_event, measure_event = trail()
    assert (plan_event.object_type, plan_event.changes) == ("assistance.Plan", {"goal": ["", "稳定增收"]})
    assert (measure_event.object_id, measure_event.changes) == (
        measure.pk,
        {"description": ["签约家庭医生", "签约家庭医生并随访"]},
    )
    assert {(e.via, e.actor, e.household) for e in (plan_event, measure_event)} == {
        (Via.ADMIN, administrator, dongfeng_household)
    }


def test_deleting_a_plan_in_the_admin_records_it_and_its_measures(client, administrator, dongfeng_household):
    plan = PlanFactory(household=dongfeng_household)
    measure = MeasureFactory(plan=plan)
    client.force_login(administrator)

    response = client.post(reverse("admin:assistance_plan_delete", args=[plan.pk]), {"post": "yes"})

    assert response.status_code == 302
    deleted_plan, deleted_measure = trail()
    assert (deleted_plan.object_type, deleted_plan.object_id, deleted_plan.action) == (
        "assistance.Plan",
        plan.pk,
        Action.DELETED,
    )
    assert (deleted_measure.object_type, deleted_measure.object_id) == ("assistance.Measure", measure.pk)
    assert {(e.via, e.household) for e in (deleted_plan, deleted_measure)} == {(Via.ADMIN, dongfeng_household)}
