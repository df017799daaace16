"""One household, one plan: what is here keeps authorship and defaults, and never lets one edit undo another."""

import copy

from django.db import transaction

from assistance.models import Measure, Plan
from audit import trail as audit
from audit.models import AuditEvent
from common.concurrency import check_version
from households.models import Household


def plan_default_analysis(household: Household) -> str:
    """A starting point for the analysis: the registered causes, which the cadre then writes up."""
    causes = [household.get_main_cause_display(), *household.other_cause_labels()]
    return "、".join(str(cause) for cause in causes if cause)  # an ordinary rural household may have none


PLAN_FIELDS = ("year", "cause_analysis", "goal")  # what an editor writes; the author is the service's
MEASURE_FIELDS = (
    "category",
    "description",
    "beneficiary",
    "responsible",
    "planned_date",
    "actual_date",
    "amount",
    "status",
    "risk",
)


@transaction.atomic
def plan_save(
    *,
    household: Household,
    year: int,
    cause_analysis: str,
    goal: str,
    plan: Plan | None = None,
    version: str = "",
    user,
    via: str = AuditEvent.Via.WEB,
) -> Plan:
    """Write a household's plan: a new one, or `plan` unless someone changed or deleted it since `version`.

    The plan is locked and its version compared with the one the editor saw
    (common/concurrency.py); on a mismatch nothing is saved and StaleVersion
    carries the plan as stored now. An edit writes only the editor's fields, so
    that what was set meanwhile elsewhere on the row (its author) stays. The
    author is whoever writes a new plan; an existing plan keeps its own, which
    is empty when no person wrote it (the demo, the county generator, an import).
    """
    current = None
    if plan is not None:
        current = Plan.objects.select_for_update().filter(pk=plan.pk).first()
        check_version(current, version, PLAN_FIELDS)
        plan = copy.copy(current)  # current stays as it was stored, for the audit trail
    else:
        plan = Plan(household=household, created_by=user)
    plan.year, plan.cause_analysis, plan.goal = year, cause_analysis, goal
    plan.full_clean()
    plan.save(update_fields=None if current is None else [*PLAN_FIELDS, "updated_at"])
    action = AuditEvent.Action.CHANGED if current else AuditEvent.Action.CREATED
    audit.audit_record(actor=user, via=via, action=action, instance=plan, before=current, household=household)
    return plan


@transaction.atomic
def measure_save(
    *,
    plan: Plan,
    category: str,
    description: str,
    beneficiary=None,
    responsible=None,
    planned_date=None,
    actual_date=None,
    amount=None,
    status: str,
    risk: str = "",
    measure: Measure | None = None,
    version: str = "",
    user,
    via: str = AuditEvent.Via.WEB,
) -> Measure:
    """Write a measure of a plan: a new one, or `measure` unless someone changed or deleted it since `version`.

    As plan_save: the measure is locked, its version compared, and on a mismatch
    nothing is saved (StaleVersion). What changed goes to the audit trail,
    compared with the measure as it was stored.
    """
    current = None
    if measure is not None:
        # With the names of its people, which the audit trail records (the lock stays on the measure alone).
        current = (
            Measure.objects.select_for_update(of=("self",))
            .select_related("beneficiary", "responsible")
            .filter(pk=measure.pk)
            .first()
        )
        check_version(current, version, MEASURE_FIELDS)
        measure = copy.copy(current)  # current stays as it was stored, for the audit trail
    else:
        measure = Measure(plan=plan)
    values = dict(
        category=category,
        description=description,
        beneficiary=beneficiary,
        responsible=responsible,
        planned_date=planned_date,
        actual_date=actual_date,
        amount=amount,
        status=status,
        risk=risk,
    )
    for name, value in values.items():
        setattr(measure, name, value)
    measure.full_clean()
    measure.save()
    action = AuditEvent.Action.CHANGED if current else AuditEvent.Action.CREATED
    audit.audit_record(actor=user, via=via, action=action, instance=measure, before=current, household=plan.household)
    return measure
