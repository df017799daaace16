"""The assistance part of the demo town: support units, work teams, the two-person guarantee and plans.

Registered with households.demo, it runs once, right after the demo households
are created. Every one of the 25 households still in poverty gets both persons
and a 2020 plan; exited households keep a responsible person ("four
don't-removes"), except a handful left as gaps so the gap list is live.
"""

import datetime as dt
import itertools
import math

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Role, User
from assistance.demo_programmes import seed_programmes
from assistance.models import Measure, MeasureCategory, MeasureStatus, Plan
from households.choices import AssignmentRole, HouseholdStatus, PovertyCause
from households.models import Assignment, Household, SupportUnit, WorkTeam

PLAN_YEAR = 2020
ASSIGNED_FROM = dt.date(2020, 1, 1)
HOUSEHOLDS_PER_OFFICIAL = 8
EXITED_GAPS = 7
UNPLANNED_THIS_YEAR = 5

UNITS = [
    "县农业农村局", "县财政局", "县教育体育局", "县卫生健康委", "县住房城乡建设局", "县人社局",
    "县水利局", "县交通运输局", "县供电公司", "县农商银行", "县发改委",
]  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建华", "志刚", "丽娟", "海燕", "国平", "红霞", "永强", "秀英", "卫东", "春梅", "学军", "玉兰", "明亮", "晓燕"]

# What a plan does about each main cause: (category, description, amount in yuan).
MEASURES_FOR = {
    PovertyCause.ILLNESS: [(MeasureCategory.HEALTH, "签约家庭医生，落实“351”“180”健康扶贫政策", 0)],
    PovertyCause.DISABILITY: [(MeasureCategory.BOTTOM_LINE, "申请残疾人两项补贴，纳入低保兜底", 2400)],
    PovertyCause.SCHOOLING: [(MeasureCategory.EDUCATION, "落实雨露计划和义务教育阶段资助", 3000)],
    PovertyCause.SKILLS: [(MeasureCategory.SKILLS, "参加县人社局电焊工技能培训", 0)],
    PovertyCause.LABOUR: [(MeasureCategory.WELFARE_JOB, "安排村级保洁公益岗位", 6000)],
    PovertyCause.FUNDS: [(MeasureCategory.LOAN, "申请扶贫小额信贷发展养殖", 30000)],
}
COMMON_MEASURES = [
    (MeasureCategory.INDUSTRY, "加入合作社发展葡萄种植（四带一自）", 2000),
    (MeasureCategory.PHOTOVOLTAIC, "村级光伏电站收益分配", 1000),
    (MeasureCategory.EMPLOYMENT, "推荐到县经济开发区企业务工", 0),
]


def seed(*, town, rng) -> None:
    villages = list(town.villages.order_by("code"))
    units = _support_units(villages)
    _work_teams(villages, units)
    households = list(
        Household.objects.filter(village__town=town)
        .exclude(status=HouseholdStatus.CLOSED)
        .select_related("village")
        .order_by("number")
    )
    _assign(households, villages, units, rng)
    _plans(households, rng)
    seed_programmes(town=town, rng=rng)


def _support_units(villages) -> dict[int, list[SupportUnit]]:
    names = itertools.cycle(UNITS)
    SupportUnit.objects.bulk_create(
        SupportUnit(village=village, name=next(names)) for village in villages for _ in range(2)
    )
    units: dict[int, list[SupportUnit]] = {}
    for unit in SupportUnit.objects.filter(village__in=villages).order_by("pk"):
        units.setdefault(unit.village_id, []).append(unit)
    return units


def _work_teams(villages, units) -> None:
    WorkTeam.objects.bulk_create(
        WorkTeam(village=v, name=f"{v.name}驻村工作队", sent_by=units[v.pk][0].name, start_date=ASSIGNED_FROM)
        for v in villages
    )


def _new_users(prefix: str, role: str, count: int, rng) -> list[User]:
    unusable = make_password(None)
    names = [(rng.choice(SURNAMES), rng.choice(GIVEN)) for _ in range(count)]
    users = [
        User(username=f"{prefix}{n:03d}", role=role, last_name=last, first_name=first, password=unusable)
        for n, (last, first) in enumerate(names, 1)
    ]
    return User.objects.bulk_create(users)


def _assign(households, villages, units, rng) -> None:
    """Fill the two-person guarantee around what households.demo already assigned in 东风村."""
    existing = {(a.household_id, a.role): a for a in Assignment.objects.filter(household__in=households)}
    # The demo helper's assignments get the support unit they were missing.
    for assignment in existing.values():
        if assignment.role == AssignmentRole.RESPONSIBLE:
            assignment.support_unit = units[assignment.household.village_id][0]
    Assignment.objects.bulk_update(existing.values(), ["support_unit"])

    contacts = _village_contacts(villages, rng)
    exited = [h for h in households if h.status != HouseholdStatus.UNEXITED]
    left_alone = {h.pk for h in rng.sample(exited, EXITED_GAPS)}
    needing = [h for h in households if (h.pk, AssignmentRole.RESPONSIBLE) not in existing and h.pk not in left_alone]
    groups = _by_village(needing)
    count = sum(math.ceil(len(group) / HOUSEHOLDS_PER_OFFICIAL) for group in groups)
    officials = iter(_new_users("bangfu", Role.RESPONSIBLE, count, rng))
    new = []
    for village_households in groups:
        official = None
        for n, household in enumerate(village_households):
            if n % HOUSEHOLDS_PER_OFFICIAL == 0:
                official = next(officials)
            unit = units[household.village_id][n // HOUSEHOLDS_PER_OFFICIAL % 2]
            new.append(_assignment(household, official, AssignmentRole.RESPONSIBLE, unit))
    for household in households:
        if household.status == HouseholdStatus.UNEXITED and (household.pk, AssignmentRole.CONTACT) not in existing:
            new.append(_assignment(household, contacts[household.village_id], AssignmentRole.CONTACT))
    Assignment.objects.bulk_create(new)


def _village_contacts(villages, rng) -> dict[int, User]:
    """Each village's contact person: its demo cadre where there is one, else a new group cadre."""
    cadres = {}
    for cadre in User.objects.filter(role=Role.CADRE, villages__in=villages).prefetch_related("villages"):
        for village in cadre.villages.all():
            cadres.setdefault(village.pk, cadre)
    uncovered = [v for v in villages if v.pk not in cadres]
    for village, user in zip(uncovered, _new_users("baozu", Role.CADRE, len(uncovered), rng), strict=True):
        user.villages.add(village)
        cadres[village.pk] = user
    return cadres


def _by_village(households):
    return [list(group) for _, group in itertools.groupby(households, key=lambda h: h.village_id)]


def _assignment(household, person, role, unit=None) -> Assignment:
    return Assignment(household=household, person=person, role=role, support_unit=unit, start_date=ASSIGNED_FROM)


def _plans(households, rng) -> None:
    unexited = [h for h in households if h.status == HouseholdStatus.UNEXITED]
    this_year = timezone.localdate().year
    responsible = {
        a.household_id: a.person_id
        for a in Assignment.objects.filter(household__in=unexited, role=AssignmentRole.RESPONSIBLE)
    }
    years = [PLAN_YEAR] if this_year == PLAN_YEAR else [PLAN_YEAR, this_year]
    plans = []
    for year in years:
        planned = unexited if year == PLAN_YEAR else rng.sample(unexited, len(unexited) - UNPLANNED_THIS_YEAR)
        plans += [Plan(household=h, year=year, cause_analysis=_analysis(h), goal=_goal(year)) for h in planned]
    Plan.objects.bulk_create(plans)
    Measure.objects.bulk_create(
        measure for plan in plans for measure in _measures(plan, responsible.get(plan.household_id), this_year, rng)
    )


def _analysis(household) -> str:
    causes = "、".join(str(c) for c in [household.get_main_cause_display(), *household.other_cause_labels()])
    return f"致贫原因：{causes}。家庭收入来源单一，需因户施策、精准帮扶。"


def _goal(year: int) -> str:
    return (
        f"{year}年底实现稳定脱贫，人均纯收入超过当年标准。"
        if year == PLAN_YEAR
        else f"{year}年巩固脱贫成果，防止返贫。"
    )


def _measures(plan, responsible_id, this_year, rng) -> list[Measure]:
    chosen = MEASURES_FOR.get(plan.household.main_cause, []) + rng.sample(COMMON_MEASURES, rng.randint(1, 2))
    measures = []
    for n, (category, description, amount) in enumerate(chosen):
        planned = dt.date(plan.year, 3 + 2 * n, 15)
        done = plan.year < this_year or planned < timezone.localdate() - dt.timedelta(days=30)
        status = MeasureStatus.DONE if done and rng.random() < 0.8 else MeasureStatus.IN_PROGRESS
        measures.append(
            Measure(
                plan=plan,
                category=category,
                description=description,
                responsible_id=responsible_id,
                planned_date=planned,
                actual_date=planned + dt.timedelta(days=rng.randint(0, 20)) if status == MeasureStatus.DONE else None,
                amount=amount,
                status=status,
            )
        )
    return measures
