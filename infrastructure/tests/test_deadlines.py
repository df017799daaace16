"""Traffic lights: where a milestone stands against its deadline, on the boundary days, in Python and in SQL alike."""

import datetime as dt

import pytest

from infrastructure.deadlines import (
    Light,
    LightConditions,
    load_deadlines,
    milestone_light,
    milestone_states,
    project_light,
)
from infrastructure.models import Milestone, MilestoneDeadline, Project, Status
from infrastructure.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

DECLARED_BY = dt.date(2020, 4, 30)  # the data migration's 2020 deadline
DAY = dt.timedelta(days=1)


def light_of_declaration(on, reached=None):
    return milestone_light(due=DECLARED_BY, reached=reached, on=on)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (DECLARED_BY - 15 * DAY, Light.ON_TRACK),  # due in 15 days
        (DECLARED_BY - 14 * DAY, Light.DUE_SOON),  # due in 14 days
        (DECLARED_BY, Light.DUE_SOON),  # due today
        (DECLARED_BY + DAY, Light.LATE),  # due yesterday
    ],
)
def test_a_milestone_not_reached_is_on_track_then_due_soon_for_14_days_then_late(on, expected):
    assert light_of_declaration(on) == expected


def test_a_milestone_reached_on_the_deadline_day_is_on_time_and_the_day_after_late():
    later = DECLARED_BY + 30 * DAY
    assert light_of_declaration(later, reached=DECLARED_BY) == Light.DONE
    assert light_of_declaration(later, reached=DECLARED_BY + DAY) == Light.DONE_LATE


def test_the_due_soon_window_follows_the_setting(settings):
    settings.INFRASTRUCTURE_DUE_SOON_DAYS = 3
    assert light_of_declaration(DECLARED_BY - 3 * DAY) == Light.DUE_SOON
    assert light_of_declaration(DECLARED_BY - 4 * DAY) == Light.ON_TRACK


def test_the_data_migration_holds_the_2020_work_plans_three_deadlines():
    assert load_deadlines()[2020] == {
        Milestone.DECLARED: dt.date(2020, 4, 30),
        Milestone.STARTED: dt.date(2020, 5, 31),
        Milestone.ACCEPTED: dt.date(2020, 9, 30),
    }


def test_a_project_shows_its_worst_milestone_and_completion_has_no_deadline(dongfeng):
    project = ProjectFactory(
        village=dongfeng, reached={Milestone.DECLARED: DECLARED_BY + DAY, Milestone.STARTED: dt.date(2020, 5, 20)}
    )
    states = milestone_states(project, load_deadlines(), dt.date(2020, 6, 1))

    assert [s.light for s in states] == [Light.DONE_LATE, Light.DONE, Light.NO_DEADLINE, Light.ON_TRACK]
    assert project_light(project, states) == Light.ON_TRACK
    assert states[0].days_late == 1
    assert states[3].days_left == (dt.date(2020, 9, 30) - dt.date(2020, 6, 1)).days


def test_a_year_without_deadlines_has_no_lights_and_a_cancelled_project_says_so(dongfeng):
    no_deadlines = ProjectFactory(village=dongfeng, year=2021)
    cancelled = ProjectFactory(
        village=dongfeng, status=Status.CANCELLED, cancelled_on=dt.date(2020, 3, 1), cancel_reason="选址调整"
    )
    deadlines, on = load_deadlines(), dt.date(2021, 6, 1)

    assert project_light(no_deadlines, milestone_states(no_deadlines, deadlines, on)) == Light.NO_DEADLINE
    assert project_light(cancelled, milestone_states(cancelled, deadlines, on)) == Light.CANCELLED


BOUNDARY_DAYS = [
    DECLARED_BY - 15 * DAY,
    DECLARED_BY - 14 * DAY,
    DECLARED_BY,
    DECLARED_BY + DAY,
    dt.date(2020, 5, 17),
    dt.date(2020, 5, 31),
    dt.date(2020, 6, 1),
    dt.date(2020, 9, 30),
    dt.date(2020, 10, 1),
]


@pytest.mark.parametrize("on", BOUNDARY_DAYS)
def test_the_list_query_and_the_page_agree_on_every_projects_light(dongfeng, on):
    MilestoneDeadline.objects.create(year=2020, milestone=Milestone.COMPLETED, due_on=dt.date(2020, 9, 15))
    ProjectFactory(village=dongfeng)
    ProjectFactory(village=dongfeng, reached={Milestone.DECLARED: DECLARED_BY})
    ProjectFactory(village=dongfeng, reached={Milestone.DECLARED: DECLARED_BY + DAY})
    ProjectFactory(
        village=dongfeng, reached={Milestone.DECLARED: dt.date(2020, 4, 1), Milestone.STARTED: dt.date(2020, 5, 31)}
    )
    ProjectFactory(
        village=dongfeng,
        reached={
            Milestone.DECLARED: dt.date(2020, 4, 1),
            Milestone.STARTED: dt.date(2020, 5, 1),
            Milestone.COMPLETED: dt.date(2020, 9, 16),
            Milestone.ACCEPTED: dt.date(2020, 9, 30),
        },
    )
    ProjectFactory(village=dongfeng, status=Status.CANCELLED, cancelled_on=dt.date(2020, 3, 1), cancel_reason="x")
    ProjectFactory(village=dongfeng, year=2021)
    deadlines = load_deadlines()
    conditions = LightConditions(deadlines, on)

    annotated = Project.objects.annotate(light=conditions.light(), rank=conditions.rank())
    in_sql = {pk: (light, rank) for pk, light, rank in annotated.values_list("pk", "light", "rank")}
    in_python = {}
    for project in Project.objects.all():
        light = project_light(project, milestone_states(project, deadlines, on))
        in_python[project.pk] = (light.value, light.rank)

    assert in_sql == in_python
    assert len({light for light, _rank in in_python.values()}) >= 3
