"""The dashboards' figures kept on each household's row, and the one function that writes them.

A dashboard of a county counts 100,000 households by their latest 2W3G verdicts,
their income of the line's year, their current class, their people and whether
they were visited this period. Joining five tables per household for that cost
most of a second; the figures are kept on the household instead (Household's
`failing_items`, `people_count`, `exit_class`, `income_*` and `last_*_visit_on`), so
that a dashboard adds up columns of the rows in scope.

`refresh` recomputes them from the source tables in ONE set-based UPDATE for any
set of households (correlated subqueries on the indexes each table has per
household; SQLite and PostgreSQL alike). Every write that changes a figure calls
it in its own transaction: the assessment, income, classification, household and
visit services, the admin pages, the roster import and both seeders. `stale`
answers, without writing, which households' figures differ from a fresh
computation (`manage.py dashboard_figures --check`).

The income is that of the year of the current line (the newest line not after
today), as `income_year`: a line added for a new year leaves every row's
`income_year` behind, which the dashboard notices and counts the slow way until
`refresh_income` (run by the line's admin page, the daily job and the command)
has caught up.
"""

import datetime as dt
from collections.abc import Iterable

from django.apps import apps as installed_apps
from django.db.models import Case, Count, DateField, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from households.choices import AssessmentItem, AssignmentRole

# One bit per 2W3G item, in the catalogue's order: failing_items & ITEM_BITS[item] is set when the item fails.
ITEM_BITS = {item.value: 1 << index for index, item in enumerate(AssessmentItem)}

# The role whose last counted visit each column keeps (a visit in the "other" role counts for no rule).
LAST_VISIT_FIELDS = {
    AssignmentRole.RESPONSIBLE: "last_responsible_visit_on",
    AssignmentRole.CONTACT: "last_contact_visit_on",
}
INCOME_FIELDS = ("income_year", "income_net", "income_size")
FIELDS = ("failing_items", "people_count", "exit_class", *INCOME_FIELDS, *LAST_VISIT_FIELDS.values())

# What stands for "none" when comparing a kept figure with a fresh one (numbers: -1).
MISSING = {"exit_class": "", **dict.fromkeys(LAST_VISIT_FIELDS.values(), dt.date(1, 1, 1))}

# Ids per UPDATE when a caller passes a list: far below SQLite's limit on a statement's parameters.
CHUNK = 5000


def failing_items_of(bits: int) -> list[AssessmentItem]:
    return [item for item in AssessmentItem if bits & ITEM_BITS[item.value]]


def _model(name: str, apps=None):
    """A model by "app.Model": the installed one, or a migration's historical one (the data migration's)."""
    return (apps or installed_apps).get_model(name)


def current_line_year(on: dt.date | None = None, *, apps=None) -> int | None:
    """The year of the line the dashboards count income against: the newest line not after `on`'s year."""
    on = on or timezone.localdate()
    lines = _model("households.IncomeLine", apps).objects
    return lines.filter(year__lte=on.year).aggregate(year=Max("year"))["year"]


def fresh(line_year: int | None, *, apps=None) -> dict:
    """Each kept figure as an expression over the source tables, for the household of the outer row.

    The models come through `apps` (visits sits above households: its model is looked up, never imported).
    """
    Assessment, Member = _model("households.Assessment", apps), _model("households.Member", apps)
    Classification = _model("households.Classification", apps)
    IncomeRecord, Visit = _model("households.IncomeRecord", apps), _model("visits.Visit", apps)
    latest = Assessment.objects.filter(pk=OuterRef("latest_assessment_id"))
    bits = sum(
        (
            Case(When(**{item.verdict_field: False}, then=Value(ITEM_BITS[item.value])), default=Value(0))
            for item in AssessmentItem
        ),
        start=Value(0),
    )
    members = Member.objects.filter(household=OuterRef("pk")).order_by().values("household")
    current = Classification.objects.filter(household=OuterRef("pk"), current=True)
    income = IncomeRecord.objects.filter(household=OuterRef("pk"), year=line_year)
    expressions = {
        "failing_items": Coalesce(
            Subquery(latest.annotate(bits=bits).values("bits")[:1], output_field=IntegerField()), Value(0)
        ),
        "people_count": Coalesce(
            Subquery(members.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
        ),
        "exit_class": Coalesce(Subquery(current.values("confirmed_class")[:1]), Value("")),
        "income_year": Value(line_year, output_field=IntegerField()),
        "income_net": Subquery(income.values("net_income")[:1]),
        "income_size": Subquery(income.values("household_size")[:1]),
    }
    for role, name in LAST_VISIT_FIELDS.items():
        counted = Visit.objects.filter(household=OuterRef("pk"), role=role, late=False).order_by("-visited_on")
        expressions[name] = Subquery(counted.values("visited_on")[:1], output_field=DateField())
    return expressions


def refresh(household_ids: Iterable[int] | QuerySet | None = None, *, fields: Iterable[str] = FIELDS, apps=None) -> int:
    """Recompute the kept figures of these households (all of them for None) from the source tables.

    One UPDATE per CHUNK ids (one in all for a queryset or None), never one per
    household. `fields` narrows what is recomputed (e.g. INCOME_FIELDS after a new line).
    Returns the number of households updated.
    """
    Household = _model("households.Household", apps)
    expressions = fresh(current_line_year(apps=apps), apps=apps)
    values = {name: expressions[name] for name in fields}
    if household_ids is None:
        return Household.objects.update(**values)
    if isinstance(household_ids, QuerySet):
        return Household.objects.filter(pk__in=household_ids.values("pk")).update(**values)
    ids = sorted(set(household_ids))
    return sum(
        Household.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)
        for start in range(0, len(ids), CHUNK)
    )


def refresh_income() -> int:
    """Bring every household's income figures to the current line's year (after a line is added or changed)."""
    Household = _model("households.Household")
    year = current_line_year()
    if year is None:
        behind = Household.objects.filter(income_year__isnull=False)
    else:
        behind = Household.objects.filter(Q(income_year__isnull=True) | ~Q(income_year=year))
    return refresh(behind, fields=INCOME_FIELDS)


def stale(households: QuerySet | None = None) -> QuerySet:
    """The households whose kept figures differ from a fresh computation (nothing is written)."""
    Household = _model("households.Household")
    households = Household.objects.all() if households is None else households
    expressions = fresh(current_line_year())
    differs = Q()
    for name in FIELDS:
        # NULL-safe: a figure kept where none is due, or missing where one is, differs too.
        missing = Value(MISSING.get(name, -1))
        kept, computed = Coalesce(F(name), missing), Coalesce(F(f"fresh_{name}"), missing)
        differs |= ~Q(Exact(kept, computed))
    return households.annotate(**{f"fresh_{name}": expressions[name] for name in FIELDS}).filter(differs)
