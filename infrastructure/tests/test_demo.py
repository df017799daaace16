"""The demo town's infrastructure: the 2020 programme in every village and category, this year's with live deadlines.

The town is seeded once for the session (conftest's demo_town), inside a transaction
rolled back at the end; each test runs in its own savepoint. Everything is
counted from the database and reckoned from today, the day the demo was loaded.
"""

import io
import itertools
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Notification, User
from households.models import Target, Village
from infrastructure.deadlines import Light, load_deadlines, milestone_states, project_light
from infrastructure.models import Category, Milestone, MilestoneDeadline, MilestoneFlag, Project, Status
from infrastructure.selectors import ProjectStep, project_steps
from infrastructure.services import infrastructure_flag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_town")]

TODAY = timezone.localdate()


def lights(projects) -> list[list[Light]]:
    deadlines = load_deadlines()
    return [[state.light for state in milestone_states(p, deadlines, TODAY)] for p in projects]


def test_every_village_has_2020_projects_and_every_category_appears():
    plan = Project.objects.filter(year=2020)
    assert set(plan.values_list("village", flat=True)) == set(Village.objects.values_list("pk", flat=True))
    assert Village.objects.count() == 11
    assert set(plan.values_list("category", flat=True)) == set(Category.values)


@pytest.mark.skipif(TODAY.year == 2020, reason="in 2020 the plan year is still under way")
def test_the_2020_programme_is_finished_mostly_on_time_with_some_milestones_late():
    plan = Project.objects.filter(year=2020)
    assert set(plan.values_list("status", flat=True)) == {Status.ACCEPTED, Status.CANCELLED}
    assert not plan.filter(status=Status.CANCELLED, cancel_reason="").exists()
    per_milestone = [light for row in lights(plan.exclude(status=Status.CANCELLED)) for light in row]
    done_late = per_milestone.count(Light.DONE_LATE)
    assert done_late >= 3
    assert per_milestone.count(Light.DONE) > 5 * done_late
    late_milestones = {
        milestone
        for project in plan.exclude(status=Status.CANCELLED)
        for milestone, light in zip(Milestone, lights([project])[0], strict=True)
        if light == Light.DONE_LATE
    }
    assert len(late_milestones) >= 2  # more than one of April, May and September was missed somewhere


def test_this_years_deadlines_fall_on_the_2020_days():
    plan = {
        m: (d.month, d.day) for m, d in MilestoneDeadline.objects.filter(year=2020).values_list("milestone", "due_on")
    }
    this_year = {
        m: (d.month, d.day)
        for m, d in MilestoneDeadline.objects.filter(year=TODAY.year).values_list("milestone", "due_on")
    }
    assert this_year == plan == {Milestone.DECLARED: (4, 30), Milestone.STARTED: (5, 31), Milestone.ACCEPTED: (9, 30)}


def test_this_years_programme_shows_the_lights_the_calendar_allows():
    projects = list(Project.objects.filter(year=TODAY.year))
    assert len(projects) >= 11
    seen = {project_light(p, milestone_states(p, load_deadlines(), TODAY)) for p in projects}
    first_deadline = MilestoneDeadline.objects.filter(year=TODAY.year).order_by("due_on").first().due_on
    if first_deadline < TODAY:
        assert Light.LATE in seen  # a project never declared, at least
    else:
        assert Light.ON_TRACK in seen or Light.DUE_SOON in seen


def test_no_milestone_is_in_the_future_and_every_project_fits_its_status():
    dates = Q()
    for field in (*(m.date_field for m in Milestone), "cancelled_on"):
        dates |= Q(**{f"{field}__gt": TODAY})
    assert not Project.objects.filter(dates).exists()
    for project in Project.objects.all():
        project.full_clean()


def test_every_project_has_the_history_of_its_steps():
    steps = defaultdict(list)
    for event in project_steps(Project.objects.values("pk")):
        steps[event.object_id].append(ProjectStep.of(event))
    for project in Project.objects.all():
        events = steps[project.pk]
        assert (events[0].from_status, events[0].to_status) == ("", Status.PLANNED)
        assert events[-1].to_status == project.status
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            assert after.happened_on >= before.happened_on
        for event in events[1:]:
            if event.to_status != Status.CANCELLED:
                milestone = next(m for m in Milestone if m.status == event.to_status)
                assert project.reached_on(milestone) == event.happened_on
            else:
                assert (project.cancelled_on, project.cancel_reason) == (event.happened_on, event.reason)
    assert not project_steps(Project.objects.values("pk")).filter(at__date__gt=TODAY).exists()


def test_every_project_serves_households_of_its_own_village_registered_by_its_year_some_poor_in_2020():
    through = Project.beneficiaries.through.objects
    assert not through.exclude(household__village=F("project__village")).exists()
    assert not through.filter(household__registered_on__year__gt=F("project__year")).exists()
    assert not Project.objects.filter(beneficiaries=None).exists()
    poor_in_2020 = Target.objects.get(year=2020).cohort.values("household")
    assert through.filter(project__year=2020, household__in=poor_in_2020).exists()


def test_the_flags_are_those_the_daily_job_leaves_and_the_official_was_told():
    deadlines = load_deadlines()
    wanted = set()
    for project in Project.objects.all():
        for state in milestone_states(project, deadlines, TODAY):
            if state.light in (Light.LATE, Light.DUE_SOON):
                wanted.add((project.pk, state.milestone.value, state.light.value))
    flags = set(MilestoneFlag.objects.open().values_list("project", "milestone", "kind"))
    assert flags == wanted
    assert not MilestoneFlag.objects.open().exclude(notified_kind=F("kind")).exists()
    if flags:
        assert Notification.objects.filter(
            recipient=User.objects.get(username="official"), url__startswith="/infrastructure/"
        ).exists()


def test_running_the_daily_job_again_changes_nothing():
    before = list(
        MilestoneFlag.objects.order_by("pk").values_list("project", "milestone", "kind", "raised_at", "cleared_at")
    )
    notices = Notification.objects.count()
    run = infrastructure_flag()
    assert (run.raised, run.escalated, run.cleared, run.notified) == (0, 0, 0, 0)
    assert (
        list(
            MilestoneFlag.objects.order_by("pk").values_list("project", "milestone", "kind", "raised_at", "cleared_at")
        )
        == before
    )
    assert Notification.objects.count() == notices


def test_a_second_seed_demo_adds_no_project():
    steps = project_steps(Project.objects.values("pk"))
    counts = (Project.objects.count(), steps.count(), MilestoneDeadline.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Project.objects.count(), steps.count(), MilestoneDeadline.objects.count()) == counts
