"""The assistance sections of the household page: who answers for it, and its plan."""

from django.utils import timezone

from households import panels
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assignment


def guarantee_panel(household, user):
    assignments = list(
        Assignment.objects.current().filter(household=household).select_related("person", "support_unit")
    )
    required = [AssignmentRole.RESPONSIBLE]
    if household.status == HouseholdStatus.UNEXITED:
        required.append(AssignmentRole.CONTACT)
    present = {assignment.role for assignment in assignments}
    return {
        "assignments": assignments,
        "missing_roles": [role for role in required if role not in present],
        "can_edit": user.scope.can_edit,
    }


def plan_panel(household, user):
    """This year's plan; failing that the latest one, with a note that this year's is missing."""
    from assistance.selectors import latest_plan

    return {
        "plan": latest_plan(household=household),
        "year": timezone.localdate().year,
        "can_edit": user.scope.can_edit,
    }


def register_all():
    panels.register(panels.Panel("assistance/includes/guarantee_panel.html", guarantee_panel, order=10))
    panels.register(panels.Panel("assistance/includes/plan_panel.html", plan_panel, order=20))
