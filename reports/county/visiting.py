"""The visits part of the county: about one visit a month per household, and the flags the daily job left.

Every household with a responsible person is visited about once a month over
the last --visits-months months (the campaign's rhythm, more often than the
quarterly rule asks of exited households), and households still poor by their
contact person as well; some months are missed, more at harvest time, and this
month's visits are only partly logged yet. The flags are the ones the daily job
(visits.services.visits_flag) would have left had it run every day since the
first of those months, judging the periods that lie wholly in them: an overdue
flag for each period of an active rule without a visit, a due-soon flag for this
period's missing visits once the due-soon day has come, and a cleared one where
the visit came after the due-soon day. So the job, run after the seed, finds
nothing to raise, clear or notify (as long as its last period lies wholly in
the months seeded).
"""

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus
from reports.county import plan
from reports.county.shapes import County, Home
from visits.demo import (
    FINDINGS_EXITED,
    FINDINGS_STILL_POOR,
    FOLLOW_UPS,
    HARVEST_MONTHS,
    INCOME_CHANGES,
    JOB_RUNS_AT,
    MET_AT_HOME,
    MET_BY_PHONE,
    POLICIES,
    PROBLEMS,
)
from visits.models import FlagKind, Method, Visit, VisitFlag, VisitRule
from visits.periods import MONTH, Period, due_soon_from, period_of

VISIT_FIELDS = (
    "id", "client_key", "household_id", "visitor_id", "role", "visited_on", "method", "met_with", "findings",
    "problems_found", "problems_solved", "policies_explained", "income_changes", "follow_up", "items_checked",
    "received_at", "created_at",
)  # fmt: skip
FLAG_FIELDS = (
    "household_id", "rule_id", "period_start", "period_end", "visitor_id", "kind", "raised_at", "notified_kind",
    "cleared_at", "cleared_by_id",
)  # fmt: skip
ALL_ITEMS = list(AssessmentItem.values)


def create_visits(county: County) -> None:
    rng, today, now = county.rng("visits"), county.today, county.now
    months = window(today, county.options.visits_months)
    rules = list(VisitRule.objects.filter(active=True))
    flags: list[tuple] = []

    def visits():
        for home in county.homes:
            logged: dict[str, list[tuple[dt.date, int, dt.datetime]]] = {}
            for role, person in (
                (AssignmentRole.RESPONSIBLE, home.responsible_id),
                (AssignmentRole.CONTACT, home.contact_id),
            ):
                if person is None:
                    continue
                logged[role] = []
                for month in months:
                    for day in visit_days(month, home.registered_on, today, rng):
                        row = visit_row(county.writer.next_pk(Visit), home, role, person, day, now, rng)
                        logged[role].append((day, row[0], row[-1]))
                        yield row
            flags.extend(flags_of(home, rules, logged, months[0].start, today, now))

    county.writer.write(Visit, VISIT_FIELDS, visits())
    county.writer.write(VisitFlag, FLAG_FIELDS, flags)


def window(today: dt.date, count: int) -> list[Period]:
    """The last `count` calendar months, this one included."""
    months = [period_of(today, MONTH)]
    while len(months) < count:
        months.insert(0, period_of(months[0].start - dt.timedelta(days=1), MONTH))
    return months


def visit_days(month: Period, registered_on: dt.date, today: dt.date, rng) -> list[dt.date]:
    first = max(month.start, registered_on)
    if first > month.end or first > today:
        return []
    if today in month:
        return [working_day(first, today, rng)] if rng.random() < plan.VISIT_LOGGED_THIS_MONTH else []
    missed = plan.VISIT_MISSED_IN_HARVEST if month.start.month in HARVEST_MONTHS else plan.VISIT_MISSED
    if rng.random() < missed:
        return []
    day = working_day(first, month.end, rng)
    if day < month.end and rng.random() < plan.SECOND_VISIT:
        return [day, working_day(day + dt.timedelta(days=1), month.end, rng)]
    return [day]


def working_day(first: dt.date, last: dt.date, rng) -> dt.date:
    """A day between the two, weekends a third as likely: cadres visit on Saturdays too, but less."""
    span = (last - first).days
    while True:
        day = first + dt.timedelta(days=rng.randint(0, span))
        if day.weekday() < 5 or span < 2 or rng.random() < 1 / 3:
            return day


def visit_row(pk: int, home: Home, role: str, person: int, day: dt.date, now: dt.datetime, rng) -> tuple:
    by_phone = rng.random() < plan.BY_PHONE
    still_poor = home.status == HouseholdStatus.UNEXITED
    found = solved = follow_up = income = ""
    if rng.random() < 0.2:
        found, solved, follow_up = rng.choice(PROBLEMS)
    if rng.random() < 0.15:
        income = rng.choice(INCOME_CHANGES)
    if not follow_up and rng.random() < 0.2:
        follow_up = rng.choice(FOLLOW_UPS)
    checks_items = not by_phone and rng.random() < (0.5 if still_poor else 0.25)
    logged_at = min(moment(day, dt.time(rng.randint(8, 20), rng.randrange(60))), now)
    return (
        pk,
        uuid.UUID(int=rng.getrandbits(128), version=4),
        home.pk,
        person,
        role,
        day,
        Method.PHONE if by_phone else Method.HOME,
        rng.choice(MET_BY_PHONE if by_phone else MET_AT_HOME),
        "；".join(rng.sample(FINDINGS_STILL_POOR if still_poor else FINDINGS_EXITED, rng.randint(1, 2))),
        found,
        solved,
        "；".join(rng.sample(POLICIES, rng.randint(1, 2))),
        income,
        follow_up,
        ALL_ITEMS if checks_items else [],
        logged_at,  # reached the server when it was logged
        logged_at,
    )


def flags_of(home: Home, rules, logged, since: dt.date, today: dt.date, now: dt.datetime) -> list[tuple]:
    """The flags the daily job would have raised for this household's periods that start on or after `since`."""
    flags = []
    for rule in rules:
        if rule.household_status != home.status:
            continue
        person = home.responsible_id if rule.visitor_role == AssignmentRole.RESPONSIBLE else home.contact_id
        visits = logged.get(rule.visitor_role, [])
        period = period_of(since, rule.period)
        if period.start < since:  # begun before the first month seeded: its visits are not all there
            period = period_of(period.end + dt.timedelta(days=1), rule.period)
        while period.start <= today:
            due = due_soon_from(period, settings.VISIT_DUE_SOON_DAY)
            first = min((v for v in visits if v[0] in period), default=None)
            ended = period.end < today
            if period.end >= home.registered_on and (ended or today >= due):
                raised = min(moment(due, JOB_RUNS_AT), now)
                if first is None:
                    kind = FlagKind.OVERDUE if ended else FlagKind.DUE_SOON
                    flags.append((home.pk, rule.pk, period.start, period.end, person, kind, raised, kind, None, None))
                elif first[0] >= due:  # raised as due soon, then cleared by the visit
                    flags.append(
                        (home.pk, rule.pk, period.start, period.end, person, FlagKind.DUE_SOON, raised,
                         FlagKind.DUE_SOON, first[2], first[1])
                    )  # fmt: skip
            period = period_of(period.end + dt.timedelta(days=1), rule.period)
    return flags


def moment(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))
