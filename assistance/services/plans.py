"""One household, one plan: what is here keeps authorship and defaults, and never lets one edit undo another."""

from django.db import transaction
from django.utils.translation import gettext as _

from assistance.models import Measure, Plan
from audit import trail as audit
from audit.models import AuditEvent
from common.concurrency import Conflict, ConflictKind, EditConflict, RowConflict, differences, with_version
from households.models import Household


def plan_default_analysis(household: Household) -> str:
    """A starting point for the analysis: the registered causes, which the cadre then writes up."""
    causes = [household.get_main_cause_display(), *household.other_cause_labels()]
    return "、".join(str(cause) for cause in causes)


@transaction.atomic
def plan_save(*, form, household: Household, user, via: str = AuditEvent.Via.WEB) -> Plan:
    """Save a plan from its form, unless someone else changed or deleted it since the form was opened.

    As measure_save: the plan is locked and its version compared with the one
    the form was opened with; on a mismatch nothing is saved and EditConflict
    shows both versions. An edit writes only the fields the form edits, so that
    what was set meanwhile elsewhere on the row (its author) stays. The author
    is whoever writes a new plan; an existing plan keeps its own, which is empty
    when no person wrote it (the demo, the county generator, an import).
    """
    plan = form.instance
    current = None
    if plan.pk is not None:
        current = Plan.objects.select_for_update().filter(pk=plan.pk).first()
        if current is None or form.is_stale(current):
            raise EditConflict(_conflict(form, current, name=_("Assistance plan"), household_id=plan.household_id))
    plan = form.save(commit=False)
    plan.household = household
    if current is None:  # a new plan
        plan.created_by = user
    plan.full_clean()
    plan.save(update_fields=None if current is None else [*form.versioned_fields(), "updated_at"])
    action = AuditEvent.Action.CHANGED if current else AuditEvent.Action.CREATED
    audit.audit_record(actor=user, via=via, action=action, instance=plan, before=current, household=household)
    return plan


@transaction.atomic
def measure_save(*, form, user, via: str = AuditEvent.Via.WEB) -> Measure:
    """Save a measure from its form, unless someone else changed or deleted it since the form was opened.

    The measure is locked and its version compared with the one the form was
    opened with (common/concurrency.py); on a mismatch nothing is saved and
    EditConflict shows both versions. What changed goes to the audit trail,
    compared with the measure as it was stored.
    """
    measure = form.instance
    current = None
    if measure.pk is not None:
        # With the names of its people, which the audit trail records (the lock stays on the measure alone).
        current = (
            Measure.objects.select_for_update(of=("self",))
            .select_related("beneficiary", "responsible")
            .filter(pk=measure.pk)
            .first()
        )
        if current is None or form.is_stale(current):
            household_id = form.instance.plan.household_id
            raise EditConflict(_conflict(form, current, name=_("Measure"), household_id=household_id))
    measure = form.save()
    action = AuditEvent.Action.CHANGED if current else AuditEvent.Action.CREATED
    household = measure.plan.household
    audit.audit_record(actor=user, via=via, action=action, instance=measure, before=current, household=household)
    return measure


def _conflict(form, current: Plan | Measure | None, *, name: str, household_id: int) -> Conflict:
    """The conflict of a one-record form: how the record changed (or that it is gone), and who changed it last."""
    if current is None:
        row = RowConflict(name=name, kind=ConflictKind.DELETED)
    else:
        row = RowConflict(name=name, kind=ConflictKind.CHANGED, differences=differences(form, current))
    changed_at, changed_by = audit.last_recorded_change(
        household_id=household_id, object_types=[form.instance._meta.label], object_id=form.instance.pk
    )
    return Conflict(
        rows=[row],
        current=current,
        data=with_version(form.data, form, current),
        changed_at=changed_at or (current.updated_at if current else None),
        changed_by=changed_by,
    )
