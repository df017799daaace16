"""The infrastructure part of the county: each village's projects of the campaign year and of this year.

Names, budgets, funding and contractors come from the demo town's tables
(infrastructure.demo). Most milestones are reached a little before their
deadline; some are late, a few campaign-year projects were cancelled and some of
this year's are stalled. The late and due-soon flags are then raised by the
infrastructure app's own daily job.
"""

import datetime as dt
from decimal import Decimal

from audit.models import AuditEvent
from infrastructure.deadlines import load_deadlines
from infrastructure.demo import (
    BUDGETS,
    CANCEL_REASONS,
    CONTRACTORS,
    FUNDING,
    NAMES,
    PLAN_DEADLINES,
    RECORDED_AT,
    SECOND_NAMES,
    SHARE_SERVED,
)
from infrastructure.models import (
    MILESTONE_OF_STATUS,
    PROGRESSION,
    Category,
    Milestone,
    MilestoneDeadline,
    Project,
    Status,
)
from infrastructure.services import infrastructure_flag
from reports.county import plan
from reports.county.shapes import County, VillageRef
from reports.county.visiting import moment

PROJECT_FIELDS = (
    "id", "village_id", "year", "category", "name", "description", "budget", "funding_source", "contractor", "status",
    "declared_on", "started_on", "completed_on", "accepted_on", "cancelled_on", "cancel_reason", "created_by_id",
    "created_at",
)  # fmt: skip
# A project's steps are dated steps of the audit trail, as project_save and project_advance record them.
STEP_FIELDS = (
    "actor_id", "via", "object_type", "object_id", "object_repr", "action", "changes", "reason", "effective_on", "at"
)  # fmt: skip
GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组")


def create_projects(county: County) -> None:
    rng, writer, today = county.rng("projects"), county.writer, county.today
    years = [plan.CAMPAIGN_YEAR] + ([today.year] if today.year > plan.CAMPAIGN_YEAR else [])
    ensure_deadlines(years)
    deadlines = load_deadlines()
    projects, events, links = [], [], []
    for village in county.villages:
        official = village.town.official_id
        for year in years:
            span = plan.PROJECTS_CAMPAIGN_YEAR if year == plan.CAMPAIGN_YEAR else plan.PROJECTS_THIS_YEAR
            for n, category in enumerate(rng.sample(list(Category), rng.randint(*span))):
                pk = writer.next_pk(Project)
                created_on = min(dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(10, 55)), today)
                steps = project_steps(deadlines.get(year, {}), year, created_on, today, rng, finished=year < today.year)
                projects.append(
                    project_row(pk, village, year, category, n, steps, created_on, official, rng, county.now)
                )
                name = projects[-1][4]
                events += [
                    (pk, name, before, after, on, reason, official, min(moment(on, RECORDED_AT), county.now))
                    for before, after, on, reason in [("", Status.PLANNED, created_on, ""), *steps]
                ]
                low, high = SHARE_SERVED[category]
                served = rng.sample(village.homes, round(len(village.homes) * rng.uniform(low, high)))
                links += [(pk, h.pk) for h in served]
    writer.write(Project, PROJECT_FIELDS, projects)
    writer.write(AuditEvent, STEP_FIELDS, (step_row(*event) for event in events))
    writer.write(Project.beneficiaries.through, ("project_id", "household_id"), links)
    run = infrastructure_flag(on=today)
    county.say(f"  milestone flags raised: {run.raised:,}")


def ensure_deadlines(years: list[int]) -> None:
    """Deadlines for each year on the days of the campaign year's (or of the work plan when those are gone)."""
    campaign = dict(MilestoneDeadline.objects.filter(year=plan.CAMPAIGN_YEAR).values_list("milestone", "due_on"))
    days = {m: (due.month, due.day) for m, due in campaign.items()} or PLAN_DEADLINES
    MilestoneDeadline.objects.bulk_create(
        [
            MilestoneDeadline(year=y, milestone=m, due_on=dt.date(y, *month_day))
            for y in years
            for m, month_day in days.items()
        ],
        ignore_conflicts=True,
    )


def project_steps(due_by, year: int, created_on: dt.date, today: dt.date, rng, *, finished: bool) -> list[tuple]:
    """(from, to, on, reason) for each milestone reached by today, each after the one before."""
    offsets = {m: -rng.randint(2, 30) for m in Milestone}
    if rng.random() < plan.PROJECT_LATE:
        offsets[rng.choice([Milestone.DECLARED, Milestone.STARTED, Milestone.ACCEPTED])] = rng.randint(4, 40)
    stalled_at, cancel = None, ""
    if finished and rng.random() < plan.PROJECT_CANCELLED:
        stalled_at, cancel = rng.randint(0, 1), rng.choice(CANCEL_REASONS)
    elif not finished and rng.random() < plan.PROJECT_STALLED:
        stalled_at = rng.choice([0, 1, 3])  # never declared, declared but not started, completed but not accepted

    def around(milestone, month, day):
        return due_by.get(milestone, dt.date(year, month, day)) + dt.timedelta(days=offsets[milestone])

    declared = max(around(Milestone.DECLARED, 4, 30), created_on + dt.timedelta(days=rng.randint(3, 20)))
    started = max(around(Milestone.STARTED, 5, 31), declared + dt.timedelta(days=rng.randint(3, 15)))
    accepted = max(around(Milestone.ACCEPTED, 9, 30), started + dt.timedelta(days=rng.randint(60, 90)))
    completed = started + (accepted - started) * rng.randint(75, 92) // 100
    steps, last = [], created_on
    for index, (milestone, on) in enumerate(zip(Milestone, (declared, started, completed, accepted), strict=True)):
        if (stalled_at is not None and index >= stalled_at) or max(on, last) > today:
            break
        last = max(on, last)
        steps.append((PROGRESSION[index], milestone.status, last, ""))
    if cancel:
        on = max(min(last + dt.timedelta(days=rng.randint(5, 40)), today), last)
        steps.append((PROGRESSION[len(steps)], Status.CANCELLED, on, cancel))
    return steps


def step_row(pk, name, before, after, on, reason, official, at) -> tuple:
    action = AuditEvent.Action.STATUS_CHANGED if before else AuditEvent.Action.CREATED
    changes = {"status": [before or None, after]}
    return official, AuditEvent.Via.COMMAND, Project._meta.label, pk, name[:200], action, changes, reason, on, at


def project_row(pk, village: VillageRef, year, category, n, steps, created_on, official, rng, now) -> tuple:
    first, description = NAMES[category]
    template = first if n == 0 else SECOND_NAMES[category]
    group, other = rng.sample(GROUPS, 2)
    low, high = BUDGETS[category]
    dates = {field: None for field in ("declared_on", "started_on", "completed_on", "accepted_on", "cancelled_on")}
    status, reason = Status.PLANNED, ""
    for _before, after, on, why in steps:
        status = after
        if after == Status.CANCELLED:
            dates["cancelled_on"], reason = on, why
        else:
            dates[MILESTONE_OF_STATUS[after].date_field] = on
    return (
        pk, village.pk, year, category, template.format(village=village.name, group=group, other=other), description,
        Decimal(rng.randint(low, high) * 1000), rng.choice(FUNDING[category]), rng.choice(CONTRACTORS[category]),
        status, *dates.values(), reason, official, min(moment(created_on, RECORDED_AT), now),
    )  # fmt: skip
