"""The visits part of the demo town: a year of visits with their gaps, and the flags the daily job left.

Registered with households.demo after the assistance extension, so every
household already has its responsible and contact persons. Dates count back
from the day the demo is loaded, so that whenever it is loaded there are visits
done this period, visits due soon and visits overdue.

The daily job is replayed on the first day of each of the last twelve months and
then today, with the visits stored in the order they were logged: a visit logged
after its period ended (synced late from a phone) finds the overdue flag the job
had raised and clears it, as visit_log would have. Every period any of those runs
judged gets a history, so for quarterly rules it starts a little more than twelve
months back. Flags and notices carry the time the job would have run; the notices
of the months before this one are read, so a demo user's inbox holds this month's
notices unread above a year of read ones.
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from accounts.models import Notification
from households.choices import AssessmentItem, HouseholdStatus
from households.models import Assignment, Household
from visits.models import Method, Visit, VisitFlag, VisitRule
from visits.periods import MONTH, Period, period_of, previous_period
from visits.services import visits_flag

BATCH_SIZE = 500
JOB_RUNS_AT = dt.time(1, 0)  # the daily job runs in the small hours, town time
NOTICES_READ_AFTER = dt.timedelta(hours=8)  # the morning after
MISSED = 0.08
MISSED_IN_HARVEST = 0.15
HARVEST_MONTHS = (6, 10)  # wheat in June; maize and soybeans in October
LOGGED_LATE = 0.03
LOGGED_THIS_PERIOD = 0.6
BY_PHONE = 0.15
SECOND_VISIT = 0.1  # a monthly visitor who comes back within the month about what they found

MET_AT_HOME = ("户主本人", "户主本人", "户主及配偶", "户主及子女", "户主配偶", "户主母亲", "户主及家人")
MET_BY_PHONE = ("户主本人", "户主儿子（在外务工）", "户主女儿")
FINDINGS_STILL_POOR = (
    "户主患慢性病需长期服药，已签约家庭医生，按时随访",
    "主要劳动力在村保洁公益岗位上班，工资按月发放",
    "孩子在县城读初中，享受义务教育阶段资助",
    "家中养殖肉牛两头，长势良好",
    "低保金按月到账，基本生活有保障",
    "住房经鉴定为B级，危房改造已完成",
    "户主参加电焊工技能培训后已在县城务工",
    "家庭收入主要靠光伏收益和公益岗位工资",
)
FINDINGS_EXITED = (
    "家庭生活稳定，“两不愁三保障”和饮水安全均有保障",
    "住房安全，饮水正常，暂无返贫风险",
    "子女在外务工，收入稳定，家中老人身体尚可",
    "庭院干净整洁，人居环境较好",
    "葡萄长势良好，预计今年收入稳定",
    "家庭成员均参加城乡居民医保和养老保险",
    "户主在县经济开发区企业务工，每月按时领取工资",
    "养殖的山羊已出栏一批，收入有所增加",
    "户主年纪较大，日常由子女照料，生活有保障",
)
POLICIES = (
    "宣传“351”“180”健康扶贫政策",
    "宣传扶贫小额信贷贴息政策",
    "宣传特色种养业以奖代补政策",
    "宣传雨露计划和教育资助政策",
    "宣传城乡居民医保参保缴费资助政策",
    "宣传残疾人两项补贴政策",
    "宣传公益岗位和就业扶持政策",
    "宣传防返贫动态监测和帮扶政策",
)
# (problem found, how it was solved or "" if not yet, follow-up or "")
PROBLEMS = (
    ("屋顶局部漏雨", "已联系村委会安排维修", "下次走访查看维修情况"),
    ("自来水水压不足", "已报镇供水站检修，现已恢复正常", ""),
    ("住院报销材料不全", "协助补齐材料并送镇医保窗口", "跟踪报销款到账情况"),
    ("孩子雨露计划补助尚未到账", "已向县教育部门核实，将于下月发放", "下月核实补助是否到账"),
    ("葡萄种植缺少技术指导", "联系县农业农村局技术员上门指导", ""),
    ("户主想外出务工但缺少门路", "推荐到县经济开发区企业应聘", "了解应聘结果"),
    ("残疾人补贴卡遗失", "", "协助到镇民政办补办"),
    ("家中老人行动不便，看病不方便", "", "联系家庭医生上门服务"),
)
INCOME_CHANGES = (
    "务工收入较上月增加约800元",
    "生猪出栏一批，增收约3000元",
    "因住院支出增加，家庭收入有所下降",
    "村级光伏电站收益已分配到户",
    "公益岗位工资按月发放，收入稳定",
    "葡萄上市，销售收入约5000元",
    "小龙虾养殖收益比去年增加",
)
FOLLOW_UPS = (
    "下月再次上门了解情况",
    "督促户主按时服药、定期复查",
    "跟踪小额信贷资金使用情况",
    "协助申报特色种养业奖补",
)


@dataclass
class Logged:
    """A visit and the moment it reached the database."""

    visit: Visit
    at: dt.datetime
    late: bool = False


def seed(*, town, rng: random.Random) -> None:
    today = timezone.localdate()
    now = timezone.now()
    this_month = period_of(today, MONTH).start
    job_days = [this_month]
    while len(job_days) < 12:
        job_days.insert(0, previous_period(job_days[0], MONTH).start)
    logged = sorted(plan_visits(town, since=job_days[0], today=today, now=now, rng=rng), key=lambda v: v.at)
    stored = 0
    for day in job_days:
        job_at = min(_moment(day, JOB_RUNS_AT), now)
        batch = [v for v in logged[stored:] if v.at < job_at]
        store(batch)
        stored += len(batch)
        replay_job(day, job_at, read=day < this_month)
    store(logged[stored:])
    visits_flag(on=today)


# ---------------------------------------------------------------- the visits


def plan_visits(town, *, since: dt.date, today: dt.date, now: dt.datetime, rng: random.Random) -> list[Logged]:
    """Every required visit of each period the job judged since `since`, and this period's so far, minus the gaps."""
    rules = list(VisitRule.objects.filter(active=True))
    households = list(
        Household.objects.filter(village__town=town, status__in={rule.household_status for rule in rules})
        .order_by("number")
        .values_list("pk", "status", "registered_on")
    )
    assignees = dict(
        ((household_id, role), person_id)
        for household_id, role, person_id in Assignment.objects.current()
        .filter(household__village__town=town)
        .values_list("household_id", "role", "person_id")
    )
    planned = []
    for rule in rules:
        periods = [previous_period(since, rule.period)]
        while periods[-1].end < today:
            periods.append(period_of(periods[-1].end + dt.timedelta(days=1), rule.period))
        for household_id, status, registered_on in households:
            visitor_id = assignees.get((household_id, rule.visitor_role))
            if status != rule.household_status or visitor_id is None:
                continue  # a household without this person is left to the gap lists and the job's flags
            visit = Visit(household_id=household_id, visitor_id=visitor_id, role=rule.visitor_role)
            for period in periods:
                if period.end >= registered_on:
                    planned += _visits_in(period, visit, status, registered_on, rule.period, today, now, rng)
    return planned


def _visits_in(period: Period, template: Visit, status, registered_on, length, today, now, rng) -> list[Logged]:
    first = max(period.start, registered_on)
    if today in period:
        if rng.random() >= LOGGED_THIS_PERIOD:
            return []
        day = _working_day(first, today, rng)
        return [Logged(_visit(template, day, status, rng), _logged_at(day, today, rng, now))]
    day = _working_day(first, period.end, rng)
    draw = rng.random()
    missed = MISSED_IN_HARVEST if day.month in HARVEST_MONTHS else MISSED
    if draw < missed:
        return []
    if draw < missed + LOGGED_LATE:
        day = max(first, period.end - dt.timedelta(days=rng.randint(0, 4)))
        logged_on = period.end + dt.timedelta(days=rng.randint(1, 6))
        if logged_on > today:
            return []  # still on the visitor's phone
        return [Logged(_visit(template, day, status, rng), _logged_at(logged_on, today, rng, now), late=True)]
    visits = [Logged(_visit(template, day, status, rng), _logged_at(day, period.end, rng, now))]
    if length == MONTH and day < period.end and rng.random() < SECOND_VISIT:
        again = _working_day(day + dt.timedelta(days=1), period.end, rng)
        visits.append(Logged(_visit(template, again, status, rng), _logged_at(again, period.end, rng, now)))
    return visits


def _working_day(first: dt.date, last: dt.date, rng: random.Random) -> dt.date:
    """A day between the two, weekends a third as likely: cadres visit on Saturdays too, but less."""
    span = (last - first).days
    while True:
        day = first + dt.timedelta(days=rng.randint(0, span))
        if day.weekday() < 5 or span < 2 or rng.random() < 1 / 3:
            return day


def _logged_at(day: dt.date, latest: dt.date, rng: random.Random, now: dt.datetime) -> dt.datetime:
    """Mostly the same day; sometimes a day or two later, never after `latest` nor in the future."""
    lag = rng.choices((0, 1, 2), (70, 20, 10))[0]
    on = max(day, min(day + dt.timedelta(days=lag), latest))
    return min(_moment(on, dt.time(rng.randint(8, 20), rng.randrange(60))), now)


def _visit(template: Visit, day: dt.date, status: str, rng: random.Random) -> Visit:
    by_phone = rng.random() < BY_PHONE
    findings = FINDINGS_STILL_POOR if status == HouseholdStatus.UNEXITED else FINDINGS_EXITED
    found = solved = follow_up = income = ""
    if rng.random() < 0.2:
        found, solved, follow_up = rng.choice(PROBLEMS)
    if rng.random() < 0.15:
        income = rng.choice(INCOME_CHANGES)
    if not follow_up and rng.random() < 0.2:
        follow_up = rng.choice(FOLLOW_UPS)
    checks_items = not by_phone and rng.random() < (0.5 if status == HouseholdStatus.UNEXITED else 0.25)
    return Visit(
        client_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        household_id=template.household_id,
        visitor_id=template.visitor_id,
        role=template.role,
        visited_on=day,
        method=Method.PHONE if by_phone else Method.HOME,
        met_with=rng.choice(MET_BY_PHONE if by_phone else MET_AT_HOME),
        findings="；".join(rng.sample(findings, rng.randint(1, 2))),
        problems_found=found,
        problems_solved=solved,
        policies_explained="；".join(rng.sample(POLICIES, rng.randint(1, 2))),
        income_changes=income,
        follow_up=follow_up,
        items_checked=list(AssessmentItem.values) if checks_items else [],
    )


def _moment(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


# ---------------------------------------------------------------- storing them, and the job's runs


def store(logged: list[Logged]) -> None:
    """Insert the visits, date their logging, and let the late ones clear the flags they answer."""
    visits = Visit.objects.bulk_create([v.visit for v in logged], batch_size=BATCH_SIZE)
    for entry in logged:  # created_at is auto_now_add, so bulk_create has just overwritten it
        entry.visit.created_at = entry.at
    Visit.objects.bulk_update(visits, ["created_at"], batch_size=BATCH_SIZE)
    for entry in logged:
        if entry.late:
            visit = entry.visit
            VisitFlag.objects.open().filter(
                household_id=visit.household_id,
                rule__visitor_role=visit.role,
                period_start__lte=visit.visited_on,
                period_end__gte=visit.visited_on,
            ).update(cleared_at=entry.at, cleared_by=visit)


def replay_job(day: dt.date, job_at: dt.datetime, *, read: bool) -> None:
    """Run the daily job as of `day`, and date what it raised and sent to when it would have run."""
    last_flag = VisitFlag.objects.aggregate(last=Max("pk"))["last"] or 0
    last_notice = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    visits_flag(on=day)
    VisitFlag.objects.filter(pk__gt=last_flag).update(raised_at=job_at)
    Notification.objects.filter(pk__gt=last_notice).update(
        created_at=job_at, read_at=job_at + NOTICES_READ_AFTER if read else None
    )
