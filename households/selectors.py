"""Reads of the registry, with their joins done, always through the scoping choke point."""

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When

from households.choices import AssessmentItem, Relation
from households.models import Assessment, Household, Member, StatusChange

HEAD_FIRST = Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())


def failing_item_filter(item: str) -> Q:
    return Q(**{f"latest_assessment__{AssessmentItem(item).verdict_field}": False})


def failing_any_filter() -> Q:
    q = Q()
    for item in AssessmentItem:
        q |= failing_item_filter(item)
    return q


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
        .prefetch_related(Prefetch("members", queryset=Member.objects.filter(relation=Relation.HEAD), to_attr="heads"))
        .order_by("village__code", "number")
    )


def household_detail(*, user, pk: int) -> Household:
    """One household with everything its page shows; DoesNotExist when missing or out of scope."""
    return (
        Household.objects.visible_to(user)
        .select_related("village__town", "group", "latest_assessment__assessed_by")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by(HEAD_FIRST, "birth_date", "pk")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("changed_by")),
            Prefetch("assessments", queryset=Assessment.objects.select_related("assessed_by")),
        )
        .get(pk=pk)
    )
