"""Reads for the visit pages, with their joins done, always through the scoping choke point."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q

from households.models import Assignment, Household
from visits.models import FlagKind, Visit, VisitFlag, VisitPhoto, VisitRule
from visits.periods import Period, period_of, previous_period


@dataclass
class DueVisit:
    """One visit a person owes this period, and where it stands."""

    household: Household
    role: str
    period: Period
    last_visited_on: dt.date | None
    flag: str | None

    @property
    def done(self) -> bool:
        return self.last_visited_on is not None and self.last_visited_on >= self.period.start

    @property
    def urgency(self) -> int:
        if self.done:
            return 3
        return {FlagKind.OVERDUE: 0, FlagKind.DUE_SOON: 1}.get(self.flag, 2)


def visits_due(*, user, on: dt.date) -> list[DueVisit]:
    """The visits a responsible or contact person owes, most urgent first, in four queries."""
    rules = {(r.household_status, r.visitor_role): r for r in VisitRule.objects.filter(active=True)}
    assignments = [
        a
        for a in Assignment.objects.current()
        .filter(person=user, household__in=Household.objects.visible_to(user))
        .select_related("household__village")
        .order_by("household__number")
        if (a.household.status, a.role) in rules
    ]
    households = [a.household_id for a in assignments]
    last = {
        (row["household_id"], row["role"]): row["last"]
        for row in Visit.objects.filter(household__in=households)
        .values("household_id", "role")
        .annotate(last=Max("visited_on"))
    }
    # Only the flags of this period and the last one: older misses cannot be made up any more, and
    # would mark a household overdue long after it was visited again.
    recent = Q()
    for rule in rules.values():
        recent |= Q(rule=rule, period_start__gte=previous_period(on, rule.period).start)
    flags: dict[tuple[int, str], str] = {}
    open_flags = VisitFlag.objects.open().filter(recent, household__in=households).select_related("rule")
    for flag in open_flags.order_by("kind"):
        key = (flag.household_id, flag.rule.visitor_role)
        if flags.get(key) != FlagKind.OVERDUE:
            flags[key] = flag.kind
    due = [
        DueVisit(
            household=a.household,
            role=a.role,
            period=period_of(on, rules[a.household.status, a.role].period),
            last_visited_on=last.get((a.household_id, a.role)),
            flag=flags.get((a.household_id, a.role)),
        )
        for a in assignments
    ]
    return sorted(due, key=lambda d: (d.urgency, d.household.number))


def open_flags(*, user):
    """Open flags in the user's scope, latest period first, with household, village, rule and visitor."""
    return (
        VisitFlag.objects.visible_to(user)
        .open()
        .select_related("household__village", "rule", "visitor")
        .order_by("-period_start", "household__number")
    )


def visit_list(*, user):
    return Visit.objects.visible_to(user).select_related("household__village", "visitor").order_by("-visited_on", "-pk")


def visit_detail(*, user, pk: int) -> Visit:
    return (
        Visit.objects.visible_to(user)
        .select_related("household__village", "visitor", "assessment")
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("pk")))
        .get(pk=pk)
    )


@dataclass
class ComplianceRow:
    label: str
    key: int | None = None  # the village's or visitor's id
    required: int = 0
    done: int = 0

    @property
    def rate(self) -> float | None:
        return self.done / self.required if self.required else None


def compliance(
    *, user, month: dt.date, by_visitor: bool = True, village_id: int | None = None
) -> tuple[list[ComplianceRow], list[ComplianceRow], ComplianceRow]:
    """Visits done / required for a month, per village and per visitor, for the households in scope.

    A monthly rule counts for its month; a quarterly rule for the quarter that
    holds the month (visits so far in that quarter count as done). Two queries
    per active rule, whatever the number of households; one when the visitors
    are not asked for (dashboards).
    """
    villages: dict[int, ComplianceRow] = {}
    visitors: dict[int, ComplianceRow] = {}
    total = ComplianceRow(label="")
    households = Household.objects.visible_to(user)
    if village_id is not None:
        households = households.filter(village_id=village_id)
    for rule in VisitRule.objects.filter(active=True):
        period = period_of(month, rule.period)
        visited = Exists(
            Visit.objects.filter(
                household=OuterRef("pk"), role=rule.visitor_role, visited_on__range=(period.start, period.end)
            )
        )
        required = households.filter(status=rule.household_status, registered_on__lte=period.end)
        for row in required.values("village_id", "village__name").annotate(
            required=Count("pk"), done=Count("pk", filter=Q(visited))
        ):
            entry = villages.setdefault(
                row["village_id"], ComplianceRow(label=row["village__name"], key=row["village_id"])
            )
            entry.required += row["required"]
            entry.done += row["done"]
            total.required += row["required"]
            total.done += row["done"]
        if not by_visitor:
            continue
        visited_by_role = Exists(
            Visit.objects.filter(
                household=OuterRef("household"), role=rule.visitor_role, visited_on__range=(period.start, period.end)
            )
        )
        assigned = Assignment.objects.current().filter(role=rule.visitor_role, household__in=required)
        for row in assigned.values("person_id", "person__last_name", "person__first_name", "person__username").annotate(
            required=Count("pk"), done=Count("pk", filter=Q(visited_by_role))
        ):
            name = f"{row['person__last_name']}{row['person__first_name']}" or row["person__username"]
            entry = visitors.setdefault(row["person_id"], ComplianceRow(label=name, key=row["person_id"]))
            entry.required += row["required"]
            entry.done += row["done"]
    by_label = sorted(villages.values(), key=lambda r: r.label)
    by_rate = sorted(visitors.values(), key=lambda r: (r.rate if r.rate is not None else 1, r.label))
    return by_label, by_rate, total
