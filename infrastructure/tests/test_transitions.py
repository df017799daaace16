"""Moving a project along its milestones: one step at a time, dated sensibly, cancelled only with a reason, kept."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from households.tests.factories import HouseholdFactory
from infrastructure.models import PROGRESSION, FlagKind, Milestone, MilestoneFlag, Project, Status
from infrastructure.selectors import ProjectStep, project_steps
from infrastructure.services import project_advance, project_save
from infrastructure.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
D1, D2, D3, D4 = (dt.date(2020, 4, 1), dt.date(2020, 5, 1), dt.date(2020, 8, 1), dt.date(2020, 9, 1))
STEPS = [
    (Status.DECLARED, D1, "declared_on"),
    (Status.UNDER_CONSTRUCTION, D2, "started_on"),
    (Status.COMPLETED, D3, "completed_on"),
    (Status.ACCEPTED, D4, "accepted_on"),
]


@pytest.fixture
def project(dongfeng):
    return ProjectFactory(village=dongfeng)


def at(status, village):
    """A project whose milestones up to `status` are reached on D1..D4."""
    reached = dict(zip(Milestone, (D1, D2, D3, D4), strict=True))
    count = PROGRESSION.index(status)
    return ProjectFactory(village=village, reached={m: reached[m] for m in list(Milestone)[:count]})


def advance(project, to_status, on, user, reason=""):
    return project_advance(project=project, to_status=to_status, on=on, user=user, reason=reason)


def test_a_project_goes_from_planned_to_accepted_one_step_at_a_time(project, official):
    for to_status, on, field in STEPS:
        project = advance(project, to_status, on, official)
        assert (project.status, getattr(project, field)) == (to_status, on)
    project.refresh_from_db()
    assert (project.declared_on, project.started_on, project.completed_on, project.accepted_on) == (D1, D2, D3, D4)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (Status.PLANNED, Status.UNDER_CONSTRUCTION),
        (Status.PLANNED, Status.ACCEPTED),
        (Status.DECLARED, Status.COMPLETED),
        (Status.UNDER_CONSTRUCTION, Status.ACCEPTED),
        (Status.COMPLETED, Status.UNDER_CONSTRUCTION),  # back
        (Status.DECLARED, Status.PLANNED),  # back to the start
        (Status.DECLARED, Status.DECLARED),  # the same step again
    ],
)
def test_a_step_may_not_be_skipped_repeated_or_taken_back(dongfeng, official, current, wanted):
    project = at(current, dongfeng)
    with pytest.raises(ValidationError) as refused:
        advance(project, wanted, TODAY, official)
    assert "to_status" in refused.value.message_dict
    project.refresh_from_db()
    assert project.status == current
    assert not project_steps(Project.objects.values("pk")).exists()


@pytest.mark.parametrize("final", [Status.ACCEPTED, Status.CANCELLED])
@pytest.mark.parametrize("wanted", [Status.DECLARED, Status.CANCELLED])
def test_an_accepted_or_cancelled_project_takes_no_further_step(dongfeng, official, final, wanted):
    if final == Status.ACCEPTED:
        project = at(Status.ACCEPTED, dongfeng)
    else:
        project = ProjectFactory(village=dongfeng, status=Status.CANCELLED, cancelled_on=D1, cancel_reason="重复建设")
    with pytest.raises(ValidationError) as refused:
        advance(project, wanted, TODAY, official, reason="再次")
    assert "to_status" in refused.value.message_dict


@pytest.mark.parametrize("current", [Status.PLANNED, Status.DECLARED, Status.UNDER_CONSTRUCTION, Status.COMPLETED])
def test_a_project_may_be_cancelled_with_a_reason_from_every_status_before_acceptance(dongfeng, official, current):
    project = at(current, dongfeng)
    project = advance(project, Status.CANCELLED, TODAY, official, reason="  已由行业部门资金实施  ")
    assert (project.status, project.cancelled_on, project.cancel_reason) == (
        Status.CANCELLED,
        TODAY,
        "已由行业部门资金实施",
    )
    assert project.last_dated == TODAY


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_without_a_reason_is_refused(project, official, reason):
    with pytest.raises(ValidationError) as refused:
        advance(project, Status.CANCELLED, TODAY, official, reason=reason)
    assert "reason" in refused.value.message_dict
    project.refresh_from_db()
    assert project.status == Status.PLANNED


def test_a_step_may_be_dated_today_but_not_tomorrow(dongfeng, official):
    with pytest.raises(ValidationError) as refused:
        advance(ProjectFactory(village=dongfeng), Status.DECLARED, TODAY + dt.timedelta(days=1), official)
    assert "on" in refused.value.message_dict
    assert advance(ProjectFactory(village=dongfeng), Status.DECLARED, TODAY, official).declared_on == TODAY


@pytest.mark.parametrize("to_status", [Status.UNDER_CONSTRUCTION, Status.CANCELLED])
def test_a_step_may_not_be_dated_before_the_last_milestone_but_may_fall_on_the_same_day(dongfeng, official, to_status):
    project = at(Status.DECLARED, dongfeng)
    with pytest.raises(ValidationError) as refused:
        advance(project, to_status, D1 - dt.timedelta(days=1), official, reason="x")
    assert "on" in refused.value.message_dict
    assert advance(project, to_status, D1, official, reason="x").status == to_status


def test_every_step_is_kept_with_its_date_reason_and_who_recorded_it(project, official):
    advance(project, Status.DECLARED, D1, official, reason="已报县乡村振兴局")
    advance(project, Status.CANCELLED, D2, official, reason="并入县级统筹项目")

    events = [
        (changes["status"][0], changes["status"][1], happened_on, reason, by)
        for changes, happened_on, reason, by in project_steps([project.pk]).values_list(
            "changes", "effective_on", "reason", "actor"
        )
    ]
    assert events == [
        (Status.PLANNED, Status.DECLARED, D1, "已报县乡村振兴局", official.pk),
        (Status.DECLARED, Status.CANCELLED, D2, "并入县级统筹项目", official.pk),
    ]
    assert project_steps([project.pk]).filter(at__isnull=True).count() == 0


def test_reaching_a_milestone_clears_its_flag_at_once_and_no_other(project, official):
    now = timezone.now()
    declared = MilestoneFlag.objects.create(
        project=project, milestone=Milestone.DECLARED, kind=FlagKind.LATE, raised_at=now
    )
    started = MilestoneFlag.objects.create(
        project=project, milestone=Milestone.STARTED, kind=FlagKind.DUE_SOON, raised_at=now
    )

    advance(project, Status.DECLARED, D1, official)

    declared.refresh_from_db()
    started.refresh_from_db()
    assert declared.cleared_at is not None
    assert started.cleared_at is None


def test_cancelling_clears_every_flag_of_the_project(project, official):
    for milestone in (Milestone.DECLARED, Milestone.STARTED):
        MilestoneFlag.objects.create(project=project, milestone=milestone, kind=FlagKind.LATE, raised_at=timezone.now())
    advance(project, Status.CANCELLED, D1, official, reason="选址调整")
    assert not MilestoneFlag.objects.open().exists()


def test_the_advance_reads_the_row_it_locked_not_a_stale_copy(project, official):
    stale = Project.objects.get(pk=project.pk)
    advance(project, Status.DECLARED, D1, official)
    with pytest.raises(ValidationError):
        advance(stale, Status.DECLARED, D1, official)  # someone else already recorded it
    assert project_steps([project.pk]).count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.DECLARED},  # declared without a date
        {"status": Status.PLANNED, "declared_on": D1},  # a date without the status
        {"status": Status.UNDER_CONSTRUCTION, "started_on": D2},  # started without being declared
        {"status": Status.UNDER_CONSTRUCTION, "declared_on": D2, "started_on": D1},  # out of order
        {"status": Status.CANCELLED, "cancelled_on": D1},  # cancelled without a reason
        {"status": Status.CANCELLED, "declared_on": D2, "cancelled_on": D1, "cancel_reason": "x"},  # before its last
    ],
)
def test_the_database_refuses_dates_that_do_not_fit_the_status(dongfeng, fields):
    with pytest.raises(IntegrityError):
        ProjectFactory(village=dongfeng, **fields)


def test_saving_a_new_project_starts_its_history_and_keeps_beneficiaries_of_its_village(dongfeng, official):
    mine = HouseholdFactory(village=dongfeng)
    project = project_save(project=ProjectFactory.build(village=dongfeng), beneficiaries=[mine], user=official)

    assert list(project.beneficiaries.all()) == [mine]
    steps = [ProjectStep.of(event) for event in project_steps([project.pk])]
    assert [(s.from_status, s.to_status, s.by.pk) for s in steps] == [("", Status.PLANNED, official.pk)]
    assert project.created_by == official


def test_a_household_of_another_village_cannot_benefit(dongfeng, hongqi_household, official):
    with pytest.raises(ValidationError) as refused:
        project_save(project=ProjectFactory.build(village=dongfeng), beneficiaries=[hongqi_household], user=official)
    assert hongqi_household.number in str(refused.value.message_dict["beneficiaries"])
    assert not Project.objects.exists()


def test_two_projects_of_a_village_and_year_may_not_share_a_name(dongfeng, official):
    ProjectFactory(village=dongfeng, name="东风村道路新建工程")
    with pytest.raises(ValidationError):
        project_save(
            project=ProjectFactory.build(village=dongfeng, name="东风村道路新建工程"), beneficiaries=[], user=official
        )
