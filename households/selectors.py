"""Reads of the registry, with their joins done, always through the scoping choke point."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThan, LessThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from households import classification
from households.choices import AssessmentItem, Relation
from households.classification import POST_EXIT_STATUSES, ExitClass, Rule
from households.models import (
    Assessment,
    Classification,
    Household,
    HouseholdImport,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
)

# The order of every list of households: village by village, by number within each. On the household's own
# columns, so that the index household_village_number hands a page over in order; ordering by the village's
# code (a join) made the database sort the whole scope for each page of 50.
LIST_ORDER = ("village_id", "number")

HEAD_FIRST = Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())


def failing_item_filter(item: str) -> Q:
    return Q(**{f"latest_assessment__{AssessmentItem(item).verdict_field}": False})


def failing_any_filter() -> Q:
    q = Q()
    for item in AssessmentItem:
        q |= failing_item_filter(item)
    return q


def heads_prefetch() -> Prefetch:
    """Each household's head as `household.heads` (a list of one), for lists that show who the household is."""
    return Prefetch("members", queryset=Member.objects.filter(relation=Relation.HEAD), to_attr="heads")


def head_name(household: str = "pk") -> Subquery:
    """The name of the head of the household that the outer query names in its field `household`, as a column.

    For lists that name households the way people know them, head first: one subquery per row on the index
    of the one head a household has (one_head_per_household), so no query of its own; None without a head.
    """
    heads = Member.objects.filter(household=OuterRef(household), relation=Relation.HEAD).order_by()
    return Subquery(heads.values("name")[:1])


def may_act(user, household, *, town: bool) -> bool:
    """Whether `user` may take a step of a procedure for the household (the exit procedure, a monitoring case).

    A village step: whoever may edit the household (its village's cadres, its town's officials, administrators).
    A town or county step: whoever may change its status (its town's officials, administrators).
    """
    households = Household.objects.status_changeable_by(user) if town else Household.objects.editable_by(user)
    return households.filter(pk=household.pk).exists()


def household_find(*, user, text: str, limit: int):
    """The households in `user`'s scope that `text` names, at most `limit`, the one with that very number first.

    `text` is a whole household number, its last digits (four or more, checked by the form), or part of
    the head's name. Each household carries `head_name`, and its village and group. A whole ID number is
    not searched here: the household list does that, and logs it.
    """
    households = Household.objects.visible_to(user)
    if text.isdigit():
        households = households.filter(number__endswith=text)
    else:
        named = Member.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD, name__contains=text)
        households = households.filter(Q(number=text) | Exists(named))
    exact = Case(When(number=text, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        households.select_related("village", "group")
        .annotate(head_name=head_name())
        .order_by(exact, "village__code", "number")[:limit]
    )


def household_search(queryset, text: str):
    """Households whose number, a member's name, or a member's whole ID number matches."""
    text = text.strip()
    if not text:
        return queryset
    members = Member.objects.filter(Q(name__contains=text) | Q(id_number=text.upper()))
    return queryset.filter(Q(number__startswith=text) | Q(pk__in=members.values("household_id")))


def _member_count():
    # A scalar subquery rather than Count() over a join: no GROUP BY across the
    # whole registry, and the database evaluates it only for the page's rows.
    members = Member.objects.filter(household=OuterRef("pk")).order_by().values("household")
    return Subquery(members.annotate(n=Count("pk")).values("n"), output_field=IntegerField())


def household_list(*, user):
    """The households a user may see, ready for a list page (heads loaded in one query)."""
    return (
        Household.objects.visible_to(user)
        .select_related("village", "group", "latest_assessment")
        .annotate(size=_member_count())
        .prefetch_related(heads_prefetch())
        .order_by(*LIST_ORDER)
    )


def household_detail(*, user, pk: int) -> Household:
    """One household with everything its page shows; DoesNotExist when missing or out of scope.

    Besides its relations, the household carries `income_lines` ({year: IncomeLine}),
    so that readiness, income history and the class suggestion need no further query.
    """
    household = (
        Household.objects.visible_to(user)
        .select_related("village__town", "group", "latest_assessment__assessed_by")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by(HEAD_FIRST, "birth_date", "pk")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("changed_by", "import_batch")),
            Prefetch("assessments", queryset=Assessment.objects.select_related("assessed_by")),
            Prefetch("income_records", queryset=IncomeRecord.objects.order_by("-year")),
            Prefetch(
                "classifications",
                queryset=Classification.objects.select_related("decided_by").order_by("-decided_at", "-pk"),
            ),
            Prefetch("imports", queryset=HouseholdImport.objects.select_related("batch").order_by("-batch_id")),
        )
        .get(pk=pk)
    )
    household.income_lines = income_lines()
    # Who the household is, for its title: from the members just loaded.
    household.head = next((member for member in household.members.all() if member.relation == Relation.HEAD), None)
    return household


# ---------------------------------------------------------------- income


def income_lines() -> dict[int, IncomeLine]:
    """Every configured line by year: a handful of rows, read once per page."""
    return IncomeLine.objects.in_bulk(field_name="year")


def income_records_newest_first(household: Household) -> list[IncomeRecord]:
    """The household's income years, newest first (from the prefetch when the page made one)."""
    return sorted(household.income_records.all(), key=lambda record: record.year, reverse=True)


@dataclass(frozen=True)
class IncomeYear:
    """One year of a household's income beside that year's line (None when no line is configured)."""

    record: IncomeRecord
    line: IncomeLine | None

    @property
    def above(self) -> bool | None:
        return None if self.line is None else self.record.is_above(self.line)


def income_history(household: Household, lines: dict[int, IncomeLine]) -> list[IncomeYear]:
    return [IncomeYear(record, lines.get(record.year)) for record in income_records_newest_first(household)]


class IncomeFlag(models.TextChoices):
    BELOW_LINE = "below_line", _("Not above the line")
    DROP = "drop", _("Sharp fall in income")


def income_flagged(*, user, line: IncomeLine, village=None, flag: str = "", status: str = ""):
    """Households whose income in line.year is not above the line or fell sharply from the year before.

    One query for any number of households: the year's record and the previous
    year's are two joins on the (household, year) index, and both tests multiply
    instead of dividing, so they are exact and never divide by a size:
      not above the line:  net <= line x size
      sharp fall:          previous net > 0 and net x previous size x 100 < (100 - share%) x previous net x size
    """
    year = line.year
    net, size = F("income_now__net_income"), F("income_now__household_size")
    previous_net, previous_size = F("income_before__net_income"), F("income_before__household_size")
    keep_share = 100 - classification.hundredths(line.drop_share)
    households = (
        Household.objects.visible_to(user)
        .annotate(
            income_now=FilteredRelation("income_records", condition=Q(income_records__year=year)),
            income_before=FilteredRelation("income_records", condition=Q(income_records__year=year - 1)),
        )
        .filter(income_now__isnull=False)
        .annotate(
            net=net,
            size=size,
            previous_net=previous_net,
            previous_size=previous_size,
            below_line=ExpressionWrapper(LessThanOrEqual(net, Value(line.line) * size), output_field=BooleanField()),
            dropped=ExpressionWrapper(
                GreaterThan(previous_net, Value(0))
                & LessThan(net * previous_size * Value(100), Value(keep_share) * previous_net * size),
                output_field=BooleanField(),
            ),
        )
        .select_related("village")
        .prefetch_related(heads_prefetch())
        .order_by(*LIST_ORDER)
    )
    if flag == IncomeFlag.BELOW_LINE:
        households = households.filter(below_line=True)
    elif flag == IncomeFlag.DROP:
        households = households.filter(dropped=True)
    else:
        households = households.filter(Q(below_line=True) | Q(dropped=True))
    if village is not None:
        households = households.filter(village=village)
    if status:
        households = households.filter(status=status)
    return households


@dataclass(frozen=True)
class FlaggedHousehold:
    """A row of the flagged list: the household and its figures per capita."""

    household: Household

    @property
    def per_capita(self) -> Decimal:
        return classification.per_capita(self.household.net, self.household.size)

    @property
    def previous_per_capita(self) -> Decimal | None:
        if self.household.previous_net is None:
            return None
        return classification.per_capita(self.household.previous_net, self.household.previous_size)

    @property
    def drop(self) -> Decimal | None:
        before = self.previous_per_capita
        if not before or before <= 0:
            return None
        return classification.drop_percent(per_capita_now=self.per_capita, per_capita_before=before)


# ---------------------------------------------------------------- classes after exit

UNCLASSIFIED = "none"


def exited_by_class(*, user, village=None):
    """Households out of poverty with their current class (None when not classified yet), one join."""
    households = (
        Household.objects.visible_to(user)
        .filter(status__in=POST_EXIT_STATUSES)
        .annotate(
            current_classification=FilteredRelation("classifications", condition=Q(classifications__current=True)),
        )
        .annotate(
            current_class=F("current_classification__confirmed_class"),
            suggested_class=F("current_classification__suggested_class"),
            class_rule=F("current_classification__rule"),
            classified_on=F("current_classification__classified_on"),
        )
    )
    if village is not None:
        households = households.filter(village=village)
    return households


def class_counts(households) -> list[tuple[str, str, int]]:
    """(value, label, count) for every class and for the unclassified, in one grouped query."""
    counts = dict(households.order_by().values_list("current_class").annotate(n=Count("pk")))
    return [
        *((value, label, counts.get(value, 0)) for value, label in ExitClass.choices),
        (UNCLASSIFIED, _("Not classified yet"), counts.get(None, 0)),
    ]


def filter_by_class(households, exit_class: str):
    if exit_class == UNCLASSIFIED:
        return households.filter(current_class__isnull=True)
    if exit_class:
        return households.filter(current_class=exit_class)
    return households


def with_list_joins(households):
    return households.select_related("village").prefetch_related(heads_prefetch()).order_by(*LIST_ORDER)


@dataclass(frozen=True)
class ClassifiedHousehold:
    """A row of the class list: the household with its current class's labels."""

    household: Household

    @property
    def class_label(self) -> str:
        value = self.household.current_class
        return ExitClass(value).label if value in ExitClass.values else ""

    @property
    def suggested_label(self) -> str:
        value = self.household.suggested_class
        return ExitClass(value).label if value in ExitClass.values else ""

    @property
    def rule_label(self) -> str:
        value = self.household.class_rule
        return Rule(value).label if value in Rule.values else ""

    @property
    def is_override(self) -> bool:
        return bool(self.household.current_class) and self.household.current_class != self.household.suggested_class
