"""The monthly report: every figure against a count made here in plain Python over what the test built,
the month's edges in the town's calendar, scope, the page, the workbook and the number of queries.

The town is reported for September 2020, the month of that year's acceptance deadline (30 September), so
that milestone flags are raised both due soon and late within it.
"""

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from assistance.models import Instalment, RepaymentMethod
from assistance.tests.factories_programmes import LoanFactory
from audit.models import AuditEvent
from common.spreadsheets import XLSX
from households.choices import AssignmentRole, HouseholdStatus
from households.models import ImportBatch, StatusChange
from households.tests.factories import AssignmentFactory, HouseholdFactory, TownFactory, UserFactory, VillageFactory
from infrastructure.deadlines import Light
from infrastructure.models import FlagKind as MilestoneFlagKind
from infrastructure.models import Milestone, MilestoneFlag, Status
from infrastructure.tests.factories import ProjectFactory, deadlines_for
from reports.monthly import default_month, monthly_report
from visits.models import FlagKind, VisitFlag, VisitorRole, VisitRule
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

TOWN_TZ = ZoneInfo("Asia/Shanghai")
SEPTEMBER = dt.date(2020, 9, 1)
LAST_DAY = dt.date(2020, 9, 30)
OCTOBER = dt.date(2020, 10, 1)
DEADLINES_2020 = {
    Milestone.DECLARED: dt.date(2020, 4, 30),
    Milestone.STARTED: dt.date(2020, 5, 31),
    Milestone.ACCEPTED: dt.date(2020, 9, 30),
}
UNEXITED, EXITED = HouseholdStatus.UNEXITED, HouseholdStatus.EXITED
RESPONSIBLE, CONTACT = AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2020) -> dt.datetime:
    """A moment on the town's clock (Asia/Shanghai), however far from UTC."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOWN_TZ)


START, END = at(9, 1), at(10, 1)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TOWN_TZ).date()


def in_september(day: dt.date) -> bool:
    return SEPTEMBER <= day <= LAST_DAY


def during_september(moment: dt.datetime | None) -> bool:
    return moment is not None and START <= moment < END


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# ---------------------------------------------------------------- the town


@dataclass
class World:
    """Everything the test built, to count from."""

    households: list
    visits: list
    changes: list
    visit_flags: list
    milestone_flags: list
    events: list
    lights: dict  # project -> the light it showed at the end of September, judged by hand
    other_village: object

    def instalments(self):
        return list(Instalment.objects.select_related("loan__household__village"))


def registered(village, **kwargs):
    return HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1), **kwargs)


def change(household, from_status, to_status, on, **kwargs):
    kwargs.setdefault("reason", "核查")
    return StatusChange.objects.create(
        household=household, from_status=from_status, to_status=to_status, changed_on=on, **kwargs
    )


def visit_flag(household, role, period_day, raised_at, cleared_at=None):
    """A flag as the daily job leaves it today: every 2020 period has ended, so it reads overdue."""
    first, last = month_of(period_day)
    rule = VisitRule.objects.get(household_status=household.status, visitor_role=role)
    return VisitFlag.objects.create(
        household=household,
        rule=rule,
        period_start=first,
        period_end=last,
        kind=FlagKind.OVERDUE,
        raised_at=raised_at,
        cleared_at=cleared_at,
    )


def milestone_flag(project, milestone, raised_at, cleared_at=None):
    return MilestoneFlag.objects.create(
        project=project, milestone=milestone, kind=MilestoneFlagKind.LATE, raised_at=raised_at, cleared_at=cleared_at
    )


@dataclass(frozen=True)
class Step:
    """A project step as the test world knows it; stored as a dated step of the audit trail."""

    pk: int
    project: object
    from_status: str
    to_status: str
    happened_on: dt.date
    by: object


def event(project, from_status, to_status, on, by):
    """A dated step of the project, as infrastructure.services.project_advance records it."""
    stored = AuditEvent.objects.create(
        object_type="infrastructure.Project",
        object_id=project.pk,
        object_repr=project.name,
        action=AuditEvent.Action.STATUS_CHANGED if from_status else AuditEvent.Action.CREATED,
        changes={"status": [from_status or None, to_status]},
        effective_on=on,
        actor=by,
    )
    return Step(stored.pk, project, from_status, to_status, on, by)


def loan(household, issued_on, paid=()):
    """A six-month loan repaid in equal monthly instalments; `paid` = (instalment number, paid off on) pairs."""
    made = LoanFactory(
        household=household,
        issued_on=issued_on,
        term_months=6,
        amount=Decimal("6000.00"),
        repayment_method=RepaymentMethod.EQUAL_INSTALMENTS,
    )
    for number, paid_on in paid:
        Instalment.objects.filter(loan=made, number=number).update(paid_on=paid_on, amount_paid=F("amount_due"))
    return made


@pytest.fixture
def world(town, dongfeng, hongqi, helper, official) -> World:
    deadlines_for(2020, *DEADLINES_2020.values())
    other_village = VillageFactory(town=TownFactory(name="新马桥镇", code="340321002"), name="新桥村")
    admin = UserFactory(username="admin", role=Role.ADMIN)
    h1, h2, h3 = registered(dongfeng), registered(dongfeng), registered(hongqi)
    closed = registered(dongfeng, status=HouseholdStatus.CLOSED)
    elsewhere = registered(other_village)
    AssignmentFactory(household=h1, person=helper, role=RESPONSIBLE)

    visits = [
        VisitFactory(household=h1, visitor=helper, role=VisitorRole.RESPONSIBLE, visited_on=SEPTEMBER),
        VisitFactory(household=h1, role=VisitorRole.CONTACT, visited_on=LAST_DAY),
        VisitFactory(household=h2, role=VisitorRole.RESPONSIBLE, visited_on=dt.date(2020, 8, 31)),
        VisitFactory(household=h2, role=VisitorRole.RESPONSIBLE, visited_on=OCTOBER),
        VisitFactory(household=h3, role=VisitorRole.CONTACT, visited_on=dt.date(2020, 9, 15)),
        VisitFactory(household=closed, role=VisitorRole.OTHER, visited_on=dt.date(2020, 9, 16)),
        VisitFactory(household=elsewhere, role=VisitorRole.RESPONSIBLE, visited_on=dt.date(2020, 9, 15)),
    ]

    batch = ImportBatch.objects.create(file="rosters/2020.xlsx", original_name="2020.xlsx", size=1, sha256="0" * 64)
    changes = [
        change(h1, UNEXITED, EXITED, LAST_DAY, changed_by=official, reason="收入和两不愁三保障均已达标"),
        change(closed, UNEXITED, HouseholdStatus.CLOSED, dt.date(2020, 9, 2), changed_by=official, reason="户已消亡"),
        change(h3, UNEXITED, HouseholdStatus.MONITORED, dt.date(2020, 9, 20), changed_by=admin, import_batch=batch),
        change(h2, UNEXITED, EXITED, dt.date(2020, 8, 31), changed_by=official),
        change(h2, EXITED, UNEXITED, OCTOBER, changed_by=official),
        change(elsewhere, UNEXITED, EXITED, dt.date(2020, 9, 10), changed_by=admin),
    ]

    aug, sep, jul, jun = dt.date(2020, 8, 1), SEPTEMBER, dt.date(2020, 7, 1), dt.date(2020, 6, 1)
    visit_flags = [
        visit_flag(h1, RESPONSIBLE, aug, raised_at=at(9, 1, 0, 30)),  # 31 August 16:30 in UTC
        visit_flag(h1, CONTACT, sep, raised_at=at(9, 20, 1), cleared_at=at(9, 30, 23, 59)),
        visit_flag(h2, RESPONSIBLE, sep, raised_at=at(9, 20, 1), cleared_at=at(10, 1)),
        visit_flag(h2, RESPONSIBLE, aug, raised_at=at(8, 31, 23, 59)),
        visit_flag(h3, CONTACT, jul, raised_at=at(8, 1, 1), cleared_at=at(9, 5, 10)),
        visit_flag(h3, RESPONSIBLE, jun, raised_at=at(7, 1, 1), cleared_at=at(8, 15, 10)),
        visit_flag(h2, CONTACT, sep, raised_at=at(10, 1)),
        visit_flag(h2, CONTACT, aug, raised_at=at(8, 20, 1)),
        visit_flag(h3, RESPONSIBLE, sep, raised_at=at(9, 30, 23, 59)),
        visit_flag(elsewhere, RESPONSIBLE, sep, raised_at=at(9, 20, 1)),
    ]

    loan(h1, dt.date(2020, 6, 15), paid=[(1, dt.date(2020, 7, 15)), (3, dt.date(2020, 10, 3))])  # 8-15 unpaid
    loan(h3, dt.date(2020, 8, 30), paid=[(1, LAST_DAY)])
    loan(h2, dt.date(2020, 7, 31))  # due 31 August and 30 September, neither paid
    loan(elsewhere, dt.date(2020, 8, 15))

    D, S, C, A = Milestone.DECLARED, Milestone.STARTED, Milestone.COMPLETED, Milestone.ACCEPTED
    d = dt.date
    done_late = ProjectFactory(
        village=dongfeng, reached={D: d(2020, 4, 20), S: d(2020, 6, 10), C: d(2020, 8, 20), A: d(2020, 9, 25)}
    )
    declared_late = ProjectFactory(village=hongqi, reached={D: d(2020, 9, 20)})
    done = ProjectFactory(
        village=dongfeng, reached={D: d(2020, 4, 1), S: d(2020, 5, 1), C: d(2020, 9, 1), A: d(2020, 9, 25)}
    )
    old_open = ProjectFactory(village=dongfeng, year=2019)
    old_done = ProjectFactory(
        village=hongqi, year=2019, reached={D: d(2019, 4, 1), S: d(2019, 5, 1), C: d(2019, 8, 1), A: d(2019, 9, 1)}
    )
    cancelled_later = ProjectFactory(
        village=dongfeng,
        reached={D: d(2020, 4, 1)},
        status=Status.CANCELLED,
        cancelled_on=d(2020, 10, 5),
        cancel_reason="资金未到位",
    )
    accepted_later = ProjectFactory(
        village=dongfeng, reached={D: d(2020, 4, 10), S: d(2020, 5, 20), C: d(2020, 9, 10), A: d(2020, 10, 10)}
    )
    next_year = ProjectFactory(village=dongfeng, year=2021)
    planned = ProjectFactory(village=hongqi)
    planned_elsewhere = ProjectFactory(village=other_village)
    lights = {
        done_late: Light.DONE_LATE,  # started after 31 May
        declared_late: Light.LATE,
        done: Light.DONE,
        old_open: Light.NO_DEADLINE,  # 2019 has no deadlines
        cancelled_later: Light.LATE,  # cancelled only in October: at the end of September it was late
        accepted_later: Light.LATE,  # accepted only in October
        planned: Light.LATE,
        planned_elsewhere: Light.LATE,
        # old_done (accepted in 2019) and next_year (2021) are not in September's lights
    }
    assert old_done not in lights
    assert next_year not in lights

    milestone_flags = [
        milestone_flag(done_late, S, raised_at=at(6, 1, 1, 30), cleared_at=at(6, 10, 10)),
        milestone_flag(done_late, A, raised_at=at(9, 16, 1, 30), cleared_at=at(9, 25, 10)),  # due soon both times
        milestone_flag(declared_late, D, raised_at=at(9, 5, 1, 30), cleared_at=at(9, 20, 10)),
        milestone_flag(declared_late, S, raised_at=at(9, 5, 1, 30)),
        milestone_flag(declared_late, A, raised_at=at(9, 16, 1, 30)),
        milestone_flag(cancelled_later, S, raised_at=at(6, 1, 1, 30), cleared_at=at(10, 5, 10)),
        milestone_flag(cancelled_later, A, raised_at=at(9, 30, 23, 59), cleared_at=at(10, 5, 10)),
        milestone_flag(planned, D, raised_at=at(10, 1)),
        milestone_flag(planned, S, raised_at=at(6, 1, 1, 30)),
        milestone_flag(planned_elsewhere, D, raised_at=at(9, 5, 1, 30)),
    ]
    events = [
        event(done_late, Status.COMPLETED, Status.ACCEPTED, d(2020, 9, 25), official),
        event(done_late, Status.UNDER_CONSTRUCTION, Status.COMPLETED, d(2020, 8, 20), official),
        event(declared_late, "", Status.PLANNED, SEPTEMBER, official),
        event(declared_late, Status.PLANNED, Status.DECLARED, d(2020, 9, 20), official),
        event(done, Status.COMPLETED, Status.ACCEPTED, LAST_DAY, official),
        event(cancelled_later, Status.DECLARED, Status.CANCELLED, d(2020, 10, 5), official),
        event(accepted_later, Status.UNDER_CONSTRUCTION, Status.COMPLETED, d(2020, 9, 10), official),
        event(accepted_later, Status.COMPLETED, Status.ACCEPTED, d(2020, 10, 10), official),
        event(planned_elsewhere, "", Status.PLANNED, d(2020, 9, 30), admin),
    ]
    return World(
        households=[h1, h2, h3, closed, elsewhere],
        visits=visits,
        changes=changes,
        visit_flags=visit_flags,
        milestone_flags=milestone_flags,
        events=events,
        lights=lights,
        other_village=other_village,
    )


# ---------------------------------------------------------------- counted here, in plain Python


def figures(report) -> dict:
    """The report's figures, in the shape `expected` counts them."""
    return {
        "compliance": {row.label: (row.required, row.done) for row in report.compliance},
        "compliance total": (report.compliance_total.required, report.compliance_total.done),
        "visits": {row.village: row.count for row in report.visits},
        "visits total": report.visits_total,
        "status pairs": {(pair.from_status, pair.to_status): pair.count for pair in report.status_pairs},
        "status changes": [(c.household_number, c.changed_on, c.to_status) for c in report.status_changes],
        "visit flags": {
            (row.village, row.kind): (row.raised, row.cleared, row.open_at_end) for row in report.visit_flags
        },
        "visit flag totals": {row.kind: (row.raised, row.cleared, row.open_at_end) for row in report.visit_flag_totals},
        "instalments": {
            row.village: (row.due, row.due_amount, row.paid, row.overdue, row.overdue_amount)
            for row in report.instalments
        },
        "milestone flags": {(row.village, row.kind): (row.raised, row.cleared) for row in report.milestone_flags},
        "milestone flag totals": {row.kind: (row.raised, row.cleared) for row in report.milestone_flag_totals},
        "project steps": {step.to_status: step.count for step in report.project_steps},
        "project events": [(e.project, e.to_status, e.happened_on) for e in report.project_events],
        "lights": {row.light: row.count for row in report.lights if row.count},
    }


def expected(world: World, *, households, villages) -> dict:
    """Every figure of September's report for a user who sees `households` and the projects of `villages`."""
    seen = [h for h in world.households if h in households]
    rules = {(rule.household_status, rule.visitor_role) for rule in VisitRule.objects.filter(active=True)}
    required, done = Counter(), Counter()
    for household in seen:
        for status, role in rules:
            if status == household.status:
                required[household.village.name] += 1
                done[household.village.name] += any(
                    v.household == household and v.role == role and in_september(v.visited_on) for v in world.visits
                )
    visits = Counter(
        v.household.village.name for v in world.visits if v.household in seen and in_september(v.visited_on)
    )
    changes = sorted(
        (c for c in world.changes if c.household in seen and in_september(c.changed_on)),
        key=lambda c: (c.changed_on, c.household.number, c.pk),
    )

    def flag_kind(flag, day):  # overdue from the day after the flag's period ends
        return FlagKind.OVERDUE if day > flag.period_end else FlagKind.DUE_SOON

    raised, cleared, still_open = Counter(), Counter(), Counter()
    for flag in (f for f in world.visit_flags if f.household in seen):
        village = flag.household.village.name
        if during_september(flag.raised_at):
            raised[village, flag_kind(flag, local_day(flag.raised_at))] += 1
        if during_september(flag.cleared_at):
            cleared[village, flag_kind(flag, local_day(flag.cleared_at))] += 1
        if flag.raised_at < END and (flag.cleared_at is None or flag.cleared_at >= END):
            still_open[village, flag_kind(flag, OCTOBER)] += 1
    flag_keys = set(raised) | set(cleared) | set(still_open)

    instalments = {}
    for i in (i for i in world.instalments() if i.loan.household in seen):
        due = in_september(i.due_date)
        overdue = i.due_date <= LAST_DAY and (i.paid_on is None or i.paid_on > LAST_DAY)
        if due or overdue:
            row = instalments.setdefault(i.loan.household.village.name, [0, Decimal("0"), 0, 0, Decimal("0")])
            row[0] += due
            row[1] += i.amount_due if due else 0
            row[2] += due and i.paid_on is not None and i.paid_on <= LAST_DAY
            row[3] += overdue
            row[4] += i.amount_due if overdue else 0

    def late(flag, moment):
        return local_day(moment) > DEADLINES_2020[flag.milestone]

    m_raised, m_cleared = Counter(), Counter()
    for flag in (f for f in world.milestone_flags if f.project.village in villages):
        village = flag.project.village.name
        if during_september(flag.raised_at):
            m_raised[village, MilestoneFlagKind.LATE if late(flag, flag.raised_at) else FlagKind.DUE_SOON] += 1
        if during_september(flag.cleared_at):
            m_cleared[village, MilestoneFlagKind.LATE if late(flag, flag.cleared_at) else FlagKind.DUE_SOON] += 1

    events = sorted(
        (e for e in world.events if e.project.village in villages and in_september(e.happened_on)),
        key=lambda e: (e.happened_on, e.project.village.name, e.project.name, e.pk),
    )
    return {
        "compliance": {village: (required[village], done[village]) for village in required},
        "compliance total": (sum(required.values()), sum(done.values())),
        "visits": dict(visits),
        "visits total": sum(visits.values()),
        "status pairs": dict(Counter((c.from_status, c.to_status) for c in changes)),
        "status changes": [(c.household.number, c.changed_on, c.to_status) for c in changes],
        "visit flags": {key: (raised[key], cleared[key], still_open[key]) for key in flag_keys},
        "visit flag totals": {
            kind: tuple(
                sum(n for (_, k), n in counter.items() if k == kind) for counter in (raised, cleared, still_open)
            )
            for kind in (FlagKind.OVERDUE, FlagKind.DUE_SOON)
        },
        "instalments": {village: tuple(row) for village, row in instalments.items()},
        "milestone flags": {key: (m_raised[key], m_cleared[key]) for key in set(m_raised) | set(m_cleared)},
        "milestone flag totals": {
            kind: tuple(sum(n for (_, k), n in counter.items() if k == kind) for counter in (m_raised, m_cleared))
            for kind in (MilestoneFlagKind.LATE, FlagKind.DUE_SOON)
        },
        "project steps": dict(Counter(e.to_status for e in events)),
        "project events": [(e.project.name, e.to_status, e.happened_on) for e in events],
        "lights": dict(Counter(light for project, light in world.lights.items() if project.village in villages)),
    }


# ---------------------------------------------------------------- every figure, in every scope


def test_the_officials_report_counts_every_figure_of_their_town(world, official, dongfeng, hongqi):
    town = [h for h in world.households if h.village != world.other_village]
    report = monthly_report(user=official, month=SEPTEMBER)
    assert figures(report) == expected(world, households=town, villages=[dongfeng, hongqi])


def test_the_town_sample_exercises_every_figure(world, dongfeng, hongqi):
    """The sample tells a right report from a wrong one: worked out by hand, no figure is trivially zero."""
    numbers = expected(world, households=world.households[:4], villages=[dongfeng, hongqi])
    assert numbers["compliance total"] == (6, 3)
    assert numbers["visit flag totals"] == {FlagKind.OVERDUE: (1, 1, 5), FlagKind.DUE_SOON: (3, 1, 0)}
    assert numbers["milestone flag totals"] == {MilestoneFlagKind.LATE: (2, 1), FlagKind.DUE_SOON: (3, 1)}
    due_paid_overdue = {village: (row[0], row[2], row[3]) for village, row in numbers["instalments"].items()}
    assert due_paid_overdue == {"东风村": (2, 0, 4), "红旗村": (1, 1, 0)}
    assert numbers["lights"] == {Light.LATE: 4, Light.DONE_LATE: 1, Light.DONE: 1, Light.NO_DEADLINE: 1}
    assert numbers["project steps"] == {Status.ACCEPTED: 2, Status.PLANNED: 1, Status.DECLARED: 1, Status.COMPLETED: 1}


def test_a_cadres_report_has_only_their_village(world, alice, dongfeng):
    report = monthly_report(user=alice, month=SEPTEMBER)
    mine = [h for h in world.households if h.village == dongfeng]
    assert figures(report) == expected(world, households=mine, villages=[dongfeng])
    villages = {row.village for row in (*report.visits, *report.visit_flags, *report.instalments)}
    assert villages == {"东风村"}
    assert [row.label for row in report.compliance] == ["东风村"]


def test_a_responsible_persons_report_has_only_their_households(world, helper, dongfeng):
    report = monthly_report(user=helper, month=SEPTEMBER)
    (assigned,) = [h for h in world.households if h.assignments.filter(person=helper).exists()]
    # Projects belong to villages: a responsible person reads those of the villages of their households.
    assert figures(report) == expected(world, households=[assigned], villages=[dongfeng])


def test_an_administrators_report_covers_every_town(world, dongfeng, hongqi):
    admin = UserFactory(role=Role.ADMIN)
    report = monthly_report(user=admin, month=SEPTEMBER)
    assert figures(report) == expected(
        world, households=world.households, villages=[dongfeng, hongqi, world.other_village]
    )
    assert "新桥村" in {row.village for row in report.visits}


def test_an_outsiders_report_is_empty(world, charlie):
    report = monthly_report(user=charlie, month=SEPTEMBER)
    assert figures(report) == expected(world, households=[], villages=[])
    assert report.compliance_total.required == report.visits_total == report.projects_total == 0
    assert report.status_changes == report.visit_flags == report.instalments == report.project_events == ()


# ---------------------------------------------------------------- the month's edges


def test_the_last_minute_of_the_month_is_in_and_midnight_after_it_is_out(official, town, dongfeng, hongqi):
    first_minute = visit_flag(registered(dongfeng), RESPONSIBLE, SEPTEMBER, raised_at=at(9, 1))
    last_minute = visit_flag(registered(hongqi), RESPONSIBLE, SEPTEMBER, raised_at=at(9, 30, 23, 59))
    midnight = visit_flag(registered(VillageFactory(town=town)), CONTACT, SEPTEMBER, raised_at=at(10, 1))
    # In UTC the first minute of September is still 31 August, and midnight after it still 30 September.
    assert first_minute.raised_at.astimezone(dt.UTC).date() == dt.date(2020, 8, 31)
    assert midnight.raised_at.astimezone(dt.UTC).date() == last_minute.raised_at.astimezone(dt.UTC).date()

    report = monthly_report(user=official, month=SEPTEMBER)

    assert {row.village for row in report.visit_flags if row.raised} == {"东风村", "红旗村"}


def test_a_flag_cleared_at_midnight_after_the_month_is_still_open_at_its_end(official, dongfeng):
    household = registered(dongfeng)
    visit_flag(household, RESPONSIBLE, SEPTEMBER, raised_at=at(9, 20, 1), cleared_at=at(9, 30, 23, 59))
    visit_flag(household, CONTACT, SEPTEMBER, raised_at=at(9, 20, 1), cleared_at=at(10, 1))

    report = monthly_report(user=official, month=SEPTEMBER)

    lines = {row.kind: (row.raised, row.cleared, row.open_at_end) for row in report.visit_flags}
    # both raised due soon; one cleared in time, the other open when September ended, and overdue by then
    assert lines == {FlagKind.DUE_SOON: (2, 1, 0), FlagKind.OVERDUE: (0, 0, 1)}


def test_dates_on_the_last_day_are_in_and_on_the_first_of_next_month_out(official, dongfeng):
    household = registered(dongfeng)
    VisitFactory(household=household, visited_on=LAST_DAY)
    VisitFactory(household=household, visited_on=OCTOBER)
    VisitFactory(household=household, visited_on=dt.date(2020, 8, 31))
    change(household, UNEXITED, EXITED, LAST_DAY)
    change(household, EXITED, UNEXITED, OCTOBER)

    report = monthly_report(user=official, month=SEPTEMBER)

    assert report.visits_total == 1
    assert [c.changed_on for c in report.status_changes] == [LAST_DAY]


def test_a_flag_raised_due_soon_counts_as_due_soon_although_it_reads_overdue_today(official, dongfeng):
    household = registered(dongfeng)
    flag = visit_flag(household, RESPONSIBLE, SEPTEMBER, raised_at=at(9, 20, 1))
    assert flag.kind == FlagKind.OVERDUE  # escalated on 1 October
    lines = {row.kind: row.raised for row in monthly_report(user=official, month=SEPTEMBER).visit_flags}
    assert lines == {FlagKind.DUE_SOON: 1, FlagKind.OVERDUE: 0}  # and overdue at the month's end, still open


def test_a_past_months_lights_leave_out_what_happened_after_it(official, dongfeng):
    deadlines_for(2020, *DEADLINES_2020.values())
    D, S, C, A = Milestone.DECLARED, Milestone.STARTED, Milestone.COMPLETED, Milestone.ACCEPTED
    ProjectFactory(
        village=dongfeng,
        reached={D: dt.date(2020, 4, 1), S: dt.date(2020, 5, 1), C: dt.date(2020, 9, 1), A: dt.date(2020, 10, 2)},
    )
    lights = {row.light: row.count for row in monthly_report(user=official, month=SEPTEMBER).lights if row.count}
    later = {row.light: row.count for row in monthly_report(user=official, month=OCTOBER).lights if row.count}
    assert lights == {Light.LATE: 1}
    assert later == {Light.DONE_LATE: 1}


# ---------------------------------------------------------------- the month shown


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (dt.date(2026, 3, 1), dt.date(2026, 2, 1)),
        (dt.date(2026, 3, 5), dt.date(2026, 2, 1)),
        (dt.date(2026, 3, 6), dt.date(2026, 3, 1)),
        (dt.date(2026, 3, 31), dt.date(2026, 3, 1)),
        (dt.date(2026, 1, 3), dt.date(2025, 12, 1)),
    ],
)
def test_the_default_month_is_last_month_in_the_first_five_days_else_this_month(today, month):
    assert default_month(today) == month


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_opens_on_the_default_month(client, official):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"))
    assert response.status_code == 200
    assert response.context["month"] == default_month(timezone.localdate())


def test_this_month_is_reported_so_far(client, official):
    english(client).force_login(official)
    today = timezone.localdate()
    response = client.get(reverse("reports:monthly"), {"month": f"{today:%Y-%m}"})
    report = response.context["report"]
    assert (report.so_far, report.until) == (True, today)
    assert f"so far, up to {today:%Y-%m-%d}" in response.text


def test_a_past_month_is_not_so_far(client, official):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"), {"month": "2020-09"})
    assert (response.context["report"].so_far, response.context["report"].until) == (False, LAST_DAY)
    assert "so far" not in response.text


@pytest.mark.parametrize("value", ["2020-13", "September", "2020-09-01", "<b>x</b>"])
def test_a_bad_month_falls_back_to_the_default_and_says_so(client, official, value):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"), {"month": value})
    assert response.status_code == 200
    assert response.context["month"] == default_month(timezone.localdate())
    assert response.context["report"] is not None
    assert "is not a month written YYYY-MM" in response.text
    assert "<b>x</b>" not in response.text


def test_a_month_before_the_registry_gives_a_message_not_a_report(client, official):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"), {"month": "2012-12"})
    assert response.status_code == 200
    assert response.context.get("report") is None
    assert "the registry starts in 2013-01" in response.text


@pytest.mark.parametrize("value", ["0001-01", "9999-12"])
def test_the_first_and_last_months_of_the_calendar_give_a_message(client, official, value):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"), {"month": value})
    assert response.status_code == 200
    assert response.context.get("report") is None


def test_a_future_month_gives_a_message_and_no_workbook(client, official):
    english(client).force_login(official)
    future = timezone.localdate().replace(day=1) + dt.timedelta(days=40)
    response = client.get(reverse("reports:monthly"), {"month": f"{future:%Y-%m}", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "the month has not begun" in response.text


def test_the_page_links_each_figure_to_its_list(client, world, official, dongfeng):
    english(client).force_login(official)
    response = client.get(reverse("reports:monthly"), {"month": "2020-09"})
    page = response.text
    assert f"{reverse('visits:compliance')}?month=2020-09" in page
    assert f"{reverse('visits:list')}?month=2020-09" in page
    assert reverse("households:detail", args=[world.changes[0].household.pk]) in page
    assert reverse("infrastructure:detail", args=[world.events[0].project.pk]) in page
    assert "roster import" in page
    # What stood open at the end of a past month is no list any more: only this month's figures link to one.
    assert reverse("visits:flags") + "?" not in page
    assert reverse("assistance:instalment-list") + "?" not in page
    assert 'href="?month=2020-08"' in page
    assert 'href="?month=2020-10"' in page
    assert 'href="?month=2020-09&amp;format=xlsx"' in page


def test_this_months_open_flags_link_to_the_live_lists(client, official, dongfeng):
    household = registered(dongfeng)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    visit_flag(household, RESPONSIBLE, last_month, raised_at=timezone.now())
    loan(household, last_month - dt.timedelta(days=31))
    english(client).force_login(official)
    page = client.get(reverse("reports:monthly"), {"month": f"{today:%Y-%m}"}).text
    assert f"{reverse('visits:flags')}?kind=overdue&amp;village={dongfeng.pk}" in page
    assert f"{reverse('assistance:instalment-list')}?flag=overdue&amp;village={dongfeng.pk}" in page


def test_the_page_shows_only_the_cadres_village(client, world, alice):
    client.force_login(alice)
    page = client.get(reverse("reports:monthly"), {"month": "2020-09"}).text
    assert "东风村" in page
    assert "红旗村" not in page
    assert "新桥村" not in page


def test_an_outsider_sees_an_empty_report(client, world, charlie):
    client.force_login(charlie)
    response = client.get(reverse("reports:monthly"), {"month": "2020-09"})
    assert response.status_code == 200
    assert figures(response.context["report"]) == expected(world, households=[], villages=[])


def test_the_page_needs_a_login(client):
    response = client.get(reverse("reports:monthly"))
    assert response.status_code == 302


# ---------------------------------------------------------------- the workbook


def workbook(client, **params):
    response = client.get(reverse("reports:monthly"), {"month": "2020-09", "format": "xlsx", **params})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return response, openpyxl.load_workbook(io.BytesIO(response.content))


def en(label) -> str:
    with translation.override("en"):
        return str(label)


def rows_of(sheet) -> list[dict]:
    headers, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(headers, row, strict=True)) for row in rows]


SHEETS = [
    "Monthly report",
    "Visit compliance",
    "Visits logged",
    "Status changes by type",
    "Status changes",
    "Visit flags",
    "Loan instalments",
    "Milestone flags",
    "Project steps",
    "Traffic lights",
]


def test_the_workbook_has_a_sheet_per_table_named_for_the_month(client, world, official):
    client.force_login(official)
    response, book = workbook(client, lang="en")
    assert 'filename="monthly-report-2020-09.xlsx"' in response["Content-Disposition"]
    assert book.sheetnames == SHEETS


def test_the_workbook_holds_the_reports_figures_as_numbers(client, world, official, dongfeng, hongqi):
    client.force_login(official)
    _, book = workbook(client, lang="en")
    town = [h for h in world.households if h.village != world.other_village]
    numbers = expected(world, households=town, villages=[dongfeng, hongqi])

    compliance = {row["Village"]: (row["Required"], row["Done"]) for row in rows_of(book["Visit compliance"])}
    assert compliance == {**numbers["compliance"], "Total": numbers["compliance total"]}
    assert {row["Village"]: row["Visits"] for row in rows_of(book["Visits logged"])} == numbers["visits"]
    changes = [(number, day, en(HouseholdStatus(status).label)) for number, day, status in numbers["status changes"]]
    assert [(r["Household number"], r["Date"].date(), r["To"]) for r in rows_of(book["Status changes"])] == changes
    flags = {
        (row["Village"], row["Flag"]): (row["Raised"], row["Cleared"], row["Open at month end"])
        for row in rows_of(book["Visit flags"])
    }
    assert flags == {
        **{(village, en(FlagKind(kind).label)): counts for (village, kind), counts in numbers["visit flags"].items()},
        **{("Total", en(FlagKind(kind).label)): counts for kind, counts in numbers["visit flag totals"].items()},
    }
    instalments = rows_of(book["Loan instalments"])
    for row in instalments:
        assert isinstance(row["Instalments due in the month"], int)
        assert isinstance(row["Amount due (yuan)"], int | float)
    by_village = {row["Village"]: row for row in instalments}
    for village, (due, due_amount, paid, overdue, overdue_amount) in numbers["instalments"].items():
        row = by_village[village]
        assert (row["Instalments due in the month"], row["Paid off"], row["Overdue at month end"]) == (
            due,
            paid,
            overdue,
        )
        assert Decimal(str(row["Amount due (yuan)"])) == due_amount
        assert Decimal(str(row["Amount overdue (yuan)"])) == overdue_amount
    lights = {row["Light"]: row["Projects"] for row in rows_of(book["Traffic lights"]) if row["Projects"]}
    assert lights == {en(Light(light).label): count for light, count in numbers["lights"].items()}
    (cover,) = rows_of(book["Monthly report"])
    assert (cover["Month"], cover["Counted until"]) == ("2020-09", dt.datetime(2020, 9, 30))


def test_the_workbook_headers_are_chinese_by_default(client, world, official):
    english(client).force_login(official)  # the page's language does not choose the workbook's
    _, book = workbook(client)
    headers = next(book.worksheets[4].iter_rows(values_only=True))
    assert list(headers) == ["户编号", "行政村", "原状态", "新状态", "日期", "原因", "变更人", "花名册导入"]
    assert "走访完成率" in book.sheetnames


def test_the_workbook_headers_are_english_on_request(client, world, official):
    client.force_login(official)
    _, book = workbook(client, lang="en")
    headers = next(book["Status changes"].iter_rows(values_only=True))
    assert list(headers) == [
        "Household number",
        "Village",
        "From",
        "To",
        "Date",
        "Reason",
        "Changed by",
        "Roster import",
    ]


def test_a_formula_like_reason_is_written_as_text(client, official, dongfeng):
    change(registered(dongfeng), UNEXITED, EXITED, LAST_DAY, reason='=HYPERLINK("http://x")')
    client.force_login(official)
    _, book = workbook(client, lang="en")
    (row,) = rows_of(book["Status changes"])
    assert row["Reason"] == '\'=HYPERLINK("http://x")'


def test_a_cadres_workbook_has_only_their_village(client, world, alice):
    client.force_login(alice)
    _, book = workbook(client, lang="en")
    villages = {
        row["Village"] for name in ("Visits logged", "Status changes", "Visit flags") for row in rows_of(book[name])
    }
    assert villages - {"Total"} == {"东风村"}


# ---------------------------------------------------------------- queries


def one_of_each(village, official, number: int):
    """A household with a row in every section, and a project with a step and a flag, in `village`."""
    household = registered(village)
    VisitFactory(household=household, visited_on=dt.date(2020, 9, 10))
    change(household, UNEXITED, EXITED, dt.date(2020, 9, 11), changed_by=official)
    visit_flag(household, RESPONSIBLE, SEPTEMBER, raised_at=at(9, 20, 1))
    loan(household, dt.date(2020, 8, 15))
    project = ProjectFactory(village=village, name=f"道路{number}")
    event(project, "", Status.PLANNED, dt.date(2020, 9, 12), official)
    milestone_flag(project, Milestone.ACCEPTED, raised_at=at(9, 16, 1))


@pytest.mark.parametrize("params", [{}, {"format": "xlsx"}])
def test_the_report_runs_a_fixed_number_of_queries(
    client, official, dongfeng, hongqi, django_assert_num_queries, params
):
    one_of_each(dongfeng, official, 0)
    client.force_login(official)
    query = {"month": "2020-09", **params}
    client.get(reverse("reports:monthly"), query)
    # 1 session, 2 user, 3 visit rules, 4-7 compliance by village (one per active rule), 8 deadlines,
    # 9 status changes with household, village and who, 10 project steps with project, village and who,
    # 11 visits by village, 12 visit flags by village, 13 instalments by village, 14 milestone flags by
    # village, 15 projects for the lights; the workbook adds 16 the access log's row for the download
    queries = 16 if params else 15
    with django_assert_num_queries(queries):
        client.get(reverse("reports:monthly"), query)
    for number in range(1, 4):
        one_of_each(dongfeng, official, number)
        one_of_each(hongqi, official, 10 + number)
    with django_assert_num_queries(queries):
        response = client.get(reverse("reports:monthly"), query)
    if not params:
        assert len(response.context["report"].status_changes) == 7


def test_a_cadres_report_adds_one_query_for_their_villages(
    client, alice, dongfeng, official, django_assert_num_queries
):
    one_of_each(dongfeng, official, 0)
    client.force_login(alice)
    client.get(reverse("reports:monthly"), {"month": "2020-09"})
    # the official's 15, and 16 the cadre's villages
    with django_assert_num_queries(16):
        client.get(reverse("reports:monthly"), {"month": "2020-09"})
