"""The assistance part of the demo town: support units, work teams, who answered for each household when, and plans.

Registered with households.demo, it runs once, right after the demo households
and their history are created. Assignments keep their history as assignment_set
keeps it (the old one ends the day before the new one starts):

- every household has had a responsible person (帮扶责任人) from a support unit
  of its village since it entered the registry, eight households to an official;
  the demo helper took over some households of 东风村 on 1 January 2020: the
  ones still poor then, the ones monitored since, and exited ones;
- on ROTATED_ON, after the campaign, the units replaced a third of their
  officials, and the new ones took over those households that day;
- the 25 still poor at the start of 2020 also had a contact person (联系人) from
  then until the day they left poverty: the plan's two-person guarantee;
- exited households keep their responsible person ("four don't-removes"),
  except EXITED_GAPS whose official left a few weeks or months ago and has not
  been replaced yet, so that the gap list is live.

Plans: each of the 25 has a 2020 plan whose measures, its repairs among them,
were done before it left poverty. From 2021 each of the 25, and each household
monitored during a year, has that year's consolidation plan; this year's is
partly done.
"""

import datetime as dt
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Role, User
from assistance.demo_programmes import seed_programmes
from assistance.models import Measure, MeasureCategory, MeasureStatus, Plan
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus, PovertyCause
from households.demo.plan import ASSIGNED_VILLAGE, MARGINAL_REASON, MARGINAL_RISKS, RISKS
from households.demo.town import moment, recorded_as_given
from households.models import Assessment, Assignment, Household, StatusChange, SupportUnit, WorkTeam

PLAN_YEAR = 2020
ASSIGNED_FROM = dt.date(2020, 1, 1)  # the work teams, the helper and the two-person guarantee of the plan
HOUSEHOLDS_PER_OFFICIAL = 8
HELPER_HOUSEHOLDS = 16
ROTATED_ON = dt.date(2021, 5, 10)
ROTATED_SHARE = 1 / 3
EXITED_GAPS = 7
GAP_DAYS = (20, 120)  # how long ago the gap households' official left
UNPLANNED_THIS_YEAR = 2  # of the 25, without a plan this year yet
PLANS_WRITTEN = (1, 20)  # each year's plans are written in January
PLAN_WRITTEN_AT = dt.time(16, 0)

RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT
ONE_DAY = dt.timedelta(days=1)

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
# What put a failing 2W3G item right; the description names what the assessment had found.
REPAIRS = {
    AssessmentItem.HOUSING: (MeasureCategory.HOUSING, "实施危房改造", 20000),
    AssessmentItem.MEDICAL: (MeasureCategory.HEALTH, "落实基本医疗保障", 300),
    AssessmentItem.WATER: (MeasureCategory.WATER, "实施安全饮水工程，供水管网延伸入户", 1500),
}
# What a plan does about a risk, by its type (households.demo.plan.RISKS).
MEASURES_FOR_RISK = {
    "illness": [(MeasureCategory.HEALTH, "落实大病保险和医疗救助，家庭医生上门随访", 0)],
    "accident": [(MeasureCategory.BOTTOM_LINE, "申请临时救助", 3000)],
    "housing": [(MeasureCategory.BOTTOM_LINE, "申请临时救助", 2000)],
    "work": [
        (MeasureCategory.EMPLOYMENT, "推荐到县经济开发区企业务工", 0),
        (MeasureCategory.SKILLS, "参加技能培训", 0),
    ],
    "business": [(MeasureCategory.INDUSTRY, "落实产业奖补，恢复生产", 3000)],
    "schooling": [(MeasureCategory.EDUCATION, "落实雨露计划和生源地助学贷款", 3000)],
    "water": [(MeasureCategory.BOTTOM_LINE, "申请临时救助", 1000)],
    "disability": [(MeasureCategory.BOTTOM_LINE, "申请残疾人两项补贴", 2400)],
    "disaster": [(MeasureCategory.INDUSTRY, "落实农业保险理赔和灾后生产补助", 2000)],
}
CONSOLIDATION_MEASURES = [
    (MeasureCategory.INDUSTRY, "发展庭院经济，落实特色种养业奖补", 1000),
    (MeasureCategory.EMPLOYMENT, "组织外出务工，落实务工交通补助", 500),
    (MeasureCategory.PHOTOVOLTAIC, "村级光伏电站收益分配", 800),
    (MeasureCategory.WELFARE_JOB, "安排村级护林公益岗位", 6000),
]


@dataclass
class Story:
    """One household's status history, as households.demo wrote it."""

    household: Household
    changes: list[tuple[dt.date, str, str, str]] = field(default_factory=list)  # (on, from, to, reason)

    def status_on(self, day: dt.date) -> str:
        status = ""
        for on, _before, after, _reason in self.changes:
            if on > day:
                break
            status = after
        return status

    @property
    def cohort(self) -> bool:
        return self.status_on(ASSIGNED_FROM - dt.timedelta(days=1)) == HouseholdStatus.UNEXITED

    @property
    def exit_on(self) -> dt.date | None:
        return next((on for on, _before, after, _reason in self.changes if after == HouseholdStatus.EXITED), None)

    def monitored(self) -> list[tuple[dt.date, dt.date | None, str]]:
        """(from, until or None, reason) of each time the household was monitored."""
        spans = []
        for on, before, after, reason in self.changes:
            if after == HouseholdStatus.MONITORED:
                spans.append([on, None, reason])
            elif before == HouseholdStatus.MONITORED:
                spans[-1][1] = on
        return [tuple(span) for span in spans]


def seed(*, town, rng) -> None:
    today = timezone.localdate()
    villages = list(town.villages.order_by("code"))
    units = _support_units(villages)
    _work_teams(villages, units)
    households = list(
        Household.objects.filter(village__town=town)
        .exclude(status=HouseholdStatus.CLOSED)
        .select_related("village")
        .order_by("number")
    )
    stories = {h.pk: Story(h) for h in households}
    for row in StatusChange.objects.filter(household__in=households).order_by("changed_on", "pk"):
        stories[row.household_id].changes.append((row.changed_on, row.from_status, row.to_status, row.reason))
    assignments = _assign(list(stories.values()), villages, units, today, rng)
    _plans(list(stories.values()), assignments, today, rng)
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


# ---------------------------------------------------------------- who answered for each household, when


def _assign(stories: list[Story], villages, units, today: dt.date, rng) -> list[Assignment]:
    helper = User.objects.get(username="helper")
    helped = _helped(stories, rng)
    never_at_risk = [
        s
        for s in stories
        if not s.cohort and not s.monitored() and s.household.status == HouseholdStatus.EXITED and s not in helped
    ]
    left = rng.sample(never_at_risk, EXITED_GAPS)
    gaps = {s.household.pk: today - dt.timedelta(days=rng.randint(*GAP_DAYS)) for s in left}

    # The officials' households: all but those the helper has had from the day they were registered.
    chunks = []
    for village in villages:
        theirs = [
            s
            for s in stories
            if s.household.village_id == village.pk and not (s in helped and s.household.registered_on >= ASSIGNED_FROM)
        ]
        for n in range(math.ceil(len(theirs) / HOUSEHOLDS_PER_OFFICIAL)):
            unit = units[village.pk][n % 2]
            chunks.append((unit, theirs[n * HOUSEHOLDS_PER_OFFICIAL : (n + 1) * HOUSEHOLDS_PER_OFFICIAL]))
    rotated = set(rng.sample(range(len(chunks)), round(len(chunks) * ROTATED_SHARE)))
    officials = iter(_new_users("bangfu", Role.RESPONSIBLE, len(chunks) + len(rotated), rng))
    first = [next(officials) for _ in chunks]
    successor = {n: next(officials) for n in sorted(rotated)}

    rows = []
    for n, (unit, chunk) in enumerate(chunks):
        for story in chunk:
            household, start = story.household, story.household.registered_on
            if story in helped:  # the helper took over on ASSIGNED_FROM
                rows.append(_assignment(household, first[n], RESPONSIBLE, start, ASSIGNED_FROM - ONE_DAY, unit))
            elif n not in rotated:
                rows.append(_assignment(household, first[n], RESPONSIBLE, start, None, unit))
            elif start < ROTATED_ON:
                rows.append(_assignment(household, first[n], RESPONSIBLE, start, ROTATED_ON - ONE_DAY, unit))
                rows.append(_assignment(household, successor[n], RESPONSIBLE, ROTATED_ON, None, unit))
            else:
                rows.append(_assignment(household, successor[n], RESPONSIBLE, start, None, unit))
    dongfeng_unit = units[next(v.pk for v in villages if v.name == ASSIGNED_VILLAGE)][0]
    for story in helped:
        start = max(ASSIGNED_FROM, story.household.registered_on)
        rows.append(_assignment(story.household, helper, RESPONSIBLE, start, None, dongfeng_unit))
    for row in rows:  # the gap households' official left and has not been replaced yet
        if row.end_date is None and row.household.pk in gaps:
            row.end_date = max(gaps[row.household.pk], row.start_date)

    contacts = _village_contacts(villages, rng)
    for story in stories:
        if story.cohort:
            person = contacts[story.household.village_id]
            rows.append(_assignment(story.household, person, CONTACT, ASSIGNED_FROM, story.exit_on))
    return Assignment.objects.bulk_create(rows)


def _helped(stories: list[Story], rng) -> list[Story]:
    """The helper's households in 东风村: those still poor in 2020, those monitored since, then exited ones."""
    dongfeng = [s for s in stories if s.household.village.name == ASSIGNED_VILLAGE]
    first = [s for s in dongfeng if s.cohort or s.monitored()]
    others = [s for s in dongfeng if s not in first and s.household.status == HouseholdStatus.EXITED]
    return first + rng.sample(others, max(0, HELPER_HOUSEHOLDS - len(first)))


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


def _assignment(household, person, role, start, end=None, unit=None) -> Assignment:
    return Assignment(household=household, person=person, role=role, support_unit=unit, start_date=start, end_date=end)


def person_on(assignments: list[Assignment], day: dt.date) -> int | None:
    """Who held the role on that day, among one household's assignments in one role."""
    return next(
        (a.person_id for a in assignments if a.start_date <= day and (a.end_date is None or a.end_date >= day)), None
    )


# ---------------------------------------------------------------- plans


def _plans(stories: list[Story], assignments: list[Assignment], today: dt.date, rng) -> None:
    responsible = defaultdict(list)
    for assignment in assignments:
        if assignment.role == AssignmentRole.RESPONSIBLE:
            responsible[assignment.household_id].append(assignment)
    checks = defaultdict(list)
    for assessment in Assessment.objects.filter(household__in=[s.household for s in stories]).order_by(
        "assessed_on", "pk"
    ):
        checks[assessment.household_id].append(assessment)
    risks = {risk.monitored_reason: risk for risk in RISKS}
    risks |= {MARGINAL_REASON.format(reason=risk.reason): risk for risk in MARGINAL_RISKS}

    cohort = [s for s in stories if s.cohort]
    unplanned = {s.household.pk for s in rng.sample(cohort, UNPLANNED_THIS_YEAR)}
    plans, measures = [], []
    for year in range(PLAN_YEAR, today.year + 1):
        written = dt.date(year, *PLANS_WRITTEN)
        for story in stories:
            household = story.household
            spans = [(start, end, reason) for start, end, reason in story.monitored() if _overlaps(start, end, year)]
            if year == PLAN_YEAR:
                if not story.cohort:
                    continue
            elif not spans and not (story.cohort and not (year == today.year and household.pk in unplanned)):
                continue
            opened = max([written, *(start for start, _end, _reason in spans if start.year == year)])
            if opened > today:
                continue
            plan = Plan(
                household=household,
                year=year,
                cause_analysis=_analysis(household, [risks.get(reason) for _s, _e, reason in spans]),
                goal=_goal(year, bool(spans)),
                created_at=moment(opened, PLAN_WRITTEN_AT),
            )
            plans.append(plan)
            chosen = _measures_of(story, plan, spans, risks, checks[household.pk], opened, today, rng)
            for category, description, amount, planned, actual, status in chosen:
                measures.append(
                    Measure(
                        plan=plan,
                        category=category,
                        description=description,
                        responsible_id=person_on(responsible[household.pk], planned),
                        planned_date=planned,
                        actual_date=actual,
                        amount=amount,
                        status=status,
                    )
                )
    with recorded_as_given(Plan, "created_at"):
        Plan.objects.bulk_create(plans)
    Measure.objects.bulk_create(measures)


def _overlaps(start: dt.date, end: dt.date | None, year: int) -> bool:
    return start.year <= year and (end is None or end.year >= year)


def _measures_of(story, plan, spans, risks, checks, opened: dt.date, today: dt.date, rng) -> list[tuple]:
    """(category, description, amount, planned, actual, status) of each measure of a plan.

    The 2020 plan's measures were all done before the household left poverty,
    its repairs on the day the assessment found them done; a later year's are
    done if their day is well past, and a repair is done once its assessment says so.
    """
    household, year = story.household, plan.year
    repairs = _repairs(checks, year)
    if year == PLAN_YEAR:
        chosen = MEASURES_FOR.get(household.main_cause, []) + rng.sample(COMMON_MEASURES, rng.randint(1, 2))
        last = story.exit_on - dt.timedelta(days=10)
    else:
        at_risk = [risks.get(reason) for _start, _end, reason in spans]
        chosen = [m for risk in at_risk if risk for m in MEASURES_FOR_RISK.get(risk.key, [])]
        chosen += rng.sample(CONSOLIDATION_MEASURES, 1 if chosen else rng.randint(1, 2))
        last = dt.date(year, 12, 15)
    result = []
    for category, description, amount in chosen:
        planned = opened + dt.timedelta(days=rng.randint(10, max(10, (last - opened).days)))
        planned = min(planned, last)
        result.append((category, description, amount, planned, *_progress(planned, year, last, today, rng)))
    for item, found, note, repaired in repairs:
        category, description, amount = REPAIRS[item]
        planned = max(found, opened) + dt.timedelta(days=rng.randint(5, 15))
        if repaired is not None:
            result.append(
                (category, f"{description}（{note}）", amount, min(planned, repaired), repaired, MeasureStatus.DONE)
            )
        else:
            status = MeasureStatus.IN_PROGRESS if planned <= today else MeasureStatus.PLANNED
            result.append((category, f"{description}（{note}）", amount, planned, None, status))
    return result


def _progress(planned: dt.date, year: int, last: dt.date, today: dt.date, rng) -> tuple[dt.date | None, str]:
    """(actual date, status) of a measure planned on that day, as things stand today."""
    if year < today.year or planned <= today - dt.timedelta(days=30):
        if year < today.year or rng.random() < 0.85:
            actual = min(planned + dt.timedelta(days=rng.randint(0, 10)), last + dt.timedelta(days=9), today)
            return actual, MeasureStatus.DONE
        return None, MeasureStatus.IN_PROGRESS  # late: its day is past
    return (None, MeasureStatus.IN_PROGRESS) if planned <= today else (None, MeasureStatus.PLANNED)


def _repairs(checks: list[Assessment], year: int) -> list[tuple]:
    """(item, day found failing, its note, day repaired or None) of the items that failed and were (to be) repaired
    in that year: found that year, or found before and repaired that year or not yet."""
    repairs = []
    previous = None
    found: dict[AssessmentItem, tuple[dt.date, str]] = {}
    for check in checks:
        for item in REPAIRS:
            passes = getattr(check, item.verdict_field)
            if not passes and (previous is None or getattr(previous, item.verdict_field)):
                found[item] = (check.assessed_on, getattr(check, item.note_field))
            elif passes and item in found:
                day, note = found.pop(item)
                if check.assessed_on.year == year:
                    repairs.append((item, day, note, check.assessed_on))
        previous = check
    repairs += [(item, day, note, None) for item, (day, note) in found.items() if day.year <= year]
    return repairs


def _analysis(household, risks) -> str:
    causes = "、".join(str(c) for c in [household.get_main_cause_display(), *household.other_cause_labels()])
    risk_text = "；".join(risk.reason for risk in risks if risk)
    if risk_text:
        return f"返贫致贫风险：{risk_text}。致贫原因：{causes}。需针对风险落实帮扶措施，防止返贫致贫。"
    return f"致贫原因：{causes}。家庭收入来源单一，需因户施策、精准帮扶。"


def _goal(year: int, monitored: bool) -> str:
    if year == PLAN_YEAR:
        return f"{year}年底实现稳定脱贫，人均纯收入超过当年标准。"
    if monitored:
        return f"{year}年消除返贫致贫风险，家庭人均纯收入稳定超过监测线。"
    return f"{year}年巩固脱贫成果，防止返贫。"
