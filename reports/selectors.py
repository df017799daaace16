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

import calendar
import datetime as dt
import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Reach, scope_of
from assistance.models import Instalment, InstalmentFlag
from households.choices import AssessmentItem, AssignmentRole, HouseholdStatus
from households.classification import POST_EXIT_STATUSES, ExitClass
from households.models import Assignment, Household, IncomeLine, IncomeRecord, StatusChange, Target, Village
from households.selectors import UNCLASSIFIED, head_name
from households.services import exit_blockers
from households.summaries import ITEM_BITS, LAST_VISIT_FIELDS, failing_items_of
from infrastructure.deadlines import Light, load_deadlines
from infrastructure.selectors import light_counts, project_list
from monitoring.models import HELPED_STATES, IDENTIFYING_STATES, CaseState, MonitoringCase
from visits.models import FlagKind, VisitFlag, VisitRule
from visits.periods import period_of
from visits.selectors import compliance

logger = logging.getLogger(__name__)

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


def percent_floor(part: int, whole: int) -> int | None:
    """A whole percentage rounded down, so that 100% means all of them and never 1,677 of 1,679."""
    return math.floor(100 * part / whole) if whole else None


@dataclass(frozen=True)
class BurnPoint:
    month: dt.date
    remaining: int  # households of the cohort not lifted at the month's end (today, for the current month)
    planned: int  # what a steady pace through the year would have left
    remaining_people: int = 0  # their people, as counted when the target was set


@dataclass(frozen=True)
class TargetProgress:
    """A year's target and how far it is done, all from its cohort and the cohort's status history.

    The headline is the burn-down's last point, so the two agree by construction.
    """

    year: int
    households: int  # the cohort, fixed when the target was set
    people: int  # their people, as counted then
    burndown: list[BurnPoint]
    name: str = ""  # when one target is shown; several towns' targets have several names
    as_of: dt.date | None = None  # the day the cohort was still poor on, when the targets shown share one

    @property
    def remaining_households(self) -> int:
        return self.burndown[-1].remaining if self.burndown else self.households

    @property
    def remaining_people(self) -> int:
        return self.burndown[-1].remaining_people if self.burndown else self.people

    @property
    def lifted_households(self) -> int:
        return self.households - self.remaining_households

    @property
    def lifted_people(self) -> int:
        return self.people - self.remaining_people

    @property
    def percent(self) -> int:
        return percent_floor(self.lifted_households, self.households) if self.households else 100


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
        return percent_floor(self.visits_done, self.visits_required)

    def add(self, other: "VillageFigures") -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    HOUSEHOLD_COUNTS = ("registered", "exited", "unexited", "monitored", "failing", "below_line")
    CENSUS_COUNTS = (*HOUSEHOLD_COUNTS, "visits_required", "visits_done")
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
        return percent_floor(self.passing, self.assessed)


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


@dataclass(frozen=True)
class LoanFigures:
    due_soon: int
    due_soon_amount: object
    overdue: int
    overdue_amount: object


@dataclass(frozen=True)
class CaseLine:
    """A monitoring case named on a dashboard: whose, how it was found, and when it is due."""

    pk: int
    household_pk: int
    number: str
    head: str
    village: str
    state: str  # its label
    state_code: str
    origin: str  # its label
    reported_on: dt.date
    deadline_on: dt.date
    late: bool


@dataclass(frozen=True)
class MonitoringFigures:
    """The year's monitoring target (防止返贫动态监测) as it stands, in the dashboard's scope."""

    year: int
    identified: int  # confirmed by the county this year
    helped: int  # identified and not yet closed, today
    removed: int  # risks removed this year
    candidates: int  # waiting for the village's verification, today
    late: int  # not confirmed by their deadline, today
    returned: int | None = None  # households back to poverty this year (the town dashboard's; should be zero)


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
    monitoring: MonitoringFigures | None = None
    candidates: list[CaseLine] = field(default_factory=list)  # the village dashboard's cases to verify
    late_cases: list[CaseLine] = field(default_factory=list)  # ...and its cases past their deadline

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
    # The registry's figures are those of the households registered poor (建档立卡): an ordinary rural household
    # (一般农户), registered only to be reported for monitoring, is counted by the monitoring figures alone.
    in_scope = Household.objects.visible_to(user)
    if village is not None:
        in_scope = in_scope.filter(village=village)
    households = in_scope.exclude(status=HouseholdStatus.GENERAL)
    lines = IncomeLine.objects.in_bulk(field_name="year")
    line = _current_line(lines, today)

    rows = _village_rows(user, village)
    # The kept last visits answer "visited in this period?" for a period that holds today (no visit is dated
    # later than today); a dashboard as of another day asks the visits themselves.
    kept_visits = on is None or on == timezone.localdate()
    rules = list(VisitRule.objects.active()) if kept_visits else []
    census = _census(in_scope, line, rules, month)
    if census.income_behind and line is not None:
        _recount_income(census, households, line)
    for village_id, counts in census.by_village.items():
        row = rows.get(village_id)
        if row is not None:
            for name in VillageFigures.CENSUS_COUNTS if kept_visits else VillageFigures.HOUSEHOLD_COUNTS:
                setattr(row, name, counts[name])
    if not kept_visits:
        _add_visits(rows, user, month, village)
    _add_overdue(rows, user, village)
    villages = list(rows.values())
    total = VillageFigures(village_id=None, name="")
    for row in villages:
        total.add(row)
    people_unexited, people_by_exit_year = census.people_unexited, census.people_by_exit_year

    target_years, target = [], None
    candidates, late_cases = [], []
    if village is None:
        target_years, target = _target(user, year, today)
    else:
        candidates, late_cases = _case_lists(user, village, today)
    return Dashboard(
        computed_at=timezone.now(),
        today=today,
        month=month,
        villages=villages,
        total=total,
        people_unexited=people_unexited,
        items=[ItemCompliance(item, census.failing_items[item.value], census.assessed) for item in AssessmentItem],
        not_assessed=total.registered - census.assessed,
        failing_households=_failing_households(households),
        remaining=_remaining(households, lines),
        income=_income_distribution(census, line, total.registered),
        classes=[
            *((value, label, census.classes[value]) for value, label in ExitClass.choices),
            (UNCLASSIFIED, _("Not classified yet"), census.classes[UNCLASSIFIED]),
        ],
        lights=_lights(user, today, village),
        loans=_loans(user, village),
        exits_by_year=[
            ExitYear(year, census.exits[year], people_by_exit_year.get(year, 0)) for year in sorted(census.exits)
        ],
        target=target,
        target_years=target_years,
        monitoring=_monitoring(user, village, today),
        candidates=candidates,
        late_cases=late_cases,
    )


# ---------------------------------------------------------------- kept for a few minutes


def cached_dashboard(*, user, village: Village | None = None, year: int | None = None, refresh: bool = False):
    """The dashboard as computed at most DASHBOARD_MAX_AGE seconds ago, or afresh when asked.

    Everyone with the same reach shares one copy (every admin; the officials of
    a town; the cadres of the same villages), so a morning's rush of officials
    costs one computation of a county-sized scan every few minutes. The page says
    when its figures were computed and offers to refresh them.
    """
    max_age = settings.DASHBOARD_MAX_AGE
    if max_age <= 0:
        return dashboard(user=user, village=village, year=year)
    key = _cache_key(user, village, year)
    figures = None if refresh else _cache_call(cache.get, key)
    if figures is None:
        figures = dashboard(user=user, village=village, year=year)
        _cache_call(cache.set, key, figures, max_age)
    return figures


def _cache_key(user, village, year) -> str:
    scope = scope_of(user)
    match scope.reach:
        case Reach.EVERYTHING:
            reach = "all"
        case Reach.TOWN:
            reach = f"town{scope.town_id}"
        case Reach.VILLAGES:
            reach = "villages" + "-".join(str(pk) for pk in sorted(scope.village_ids))
        case _:
            reach = f"user{scope.user_id}"
    village_key = village.pk if village is not None else "-"
    return f"dashboard:{reach}:{village_key}:{year or '-'}:{translation.get_language()}:{timezone.localdate()}"


def _cache_call(method, *args):
    """A cache that is down costs a recomputation, never the page."""
    try:
        return method(*args)
    except Exception:  # a shared cache (Redis) may refuse connections; the figures can still be computed
        logger.warning("dashboard cache unavailable", exc_info=True)
        return None


# ---------------------------------------------------------------- per village


def _current_line(lines: dict[int, IncomeLine], today: dt.date) -> IncomeLine | None:
    years = [year for year in lines if year <= today.year]
    return lines[max(years)] if years else None


def _village_rows(user, village) -> dict:
    """One empty row per visible village, in order (one query)."""
    villages = Village.objects.visible_to(user).order_by("town__code", "code", "name")
    if village is not None:
        villages = villages.filter(pk=village.pk)
    return {v.pk: VillageFigures(village_id=v.pk, name=v.name) for v in villages.only("pk", "name")}


@dataclass
class Census:
    """The household-level counts of a dashboard, added up from one grouped query."""

    by_village: dict = field(default_factory=lambda: defaultdict(Counter))
    exits: Counter = field(default_factory=Counter)  # households lifted out, by exit year
    failing_items: Counter = field(default_factory=Counter)
    assessed: int = 0
    income_bins: Counter = field(default_factory=Counter)
    income_behind: int = 0  # households whose kept income is of another year than the line's
    classes: Counter = field(default_factory=Counter)
    people_unexited: int = 0
    people_by_exit_year: Counter = field(default_factory=Counter)


def _census(households, line: IncomeLine | None, rules: list, month: dt.date) -> Census:
    """Every household-level figure of the dashboard in ONE scan of the households in scope, joining nothing.

    Counted from the figures each household keeps (households.summaries: its failing 2W3G items, the income
    of the line's year, its current class, its people, its last counted visit per role), grouped by village,
    status and exit year, so that an official's town reads its villages' rows through the village index and
    the county is one sequential scan. Ordinary rural households (一般农户) are in the scan for the visit
    rules that may ask visits of them, and left out of every other figure. `rules` are the visit rules counted
    here (none when the period is not this one: then the visits are counted by _add_visits).
    """
    counts = {
        "n": Count("pk"),
        "people": Coalesce(Sum("people_count"), 0),
        "failing": Count("pk", filter=Q(failing_items__gt=0)),
        "assessed": Count("pk", filter=Q(latest_assessment__isnull=False)),
        **{
            f"item_{item.value}": Count("pk", filter=GreaterThan(F("failing_items").bitand(ITEM_BITS[item.value]), 0))
            for item in AssessmentItem
        },
        **{f"class_{value}": Count("pk", filter=Q(exit_class=value)) for value in ExitClass.values},
        UNCLASSIFIED: Count("pk", filter=Q(exit_class="")),
    }
    if line is not None:
        counted = Q(income_year=line.year, income_net__isnull=False)
        counts.update(_income_counts(counted, "income_net", "income_size", line))
        counts["income_behind"] = Count("pk", filter=Q(income_year__isnull=True) | ~Q(income_year=line.year))
        households = households.annotate(net_x10=F("income_net") * 10)
    else:
        counts["income_behind"] = Count("pk", filter=Q(income_year__isnull=False))
    for index, rule in enumerate(rules):
        period = period_of(month, rule.period)
        owed = Q(registered_on__lte=period.end)
        last = LAST_VISIT_FIELDS[rule.visitor_role]
        counts[f"required_{index}"] = Count("pk", filter=owed)
        counts[f"done_{index}"] = Count("pk", filter=owed & Q(**{f"{last}__range": (period.start, period.end)}))
    census = Census()
    grouped = households.order_by().values("village_id", "status", "exit_year").annotate(**counts)
    # Thousands of groups on a county, each of some forty counts: the keys and enum values are looked up once
    # here, not per group, and the counts are added in the order the columns come.
    visit_rules = [(rule.household_status, f"required_{index}", f"done_{index}") for index, rule in enumerate(rules)]
    items = [(item.value, f"item_{item.value}") for item in AssessmentItem]
    bins = [(key, f"bin_{key}") for _tenths, key in INCOME_BINS] if line is not None else []
    classes = [(value, f"class_{value}") for value in ExitClass.values] + [(UNCLASSIFIED, UNCLASSIFIED)]
    counted_statuses = {HouseholdStatus.EXITED, HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED}
    post_exit = set(POST_EXIT_STATUSES)
    for values in _plain_rows(grouped):
        village, status, n = census.by_village[values["village_id"]], values["status"], values["n"]
        for household_status, required, done in visit_rules:
            if household_status == status:
                village["visits_required"] += values[required]
                village["visits_done"] += values[done]
        census.income_behind += values["income_behind"]
        if status == HouseholdStatus.GENERAL:
            continue
        village["registered"] += n
        if status in counted_statuses:
            village[status] += n
        village["failing"] += values["failing"]
        village["below_line"] += values.get("below_line", 0)
        census.assessed += values["assessed"]
        for value, key in items:
            census.failing_items[value] += values[key]
        for value, key in bins:
            census.income_bins[value] += values[key]
        if status == HouseholdStatus.UNEXITED:
            census.people_unexited += values["people"]
        if status in post_exit:
            for value, key in classes:
                census.classes[value] += values[key]
            if values["exit_year"] is not None:
                census.exits[values["exit_year"]] += n
                census.people_by_exit_year[values["exit_year"]] += values["people"]
    return census


def _plain_rows(grouped):
    """A grouped count's rows as dicts, straight from the cursor.

    Its columns are keys, text, small years and counts that the driver already gives as Python values; Django's
    per-value converters (an int() for every count of every group) cost more than the county's scan itself.
    """
    compiler = grouped.query.get_compiler(grouped.db)
    sql, params = compiler.as_sql()
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            yield dict(zip(names, row, strict=True))


def _recount_income(census: Census, households, line: IncomeLine) -> None:
    """The income figures counted from the income records themselves (one more query, joining each household's).

    For the days between a new year's line and `manage.py dashboard_figures` (or the line's admin page, or
    the nightly job) bringing the kept figures to that year: the figures stay right, only slower.
    """
    logger.warning("%s households keep the income of another year than %s's line", census.income_behind, line.year)
    income_now = FilteredRelation("income_records", condition=Q(income_records__year=line.year))
    counts = _income_counts(Q(income_now__isnull=False), "income_now__net_income", "income_now__household_size", line)
    grouped = (
        households.annotate(income_now=income_now)
        .annotate(net_x10=F("income_now__net_income") * 10)
        .order_by()
        .values("village_id")
    )
    census.income_bins = Counter()
    for village in census.by_village.values():
        village["below_line"] = 0
    for values in grouped.annotate(**counts):
        census.by_village[values["village_id"]]["below_line"] = values["below_line"]
        for _tenths, key in INCOME_BINS:
            census.income_bins[key] += values[f"bin_{key}"]


def _income_counts(counted: Q, net: str, size: str, line: IncomeLine) -> dict:
    """Households at or below the line, and in each income bin, among those `counted` (a query annotating net_x10).

    Compared by multiplying (net x 10 <= size x line x tenths), never dividing, as the flagged list does.
    """
    cap = F(size) * line.line
    counts = {"below_line": Count("pk", filter=counted & Q(**{f"{net}__lte": cap}))}
    lower = None
    for tenths, key in INCOME_BINS:
        condition = counted if lower is None else counted & Q(net_x10__gt=cap * lower)
        if tenths is not None:
            condition &= Q(net_x10__lte=cap * tenths)
        counts[f"bin_{key}"] = Count("pk", filter=condition)
        lower = tenths
    return counts


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
    if village is None and scope_of(user).reach is Reach.EVERYTHING:
        # The whole county, scoped by nothing: each open flag's village looked up by its household's key (an
        # index probe per flag) rather than by a join, which PostgreSQL makes by hashing all the county's
        # households (25 ms rather than 50-80). A scoped count joins the households for its scope anyway.
        village_of = Household.objects.filter(pk=OuterRef("household_id")).order_by().values("village_id")
        flags = flags.annotate(flag_village=Subquery(village_of))
    else:
        flags = flags.annotate(flag_village=F("household__village_id"))
    for values in flags.order_by().values("flag_village").annotate(n=Count("pk")):
        row = rows.get(values["flag_village"])
        if row is not None:
            row.overdue = values["n"]


# ---------------------------------------------------------------- 2W3G


def _failing_households(households) -> list[HouseholdLine]:
    """The first households failing an item (those still poor first), with the items they fail."""
    failing = (
        households.filter(failing_items__gt=0)
        .select_related("village")
        .annotate(head_name=head_name())
        .order_by(_status_rank(), "village__code", "number")[:LISTED_FAILING]
    )
    return [
        household_line(household, [item.label for item in failing_items_of(household.failing_items)])
        for household in failing
    ]


# ---------------------------------------------------------------- the households still to lift


def _remaining(households, lines) -> list[HouseholdLine]:
    """Unexited households with what blocks each one's exit and who answers for it (three queries)."""
    remaining = (
        households.filter(status=HouseholdStatus.UNEXITED)
        .select_related("village", "latest_assessment")
        .annotate(head_name=head_name())
        .prefetch_related(
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


def _status_rank():
    return Case(
        When(status=HouseholdStatus.UNEXITED, then=Value(0)),
        When(status=HouseholdStatus.MONITORED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def household_line(household, reasons, responsible: str = "") -> HouseholdLine:
    """A household's line, named by its head: the `head_name` column when the query has it, else its `heads`."""
    head = getattr(household, "head_name", None)
    if head is None and getattr(household, "heads", None):
        head = household.heads[0].name
    return HouseholdLine(
        pk=household.pk,
        number=household.number,
        head=head or "",
        village=household.village.name,
        status=household.get_status_display(),
        status_code=household.status,
        reasons=[str(reason) for reason in reasons],
        responsible=responsible,
    )


# ---------------------------------------------------------------- income and classes


def _income_distribution(census: Census, line: IncomeLine | None, households: int) -> IncomeDistribution | None:
    """Households by per-capita net income in the line's year as a share of the line (counted in the census)."""
    if line is None:
        return None
    bins = [IncomeBin(key, census.income_bins[key]) for _, key in INCOME_BINS]
    return IncomeDistribution(
        year=line.year,
        line=line.line,
        bins=bins,
        without_record=households - sum(b.count for b in bins),
    )


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


def _target(user, year: int | None, today: dt.date) -> tuple[list[int], TargetProgress | None]:
    """The visible towns' targets for a year, their cohorts' size and their burn-down (two queries).

    An admin sees every town's target of the year added up; an official their town's.
    """
    by_year = {
        row["year"]: row
        for row in Target.objects.visible_to(user)
        .order_by()
        .values("year")
        .annotate(
            targets=Count("pk", distinct=True),
            households=Count("cohort"),
            people=Coalesce(Sum("cohort__people"), 0),
            name=Min("name"),
            first_as_of=Min("as_of"),
            last_as_of=Max("as_of"),
        )
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
        burndown=_burndown(user, chosen, goal["households"], goal["people"], today),
        name=goal["name"] if goal["targets"] == 1 else "",
        as_of=goal["first_as_of"] if goal["first_as_of"] == goal["last_as_of"] else None,
    )


def _burndown(user, year: int, households: int, people: int, today: dt.date) -> list[BurnPoint]:
    """The cohort households and people not lifted at each month's end of the target year, up to today.

    A cohort household is lifted at a moment when, of its changes to "exited"
    and back to "unexited" dated from its target's day to that moment, the
    latest is an exit: a return to poverty undoes the exit from its month, a
    second exit lifts it again, and monitoring or closing after an exit leaves
    it lifted. Households outside the cohort (identified later) never count.

    One query fetches those changes of the cohort (a few per household at most,
    through the history's (household, date) index); they are folded here by
    household, because the outcome depends on the order of a household's own
    changes, which counts of exits minus returns per month would get wrong for
    a history that does not alternate (e.g. monitored without an exit, then unexited).
    Months after today are left out; the planned line falls evenly to zero by December.
    """
    end = min(today, dt.date(year, 12, 31))
    month_ends = [
        min(dt.date(year, month, calendar.monthrange(year, month)[1]), end)
        for month in range(1, 13)
        if dt.date(year, month, 1) <= today
    ]
    changes = (
        StatusChange.objects.filter(
            household__target_entries__target__in=Target.objects.visible_to(user).filter(year=year),
            changed_on__gte=F("household__target_entries__target__as_of"),
            changed_on__range=(dt.date(year, 1, 1), end),
            to_status__in=[HouseholdStatus.EXITED, HouseholdStatus.UNEXITED],
        )
        .order_by("household_id", "changed_on", "pk")
        .values_list("household_id", "changed_on", "to_status", "household__target_entries__people")
    )
    lifted, lifted_people = [0] * len(month_ends), [0] * len(month_ends)
    for _household, rows in groupby(changes, key=lambda row: row[0]):
        rows = list(rows)
        exited, index = False, 0
        for point, month_end in enumerate(month_ends):
            while index < len(rows) and rows[index][1] <= month_end:
                exited = rows[index][2] == HouseholdStatus.EXITED
                index += 1
            if exited:
                lifted[point] += 1
                lifted_people[point] += rows[0][3]
    return [
        BurnPoint(
            month=month_end.replace(day=1),
            remaining=households - lifted[point],
            planned=round(households * (12 - month_end.month) / 12),
            remaining_people=people - lifted_people[point],
        )
        for point, month_end in enumerate(month_ends)
    ]


# ---------------------------------------------------------------- monitoring for a return to poverty


def _monitoring(user, village, today: dt.date) -> MonitoringFigures:
    """The year's monitoring figures: one aggregate over the cases in scope, one over the year's status changes.

    Each count's filter leads with an indexed column (state with deadline, confirmed_on, removed_on), and the
    scan is limited to the rows any of them can count, so the query reads the year's cases and the open ones,
    never the county's whole history. A village dashboard skips the returns to poverty (the town's figure).
    """
    first, last = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    cases = MonitoringCase.objects.visible_to(user)
    if village is not None:
        cases = cases.filter(household__village=village)
    identified = Q(confirmed_on__range=(first, last))
    helped = Q(state__in=HELPED_STATES)
    removed = Q(removed_on__range=(first, last))
    candidates = Q(state=CaseState.CANDIDATE)
    late = Q(state__in=IDENTIFYING_STATES, deadline_on__lt=today)
    figures = (
        cases.filter(identified | removed | Q(state__in=[*IDENTIFYING_STATES, *HELPED_STATES]))
        .order_by()
        .aggregate(
            identified=Count("pk", filter=identified),
            helped=Count("pk", filter=helped),
            removed=Count("pk", filter=removed),
            candidates=Count("pk", filter=candidates),
            late=Count("pk", filter=late),
        )
    )
    returned = None
    if village is None:
        returned = (
            StatusChange.objects.visible_to(user)
            .filter(
                changed_on__range=(first, last),
                from_status__in=[HouseholdStatus.EXITED, HouseholdStatus.MONITORED],
                to_status=HouseholdStatus.UNEXITED,
            )
            .order_by()
            .count()
        )
    return MonitoringFigures(year=today.year, returned=returned, **figures)


def _case_lists(user, village, today: dt.date) -> tuple[list[CaseLine], list[CaseLine]]:
    """The village's candidates to verify and its late cases, oldest deadline first (two queries).

    The head's name comes as a column of each row (households.selectors.head_name), not a prefetch.
    """
    cases = (
        MonitoringCase.objects.visible_to(user)
        .filter(household__village=village)
        .select_related("household__village")
        .annotate(head=head_name("household_id"))
        .order_by("deadline_on", "pk")
    )
    candidates = cases.filter(state=CaseState.CANDIDATE)[:LISTED_HOUSEHOLDS]
    late = cases.late(today)[:LISTED_HOUSEHOLDS]
    return [case_line(case, today) for case in candidates], [case_line(case, today) for case in late]


def case_line(case: MonitoringCase, today: dt.date) -> CaseLine:
    return CaseLine(
        pk=case.pk,
        household_pk=case.household_id,
        number=case.household.number,
        head=case.head or "",
        village=case.household.village.name,
        state=str(case.get_state_display()),
        state_code=case.state,
        origin=str(case.get_origin_display()),
        reported_on=case.reported_on,
        deadline_on=case.deadline_on,
        late=case.is_late(today),
    )
