"""The infrastructure part of the demo town: the 2020 programme and this year's, with their history and flags.

Registered with households.demo, it runs once, right after the demo households
(and the other apps' parts) are created. 2020's programme follows the work
plan: every village has projects, every category appears, most milestones were
reached by the deadlines of 30 April, 31 May and 30 September and some were
late; two projects were cancelled. This year's programme gets deadlines on the
same days of this year, and its milestones are dated around them but never
after today, with a few projects stalled, so that whenever the demo is loaded
there are milestones done, late and (in the fortnight before a deadline) due
soon. The daily job then runs once for today.

Everything is drawn from the random stream handed in and bulk-created.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from households.models import Household
from infrastructure.deadlines import load_deadlines
from infrastructure.models import (
    PROGRESSION,
    Category,
    Milestone,
    MilestoneDeadline,
    Project,
    Status,
)
from infrastructure.services import infrastructure_flag

PLAN_YEAR = 2020
# The work plan's deadlines, used when the data migration's rows have been removed.
PLAN_DEADLINES = {Milestone.DECLARED: (4, 30), Milestone.STARTED: (5, 31), Milestone.ACCEPTED: (9, 30)}
BATCH_SIZE = 500
RECORDED_AT = dt.time(16, 30)  # officials record the day's steps in the afternoon

NAMES = {
    Category.LIVING_ENVIRONMENT: ("{village}人居环境整治工程", "沟塘清淤、垃圾集中收集点和村庄绿化"),
    Category.ROAD_NEW: ("{village}{group}至{other}道路新建工程", "新建4.5米宽水泥路，连通自然村与村部"),
    Category.ROAD_UPGRADE: ("{village}村部至县道道路提档升级", "拓宽路面并铺设沥青，增设错车道"),
    Category.DRINKING_WATER: ("{village}安全饮水巩固提升工程", "供水管网延伸入户，更换老旧管道"),
    Category.ELECTRICITY: ("{village}农村电网改造升级工程", "新增变压器一台，改造低压线路"),
    Category.NETWORK: ("{village}光纤宽带和4G网络覆盖工程", "光纤到户，新建通信基站一座"),
    Category.STREET: ("{village}主街道路灯及排水沟建设", "安装太阳能路灯，新建排水边沟"),
}
SECOND_NAMES = {
    Category.LIVING_ENVIRONMENT: "{village}美丽乡村建设项目",
    Category.ROAD_NEW: "{village}{group}生产路新建工程",
    Category.ROAD_UPGRADE: "{village}{group}道路硬化改造工程",
    Category.DRINKING_WATER: "{village}集中供水点改造工程",
    Category.ELECTRICITY: "{village}{group}低压线路改造工程",
    Category.NETWORK: "{village}村部及学校宽带提速工程",
    Category.STREET: "{village}文化广场及街道亮化工程",
}
BUDGETS = {  # yuan: (low, high), in thousands
    Category.LIVING_ENVIRONMENT: (150, 600),
    Category.ROAD_NEW: (400, 1800),
    Category.ROAD_UPGRADE: (300, 1200),
    Category.DRINKING_WATER: (200, 900),
    Category.ELECTRICITY: (250, 800),
    Category.NETWORK: (80, 300),
    Category.STREET: (100, 450),
}
FUNDING = {
    Category.LIVING_ENVIRONMENT: ("县级统筹整合涉农资金", "省级财政专项扶贫资金"),
    Category.ROAD_NEW: ("中央财政专项扶贫资金", "行业部门资金（交通运输）"),
    Category.ROAD_UPGRADE: ("行业部门资金（交通运输）", "县级统筹整合涉农资金"),
    Category.DRINKING_WATER: ("中央财政专项扶贫资金", "行业部门资金（水利）"),
    Category.ELECTRICITY: ("国网农网改造配套资金",),
    Category.NETWORK: ("电信普遍服务补偿资金",),
    Category.STREET: ("省级财政专项扶贫资金", "县级统筹整合涉农资金"),
}
CONTRACTORS = {
    Category.LIVING_ENVIRONMENT: ("固镇县润泽园林绿化有限公司", "固镇县宏达建筑工程有限公司"),
    Category.ROAD_NEW: ("固镇县通达路桥工程有限公司", "蚌埠市交通建设工程有限公司"),
    Category.ROAD_UPGRADE: ("固镇县通达路桥工程有限公司", "蚌埠市交通建设工程有限公司"),
    Category.DRINKING_WATER: ("蚌埠市水利建筑安装有限公司",),
    Category.ELECTRICITY: ("国网固镇县供电公司",),
    Category.NETWORK: ("中国电信固镇分公司", "中国移动固镇分公司"),
    Category.STREET: ("固镇县城建市政工程有限公司", "固镇县宏达建筑工程有限公司"),
}
SHARE_SERVED = {  # the share of the village's households a project serves
    Category.LIVING_ENVIRONMENT: (0.5, 1.0),
    Category.ROAD_NEW: (0.1, 0.35),
    Category.ROAD_UPGRADE: (0.3, 0.7),
    Category.DRINKING_WATER: (0.2, 0.6),
    Category.ELECTRICITY: (0.4, 0.9),
    Category.NETWORK: (0.6, 1.0),
    Category.STREET: (0.3, 0.8),
}
CANCEL_REASONS = (
    "选址与高标准农田建设项目重叠，经镇党委会研究调整至下一年度实施",
    "已由行业部门资金立项实施，为避免重复建设予以取消",
)
PROJECTS_2020 = 26  # two or three per village, every category at least three times
PROJECTS_THIS_YEAR = 15


@dataclass
class Pace:
    """How a project's milestones fall against their deadlines: days early (negative) or late, or never reached."""

    offsets: dict[str, int] = field(default_factory=dict)
    stalled_at: int | None = None  # the index (in Milestone) of the first milestone not reached
    cancel: str = ""


def seed(*, town, rng: random.Random) -> None:
    today = timezone.localdate()
    official = User.objects.filter(username="official").first()
    _deadlines_for(today.year)
    deadlines = load_deadlines()
    villages = list(town.villages.order_by("code"))
    households: dict[int, list[tuple[int, dt.date]]] = {}
    for pk, village_id, registered_on in (
        Household.objects.filter(village__town=town).order_by("number").values_list("pk", "village_id", "registered_on")
    ):
        households.setdefault(village_id, []).append((pk, registered_on))
    built = _programme(PLAN_YEAR, villages, PROJECTS_2020, deadlines, today, rng, finished=today.year > PLAN_YEAR)
    if today.year > PLAN_YEAR:
        built += _programme(today.year, villages, PROJECTS_THIS_YEAR, deadlines, today, rng, finished=False)
    _store(built, households, official, rng)
    infrastructure_flag(on=today)


def _deadlines_for(year: int) -> None:
    """This year's deadlines on the days of the plan year's (or of the work plan when those are gone)."""
    plan = dict(MilestoneDeadline.objects.filter(year=PLAN_YEAR).values_list("milestone", "due_on"))
    days = {m: (due.month, due.day) for m, due in plan.items()} or PLAN_DEADLINES
    MilestoneDeadline.objects.bulk_create(
        [MilestoneDeadline(year=year, milestone=m, due_on=dt.date(year, *month_day)) for m, month_day in days.items()],
        ignore_conflicts=True,
    )


# ---------------------------------------------------------------- planning


@dataclass
class Built:
    project: Project
    created_on: dt.date
    steps: list[tuple[str, str, dt.date, str]]  # (from, to, on, reason)


def _programme(year, villages, count, deadlines, today, rng, *, finished: bool) -> list[Built]:
    categories = list(Category)
    wanted = [categories[n % len(categories)] for n in range(count)]
    rng.shuffle(wanted)
    # Every village gets a project before any gets a second one.
    slots = [villages[n % len(villages)] for n in range(count)]
    paces = _paces(count, rng, finished=finished)
    names_used: set[tuple[int, str]] = set()
    built = []
    for village, category, pace in zip(slots, wanted, paces, strict=True):
        project = _project(village, year, category, names_used, rng)
        created_on = min(dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(10, 55)), today)
        steps = _steps(pace, deadlines.get(year, {}), year, created_on, today, rng)
        built.append(Built(project, created_on, steps))
    return built


def _paces(count: int, rng: random.Random, *, finished: bool) -> list[Pace]:
    """Mostly on time; some late at one milestone; two cancelled; this year's also has projects stalled."""
    paces = [Pace({m: -rng.randint(2, 30) for m in Milestone}) for _ in range(count)]
    late = [Milestone.DECLARED, Milestone.STARTED, Milestone.ACCEPTED, Milestone.STARTED, Milestone.ACCEPTED]
    for pace, milestone in zip(paces[:5], late, strict=True):
        pace.offsets[milestone] = rng.randint(4, 40)
    if finished:
        paces[5].cancel, paces[5].stalled_at = CANCEL_REASONS[0], 1
        paces[6].cancel, paces[6].stalled_at = CANCEL_REASONS[1], 0
    else:
        paces[5].stalled_at = 0  # never declared
        paces[6].stalled_at = 1  # declared, never started
        paces[7].stalled_at = 3  # completed, waiting for acceptance
        paces[8].stalled_at = 3
    rng.shuffle(paces)
    return paces


def _steps(pace: Pace, due_by, year, created_on, today, rng) -> list[tuple[str, str, dt.date, str]]:
    """The milestones reached by today, each after the one before and after the project was created."""
    steps = []
    last = created_on
    dates = _planned_dates(pace, due_by, year, created_on, rng)
    for index, (milestone, planned) in enumerate(zip(Milestone, dates, strict=True)):
        if pace.stalled_at is not None and index >= pace.stalled_at:
            break
        on = max(planned, last)
        if on > today:
            break
        steps.append((PROGRESSION[index], milestone.status, on, ""))
        last = on
    if pace.cancel:
        on = min(last + dt.timedelta(days=rng.randint(5, 40)), today)
        steps.append((PROGRESSION[len(steps)], Status.CANCELLED, max(on, last), pace.cancel))
    return steps


def _planned_dates(pace: Pace, due_by, year, created_on, rng) -> list[dt.date]:
    """Each milestone at its deadline plus the pace's offset; completion falls between start and acceptance."""
    declared = _around(due_by.get(Milestone.DECLARED), dt.date(year, 4, 30), pace.offsets[Milestone.DECLARED])
    started = _around(due_by.get(Milestone.STARTED), dt.date(year, 5, 31), pace.offsets[Milestone.STARTED])
    accepted = _around(due_by.get(Milestone.ACCEPTED), dt.date(year, 9, 30), pace.offsets[Milestone.ACCEPTED])
    declared = max(declared, created_on + dt.timedelta(days=rng.randint(3, 20)))
    started = max(started, declared + dt.timedelta(days=rng.randint(3, 15)))
    accepted = max(accepted, started + dt.timedelta(days=rng.randint(60, 90)))
    completed = started + (accepted - started) * rng.randint(75, 92) // 100
    return [declared, started, completed, accepted]


def _around(due: dt.date | None, fallback: dt.date, offset: int) -> dt.date:
    return (due or fallback) + dt.timedelta(days=offset)


def _project(village, year, category, names_used, rng) -> Project:
    first, description = NAMES[category]
    candidates = (first, SECOND_NAMES[category], SECOND_NAMES[category] + "（二期）")
    template = next(t for t in candidates if (village.pk, t) not in names_used)
    names_used.add((village.pk, template))
    group, other = rng.sample(("一组", "二组", "三组", "四组", "五组", "六组"), 2)
    low, high = BUDGETS[category]
    return Project(
        village=village,
        year=year,
        category=category,
        name=template.format(village=village.name, group=group, other=other),
        description=description,
        budget=Decimal(rng.randint(low, high) * 1000),
        funding_source=rng.choice(FUNDING[category]),
        contractor=rng.choice(CONTRACTORS[category]),
    )


# ---------------------------------------------------------------- storing


def _store(built: list[Built], households, official, rng) -> None:
    for entry in built:
        project = entry.project
        for _, to_status, on, reason in entry.steps:
            project.status = to_status
            if to_status == Status.CANCELLED:
                project.cancelled_on, project.cancel_reason = on, reason
            else:
                setattr(project, Milestone(_milestone_of(to_status)).date_field, on)
        project.created_by = official
    projects = Project.objects.bulk_create([entry.project for entry in built], batch_size=BATCH_SIZE)
    for entry in built:  # created_at is auto_now_add, so bulk_create has just set it to now
        entry.project.created_at = _moment(entry.created_on)
    Project.objects.bulk_update(projects, ["created_at"], batch_size=BATCH_SIZE)

    through = Project.beneficiaries.through
    links = []
    for project in projects:
        # A project serves the households of its village registered by the end of its year.
        registered = [pk for pk, on in households.get(project.village_id, []) if on.year <= project.year]
        low, high = SHARE_SERVED[project.category]
        served = rng.sample(registered, round(len(registered) * rng.uniform(low, high)))
        links += [through(project_id=project.pk, household_id=pk) for pk in served]
    through.objects.bulk_create(links, batch_size=BATCH_SIZE)

    events = []
    for entry in built:
        events.append(_event(entry.project, "", Status.PLANNED, entry.created_on, "", official))
        events += [_event(entry.project, *step, official) for step in entry.steps]
    AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _milestone_of(status: str) -> str:
    return next(m for m in Milestone if m.status == status)


def _event(project, from_status, to_status, on, reason, official) -> AuditEvent:
    """A dated step of the project's history, as project_save and project_advance record it, dated back."""
    return AuditEvent(
        at=_moment(on),
        actor=official,
        via=AuditEvent.Via.COMMAND,
        object_type=Project._meta.label,
        object_id=project.pk,
        object_repr=str(project)[:200],
        action=AuditEvent.Action.STATUS_CHANGED if from_status else AuditEvent.Action.CREATED,
        changes={"status": [from_status or None, to_status]},
        reason=reason,
        effective_on=on,
    )


def _moment(day: dt.date) -> dt.datetime:
    return min(timezone.make_aware(dt.datetime.combine(day, RECORDED_AT)), timezone.now())
