"""The monthly report for the town: visits, status changes, flags and infrastructure over one calendar month.

Every figure is read through the scoping choke point (`visible_to`), so an
official's report covers their town, a cadre's their village(s), a responsible
person's the households assigned to them and an administrator's everything.
The number of queries is fixed whatever the size of the data: one aggregate or
one list per section, plus visits.selectors.compliance (one per active rule).

A month is a calendar month in the town's calendar (Asia/Shanghai): date
columns are compared with its first and last day, datetime columns with local
midnight at the start of the month and of the next one. A month still running
is reported so far, up to today.

Flags change kind in place: a visit flag due soon becomes overdue once its
period has ended, a milestone flag due soon becomes late after its deadline.
The kind on the row says where a flag stands now, which for a past month is
not where it stood then, so the report reckons each flag's kind at the moment
that counts: when it was raised, when it was cleared, or at the month's end.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from assistance.models import Instalment
from households.choices import HouseholdStatus
from households.models import FIRST_REGISTRY_YEAR, StatusChange
from infrastructure import selectors as infrastructure_selectors
from infrastructure.deadlines import Deadlines, Light, load_deadlines, milestone_states, project_light
from infrastructure.models import MILESTONE_DATE_FIELDS, PROGRESSION, MilestoneFlag, Project, Status
from infrastructure.models import FlagKind as MilestoneFlagKind
from visits.models import FlagKind as VisitFlagKind
from visits.models import Visit, VisitFlag
from visits.periods import MONTH, period_of
from visits.selectors import compliance

FIRST_MONTH = dt.date(FIRST_REGISTRY_YEAR, 1, 1)
# Until this day of a month, the report opens on last month: it is being finished and sent on.
LAST_MONTH_UNTIL_DAY = 5
ONE_DAY = dt.timedelta(days=1)
ZERO = Decimal("0.00")
NEVER = Q(pk__isnull=True)  # a condition no row meets that still compiles (an empty OR would match every row)

KIND_LABELS = {
    VisitFlagKind.OVERDUE: VisitFlagKind.OVERDUE.label,
    VisitFlagKind.DUE_SOON: VisitFlagKind.DUE_SOON.label,
    MilestoneFlagKind.LATE: MilestoneFlagKind.LATE.label,
}


# ---------------------------------------------------------------- months


def default_month(today: dt.date) -> dt.date:
    """Last month during the first days of a month, while its report is being finished; else this month so far."""
    first = today.replace(day=1)
    return previous_month(first) if today.day <= LAST_MONTH_UNTIL_DAY else first


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - ONE_DAY).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return period_of(month, MONTH).end + ONE_DAY


def parse_month(value: str) -> dt.date | None:
    """The first day of a month written YYYY-MM, or None."""
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


def is_reportable(month: dt.date, today: dt.date) -> bool:
    """From the registry's first year up to this month: earlier has no data, later has not happened."""
    return FIRST_MONTH <= month <= today.replace(day=1)


def _midnight(day: dt.date) -> dt.datetime:
    """Local midnight at the start of a day in the town's calendar."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


# ---------------------------------------------------------------- the report's rows


@dataclass(frozen=True)
class Compliance:
    label: str
    required: int
    done: int

    @property
    def rate(self) -> float | None:
        return self.done / self.required if self.required else None


@dataclass(frozen=True)
class VillageCount:
    village_id: int
    village: str
    count: int


def _status_label(status: str) -> str:
    return HouseholdStatus(status).label if status in HouseholdStatus.values else "—"


@dataclass(frozen=True)
class StatusPair:
    from_status: str
    to_status: str
    count: int

    @property
    def from_label(self):
        return _status_label(self.from_status)

    @property
    def to_label(self):
        return _status_label(self.to_status)


@dataclass(frozen=True)
class StatusChangeLine:
    household_id: int
    household_number: str
    village: str
    from_status: str
    to_status: str
    changed_on: dt.date
    reason: str
    changed_by: str
    import_batch_id: int | None

    @property
    def from_label(self):
        return _status_label(self.from_status)

    @property
    def to_label(self):
        return _status_label(self.to_status)


@dataclass(frozen=True)
class FlagLine:
    """Flags of one kind in one village (village_id None for the total): raised, cleared and open at month end."""

    village_id: int | None
    village: str
    kind: str
    raised: int
    cleared: int
    open_at_end: int | None = None  # milestone flags: their lights say where projects stand at month end

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class InstalmentLine:
    """Loan instalments of one village (village_id None for the total): due in the month, and overdue at its end."""

    village_id: int | None
    village: str
    due: int
    due_amount: Decimal
    paid: int  # of those due in the month, paid off by its end (so far)
    overdue: int
    overdue_amount: Decimal


@dataclass(frozen=True)
class ProjectStep:
    to_status: str
    count: int

    @property
    def to_label(self):
        return Status(self.to_status).label


@dataclass(frozen=True)
class ProjectEventLine:
    project_id: int
    project: str
    village: str
    year: int
    from_status: str
    to_status: str
    happened_on: dt.date
    reason: str
    by: str

    @property
    def from_label(self):
        return Status(self.from_status).label if self.from_status else "—"

    @property
    def to_label(self):
        return Status(self.to_status).label


@dataclass(frozen=True)
class LightCount:
    light: str
    count: int

    @property
    def label(self):
        return Light(self.light).label

    @property
    def css(self) -> str:
        return Light(self.light).css

    @property
    def icon(self) -> str:
        return Light(self.light).icon


@dataclass(frozen=True)
class MonthlyReport:
    """One month's figures for the households and projects a user may see, as plain data."""

    month: dt.date  # its first day
    until: dt.date  # the last day counted: the month's last day, or today while the month runs
    so_far: bool  # the month is still running: figures up to today, and "at month end" means now
    compliance: tuple[Compliance, ...]
    compliance_total: Compliance
    visits: tuple[VillageCount, ...]
    status_pairs: tuple[StatusPair, ...]
    status_changes: tuple[StatusChangeLine, ...]
    visit_flags: tuple[FlagLine, ...]
    instalments: tuple[InstalmentLine, ...]
    milestone_flags: tuple[FlagLine, ...]
    project_steps: tuple[ProjectStep, ...]
    project_events: tuple[ProjectEventLine, ...]
    lights: tuple[LightCount, ...]

    @property
    def last_day(self) -> dt.date:
        return period_of(self.month, MONTH).end

    @property
    def visits_total(self) -> int:
        return sum(row.count for row in self.visits)

    @property
    def visit_flag_totals(self) -> tuple[FlagLine, ...]:
        return _flag_totals(self.visit_flags, (VisitFlagKind.OVERDUE, VisitFlagKind.DUE_SOON), with_open=True)

    @property
    def milestone_flag_totals(self) -> tuple[FlagLine, ...]:
        return _flag_totals(self.milestone_flags, (MilestoneFlagKind.LATE, MilestoneFlagKind.DUE_SOON))

    @property
    def instalments_total(self) -> InstalmentLine:
        rows = self.instalments
        return InstalmentLine(
            village_id=None,
            village="",
            due=sum(row.due for row in rows),
            due_amount=sum((row.due_amount for row in rows), ZERO),
            paid=sum(row.paid for row in rows),
            overdue=sum(row.overdue for row in rows),
            overdue_amount=sum((row.overdue_amount for row in rows), ZERO),
        )

    @property
    def projects_total(self) -> int:
        return sum(row.count for row in self.lights)


def _flag_totals(lines, kinds, with_open: bool = False) -> tuple[FlagLine, ...]:
    return tuple(
        FlagLine(
            village_id=None,
            village="",
            kind=kind,
            raised=sum(line.raised for line in lines if line.kind == kind),
            cleared=sum(line.cleared for line in lines if line.kind == kind),
            open_at_end=sum(line.open_at_end for line in lines if line.kind == kind) if with_open else None,
        )
        for kind in kinds
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class _Window:
    first: dt.date
    last: dt.date
    until: dt.date  # the last day counted
    so_far: bool
    open_day: dt.date  # the first day not over: the next month's first, or today while the month runs
    start: dt.datetime  # local midnight at the start of the month
    end: dt.datetime  # local midnight at the start of the next month

    @classmethod
    def of(cls, month: dt.date, today: dt.date) -> "_Window":
        first = month.replace(day=1)
        last = period_of(first, MONTH).end
        over = today > last
        return cls(
            first=first,
            last=last,
            until=last if over else today,
            so_far=not over,
            open_day=last + ONE_DAY if over else today,
            start=_midnight(first),
            end=_midnight(last + ONE_DAY),
        )


def monthly_report(*, user, month: dt.date) -> MonthlyReport:
    """The report of the month that holds `month` (not a future one), scoped to what `user` may see.

    Queries: the visit rules and one per active rule (compliance by village),
    then one each for visits, status changes, visit flags, instalments,
    deadlines, milestone flags, project events and projects; plus the user's
    villages once for a cadre.
    """
    window = _Window.of(month, timezone.localdate())
    villages, _visitors, total = compliance(user=user, month=window.first, by_visitor=False)
    deadlines = load_deadlines()
    changes = _status_changes(user, window)
    events = _project_events(user, window)
    return MonthlyReport(
        month=window.first,
        until=window.until,
        so_far=window.so_far,
        compliance=tuple(Compliance(row.label, row.required, row.done) for row in villages),
        compliance_total=Compliance("", total.required, total.done),
        visits=_visits(user, window),
        status_pairs=_pairs(changes),
        status_changes=changes,
        visit_flags=_visit_flags(user, window),
        instalments=_instalments(user, window),
        milestone_flags=_milestone_flags(user, window, deadlines),
        project_steps=tuple(
            ProjectStep(status, count)
            for status, count in sorted(
                Counter(event.to_status for event in events).items(), key=lambda item: _step_rank(item[0])
            )
        ),
        project_events=events,
        lights=_lights(user, window, deadlines),
    )


def _visits(user, window: _Window) -> tuple[VillageCount, ...]:
    rows = (
        Visit.objects.visible_to(user)
        .filter(visited_on__range=(window.first, window.last))
        .values("household__village_id", "household__village__name")
        .annotate(n=Count("pk"))
        .order_by("household__village__name", "household__village_id")
    )
    return tuple(VillageCount(row["household__village_id"], row["household__village__name"], row["n"]) for row in rows)


def _status_changes(user, window: _Window) -> tuple[StatusChangeLine, ...]:
    changes = (
        StatusChange.objects.visible_to(user)
        .filter(changed_on__range=(window.first, window.last))
        .select_related("household__village", "changed_by")
        .order_by("changed_on", "household__number", "pk")
    )
    return tuple(
        StatusChangeLine(
            household_id=change.household_id,
            household_number=change.household.number,
            village=change.household.village.name,
            from_status=change.from_status,
            to_status=change.to_status,
            changed_on=change.changed_on,
            reason=change.reason,
            changed_by=str(change.changed_by) if change.changed_by else "",
            import_batch_id=change.import_batch_id,
        )
        for change in changes
    )


def _pairs(changes: tuple[StatusChangeLine, ...]) -> tuple[StatusPair, ...]:
    counted = Counter((change.from_status, change.to_status) for change in changes)
    return tuple(
        StatusPair(from_status, to_status, count)
        for (from_status, to_status), count in sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    )


def _raised_cleared_or_open(window: _Window) -> Q:
    """Flags raised, cleared or open in the month: raised before its end and not cleared before its start.

    This is exactly the union of the three, since a flag is cleared only after it is raised.
    """
    return Q(raised_at__lt=window.end) & (Q(cleared_at__isnull=True) | Q(cleared_at__gte=window.start))


def _visit_flags(user, window: _Window) -> tuple[FlagLine, ...]:
    raised = Q(raised_at__gte=window.start, raised_at__lt=window.end)
    cleared = Q(cleared_at__gte=window.start, cleared_at__lt=window.end)
    open_at_end = Q(cleared_at__isnull=True) | Q(cleared_at__gte=window.end)
    # A visit flag is overdue from the day after its period ends (the daily job escalates it then).
    overdue_when_raised = Q(raised_at__date__gt=F("period_end"))
    overdue_when_cleared = Q(cleared_at__date__gt=F("period_end"))
    overdue_at_end = Q(period_end__lt=window.open_day)
    rows = (
        VisitFlag.objects.visible_to(user)
        .filter(_raised_cleared_or_open(window))
        .values("household__village_id", "household__village__name")
        .annotate(
            raised_overdue=Count("pk", filter=raised & overdue_when_raised),
            raised_due_soon=Count("pk", filter=raised & ~overdue_when_raised),
            cleared_overdue=Count("pk", filter=cleared & overdue_when_cleared),
            cleared_due_soon=Count("pk", filter=cleared & ~overdue_when_cleared),
            open_at_end_overdue=Count("pk", filter=open_at_end & overdue_at_end),
            open_at_end_due_soon=Count("pk", filter=open_at_end & ~overdue_at_end),
        )
        .order_by("household__village__name", "household__village_id")
    )
    kinds = {VisitFlagKind.OVERDUE.value: "overdue", VisitFlagKind.DUE_SOON.value: "due_soon"}
    return _flag_lines(rows, "household__village", kinds)


def _milestone_flags(user, window: _Window, deadlines: Deadlines) -> tuple[FlagLine, ...]:
    raised = Q(raised_at__gte=window.start, raised_at__lt=window.end)
    cleared = Q(cleared_at__gte=window.start, cleared_at__lt=window.end)
    late_when_raised = _after_deadline("raised_at", deadlines)
    late_when_cleared = _after_deadline("cleared_at", deadlines)
    rows = (
        MilestoneFlag.objects.visible_to(user)
        .filter(raised | cleared)
        .values("project__village_id", "project__village__name")
        .annotate(
            raised_late=Count("pk", filter=raised & late_when_raised),
            raised_due_soon=Count("pk", filter=raised & ~late_when_raised),
            cleared_late=Count("pk", filter=cleared & late_when_cleared),
            cleared_due_soon=Count("pk", filter=cleared & ~late_when_cleared),
        )
        .order_by("project__village__name", "project__village_id")
    )
    kinds = {MilestoneFlagKind.LATE.value: "late", MilestoneFlagKind.DUE_SOON.value: "due_soon"}
    return _flag_lines(rows, "project__village", kinds)


def _after_deadline(field: str, deadlines: Deadlines) -> Q:
    """Milestone flags whose `field` moment falls after their milestone's deadline: late then, not due soon."""
    condition = NEVER
    for year, due_by in deadlines.items():
        for milestone, due in due_by.items():
            condition |= Q(project__year=year, milestone=milestone, **{f"{field}__date__gt": due})
    return condition


def _flag_lines(rows, village: str, kinds: dict[str, str]) -> tuple[FlagLine, ...]:
    """One line per village and kind with any flag, from aggregate rows named `<moment>_<kind>`."""
    lines = []
    for row in rows:
        for kind, name in kinds.items():
            counts = {moment: row.get(f"{moment}_{name}") for moment in ("raised", "cleared", "open_at_end")}
            if any(counts.values()):
                lines.append(FlagLine(row[f"{village}_id"], row[f"{village}__name"], kind, **counts))
    return tuple(lines)


def _instalments(user, window: _Window) -> tuple[InstalmentLine, ...]:
    due = Q(due_date__range=(window.first, window.last))
    paid = Q(paid_on__lte=window.until)
    # Overdue once its due day is over without being paid off (the daily job's rule), at the month's end.
    overdue = Q(due_date__lt=window.open_day) & (Q(paid_on__isnull=True) | Q(paid_on__gt=window.until))
    rows = (
        Instalment.objects.visible_to(user)
        .filter(due | overdue)
        .values("loan__household__village_id", "loan__household__village__name")
        .annotate(
            due=Count("pk", filter=due),
            due_amount=Sum("amount_due", filter=due),
            paid=Count("pk", filter=due & paid),
            overdue=Count("pk", filter=overdue),
            overdue_amount=Sum("amount_due", filter=overdue),
        )
        .order_by("loan__household__village__name", "loan__household__village_id")
    )
    return tuple(
        InstalmentLine(
            village_id=row["loan__household__village_id"],
            village=row["loan__household__village__name"],
            due=row["due"],
            due_amount=row["due_amount"] or ZERO,
            paid=row["paid"],
            overdue=row["overdue"],
            overdue_amount=row["overdue_amount"] or ZERO,
        )
        for row in rows
    )


def _step_rank(status: str) -> int:
    order = [*PROGRESSION, Status.CANCELLED]
    return order.index(status) if status in order else len(order)


def _project_events(user, window: _Window) -> tuple[ProjectEventLine, ...]:
    # The steps are in the audit trail, which names its project by key: the project's names come
    # in the same query, and only projects the user may see are asked for.
    project = Project.objects.filter(pk=OuterRef("object_id"))
    events = (
        infrastructure_selectors.project_steps(Project.objects.visible_to(user).values("pk"))
        .filter(effective_on__range=(window.first, window.last))
        .annotate(
            project_name=Subquery(project.values("name")[:1]),
            village_name=Subquery(project.values("village__name")[:1]),
            project_year=Subquery(project.values("year")[:1]),
        )
        .order_by("effective_on", "village_name", "project_name", "pk")
    )
    lines = []
    for event in events:
        step = infrastructure_selectors.ProjectStep.of(event)
        lines.append(
            ProjectEventLine(
                project_id=event.object_id,
                project=event.project_name,
                village=event.village_name,
                year=event.project_year,
                from_status=step.from_status,
                to_status=step.to_status,
                happened_on=step.happened_on,
                reason=step.reason,
                by=str(step.by) if step.by else "",
            )
        )
    return tuple(lines)


def _lights(user, window: _Window, deadlines: Deadlines) -> tuple[LightCount, ...]:
    """The traffic lights at the month's end: this year's projects, and earlier ones not yet accepted or cancelled.

    A project is judged as it stood then: milestones reached after `until`, and
    a later cancellation, are left out, so a past month keeps the lights it had.
    Judged in Python by infrastructure.deadlines' own definition, over one query
    of a few columns (projects are a few per village and year).
    """
    year = window.first.year
    finished = Q(accepted_on__lte=window.until) | Q(cancelled_on__lte=window.until)
    rows = (
        Project.objects.visible_to(user)
        .filter(Q(year=year) | (Q(year__lt=year) & ~finished))
        .values_list("year", "cancelled_on", *MILESTONE_DATE_FIELDS)
        .order_by()
    )
    counted = Counter()
    for project_year, cancelled_on, *dates in rows:
        reached = [day if day is not None and day <= window.until else None for day in dates]
        cancelled = cancelled_on is not None and cancelled_on <= window.until
        status = Status.CANCELLED if cancelled else PROGRESSION[sum(day is not None for day in reached)]
        then = Project(year=project_year, status=status, **dict(zip(MILESTONE_DATE_FIELDS, reached, strict=True)))
        counted[project_light(then, milestone_states(then, deadlines, window.open_day))] += 1
    return tuple(LightCount(light.value, counted[light]) for light in Light)
