"""The two-person guarantee (双人包保): who answers for a household, with history kept."""

import copy
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from audit import trail as audit
from audit.models import AuditEvent
from households.choices import AssignmentRole
from households.models import Assignment, Household, SupportUnit

# A responsible person is a public official; a contact person works in the village.
ROLES_FOR = {
    AssignmentRole.RESPONSIBLE: {Role.RESPONSIBLE, Role.OFFICIAL},
    AssignmentRole.CONTACT: {Role.CADRE, Role.TEAM_MEMBER},
}


@transaction.atomic
def assignment_set(
    *,
    household: Household,
    role: str,
    person,
    start_date: dt.date,
    support_unit: SupportUnit | None = None,
    user,
    via: str = AuditEvent.Via.WEB,
) -> Assignment:
    """Make `person` the household's responsible or contact person from `start_date`.

    The open assignment for that role, if any, ends the day before, so the
    history of who answered for the household is never lost; both go to the audit trail.
    """
    household = Household.objects.select_for_update().get(pk=household.pk)
    current = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("person", "support_unit")
        .filter(household=household, role=role, end_date__isnull=True)
        .first()
    )
    _check(
        household=household, role=role, person=person, start_date=start_date, support_unit=support_unit, current=current
    )
    trail = audit.AuditTrail(actor=user, via=via)
    if current is not None:
        current.household = household
        before = copy.copy(current)
        current.end_date = start_date - dt.timedelta(days=1)
        current.save(update_fields=["end_date"])
        trail.changed(before, current, household=household, fields=["end_date"])
    assignment = Assignment(
        household=household,
        role=role,
        person=person,
        start_date=start_date,
        support_unit=support_unit if role == AssignmentRole.RESPONSIBLE else None,
    )
    assignment.full_clean()
    assignment.save()
    trail.created(assignment, household=household)
    trail.record()
    return assignment


def _check(*, household, role, person, start_date, support_unit, current) -> None:
    errors = {}
    if person.role not in ROLES_FOR[role] or not person.is_active:
        errors["person"] = (
            _("A responsible person must be an active public official.")
            if role == AssignmentRole.RESPONSIBLE
            else _("A contact person must be an active village cadre or resident team member.")
        )
    elif role == AssignmentRole.CONTACT and not person.villages.filter(pk=household.village_id).exists():
        errors["person"] = _("The contact person must work in the household's village.")
    if role == AssignmentRole.RESPONSIBLE and support_unit is None:
        errors["support_unit"] = _("Give the support unit the responsible person comes from.")
    if support_unit is not None and support_unit.village_id != household.village_id:
        errors["support_unit"] = _("This support unit supports another village.")
    if start_date > timezone.localdate():
        errors["start_date"] = _("The date cannot be in the future.")
    other_role = Assignment.objects.current(on=start_date).filter(household=household, person=person).exclude(role=role)
    if "person" not in errors and other_role.exists():
        errors["person"] = _(
            "This person already answers for the household in the other role: the two-person guarantee needs two "
            "people."
        )
    if current is not None:
        if current.person_id == person.pk:
            errors["person"] = _("This person is already assigned in this role.")
        elif start_date <= current.start_date:
            errors["start_date"] = _(
                "The new assignment must start after the current one, which began on %(date)s."
            ) % {"date": current.start_date.isoformat()}
    if errors:
        raise ValidationError(errors)
