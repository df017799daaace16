"""The monitoring section of the household page: its open case, earlier cases, and a way to report it."""

from households import panels
from households.choices import HouseholdStatus
from monitoring.models import MonitoringCase

EARLIER_CASES_SHOWN = 5


def monitoring_panel(household, user):
    """One query: the household's latest cases (the open one first, since a household has at most one)."""
    cases = list(
        MonitoringCase.objects.filter(household=household).order_by("-reported_on", "-pk")[: EARLIER_CASES_SHOWN + 1]
    )
    open_case = next((case for case in cases if case.is_open), None)
    return {
        "open_case": open_case,
        "earlier_cases": [case for case in cases if case is not open_case][:EARLIER_CASES_SHOWN],
        # The page's household is already in the user's scope: whoever may edit may report it.
        "can_report": user.scope.can_edit and open_case is None and household.status != HouseholdStatus.CLOSED,
    }


def register_all():
    panels.register(panels.Panel("monitoring/includes/household_panel.html", monitoring_panel, order=12))
