"""Two people editing one plan: the second save never overwrites the first unseen.

alice (cadre of 东风村) and the town official open the same plan's edit form;
the official saves first. alice's save then shows both versions and saves
nothing; saving again from that page, or from a reloaded form, applies hers.
"""

import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse
from django.utils import translation

from assistance.forms import PlanForm
from assistance.models import Plan
from assistance.services.plans import plan_save
from assistance.tests.factories import PlanFactory
from assistance.views.plans import form_conflict
from audit.models import AuditEvent
from common.concurrency import StaleVersion
from common.tests.browser import sent_back
from common.tests.locks import wait_until_blocked

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this record after you opened the form"
ANALYSIS = "因病致贫，缺技术"


@pytest.fixture(autouse=True)
def in_english(client, settings):
    """Every page in English, so that the labels compared below are the English source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def plan(dongfeng_household):
    """A plan as the demo seeds it: no person wrote it."""
    return PlanFactory(household=dongfeng_household, year=2020, cause_analysis=ANALYSIS, goal="", created_by=None)


def edit_url(plan):
    return reverse("assistance:plan-edit", args=[plan.pk])


def opened(client, user, plan) -> dict:
    """What `user`'s browser holds after opening the edit form: the data it would send back unchanged."""
    client.force_login(user)
    response = client.get(edit_url(plan))
    assert response.status_code == 200
    return sent_back(response.context["form"])


def save(client, user, plan, data):
    client.force_login(user)
    return client.post(edit_url(plan), data)


def plan_events(plan):
    return list(AuditEvent.objects.filter(object_type="assistance.Plan", object_id=plan.pk).order_by("pk"))


def test_the_second_save_shows_both_versions_and_saves_nothing(client, alice, official, plan):
    alices, officials = opened(client, alice, plan), opened(client, official, plan)
    assert save(client, official, plan, {**officials, "goal": "年底稳定脱贫"}).status_code == 302

    response = save(client, alice, plan, {**alices, "cause_analysis": "户主患慢性病，缺劳力", "goal": "稳定增收"})

    assert response.status_code == 200
    assert CONFLICT in response.text
    plan.refresh_from_db()
    assert (plan.cause_analysis, plan.goal) == (ANALYSIS, "年底稳定脱贫")
    [row] = response.context["conflict"].rows
    assert (row.name, row.kind) == ("Assistance plan", "changed")
    assert [(d.label, d.stored, d.sent) for d in row.differences] == [
        ("Analysis of the causes of poverty", ANALYSIS, "户主患慢性病，缺劳力"),
        ("Goal for the year", "年底稳定脱贫", "稳定增收"),
    ]
    form = response.context["form"]
    assert (form["cause_analysis"].value(), form["goal"].value()) == ("户主患慢性病，缺劳力", "稳定增收")
    assert "Last saved by official at" in response.text
    assert [event.actor for event in plan_events(plan)] == [official]


def test_saving_again_from_the_conflict_page_applies_the_users_version(client, alice, official, plan):
    alices, officials = opened(client, alice, plan), opened(client, official, plan)
    save(client, official, plan, {**officials, "goal": "年底稳定脱贫"})
    conflict_page = save(client, alice, plan, {**alices, "cause_analysis": "户主患慢性病，缺劳力"})
    assert conflict_page.status_code == 200

    again = save(client, alice, plan, sent_back(conflict_page.context["form"]))

    assert again.status_code == 302
    plan.refresh_from_db()
    # alice's form still held the goal she opened it with: saving it again, with both in sight, puts hers back.
    assert (plan.cause_analysis, plan.goal) == ("户主患慢性病，缺劳力", "")
    official_event, alice_event = plan_events(plan)
    assert (official_event.actor, alice_event.actor, alice_event.action) == (official, alice, AuditEvent.Action.CHANGED)
    assert alice_event.changes == {
        "cause_analysis": [ANALYSIS, "户主患慢性病，缺劳力"],
        "goal": ["年底稳定脱贫", ""],
    }


def test_after_reloading_the_form_the_second_can_save(client, alice, official, plan):
    alices, officials = opened(client, alice, plan), opened(client, official, plan)
    save(client, official, plan, {**officials, "goal": "年底稳定脱贫"})
    assert save(client, alice, plan, {**alices, "cause_analysis": "户主患慢性病"}).status_code == 200

    response = save(client, alice, plan, {**opened(client, alice, plan), "cause_analysis": "户主患慢性病"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.cause_analysis, plan.goal) == ("户主患慢性病", "年底稳定脱贫")


def test_saving_an_unchanged_form_twice_is_no_conflict(client, alice, plan):
    alices = opened(client, alice, plan)
    assert save(client, alice, plan, alices).status_code == 302
    assert save(client, alice, plan, opened(client, alice, plan)).status_code == 302
    assert plan_events(plan) == []  # nothing changed, nothing recorded


def test_a_plan_changed_meanwhile_where_the_form_does_not_edit_is_no_conflict(client, alice, official, plan):
    alices = opened(client, alice, plan)
    client.force_login(official)
    measure = {"category": "health", "description": "签约家庭医生", "planned_date": "2020-04-01", "amount": "0"}
    client.post(reverse("assistance:measure-create", args=[plan.pk]), {**measure, "status": "planned"})
    Plan.objects.filter(pk=plan.pk).update(created_by=official)  # an author filled in later, by any path

    response = save(client, alice, plan, {**alices, "goal": "稳定增收"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.goal, plan.created_by, plan.measures.count()) == ("稳定增收", official, 1)


def test_an_edit_keeps_what_was_set_elsewhere_on_the_plan_after_the_page_was_read(alice, official, plan):
    """The save writes only the form's fields: an author set between reading the plan and its lock stays."""
    form = _edited(plan, goal="稳定增收")
    assert form.is_valid()
    Plan.objects.filter(pk=plan.pk).update(created_by=official)

    saved_from(form, plan, alice)

    plan.refresh_from_db()
    assert (plan.goal, plan.created_by) == ("稳定增收", official)


def test_a_plan_deleted_before_the_save_gives_404(client, alice, plan):
    alices = opened(client, alice, plan)
    Plan.objects.filter(pk=plan.pk).delete()
    assert save(client, alice, plan, {**alices, "goal": "稳定增收"}).status_code == 404
    assert not Plan.objects.exists()


def test_a_plan_deleted_after_its_form_was_checked_is_a_conflict_and_is_not_written_again(alice, plan):
    """The view turns this conflict (nothing stored now) into a 404, as for a measure."""
    form = _edited(plan, goal="稳定增收")
    assert form.is_valid()
    Plan.objects.filter(pk=plan.pk).delete()

    with pytest.raises(StaleVersion) as raised:
        saved_from(form, plan, alice)

    assert raised.value.current is None
    with translation.override("en"):
        conflict = form_conflict(form, raised.value.current, name="Assistance plan", household_id=plan.household_id)
    [row] = conflict.rows
    assert (row.name, row.kind) == ("Assistance plan", "deleted")
    assert not Plan.objects.exists()


def test_the_service_checks_under_its_lock(alice, plan):
    """A form validated before someone else's change still fails: the check is in the service, not the view."""
    form = _edited(plan, goal="稳定增收")
    assert form.is_valid()
    Plan.objects.filter(pk=plan.pk).update(cause_analysis="因病致贫")  # by any path

    with pytest.raises(StaleVersion):
        saved_from(form, plan, alice)

    plan.refresh_from_db()
    assert (plan.cause_analysis, plan.goal) == ("因病致贫", "")
    assert plan_events(plan) == []


def saved_from(form: PlanForm, plan, user):
    """What the edit page does with a valid form: the service takes its values and the version it was opened on."""
    return plan_save(household=plan.household, plan=plan, version=form.sent_version(), user=user, **form.values())


def _edited(plan, **changes) -> PlanForm:
    """The plan's edit form as opened now, sent back with `changes`."""
    data = sent_back(PlanForm(instance=plan, household=plan.household))
    return PlanForm({**data, **changes}, instance=plan, household=plan.household)


# ---------------------------------------------------------------- two connections at once (PostgreSQL)


@pytest.mark.postgresql  # row locks
@pytest.mark.django_db(transaction=True)
def test_a_save_waits_for_a_concurrent_one_and_then_sees_it(alice, plan):
    """Another transaction holds the plan, changed but not committed; the save waits for it, then refuses.

    Without the lock, the save would read the old row, find its version unchanged, and overwrite the change
    once committed. SQLite has no row locks, so this runs on PostgreSQL only.
    """
    form = _edited(plan, goal="稳定增收")
    assert form.is_valid()
    outcome = {}

    def alices_save():
        try:
            saved_from(form, plan, alice)
            outcome["result"] = "saved"
        except StaleVersion:
            outcome["result"] = "conflict"
        finally:
            connections.close_all()

    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=plan.pk).update(cause_analysis="因病致贫")
        thread = threading.Thread(target=alices_save)
        thread.start()
        wait_until_blocked()
    thread.join(timeout=10)

    assert outcome == {"result": "conflict"}
    plan.refresh_from_db()
    assert (plan.cause_analysis, plan.goal) == ("因病致贫", "")
