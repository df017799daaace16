"""Reads for the assistance pages, with their joins done, always through the scoping choke point."""

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from assistance.models import (
    FiveMutualActivity,
    IndustrySupport,
    Instalment,
    InstalmentFlag,
    Loan,
    Measure,
    Plan,
    PVIncome,
    PVShare,
    PVStation,
    Repayment,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment, Household, Member
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


# ---------------------------------------------------------------- programmes
# Per-loan figures (what is owed, the next instalment, the worst flag) are scalar
# subqueries rather than aggregates over a join: no GROUP BY across the county's
# loans, and the database works them out only for the rows of the page shown.

MONEY = DecimalField(max_digits=12, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)


# ---------------------------------------------------------------- loans


def _instalments_of_loan():
    return Instalment.objects.filter(loan=OuterRef("pk")).order_by()


def _next_unpaid():
    return _instalments_of_loan().filter(paid_on__isnull=True).order_by("number")


def with_loan_figures(loans):
    """Annotate what is owed, the next unpaid instalment and whether any instalment is overdue or due soon."""
    owed = (
        _instalments_of_loan()
        .values("loan")
        .annotate(total=Sum(F("amount_due") - F("amount_paid"), output_field=MONEY))
        .values("total")
    )
    owed_on_next = ExpressionWrapper(F("amount_due") - F("amount_paid"), output_field=MONEY)
    return loans.annotate(
        outstanding=Coalesce(Subquery(owed, output_field=MONEY), ZERO),
        next_due_date=Subquery(_next_unpaid().values("due_date")[:1]),
        next_amount=Subquery(_next_unpaid().annotate(owed=owed_on_next).values("owed")[:1], output_field=MONEY),
        has_overdue=Exists(_instalments_of_loan().filter(flag=InstalmentFlag.OVERDUE)),
        has_due_soon=Exists(_instalments_of_loan().filter(flag=InstalmentFlag.DUE_SOON)),
    )


def loan_list(*, user):
    """The loans a user may see, newest first, with household, village, borrower and figures."""
    loans = Loan.objects.visible_to(user).select_related("household__village", "borrower")
    return with_loan_figures(loans).order_by("-issued_on", "-pk")


def flagged_loans_filter(flag: str | None = None) -> Q:
    """Loans with an instalment carrying `flag`, or any flag when None."""
    flags = [flag] if flag else [InstalmentFlag.DUE_SOON, InstalmentFlag.OVERDUE]
    return Q(Exists(Instalment.objects.filter(loan=OuterRef("pk"), flag__in=flags)))


def loan_detail(*, user, pk: int) -> Loan:
    """One loan with its schedule and repayments; DoesNotExist when missing or out of scope."""
    return (
        with_loan_figures(Loan.objects.visible_to(user))
        .select_related("household__village", "borrower", "created_by")
        .prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("number")),
            Prefetch("repayments", queryset=Repayment.objects.select_related("recorded_by")),
        )
        .get(pk=pk)
    )


def instalment_list(*, user):
    """Instalments flagged due soon or overdue, soonest first, with their loan, household and borrower."""
    return (
        Instalment.objects.visible_to(user)
        .filter(flag__in=[InstalmentFlag.OVERDUE, InstalmentFlag.DUE_SOON])
        .select_related("loan__household__village", "loan__borrower")
        .order_by("due_date", "pk")
    )


# ---------------------------------------------------------------- village programmes


def training_list(*, user):
    attendees = TrainingSession.attendees.through.objects.filter(trainingsession=OuterRef("pk")).order_by()
    counted = attendees.values("trainingsession").annotate(n=Count("pk")).values("n")
    return (
        TrainingSession.objects.visible_to(user)
        .select_related("village")
        .annotate(attendee_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
        .order_by("-held_on", "-pk")
    )


def training_detail(*, user, pk: int) -> TrainingSession:
    """A session with the attendees the user may see (a responsible person sees only their households')."""
    attendees = Member.objects.visible_to(user).select_related("household").order_by("household__number", "pk")
    return (
        training_list(user=user)
        .prefetch_related(Prefetch("attendees", queryset=attendees, to_attr="visible_attendees"))
        .get(pk=pk)
    )


def welfare_job_list(*, user):
    return (
        WelfareJob.objects.visible_to(user)
        .select_related("village", "member__household")
        .order_by("-start_date", "-pk")
    )


def pv_station_list(*, user):
    """Stations with their latest year's income and what of it is still to share."""
    latest = PVIncome.objects.filter(station=OuterRef("pk")).order_by("-year")
    return (
        PVStation.objects.visible_to(user)
        .select_related("village")
        .annotate(
            latest_year=Subquery(latest.values("year")[:1]),
            latest_income=Subquery(latest.values("income")[:1], output_field=MONEY),
            income_count=Subquery(
                PVIncome.objects.filter(station=OuterRef("pk"))
                .order_by()
                .values("station")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
        )
        .order_by("village__code", "name")
    )


def with_shared_total(incomes):
    shared = PVShare.objects.filter(income=OuterRef("pk")).order_by().values("income").annotate(s=Sum("amount"))
    return incomes.annotate(shared=Coalesce(Subquery(shared.values("s"), output_field=MONEY), ZERO)).annotate(
        remaining=ExpressionWrapper(F("income") - F("shared"), output_field=MONEY)
    )


def pv_station_detail(*, user, pk: int) -> PVStation:
    """A station with every year's income, the total shared and what remains, and the shares the user may see."""
    shares = PVShare.objects.visible_to(user).select_related("household").order_by("household__number")
    incomes = with_shared_total(PVIncome.objects.order_by("-year")).prefetch_related(
        Prefetch("shares", queryset=shares, to_attr="visible_shares")
    )
    return (
        PVStation.objects.visible_to(user)
        .select_related("village")
        .prefetch_related(Prefetch("incomes", queryset=incomes))
        .get(pk=pk)
    )


def pv_income_for_share(*, user, pk: int) -> PVIncome:
    """A station-year the user may share out, with its totals."""
    return with_shared_total(PVIncome.objects.editable_by(user)).select_related("station__village").get(pk=pk)


def _households_count(model):
    through = model.households.through
    owner = model._meta.model_name
    counted = through.objects.filter(**{owner: OuterRef("pk")}).order_by().values(owner).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


def _visible_households(user):
    return Household.objects.visible_to(user).order_by("number")


def industry_list(*, user):
    return (
        IndustrySupport.objects.visible_to(user)
        .select_related("village")
        .annotate(household_count=_households_count(IndustrySupport))
        .order_by("-year", "village__code", "pk")
    )


def industry_detail(*, user, pk: int) -> IndustrySupport:
    households = _visible_households(user)
    return (
        industry_list(user=user)
        .prefetch_related(Prefetch("households", queryset=households, to_attr="visible_households"))
        .get(pk=pk)
    )


def five_mutual_list(*, user):
    return (
        FiveMutualActivity.objects.visible_to(user)
        .select_related("village", "type")
        .annotate(household_count=_households_count(FiveMutualActivity))
        .order_by("-held_on", "-pk")
    )


def five_mutual_detail(*, user, pk: int) -> FiveMutualActivity:
    households = _visible_households(user)
    return (
        five_mutual_list(user=user)
        .prefetch_related(Prefetch("households", queryset=households, to_attr="visible_households"))
        .get(pk=pk)
    )


# ---------------------------------------------------------------- household programmes


def reward_list(*, user):
    return Reward.objects.visible_to(user).select_related("household__village").order_by("-awarded_on", "-pk")


def example_list(*, user):
    return TypicalExample.objects.visible_to(user).select_related("household__village").order_by("-noted_on", "-pk")


def household_programmes(*, household) -> dict:
    """A household's loans (with next instalment and flags), jobs, PV shares, rewards and examples: five queries.

    The household page has already checked that the reader may see the household.
    """
    loans = with_loan_figures(household.loans.select_related("borrower")).order_by("repaid_on", "-issued_on")
    return {
        "loans": list(loans),
        "welfare_jobs": list(
            WelfareJob.objects.filter(member__household=household).select_related("member").order_by("-start_date")
        ),
        "pv_shares": list(
            PVShare.objects.filter(household=household)
            .select_related("income__station")
            .order_by("-income__year", "income__station__name")
        ),
        "rewards": list(household.rewards.order_by("-awarded_on", "-pk")),
        "examples": list(household.typical_examples.order_by("-noted_on", "-pk")),
    }
