"""My households: what a responsible or contact person owes each household they answer for."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from assistance.models import Instalment, InstalmentFlag, MeasureStatus, Plan
from households.choices import HouseholdStatus
from households.models import Household, IncomeLine, IncomeRecord
from households.selectors import heads_prefetch
from households.services import exit_blockers
from reports.selectors import HouseholdLine, household_line
from visits.selectors import DueVisit, visits_due


@dataclass(frozen=True)
class MyHousehold:
    """One household a person answers for, with what they owe it and what is open on it."""

    line: HouseholdLine
    due: DueVisit
    plan_year: int | None
    measures_total: int
    measures_done: int
    measures_late: int
    overdue_instalments: int

    @property
    def has_plan(self) -> bool:
        return self.plan_year is not None


def my_households(*, user, on: dt.date | None = None) -> list[MyHousehold]:
    """The households assigned to `user` now, most urgent visit first (nine queries, whatever their number).

    What blocks an unexited household's exit is listed too, so that a responsible
    person sees on one page what to work on at the next visit.
    """
    today = on or timezone.localdate()
    due = visits_due(user=user, on=today)
    ids = {entry.household.pk for entry in due}
    households = (
        Household.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("village", "latest_assessment")
        .prefetch_related(heads_prefetch(), Prefetch("income_records", queryset=IncomeRecord.objects.order_by("-year")))
        .in_bulk()
    )
    lines = IncomeLine.objects.in_bulk(field_name="year")
    open_measure = ~Q(measures__status__in=[MeasureStatus.DONE, MeasureStatus.CANCELLED])
    plans = {
        plan["household_id"]: plan
        for plan in Plan.objects.filter(household__in=ids, year=today.year)
        .order_by()
        .values("household_id", "year")
        .annotate(
            total=Count("measures", filter=~Q(measures__status=MeasureStatus.CANCELLED)),
            done=Count("measures", filter=Q(measures__status=MeasureStatus.DONE)),
            late=Count("measures", filter=open_measure & Q(measures__planned_date__lt=today)),
        )
    }
    overdue = dict(
        Instalment.objects.filter(loan__household__in=ids, flag=InstalmentFlag.OVERDUE)
        .order_by()
        .values_list("loan__household_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for entry in due:
        household = households.get(entry.household.pk)
        if household is None:
            continue
        reasons = exit_blockers(household, lines=lines) if household.status == HouseholdStatus.UNEXITED else []
        plan = plans.get(household.pk, {})
        rows.append(
            MyHousehold(
                line=household_line(household, reasons),
                due=entry,
                plan_year=plan.get("year"),
                measures_total=plan.get("total", 0),
                measures_done=plan.get("done", 0),
                measures_late=plan.get("late", 0),
                overdue_instalments=overdue.get(household.pk, 0),
            )
        )
    return rows
