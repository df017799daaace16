"""Reads for the assistance pages, with their joins done, always through the scoping choke point."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from assistance.models import Measure, Plan
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment
from households.selectors import household_list

# Households that must have a responsible person: everyone still in the registry's care
# ("four don't-removes": exited households keep theirs). Unexited ones need a contact person too.
CARED_FOR = [HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED, HouseholdStatus.EXITED]


def latest_plan(*, household):
    """The household's newest plan with its measures loaded, or None."""
    return Plan.objects.filter(household=household).order_by("-year").prefetch_related(_measures()).first()


def plan_detail(*, user, pk: int) -> Plan:
    """One plan with its household and measures; DoesNotExist when missing or out of scope."""
    return (
        Plan.objects.visible_to(user)
        .select_related("household__village", "household__group", "created_by")
        .prefetch_related(_measures())
        .get(pk=pk)
    )


def _measures():
    measures = Measure.objects.select_related("responsible", "beneficiary").order_by("planned_date", "pk")
    return Prefetch("measures", queryset=measures)


def _has(role: str):
    return Exists(Assignment.objects.current().filter(household=OuterRef("pk"), role=role))


def guarantee_gaps(*, user):
    """Households missing a person the two-person guarantee requires, with who they do have."""
    current = Assignment.objects.current().select_related("person", "support_unit").order_by("role")
    return (
        household_list(user=user)
        .filter(status__in=CARED_FOR)
        .annotate(has_responsible=_has(AssignmentRole.RESPONSIBLE), has_contact=_has(AssignmentRole.CONTACT))
        .filter(Q(has_responsible=False) | Q(status=HouseholdStatus.UNEXITED, has_contact=False))
        .prefetch_related(Prefetch("assignments", queryset=current, to_attr="current_assignments"))
    )


def households_without_plan(*, user, year: int):
    """Households in scope with no plan for the year (by default only those not yet out of poverty)."""
    return household_list(user=user).exclude(Exists(Plan.objects.filter(household=OuterRef("pk"), year=year)))
