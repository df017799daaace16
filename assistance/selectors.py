"""Reads for the assistance pages, with their joins done, always through the scoping choke point."""

from django.db.models import Prefetch

from assistance.models import Measure, Plan


def plan_for_year(*, household, year):
    """The household's plan for a year with its measures loaded, or None."""
    measures = Measure.objects.select_related("responsible", "beneficiary").order_by("planned_date", "pk")
    return (
        Plan.objects.filter(household=household, year=year)
        .prefetch_related(Prefetch("measures", queryset=measures))
        .first()
    )
