"""The dashboards' figures: plain data computed in a fixed number of set-based queries.

Every figure starts from the scoping choke point (`visible_to`), so an
official's dashboard covers their town, a cadre's their village and an
admin's the whole county, with the same code. Each query groups or aggregates
in the database; none runs per household, village or month, so the number of
queries is the same for a village of ten households and a county of 100,000
(pinned in reports/tests/test_dashboards.py, timed by bench/dashboard.py).

The functions return dataclasses of numbers, names and ids, never querysets,
so templates cannot trigger a query.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, FilteredRelation, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistance.models import Instalment, InstalmentFlag
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus, Relation
from households.classification import POST_EXIT_STATUSES
from households.models import Assignment, Household, IncomeLine, IncomeRecord, Member, StatusChange, Target, Village
from households.selectors import class_counts, exited_by_class, failing_any_filter, failing_item_filter
from households.services import exit_blockers
from infrastructure.deadlines import Light, load_deadlines
from infrastructure.selectors import light_counts, project_list
from visits.models import FlagKind, VisitFlag
from visits.selectors import compliance

# How many of the remaining and failing households the dashboard lists by name;
# the lists behind the links hold them all.
LISTED_HOUSEHOLDS = 50
LISTED_FAILING = 20

# Per-capita income against the line, as fractions of it: (upper bound in tenths of the line, key).
# "Above the line" is net > line x size, so the bin that ends at the line holds the households at it.
INCOME_BINS = ((5, "half"), (10, "line"), (15, "one_and_half"), (20, "double"), (None, "above_double"))
INCOME_BIN_LABELS = {
    "half": _("At most half the line"),
    "line": _("Above half, up to the line"),
    "one_and_half": _("Up to 1.5 times the line"),
    "double": _("Up to twice the line"),
    "above_double": _("More than twice the line"),
}


# ---------------------------------------------------------------- the dataclasses the pages render


@dataclass(frozen=True)
class BurnPoint:
    month: dt.date
    remaining: int  # households still to lift at the month's end
    planned: int  # what a steady pace through the year would have left


@dataclass(frozen=True)
class TargetProgress:
    year: int
    households: int  # the target
    people: int
    remaining_households: int  # unexited now
    remaining_people: int
    burndown: list[BurnPoint]

    @property
    def lifted_households(self) -> int:
        return max(self.households - self.remaining_households, 0)

    @property
    def lifted_people(self) -> int:
        return max(self.people - self.remaining_people, 0)

    @property
    def percent(self) -> int:
        return round(100 * self.lifted_households / self.households) if self.households else 100


@dataclass(frozen=True)
class ExitYear:
    year: int
    households: int
    people: int


@dataclass
class VillageFigures:
    village_id: int | None
    name: str
    registered: int = 0
    exited: int = 0
    unexited: int = 0
    monitored: int = 0
    failing: int = 0
    below_line: int = 0
    visits_required: int = 0
    visits_done: int = 0
    overdue: int = 0

    @property
    def visit_rate(self) -> int | None:
        return round(100 * self.visits_done / self.visits_required) if self.visits_required else None

    def add(self, other: "VillageFigures") -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    COUNTS = (
        "registered",
        "exited",
        "unexited",
        "monitored",
        "failing",
        "below_line",
        "visits_required",
        "visits_done",
        "overdue",
    )


@dataclass(frozen=True)
class ItemCompliance:
    item: AssessmentItem
    failing: int
    assessed: int

    @property
    def passing(self) -> int:
        return self.assessed - self.failing

    @property
    def percent(self) -> int | None:
        return round(100 * self.passing / self.assessed) if self.assessed else None


@dataclass(frozen=True)
class HouseholdLine:
    """A household named on a dashboard: what identifies it and what is wrong with it."""

    pk: int
    number: str
    head: str
    village: str
    status: str  # its label
    status_code: str
    reasons: list[str]
    responsible: str = ""


@dataclass(frozen=True)
class IncomeBin:
    key: str
    count: int

    @property
    def label(self):
        return INCOME_BIN_LABELS[self.key]

    @property
    def at_or_below_line(self) -> bool:
        return self.key in ("half", "line")


@dataclass(frozen=True)
class IncomeDistribution:
    year: int
    line: int
    bins: list[IncomeBin]
    without_record: int

    @property
    def below_or_at_line(self) -> int:
        return sum(b.count for b in self.bins if b.at_or_below_line)

    @property
    def with_record(self) -> int:
        return sum(b.count for b in self.bins)


@dataclass(frozen=True)
class LoanFigures:
    due_soon: int
    due_soon_amount: object
    overdue: int
    overdue_amount: object


@dataclass(frozen=True)
class Dashboard:
    """Everything a dashboard shows, as of `computed_at`."""

    computed_at: dt.datetime
    today: dt.date
    month: dt.date
    villages: list[VillageFigures]
    total: VillageFigures
    people_unexited: int
    items: list[ItemCompliance]
    not_assessed: int
    failing_households: list[HouseholdLine]
    remaining: list[HouseholdLine]
    income: IncomeDistribution | None
    classes: list[tuple[str, str, int]]
    lights: list[tuple[Light, int]]
    loans: LoanFigures
    exits_by_year: list[ExitYear]
    target: TargetProgress | None = None
    target_years: list[int] = field(default_factory=list)

    @property
    def exited_households(self) -> int:
        return sum(row.households for row in self.exits_by_year)

    @property
    def exited_people(self) -> int:
        return sum(row.people for row in self.exits_by_year)


# ---------------------------------------------------------------- the one entry point


def dashboard(*, user, village: Village | None = None, year: int | None = None, on: dt.date | None = None) -> Dashboard:
    """The figures of the households `user` sees (narrowed to one village when given), as of `on`.

    The campaign target is the visible towns' target for `year`, by default the
    latest year that has one; a village dashboard has none (targets are set per town).
    """
    today = on or timezone.localdate()
    month = today.replace(day=1)
    households = Household.objects.visible_to(user)
    if village is not None:
        households = households.filter(village=village)
    lines = IncomeLine.objects.in_bulk(field_name="year")
    line = _current_line(lines, today)

    rows = _village_rows(user, households, village, line)
    _add_visits(rows, user, month, village)
    _add_overdue(rows, user, village)
    villages = list(rows.values())
    total = VillageFigures(village_id=None, name="")
    for row in villages:
        total.add(row)
    people_unexited = _people_unexited(households)

    items, not_assessed = _item_compliance(households)
    target_years, target = [], None
    if village is None:
        target_years, target = _target(user, households, year, today, total.unexited, people_unexited)
    return Dashboard(
        computed_at=timezone.now(),
        today=today,
        month=month,
        villages=villages,
        total=total,
        people_unexited=people_unexited,
        items=items,
        not_assessed=not_assessed,
        failing_households=_failing_households(households),
        remaining=_remaining(households, lines),
        income=_income_distribution(households, line),
        classes=class_counts(exited_by_class(user=user, village=village)),
        lights=_lights(user, today, village),
        loans=_loans(user, village),
        exits_by_year=_exits_by_year(households),
        target=target,
        target_years=target_years,
    )


# ---------------------------------------------------------------- per village


def _current_line(lines: dict[int, IncomeLine], today: dt.date) -> IncomeLine | None:
    years = [year for year in lines if year <= today.year]
    return lines[max(years)] if years else None


def _village_rows(user, households, village, line) -> dict:
    """One row per visible village in order, zeros included, with the household counts filled in (two queries)."""
    villages = Village.objects.visible_to(user).select_related("town").order_by("town__code", "code", "name")
    if village is not None:
        villages = villages.filter(pk=village.pk)
    rows = {v.pk: VillageFigures(village_id=v.pk, name=v.name) for v in villages}

    counts = {
        "registered": Count("pk"),
        "exited": Count("pk", filter=Q(status=HouseholdStatus.EXITED)),
        "unexited": Count("pk", filter=Q(status=HouseholdStatus.UNEXITED)),
        "monitored": Count("pk", filter=Q(status=HouseholdStatus.MONITORED)),
        "failing": Count("pk", filter=failing_any_filter()),
    }
    grouped = households
    if line is not None:
        grouped = grouped.annotate(
            income_now=FilteredRelation("income_records", condition=Q(income_records__year=line.year))
        )
        counts["below_line"] = Count(
            "pk", filter=Q(income_now__net_income__lte=F("income_now__household_size") * line.line)
        )
    for values in grouped.order_by().values("village_id").annotate(**counts):
        row = rows.get(values["village_id"])
        if row is not None:
            for name in counts:
                setattr(row, name, values[name])
    return rows


def _people_unexited(households) -> int:
    """People in the households still to lift (one query)."""
    return Member.objects.filter(household__in=households.filter(status=HouseholdStatus.UNEXITED)).count()


def _add_visits(rows: dict, user, month: dt.date, village) -> None:
    by_village, _, _ = compliance(
        user=user, month=month, by_visitor=False, village_id=village.pk if village is not None else None
    )
    for entry in by_village:
        row = rows.get(entry.key)
        if row is not None:
            row.visits_required, row.visits_done = entry.required, entry.done


def _add_overdue(rows: dict, user, village) -> None:
    flags = VisitFlag.objects.visible_to(user).open().filter(kind=FlagKind.OVERDUE)
    if village is not None:
        flags = flags.filter(household__village=village)
    for values in flags.order_by().values("household__village_id").annotate(n=Count("pk")):
        row = rows.get(values["household__village_id"])
        if row is not None:
            row.overdue = values["n"]


# ---------------------------------------------------------------- 2W3G


def _item_compliance(households) -> tuple[list[ItemCompliance], int]:
    counts = {item.value: Count("pk", filter=failing_item_filter(item)) for item in AssessmentItem}
    figures = households.aggregate(
        assessed=Count("pk", filter=Q(latest_assessment__isnull=False)),
        everyone=Count("pk"),
        **counts,
    )
    items = [ItemCompliance(item, figures[item.value], figures["assessed"]) for item in AssessmentItem]
    return items, figures["everyone"] - figures["assessed"]


def _failing_households(households) -> list[HouseholdLine]:
    """The first households failing an item (those still poor first), with the items they fail."""
    failing = (
        households.filter(failing_any_filter())
        .select_related("village", "latest_assessment")
        .prefetch_related(heads_prefetch())
        .order_by(_status_rank(), "village__code", "number")[:LISTED_FAILING]
    )
    return [
        household_line(household, [item.label for item in household.latest_assessment.failing_items()])
        for household in failing
    ]


# ---------------------------------------------------------------- the households still to lift


def _remaining(households, lines) -> list[HouseholdLine]:
    """Unexited households with what blocks each one's exit and who answers for it (four queries)."""
    remaining = (
        households.filter(status=HouseholdStatus.UNEXITED)
        .select_related("village", "latest_assessment")
        .prefetch_related(
            heads_prefetch(),
            Prefetch("income_records", queryset=IncomeRecord.objects.order_by("-year")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.current().filter(role=AssignmentRole.RESPONSIBLE).select_related("person"),
                to_attr="responsible",
            ),
        )
        .order_by("village__code", "number")[:LISTED_HOUSEHOLDS]
    )
    return [
        household_line(
            household,
            exit_blockers(household, lines=lines),
            responsible=str(household.responsible[0].person) if household.responsible else "",
        )
        for household in remaining
    ]


def heads_prefetch():
    return Prefetch("members", queryset=Member.objects.filter(relation=Relation.HEAD), to_attr="heads")


def _status_rank():
    return Case(
        When(status=HouseholdStatus.UNEXITED, then=Value(0)),
        When(status=HouseholdStatus.MONITORED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def household_line(household, reasons, responsible: str = "") -> HouseholdLine:
    return HouseholdLine(
        pk=household.pk,
        number=household.number,
        head=household.heads[0].name if household.heads else "",
        village=household.village.name,
        status=household.get_status_display(),
        status_code=household.status,
        reasons=[str(reason) for reason in reasons],
        responsible=responsible,
    )


# ---------------------------------------------------------------- income and classes


def _income_distribution(households, line: IncomeLine | None) -> IncomeDistribution | None:
    """Households by per-capita net income in the line's year as a share of the line (one query).

    Compared by multiplying (net x 10 <= line x size x tenths), never dividing, as the flagged list does.
    """
    if line is None:
        return None
    records = IncomeRecord.objects.filter(household__in=households, year=line.year)
    net, cap = F("net_income") * 10, F("household_size") * line.line
    bins, lower = {}, None
    for tenths, key in INCOME_BINS:
        condition = Q() if lower is None else Q(net_x10__gt=cap * lower)
        if tenths is not None:
            condition &= Q(net_x10__lte=cap * tenths)
        bins[key] = Count("pk", filter=condition)
        lower = tenths
    figures = records.annotate(net_x10=net).aggregate(**bins, total=Count("pk"))
    everyone = households.count()
    return IncomeDistribution(
        year=line.year,
        line=line.line,
        bins=[IncomeBin(key, figures[key]) for _, key in INCOME_BINS],
        without_record=everyone - figures["total"],
    )


def _exits_by_year(households) -> list[ExitYear]:
    """Households and people lifted out of poverty, by the year they left (two queries)."""
    exited = households.filter(status__in=POST_EXIT_STATUSES, exit_year__isnull=False)
    by_year = dict(exited.order_by().values_list("exit_year").annotate(n=Count("pk")))
    people = dict(
        Member.objects.filter(household__in=exited)
        .order_by()
        .values_list("household__exit_year")
        .annotate(n=Count("pk"))
    )
    return [ExitYear(year, by_year[year], people.get(year, 0)) for year in sorted(by_year)]


# ---------------------------------------------------------------- infrastructure and loans


def _lights(user, today: dt.date, village) -> list[tuple[Light, int]]:
    projects = project_list(user=user, deadlines=load_deadlines(), on=today)
    if village is not None:
        projects = projects.filter(village=village)
    counts = light_counts(projects)
    return [(light, counts.get(light.value, 0)) for light in Light]


def _loans(user, village) -> LoanFigures:
    instalments = Instalment.objects.visible_to(user)
    if village is not None:
        instalments = instalments.filter(loan__household__village=village)
    owed = F("amount_due") - F("amount_paid")
    due_soon, overdue = Q(flag=InstalmentFlag.DUE_SOON), Q(flag=InstalmentFlag.OVERDUE)
    figures = instalments.filter(flag__in=[InstalmentFlag.DUE_SOON, InstalmentFlag.OVERDUE]).aggregate(
        due_soon=Count("pk", filter=due_soon),
        due_soon_amount=Coalesce(Sum(owed, filter=due_soon), 0, output_field=Instalment._meta.get_field("amount_due")),
        overdue=Count("pk", filter=overdue),
        overdue_amount=Coalesce(Sum(owed, filter=overdue), 0, output_field=Instalment._meta.get_field("amount_due")),
    )
    return LoanFigures(**figures)


# ---------------------------------------------------------------- the campaign target


def _target(
    user, households, year: int | None, today: dt.date, remaining_households: int, remaining_people: int
) -> tuple[list[int], TargetProgress | None]:
    """The visible towns' target for a year and its burn-down from the status history (two queries)."""
    targets = Target.objects.visible_to(user)
    by_year = {
        row["year"]: row
        for row in targets.order_by().values("year").annotate(households=Sum("households"), people=Sum("people"))
    }
    years = sorted(by_year, reverse=True)
    if not years:
        return [], None
    chosen = year if year in by_year else years[0]
    goal = by_year[chosen]
    return years, TargetProgress(
        year=chosen,
        households=goal["households"],
        people=goal["people"],
        remaining_households=remaining_households,
        remaining_people=remaining_people,
        burndown=_burndown(households, chosen, goal["households"], today),
    )


def _burndown(households, year: int, goal: int, today: dt.date) -> list[BurnPoint]:
    """Households still to lift at each month's end of the target year, from the status history.

    An exit in the month lowers the count; a return to poverty raises it again.
    Months after today are left out; the planned line falls evenly to zero by December.
    """
    changes = (
        StatusChange.objects.filter(household__in=households, changed_on__year=year)
        .filter(
            Q(to_status=HouseholdStatus.EXITED, from_status=HouseholdStatus.UNEXITED)
            | Q(to_status=HouseholdStatus.UNEXITED, from_status__in=POST_EXIT_STATUSES)
        )
        .annotate(month=TruncMonth("changed_on"))
        .order_by()
        .values("month")
        .annotate(
            exits=Count("pk", filter=Q(to_status=HouseholdStatus.EXITED)),
            returns=Count("pk", filter=Q(to_status=HouseholdStatus.UNEXITED)),
        )
    )
    net_by_month = {_as_date(row["month"]).month: row["exits"] - row["returns"] for row in changes}
    points, remaining = [], goal
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        if first > today:
            break
        remaining -= net_by_month.get(month, 0)
        points.append(BurnPoint(month=first, remaining=remaining, planned=round(goal * (12 - month) / 12)))
    return points


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
