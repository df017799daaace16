"""One household, one plan: the plan is plain CRUD; what is here keeps authorship and defaults."""

from django.db import transaction

from assistance.models import Plan
from households.models import Household


def plan_default_analysis(household: Household) -> str:
    """A starting point for the analysis: the registered causes, which the cadre then writes up."""
    causes = [household.get_main_cause_display(), *household.other_cause_labels()]
    return "、".join(str(cause) for cause in causes)


@transaction.atomic
def plan_save(*, form, household: Household, user) -> Plan:
    plan = form.save(commit=False)
    plan.household = household
    if plan.pk is None:
        plan.created_by = user
    plan.full_clean()
    plan.save()
    return plan
