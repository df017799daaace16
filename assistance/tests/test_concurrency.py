"""Two people editing one measure: the second save never overwrites the first unseen."""

import datetime as dt

import pytest
from django.urls import reverse

from assistance.forms import MeasureForm
from assistance.models import Measure, MeasureStatus
from assistance.services.plans import measure_save
from assistance.tests.factories import MeasureFactory, PlanFactory
from common.concurrency import StaleVersion
from common.tests.browser import sent_back

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this record after you opened the form"


@pytest.fixture(autouse=True)
def in_english(client, settings):
    """Every page in English, so that the labels compared below are the English source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def measure(dongfeng_household):
    return MeasureFactory(plan=PlanFactory(household=dongfeng_household), description="签约家庭医生", amount=0)


def edit_url(measure):
    return reverse("assistance:measure-edit", args=[measure.pk])


def opened(client, user, measure) -> dict:
    client.force_login(user)
    response = client.get(edit_url(measure))
    assert response.status_code == 200
    return sent_back(response.context["form"])


def save(client, user, measure, data):
    client.force_login(user)
    return client.post(edit_url(measure), data)


def test_the_second_save_shows_both_versions_and_saves_nothing(client, alice, official, measure):
    alices, officials = opened(client, alice, measure), opened(client, official, measure)
    officials.update({"status": MeasureStatus.DONE, "actual_date": "2020-05-06"})
    assert save(client, official, measure, officials).status_code == 302

    alices.update({"description": "签约家庭医生，落实慢病报销", "amount": "300"})
    response = save(client, alice, measure, alices)

    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    measure.refresh_from_db()
    assert (measure.description, measure.amount, measure.status) == ("签约家庭医生", 0, MeasureStatus.DONE)
    [row] = response.context["conflict"].rows
    assert (row.name, row.kind) == ("Measure", "changed")
    assert [(d.label, d.stored, d.sent) for d in row.differences] == [
        ("Description", "签约家庭医生", "签约家庭医生，落实慢病报销"),
        ("Actual date", "2020-05-06", "—"),
        ("Amount (yuan)", "0.00", "300"),
        ("Status", "Done", "Planned"),
    ]
    assert response.context["form"]["description"].value() == "签约家庭医生，落实慢病报销"
    assert "Last saved by official at" in response.content.decode()


def test_saving_again_from_the_conflict_page_applies_the_users_version(client, alice, official, measure):
    alices, officials = opened(client, alice, measure), opened(client, official, measure)
    save(client, official, measure, {**officials, "description": "签约家庭医生（已签约）"})
    conflict_page = save(client, alice, measure, {**alices, "amount": "300"})

    again = save(client, alice, measure, sent_back(conflict_page.context["form"]))

    assert again.status_code == 302
    measure.refresh_from_db()
    assert (measure.description, measure.amount) == ("签约家庭医生", 300)


def test_after_reloading_the_form_the_second_can_save(client, alice, official, measure):
    alices, officials = opened(client, alice, measure), opened(client, official, measure)
    save(client, official, measure, {**officials, "description": "签约家庭医生（已签约）"})
    assert save(client, alice, measure, {**alices, "amount": "300"}).status_code == 200

    response = save(client, alice, measure, {**opened(client, alice, measure), "amount": "300"})

    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.description, measure.amount) == ("签约家庭医生（已签约）", 300)


def test_a_measure_deleted_meanwhile_gives_404(client, alice, measure):
    alices = opened(client, alice, measure)
    Measure.objects.filter(pk=measure.pk).delete()
    assert save(client, alice, measure, alices).status_code == 404


def test_the_service_checks_under_its_lock(alice, measure):
    """A form validated before someone else's change still fails: the check is in the service, not the view."""
    data = sent_back(MeasureForm(instance=measure, plan=measure.plan))
    form = MeasureForm({**data, "amount": "300"}, instance=measure, plan=measure.plan)
    assert form.is_valid()
    Measure.objects.filter(pk=measure.pk).update(planned_date=dt.date(2020, 6, 1))  # by any path

    with pytest.raises(StaleVersion):
        measure_save(plan=measure.plan, measure=measure, version=form.sent_version(), user=alice, **form.values())

    measure.refresh_from_db()
    assert (measure.amount, measure.planned_date) == (0, dt.date(2020, 6, 1))
