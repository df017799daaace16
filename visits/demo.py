"""The visits part of the demo town: every visit from 2020 to the day it is loaded, and the flags the daily job left.

Registered with households.demo after the assistance extension, so every
household already has its status history, its 2W3G assessments and the people
who answered for it, with their dates. A visit is made by the person assigned
to the household in its role on its day:

- every assessment recorded since 2020 was recorded on a visit by the
  responsible person, who checked every item (and is its assessor);
- the visit that found a risk comes one to two weeks before the county
  confirmed the household as monitored;
- otherwise, for each period a rule asks a visit of the household (by its
  status at the period's end), the person assigned makes one on a working day
  of the period spent in that status, mostly logged the same day. Some periods
  are missed, more at harvest time; some visits are synced a few days after
  their period, still in time; a very few too late to count (`late`); this
  period's are those whose day has come. The demo helper missed one visit in
  the last period of each rule that asked them for one, and has one still to
  make in this one, so that what they owe is live whenever the demo is loaded.

What a visit says comes from the assessment in force at the end of its day,
never independently: a failing item is said to fail, a repair is said done on
the day it was recorded, and a visit that checked every item says what it found.

The daily job has run since JOB_FROM: the first quarter of 2020 was entered
from paper. It is replayed at 01:00 on the 1st and on the due-soon day of every
month, then today, with each household's status as it stood that day and the
visits stored in the order they were logged, so that a visit stored after a
flag was raised clears it, as visit_log does. Status changes fall before the
due-soon day of their month (households.demo.plan.CHANGE_DAYS), so these runs
leave exactly the flags a run every day would. Flags and notices carry the
time the job would have run; the notices of earlier months are read.
"""

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Notification, User
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus, MonitorKind
from households.demo.plan import MARGINAL_REASON, MARGINAL_RISKS, RISK_FOUND_DAYS, RISKS, Change
from households.demo.story import fold
from households.demo.town import moment, recorded_as_given
from households.models import Assessment, Assignment, Household, IncomeRecord, Member, StatusChange
from visits.models import Method, Visit, VisitFlag, VisitRule
from visits.periods import MONTH, Period, due_soon_from, period_of, previous_period
from visits.services import visits_flag

BATCH_SIZE = 1000
VISITS_FROM = dt.date(2020, 1, 1)
JOB_FROM = dt.date(2020, 4, 1)
JOB_RUNS_AT = dt.time(1, 0)  # the daily job runs in the small hours, town time
NOTICES_READ_AFTER = dt.timedelta(hours=8)  # the morning after
MISSED = 0.08
MISSED_IN_HARVEST = 0.15
HARVEST_MONTHS = (6, 10)  # wheat in June; maize and soybeans in October
LOGGED_LATE = 0.03  # synced within the days a visit still counts after its period
ENTERED_LATE = 0.002  # entered after those days: kept, counted for nothing
BY_PHONE = 0.15
SECOND_VISIT = 0.1  # a monthly visitor who comes back within the month about what they found
CHECKS_ITEMS = {HouseholdStatus.UNEXITED: 0.5, HouseholdStatus.MONITORED: 0.5, HouseholdStatus.EXITED: 0.25}
SHARP_FALL = 0.7  # this year's per-capita income below this share of last year's: a visitor hears of it
RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT

MET_AT_HOME = ("户主本人", "户主本人", "户主及配偶", "户主及子女", "户主配偶", "户主母亲", "户主及家人")
MET_BY_PHONE = ("户主本人", "户主儿子（在外务工）", "户主女儿")
# What a visit found besides the 2W3G items: nothing here says whether an item is met, that is the assessment's.
FINDINGS_STILL_POOR = (
    "对照年度帮扶计划逐项落实帮扶措施",
    "帮助户主算清家庭收支账，明确增收门路",
    "鼓励户主发展庭院经济，增加家庭收入",
    "户主对帮扶工作满意，脱贫信心足",
    "讲解脱贫退出标准和程序",
    "了解家庭成员务工和就业意愿",
)
FINDINGS_EXITED = (
    "家庭生产生活正常",
    "庭院干净整洁，人居环境较好",
    "户主对帮扶工作满意",
    "了解家庭成员务工和就业情况",
    "农作物长势良好",
    "邻里关系和睦，家风良好",
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
    ("住院报销材料不全", "协助补齐材料并送镇医保窗口", "跟踪报销款到账情况"),
    ("葡萄种植缺少技术指导", "联系县农业农村局技术员上门指导", ""),
    ("户主想外出务工但缺少门路", "推荐到县经济开发区企业应聘", "了解应聘结果"),
    ("农机具损坏影响秋收", "联系村合作社借用农机", ""),
    ("家中老人行动不便，看病不方便", "", "联系镇卫生院上门服务"),
)
INCOME_CHANGES = (
    "务工收入较上月增加约800元",
    "生猪出栏一批，增收约3000元",
    "村级光伏电站收益已分配到户",
    "公益岗位工资按月发放，收入稳定",
    "葡萄上市，销售收入约5000元",
    "小龙虾养殖收益比去年增加",
)
FALLING_INCOME = "务工收入减少，家庭收入较去年明显下降"
FOLLOW_UPS = (
    "下月再次上门了解情况",
    "下次走访了解家庭收支情况",
    "跟踪小额信贷资金使用情况",
    "协助申报特色种养业奖补",
)
ALL_CHECKED = "逐项核查“两不愁三保障”和饮水安全，均有保障"
SOME_FAILING = "逐项核查“两不愁三保障”和饮水安全：{failing}；其余各项均有保障"
OTHERS_MET = "逐项核查“两不愁三保障”和饮水安全，其余各项均有保障"
STILL_FAILING = "{note}，正在落实整改"


# ---------------------------------------------------------------- what the registry says of each household


@dataclass(frozen=True)
class Checked:
    """An assessment as the visits see it."""

    pk: int
    on: dt.date
    verdicts: dict

    def failing(self) -> list:
        return [item for item in AssessmentItem if not self.verdicts[item][0]]


@dataclass
class Home:
    """One household's registration, history, assessments and assignments, asked about by date."""

    pk: int
    registered_on: dt.date
    size: int = 1
    changes: list[Change] = field(default_factory=list)
    checks: list[Checked] = field(default_factory=list)
    people: dict[str, list[tuple[int, dt.date, dt.date | None]]] = field(default_factory=lambda: defaultdict(list))
    falling: bool = False  # this year's income fell sharply

    def status_on(self, day: dt.date) -> str:
        status = ""
        for change in self.changes:
            if change.on > day:
                break
            status = change.to_status
        return status

    def since(self, day: dt.date) -> dt.date:
        """The day the status the household had on `day` began."""
        return max((change.on for change in self.changes if change.on <= day), default=self.registered_on)

    def reason_on(self, day: dt.date) -> str:
        return next((change.reason for change in reversed(self.changes) if change.on <= day), "")

    def check_on(self, day: dt.date) -> Checked | None:
        return next((check for check in reversed(self.checks) if check.on <= day), None)

    def assignee(self, role: str, day: dt.date) -> int | None:
        return next(
            (person for person, start, end in self.people[role] if start <= day and (end is None or end >= day)), None
        )


@dataclass
class Logged:
    """A visit and the moment it reached the database."""

    visit: Visit
    at: dt.datetime


def homes_of(town, today: dt.date) -> list[Home]:
    households = Household.objects.filter(village__town=town).order_by("number")
    homes = {
        pk: Home(pk=pk, registered_on=registered_on)
        for pk, registered_on in households.values_list("pk", "registered_on")
    }
    for change in StatusChange.objects.filter(household__in=homes).order_by("changed_on", "pk"):
        # Monitored from an ordinary household: never poor (边缘易致贫户); after an exit: unstable (脱贫不稳定户).
        kind = "" if change.to_status != HouseholdStatus.MONITORED else MonitorKind.MARGINAL
        if change.to_status == HouseholdStatus.MONITORED and change.from_status != HouseholdStatus.GENERAL:
            kind = MonitorKind.UNSTABLE
        homes[change.household_id].changes.append(
            Change(change.changed_on, change.from_status, change.to_status, change.reason, kind)
        )
    for assessment in Assessment.objects.filter(household__in=homes).order_by("assessed_on", "pk"):
        verdicts = {item: assessment.verdicts()[n][1:] for n, item in enumerate(AssessmentItem)}
        homes[assessment.household_id].checks.append(Checked(assessment.pk, assessment.assessed_on, verdicts))
    for assignment in Assignment.objects.filter(household__in=homes).order_by("start_date", "pk"):
        homes[assignment.household_id].people[assignment.role].append(
            (assignment.person_id, assignment.start_date, assignment.end_date)
        )
    sizes = dict(
        Member.objects.filter(household__in=homes).order_by().values_list("household_id").annotate(n=Count("pk"))
    )
    income = {
        (household_id, year): net * 1.0 / size
        for household_id, year, net, size in IncomeRecord.objects.filter(
            household__in=homes, year__in=(today.year - 1, today.year)
        ).values_list("household_id", "year", "net_income", "household_size")
    }
    for home in homes.values():
        home.size = sizes.get(home.pk, 1)
        now, before = income.get((home.pk, today.year)), income.get((home.pk, today.year - 1))
        home.falling = bool(now is not None and before and now < SHARP_FALL * before)
    return list(homes.values())


# ---------------------------------------------------------------- the visits


def seed(*, town, rng: random.Random) -> None:
    today, now = timezone.localdate(), timezone.now()
    rules = sorted(VisitRule.objects.active(), key=lambda rule: rule.period != MONTH)  # monthly rules first
    homes = homes_of(town, today)
    helper = User.objects.filter(username="helper").values_list("pk", flat=True).first()
    planner = Planner(rules=rules, today=today, now=now, rng=rng)
    for home in homes:
        planner.special_visits(home)
    planner.helper_misses(homes, helper)
    for home in homes:
        planner.regular_visits(home)
    logged = sorted(planner.logged, key=lambda entry: entry.at)
    replay(homes, logged, today, now)
    name_assessors(logged)


@dataclass
class Planner:
    rules: list[VisitRule]
    today: dt.date
    now: dt.datetime
    rng: random.Random
    logged: list[Logged] = field(default_factory=list)
    counted: dict[tuple[int, str], list[dt.date]] = field(default_factory=dict)  # days of visits that count
    missed: set[tuple[int, int, dt.date]] = field(default_factory=set)

    def __post_init__(self):
        self.risks = {risk.monitored_reason: risk for risk in RISKS}
        self.risks |= {MARGINAL_REASON.format(reason=risk.reason): risk for risk in MARGINAL_RISKS}
        self.rule_for = {(rule.household_status, rule.visitor_role): rule for rule in self.rules}
        self.periods = {}  # the periods of each length from VISITS_FROM to today
        for length in {rule.period for rule in self.rules}:
            periods = [period_of(VISITS_FROM, length)]
            while periods[-1].end < self.today:
                periods.append(period_of(periods[-1].end + dt.timedelta(days=1), length))
            self.periods[length] = periods

    # ---------------------------------------------------------------- visits the story asks for

    def special_visits(self, home: Home) -> None:
        """The visits that recorded an assessment, and those that found a risk."""
        previous = None
        found = {}
        for change in home.changes:
            risk = self.risks.get(change.reason)
            if risk is not None and change.from_status == HouseholdStatus.EXITED:
                found[change.on] = risk
        for check in home.checks:
            if check.on >= VISITS_FROM:
                risk = next(
                    (r for onset, r in found.items() if onset - dt.timedelta(RISK_FOUND_DAYS[1]) <= check.on < onset),
                    None,
                )
                if risk is not None:
                    found = {onset: r for onset, r in found.items() if r is not risk}
                self.add(home, RESPONSIBLE, check.on, check=check, previous=previous, risk_found=risk)
            previous = check
        for onset, risk in found.items():
            latest = onset - dt.timedelta(days=max(RISK_FOUND_DAYS[0], onset.day))
            day = self.working_day(onset - dt.timedelta(days=RISK_FOUND_DAYS[1]), latest)
            self.add(home, RESPONSIBLE, day, risk_found=risk)

    def helper_misses(self, homes: list[Home], helper: int | None) -> None:
        """The demo helper left one household unvisited in the last period of each rule that asks them for visits,
        and has one still to visit in this one, whatever day the demo is loaded."""
        if helper is None:
            return
        for rule in self.rules:
            for period in (previous_period(self.today, rule.period), rule.period_of(self.today)):
                end = min(period.end, self.today)
                theirs = [
                    home
                    for home in homes
                    if home.status_on(end) == rule.household_status
                    and home.assignee(rule.visitor_role, end) == helper
                    and not self.covered(home, rule.visitor_role, period)
                ]
                if theirs:
                    self.missed.add((self.rng.choice(theirs).pk, rule.pk, period.start))

    # ---------------------------------------------------------------- the rules' visits

    def regular_visits(self, home: Home) -> None:
        statuses = {change.to_status for change in home.changes}
        for rule in self.rules:
            if rule.household_status not in statuses:
                continue
            role = rule.visitor_role
            for period in self.periods[rule.period]:
                end = min(period.end, self.today)
                owed = home.registered_on <= period.end and home.status_on(end) == rule.household_status
                if (
                    owed
                    and (home.pk, rule.pk, period.start) not in self.missed
                    and not self.covered(home, role, period)
                ):
                    first = max(period.start, home.since(end), home.registered_on)
                    self.visit_in(home, role, period, first, second=rule.period == MONTH)

    def covered(self, home: Home, role: str, period: Period) -> bool:
        """Whether the household already has a visit that counts in `role` within `period`."""
        return any(day in period for day in self.counted.get((home.pk, role), ()))

    def visit_in(self, home: Home, role: str, period: Period, first: dt.date, *, second: bool) -> None:
        rng, late_days = self.rng, settings.VISIT_LATE_ENTRY_DAYS
        day = self.working_day(first, period.end)
        draw = rng.random()
        missed = MISSED_IN_HARVEST if day.month in HARVEST_MONTHS else MISSED
        if day > self.today or draw < missed:
            return  # not yet, or missed
        logged_on = None
        if period.end < self.today and draw < missed + LOGGED_LATE + ENTERED_LATE:
            day = max(first, period.end - dt.timedelta(days=rng.randint(0, 4)))
            if draw < missed + LOGGED_LATE:  # synced from the phone after the period, in time
                logged_on = period.end + dt.timedelta(days=rng.randint(1, late_days))
            else:  # too late to count
                logged_on = period.end + dt.timedelta(days=rng.randint(late_days + 1, late_days + 20))
            if logged_on > self.today:
                return  # still on the visitor's phone
        entry = self.add(home, role, day, logged_on=logged_on, latest=period.end)
        if entry is not None and second and day < period.end and logged_on is None and rng.random() < SECOND_VISIT:
            self.add(home, role, self.working_day(day + dt.timedelta(days=1), period.end), latest=period.end)

    # ---------------------------------------------------------------- one visit

    def add(
        self,
        home: Home,
        role: str,
        day: dt.date,
        *,
        check: Checked | None = None,
        previous: Checked | None = None,
        risk_found=None,
        logged_on: dt.date | None = None,
        latest: dt.date | None = None,
    ) -> Logged | None:
        """A visit by whoever holds `role` for the household on `day` (none when nobody does, or the day is to come)."""
        rng = self.rng
        visitor = home.assignee(role, day)
        if visitor is None or day > self.today:
            return None
        if logged_on is None:
            lag = 0 if check is not None else rng.choices((0, 1, 2), (70, 20, 10))[0]
            logged_on = max(day, min(day + dt.timedelta(days=lag), latest or day, self.today))
        at = min(moment(logged_on, dt.time(rng.randint(8, 20), rng.randrange(60))), self.now)
        special = check is not None or risk_found is not None
        by_phone = not special and rng.random() < BY_PHONE
        status = home.status_on(day)
        in_force = home.check_on(day)
        checks_items = check is not None or (
            not by_phone and in_force is not None and rng.random() < CHECKS_ITEMS.get(status, 0)
        )
        visit = Visit(
            client_key=uuid.UUID(int=rng.getrandbits(128), version=4),
            household_id=home.pk,
            visitor_id=visitor,
            role=role,
            visited_on=day,
            method=Method.PHONE if by_phone else Method.HOME,
            met_with=rng.choice(MET_BY_PHONE if by_phone else MET_AT_HOME) if home.size > 1 else "户主本人",
            items_checked=list(AssessmentItem.values) if checks_items else [],
            late=self.is_late(home, role, day, timezone.localdate(at)),
            assessment_id=check.pk if check is not None else None,
            policies_explained="；".join(rng.sample(POLICIES, rng.randint(1, 2))),
            **self.notes(home, day, status, in_force, checks_items, check, previous, risk_found),
        )
        entry = Logged(visit, at)
        self.logged.append(entry)
        if not visit.late:
            self.counted.setdefault((home.pk, role), []).append(day)
        return entry

    def notes(self, home, day, status, in_force, checks_items, check, previous, risk_found) -> dict:
        """Findings from the assessment in force at the end of the day, then what the visitor noticed."""
        rng = self.rng
        said = []
        if risk_found is not None:
            said.append(risk_found.found)
        if check is not None and previous is not None:
            said += [
                check.verdicts[item][1] for item in AssessmentItem if check.verdicts[item] != previous.verdicts[item]
            ]
        failing = in_force.failing() if in_force is not None else []
        if checks_items:
            notes = [in_force.verdicts[item][1] for item in failing if in_force.verdicts[item][1] not in said]
            if notes:
                said.append(SOME_FAILING.format(failing="；".join(notes)))
            else:
                said.append(OTHERS_MET if failing else ALL_CHECKED)
        else:
            said += [STILL_FAILING.format(note=in_force.verdicts[item][1]) for item in failing]
        risk = self.risks.get(home.reason_on(day)) if status == HouseholdStatus.MONITORED else None
        if risk is not None and risk_found is None:
            said.append(rng.choice(risk.follow_ups))
        elif risk_found is None:
            said.append(rng.choice(FINDINGS_STILL_POOR if status == HouseholdStatus.UNEXITED else FINDINGS_EXITED))
        found = solved = follow_up = income = ""
        if rng.random() < 0.2:
            found, solved, follow_up = rng.choice(PROBLEMS)
        if risk_found is not None:
            income = risk_found.income_change
        elif home.falling and day.year == self.today.year:
            income = FALLING_INCOME
        elif status != HouseholdStatus.MONITORED and rng.random() < 0.15:
            income = rng.choice(INCOME_CHANGES)
        if not follow_up and rng.random() < 0.2:
            follow_up = rng.choice(FOLLOW_UPS)
        return {
            "findings": "；".join(said),
            "problems_found": found,
            "problems_solved": solved,
            "income_changes": income,
            "follow_up": follow_up,
        }

    def is_late(self, home: Home, role: str, day: dt.date, logged_on: dt.date) -> bool:
        """As visit_standing judges it when the visit is entered: by the rule for the household's status then."""
        rule = self.rule_for.get((home.status_on(logged_on), role))
        period = rule.period_of(day) if rule is not None else period_of(day, MONTH)
        return logged_on > period.end + dt.timedelta(days=settings.VISIT_LATE_ENTRY_DAYS)

    def working_day(self, first: dt.date, last: dt.date) -> dt.date:
        """A day between the two, weekends a third as likely: cadres visit on Saturdays too, but less."""
        span = (last - first).days
        while True:
            day = first + dt.timedelta(days=self.rng.randint(0, max(0, span)))
            if day.weekday() < 5 or span < 2 or self.rng.random() < 1 / 3:
                return day


# ---------------------------------------------------------------- storing them, and the job's runs


def job_days(today: dt.date) -> list[dt.date]:
    """The 1st and the due-soon day of every month from JOB_FROM to today."""
    days, month = [], JOB_FROM
    while month <= today:
        days += [
            day for day in (month, due_soon_from(period_of(month, MONTH), settings.VISIT_DUE_SOON_DAY)) if day <= today
        ]
        month = period_of(month, MONTH).end + dt.timedelta(days=1)
    return sorted(set(days))


def replay(homes: list[Home], logged: list[Logged], today: dt.date, now: dt.datetime) -> None:
    this_month = period_of(today, MONTH).start
    roles = {rule.pk: rule.visitor_role for rule in VisitRule.objects.all()}
    statuses = Statuses(homes)
    stored = 0
    for day in job_days(today):
        job_at = min(moment(day, JOB_RUNS_AT), now)
        statuses.as_of(day - dt.timedelta(days=1))
        batch = []
        while stored < len(logged) and logged[stored].at < job_at:
            batch.append(logged[stored])
            stored += 1
        store(batch, roles)
        replay_job(day, job_at, read=day < this_month)
    statuses.as_of(today)
    store(logged[stored:], roles)
    visits_flag(on=today)


class Statuses:
    """Walks the households' status forward with their history: the job reads the status they have when it runs."""

    def __init__(self, homes: list[Home]):
        self.homes = homes
        self.current = {home.pk: fold(home.changes) for home in homes}  # as the registry left them: today's

    def as_of(self, day: dt.date) -> None:
        """Give every household the status it had at the end of `day` (today's before its history starts)."""
        moves = defaultdict(list)
        for home in self.homes:
            earlier = [change for change in home.changes if change.on <= day]
            state = fold(earlier) if earlier else self.current[home.pk]
            if state != self.current[home.pk]:
                moves[state].append(home.pk)
                self.current[home.pk] = state
        for (status, kind, exit_year), pks in moves.items():
            Household.objects.filter(pk__in=pks).update(status=status, monitor_kind=kind, exit_year=exit_year)


def store(logged: list[Logged], roles: dict[int, str]) -> None:
    """Insert the visits, dated when they were logged, and let them clear the open flags they answer.

    As visit_log does: a visit that counts (not late) clears the open flags of its
    household and role whose period holds its day, at the moment it is logged;
    the first one logged clears it. The open flags of the batch's households are
    few, so they are matched here rather than by an UPDATE per rule.
    """
    if not logged:
        return
    for entry in logged:
        entry.visit.created_at = entry.visit.received_at = entry.at
    with recorded_as_given(Visit, "created_at"):
        Visit.objects.bulk_create([entry.visit for entry in logged], batch_size=BATCH_SIZE)
    answering = defaultdict(list)
    for entry in logged:
        if not entry.visit.late:
            answering[entry.visit.household_id, entry.visit.role].append(entry)
    cleared = []
    for flag in VisitFlag.objects.open().filter(household__in={household for household, _role in answering}):
        visits = [
            entry
            for entry in answering.get((flag.household_id, roles[flag.rule_id]), ())
            if flag.period_start <= entry.visit.visited_on <= flag.period_end
        ]
        if visits:
            first = min(visits, key=lambda entry: (entry.at, entry.visit.pk))
            flag.cleared_at, flag.cleared_by_id = first.at, first.visit.pk
            cleared.append(flag)
    VisitFlag.objects.bulk_update(cleared, ["cleared_at", "cleared_by"], batch_size=BATCH_SIZE)


def replay_job(day: dt.date, job_at: dt.datetime, *, read: bool) -> None:
    """Run the daily job as of `day`, and date what it raised and sent to when it would have run."""
    last_flag = VisitFlag.objects.aggregate(last=Max("pk"))["last"] or 0
    last_notice = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    visits_flag(on=day)
    VisitFlag.objects.filter(pk__gt=last_flag).update(raised_at=job_at)
    Notification.objects.filter(pk__gt=last_notice).update(
        created_at=job_at, read_at=job_at + NOTICES_READ_AFTER if read else None
    )


def name_assessors(logged: list[Logged]) -> None:
    """The assessments recorded on a visit: its visitor assessed, and they were recorded when it was logged."""
    recorded = {entry.visit.assessment_id: entry for entry in logged if entry.visit.assessment_id}
    assessments = list(Assessment.objects.filter(pk__in=recorded))
    for assessment in assessments:
        entry = recorded[assessment.pk]
        assessment.assessed_by_id, assessment.created_at = entry.visit.visitor_id, entry.at
    Assessment.objects.bulk_update(assessments, ["assessed_by", "created_at"], batch_size=BATCH_SIZE)
