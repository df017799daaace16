"""Reads for the visit pages, with their joins done, always through the scoping choke point."""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Reach, User, scope_of
from households.choices import HouseholdStatus, Relation
from households.models import Assignment, Household, Member
from households.selectors import HEAD_FIRST, head_name
from visits import periods
from visits.models import FlagKind, Visit, VisitConflict, VisitFlag, VisitorRole, VisitPhoto, VisitRule
from visits.periods import MONTH, Period, period_of, previous_period


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
    """The visits a responsible or contact person owes this period, most urgent first.

    Queries: the rules, one per active rule (the households it asks this person to
    visit, with their village, head's name and the person's last visit that counted), and the flags.
    """
    rules = list(VisitRule.objects.active())
    mine = Household.objects.visible_to(user).filter(
        Exists(Assignment.objects.current(on=on).filter(household=OuterRef("pk"), person=user))
    )
    due = []
    for rule in rules:
        period = rule.period_of(on)
        last = (
            Visit.objects.filter(household=OuterRef("pk"), role=rule.visitor_role, visitor=user, late=False)
            .order_by("-visited_on")
            .values("visited_on")[:1]
        )
        owed = (
            rule.owed(period, on=on, households=mine)
            .filter(visitor_id=user.pk)
            .select_related("village")
            .annotate(last_visited_on=Subquery(last), head_name=head_name())
        )
        due += [DueVisit(household, rule.visitor_role, period, household.last_visited_on, None) for household in owed]
    # Only the flags of this period and the last one: older misses cannot be made up any more, and
    # would mark a household overdue long after it was visited again.
    recent = Q()
    for rule in rules:
        recent |= Q(rule=rule, period_start__gte=previous_period(on, rule.period).start)
    flags: dict[tuple[int, str], str] = {}
    households = [d.household.pk for d in due]
    open_flags = VisitFlag.objects.open().filter(recent, household__in=households).select_related("rule")
    for flag in open_flags.order_by("kind"):
        key = (flag.household_id, flag.rule.visitor_role)
        if flags.get(key) != FlagKind.OVERDUE:
            flags[key] = flag.kind
    for visit in due:
        visit.flag = flags.get((visit.household.pk, visit.role))
    return sorted(due, key=lambda d: (d.urgency, d.household.number))


def open_flags(*, user):
    """Open flags in the user's scope, latest period first, with household, head's name, village, rule, visitor."""
    return (
        VisitFlag.objects.visible_to(user)
        .open()
        .select_related("household__village", "rule", "visitor")
        .annotate(head_name=head_name("household"))
        .order_by("-period_start", "household__number")
    )


def visit_list(*, user):
    """Visits in the user's scope, newest first, with household, its head's name, village and visitor."""
    return (
        Visit.objects.visible_to(user)
        .select_related("household__village", "visitor")
        .annotate(head_name=head_name("household"))
        .order_by("-visited_on", "-pk")
    )


def visit_detail(*, user, pk: int) -> Visit:
    return (
        Visit.objects.visible_to(user)
        .select_related("household__village", "visitor", "assessment")
        .annotate(head_name=head_name("household"))
        .prefetch_related(
            Prefetch("photos", queryset=VisitPhoto.objects.order_by("pk")),
            Prefetch("conflicts", queryset=VisitConflict.objects.select_related("resolved_by")),
        )
        .get(pk=pk)
    )


def location_visible(visit: Visit, user) -> bool:
    """Where a visit was logged: for its own visitor, and for those who oversee a town or more, not other cadres."""
    return visit.visitor_id == user.pk or scope_of(user).reach in (Reach.TOWN, Reach.EVERYTHING)


# ---------------------------------------------------------------- what the visit form says, and the phone's snapshot


def role_text(role: str) -> str:
    """What the visit form tells the visitor about the role their visit is recorded in (the page and the phone)."""
    if role == VisitorRole.RESPONSIBLE:
        return _("You visit as the household's responsible person.")
    if role == VisitorRole.CONTACT:
        return _("You visit as the household's contact person.")
    return _(
        "You are not this household's responsible or contact person: your visit is recorded as another "
        "visitor's and counts for no one's required visit."
    )


def counts_from_text(day: dt.date) -> str:
    return _(
        "A visit dated %(date)s or later counts toward its period; one dated earlier is kept, marked as entered "
        "late, and counts for nothing."
    ) % {"date": day.isoformat()}


def working_set(*, user, on: dt.date) -> dict:
    """What a phone keeps to work without a connection: the user's visits due, and a snapshot of each household.

    Through the scoping choke point (visits_due reads only households visible to the user,
    and the snapshot reads them again through visible_to), with no ID number and no birth
    date: members show their age. `version` is a digest of everything but the time it was
    made, so that a phone can tell an unchanged set. Queries, whatever the number of
    households: the visits due (the rules, one per active rule, the flags), the rules again,
    the households with village, group and latest assessment, their members, their three
    latest visits with their visitors, and the user's assignments to them today.
    """
    due = visits_due(user=user, on=on)
    rules = {(rule.household_status, rule.visitor_role): rule for rule in VisitRule.objects.active()}
    pks = sorted({item.household.pk for item in due})
    households = (
        Household.objects.visible_to(user)
        .filter(pk__in=pks)
        .select_related("village", "group", "latest_assessment")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Member.objects.order_by(HEAD_FIRST, "birth_date", "pk").only(
                    "household_id", "name", "relation", "sex", "birth_date"
                ),
            ),
            Prefetch(
                "visits",
                queryset=Visit.objects.select_related("visitor").order_by("-visited_on", "-pk")[:3],
                to_attr="last_visits",
            ),
        )
        if pks
        else Household.objects.none()
    )
    roles = _roles_of(user, pks, on)
    snapshots = {}
    for household in households:
        role = roles.get(household.pk, VisitorRole.OTHER)
        rule = rules.get((household.status, role)) if role != VisitorRole.OTHER else None
        counts_from = periods.counts_from(on, rule.period, settings.VISIT_LATE_ENTRY_DAYS) if rule else None
        snapshots[str(household.pk)] = _snapshot(household, role, counts_from)
    body = {
        "user": {"id": user.pk, "name": str(user)},
        "today": on.isoformat(),
        "due": [
            {
                "household": item.household.pk,
                "role": item.role,
                "role_label": str(VisitorRole(item.role).label),
                "period_start": item.period.start.isoformat(),
                "period_end": item.period.end.isoformat(),
                "flag": item.flag,
                "last_visited_on": item.last_visited_on.isoformat() if item.last_visited_on else None,
                "done": item.done,
            }
            for item in due
            if str(item.household.pk) in snapshots
        ],
        "households": snapshots,
    }
    body["version"] = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    body["generated_at"] = timezone.now().isoformat()
    return body


def _roles_of(user, pks, on: dt.date) -> dict[int, str]:
    """The user's role for each household on `on`, as visits.services.visitor_role finds it (responsible first)."""
    if not pks:
        return {}
    roles: dict[int, str] = {}
    assigned = Assignment.objects.current(on=on).filter(person=user, household_id__in=pks)
    for household_id, role in assigned.values_list("household_id", "role"):
        if roles.get(household_id) != VisitorRole.RESPONSIBLE:
            roles[household_id] = role
    return roles


def _snapshot(household: Household, role: str, counts_from: dt.date | None) -> dict:
    head = next((member for member in household.members.all() if member.relation == Relation.HEAD), None)
    assessment = household.latest_assessment
    return {
        "id": household.pk,
        "number": household.number,
        "head": head.name if head else "",
        "village": {"id": household.village_id, "name": household.village.name},
        "group": household.group.name if household.group else "",
        "address": household.address,
        "phone": household.phone,
        "status": str(household.get_status_display()),
        "registered_on": household.registered_on.isoformat(),
        "members": [
            {
                "name": member.name,
                "relation": str(member.get_relation_display()),
                "sex": str(member.get_sex_display()),
                "age": member.age,
            }
            for member in household.members.all()
        ],
        "assessment": {
            "assessed_on": assessment.assessed_on.isoformat(),
            "items": [
                {"item": item.value, "label": str(item.label), "passes": passes, "note": note}
                for item, passes, note in assessment.verdicts()
            ],
        }
        if assessment
        else None,
        "last_visits": [
            {
                "visited_on": visit.visited_on.isoformat(),
                "visitor": str(visit.visitor),
                "method": str(visit.get_method_display()),
                "role": str(visit.get_role_display()),
            }
            for visit in household.last_visits
        ],
        "role": role,
        "role_text": role_text(role),
        "counts_from": counts_from.isoformat() if counts_from else None,
        "counts_from_text": counts_from_text(counts_from) if counts_from else "",
        "log_url": f"{reverse('visits:log')}?household={household.pk}",
    }


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
    holds the month (visits so far in that quarter count as done). Who owes each
    visit is VisitRule.owed: per visitor, a visit counts for the person assigned
    at the period's end only when that person made it. Queries: the rules, then
    per active rule one by village and, when visitors are asked for, one by
    visitor, then one for the visitors' names.
    """
    today = timezone.localdate()
    villages: dict[int, ComplianceRow] = {}
    visitors: dict[int | None, ComplianceRow] = {}
    total = ComplianceRow(label="")
    households = Household.objects.visible_to(user)
    if village_id is not None:
        households = households.filter(village_id=village_id)
    for rule in VisitRule.objects.active():
        period = period_of(month, rule.period)
        owed = rule.owed(period, on=today, households=households).order_by()
        for row in owed.values("village_id", "village__name").annotate(
            required=Count("pk"), done=Count("pk", filter=Q(rule.visited(period)))
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
        for row in owed.values("visitor_id").annotate(
            required=Count("pk"), done=Count("pk", filter=Q(rule.visited(period, visitor="visitor_id")))
        ):
            entry = visitors.setdefault(row["visitor_id"], ComplianceRow(label="", key=row["visitor_id"]))
            entry.required += row["required"]
            entry.done += row["done"]
    names = User.objects.in_bulk([key for key in visitors if key is not None]) if visitors else {}
    for key, entry in visitors.items():  # "Nobody assigned" renders in the page's or the export's language
        entry.label = _person_name(names[key]) if key in names else gettext_lazy("Nobody assigned")
    by_label = sorted(villages.values(), key=lambda r: r.label)
    by_rate = sorted(visitors.values(), key=lambda r: (r.rate if r.rate is not None else 1, str(r.label)))
    return by_label, by_rate, total


def _person_name(person) -> str:
    return f"{person.last_name}{person.first_name}" or person.username


# ---------------------------------------------------------------- one household, month by month


@dataclass
class RequiredVisit:
    """One visit a rule asked of a household in one period: who owed it, and their visits that counted."""

    role: str
    period: Period
    person: object | None  # the user assigned at the period's end, or None
    visits: list  # the person's visits in that role within the period, late ones included

    @property
    def done(self) -> bool:
        return any(not visit.late for visit in self.visits)


@dataclass
class VisitMonth:
    month: dt.date
    status: str  # the household's status at the month's end
    required: list[RequiredVisit]
    others: list  # visits that answered no requirement: by another visitor, or entered late

    @property
    def status_label(self) -> str:
        return HouseholdStatus(self.status).label


def household_months(household, *, on: dt.date, months: int = 12) -> list[VisitMonth]:
    """Who was required to visit `household` in each of the last `months` months, and who came (newest first).

    The rule of a month is the one for the household's status at that month's end
    (from its status history); the person who owed it is the one assigned in the
    rule's role on the period's last day (or today). Four queries: the rules, the
    status history, the assignments and the visits of the window.
    """
    first = period_of(on, MONTH).start
    for _step in range(months - 1):
        first = previous_period(first, MONTH).start
    rules = {(r.household_status, r.visitor_role): r for r in VisitRule.objects.active()}
    changes = list(household.status_changes.order_by("changed_on", "pk").values_list("changed_on", "to_status"))
    assignments = list(household.assignments.select_related("person").order_by("start_date"))
    window_start = min([first, *(period_of(first, r.period).start for r in rules.values())])
    visits = list(
        household.visits.filter(visited_on__range=(window_start, on)).select_related("visitor").order_by("visited_on")
    )
    result = []
    month = period_of(on, MONTH)
    for _step in range(months):
        end = min(month.end, on)
        status = next((to for changed, to in reversed(changes) if changed <= end), household.status)
        required, counted = [], set()
        for (rule_status, role), rule in sorted(rules.items()):
            if rule_status != status or household.registered_on > month.end:
                continue
            period = rule.period_of(month.start)
            as_of = min(period.end, on)
            person = next(
                (
                    a.person
                    for a in reversed(assignments)
                    if a.role == role and a.start_date <= as_of and (a.end_date is None or a.end_date >= as_of)
                ),
                None,
            )
            theirs = [
                v
                for v in visits
                if v.role == role and v.visitor_id == getattr(person, "pk", None) and v.visited_on in period
            ]
            counted.update(v.pk for v in theirs if not v.late)
            required.append(RequiredVisit(role=role, period=period, person=person, visits=theirs))
        others = [v for v in visits if v.visited_on in month and v.pk not in counted]
        result.append(VisitMonth(month=month.start, status=status, required=required, others=others))
        month = previous_period(month.start, MONTH)
    return result
