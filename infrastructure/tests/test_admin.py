"""The yearly deadlines are data that administrators edit; the rest is shown read-only, scoped."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from households.tests.factories import UserFactory
from infrastructure.models import Milestone, MilestoneDeadline
from infrastructure.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator():
    return UserFactory(role="admin", is_staff=True, is_superuser=True)


def deadline_form(deadline, due_on):
    return {"year": deadline.year, "milestone": deadline.milestone, "due_on": due_on.isoformat()}


def test_an_administrator_moves_a_deadline_in_the_admin(client, administrator):
    declared = MilestoneDeadline.objects.get(year=2020, milestone=Milestone.DECLARED)
    client.force_login(administrator)
    assert client.get(reverse("admin:infrastructure_milestonedeadline_changelist")).status_code == 200

    change = reverse("admin:infrastructure_milestonedeadline_change", args=[declared.pk])
    response = client.post(change, deadline_form(declared, dt.date(2020, 5, 10)))

    assert response.status_code == 302
    declared.refresh_from_db()
    assert declared.due_on == dt.date(2020, 5, 10)


def test_a_deadline_out_of_order_with_its_years_others_is_refused(client, administrator):
    declared = MilestoneDeadline.objects.get(year=2020, milestone=Milestone.DECLARED)
    client.force_login(administrator)
    change = reverse("admin:infrastructure_milestonedeadline_change", args=[declared.pk])
    response = client.post(change, deadline_form(declared, dt.date(2020, 6, 1)))  # after the start, due 31 May
    assert response.status_code == 200
    assert "due_on" in response.context["adminform"].form.errors
    declared.refresh_from_db()
    assert declared.due_on == dt.date(2020, 4, 30)


def test_a_second_deadline_for_the_same_year_and_milestone_is_refused(client, administrator):
    client.force_login(administrator)
    add = reverse("admin:infrastructure_milestonedeadline_add")
    response = client.post(add, {"year": 2020, "milestone": Milestone.DECLARED, "due_on": "2020-04-20"})
    assert response.status_code == 200
    assert MilestoneDeadline.objects.filter(year=2020, milestone=Milestone.DECLARED).count() == 1


def test_a_staff_official_cannot_change_the_deadlines(client, official):
    official.is_staff = True
    official.save()
    official.user_permissions.set(Permission.objects.filter(codename__endswith="_milestonedeadline"))
    client.force_login(official)
    assert client.get(reverse("admin:infrastructure_milestonedeadline_changelist")).status_code == 403


def test_the_project_admin_is_read_only_and_scoped(client, alice, dongfeng, hongqi):
    mine, theirs = ProjectFactory(village=dongfeng), ProjectFactory(village=hongqi)
    alice.is_staff = True
    alice.save()
    alice.user_permissions.set(Permission.objects.filter(codename="view_project"))
    client.force_login(alice)

    changelist = client.get(reverse("admin:infrastructure_project_changelist"))

    assert list(changelist.context["cl"].result_list) == [mine]
    assert client.get(reverse("admin:infrastructure_project_change", args=[theirs.pk])).status_code == 302
    assert client.post(reverse("admin:infrastructure_project_change", args=[mine.pk]), {"name": "x"}).status_code == 403
