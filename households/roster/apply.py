"""Writing a plan: one transaction, in parts of a few thousand households, bulk inserts (COPY) and updates in each.

The plan was made from a registry snapshot loaded with lock=True inside the same
transaction, so the rows it updates are locked and nothing it checked can change
underneath; nothing is validated again here. The database's constraints still
stand guard: if one trips, the whole import is undone.

The audit trail gets one event for the import (audit.trail.bulk_event) and, part
by part as the writes go, one row per household and member created or updated,
compared with a copy taken before the write: a few inserts a part, never one per
row, and nothing of it kept once written.
"""

import copy
import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail as audit
from audit.models import AuditEvent
from common.copying import bulk_insert, unsaved
from households import summaries
from households.choices import HouseholdStatus
from households.models import Household, HouseholdImport, Member, StatusChange, VillagerGroup
from households.roster.validate import CREATED, UNCHANGED, UPDATED, HouseholdChange, Plan

BATCH_SIZE = 500
PART_HOUSEHOLDS = 2000  # households written (and their audit rows) together


def apply_plan(
    plan: Plan,
    *,
    batch,
    user,
    today: dt.date | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Create, update and record history for everything the plan changes; raises if the plan has errors.

    `on_progress` is told (people written, people to write) after each part.
    """
    if not plan.ok:
        raise ValueError("a plan with errors is never applied")
    today = today or timezone.localdate()
    now = timezone.now()
    touched = [change for change in plan.households if change.touched]
    people = sum(len(change.members) for change in touched)
    with transaction.atomic():
        group_ids = _create_groups(plan)
        event = audit.bulk_event(
            actor=user,
            via=AuditEvent.Via.IMPORT,
            instance=batch,
            import_batch=batch,
            reason=_("Roster import %(batch)s applied.") % {"batch": batch.pk},
            changes=_summary(plan),
        )
        trail = audit.AuditTrail(actor=user, via=AuditEvent.Via.IMPORT, import_batch=batch, event=event)
        written = 0
        for start in range(0, len(touched), PART_HOUSEHOLDS):
            part = touched[start : start + PART_HOUSEHOLDS]
            stored = _stored_copies(part)
            created = _create_households(part, group_ids, now)
            _update_households(part, group_ids, now)
            _write_members(part)
            _record_history(part, batch=batch, user=user, today=today, created=created)
            _record_audit(part, stored, trail=trail, batch=batch)
            households_imported([change.household.pk for change in part])
            written += sum(len(change.members) for change in part)
            _let_go(part)
            if on_progress is not None:
                on_progress(written, people)


def _let_go(part: list[HouseholdChange]) -> None:
    """Drop a written part's records: the plan keeps what it counts, not a hundred thousand model instances."""
    for change in part:
        change.household = None
        for member_change in change.members:
            member_change.member = None


def households_imported(household_ids: list[int]) -> None:
    """What else must follow the households a part of the import wrote, in the same transaction.

    The figures each household keeps for the dashboards (people, and whatever the import
    changed beside them) are brought up to date once the part's households are written,
    members and history included: one UPDATE for the part.
    """
    summaries.refresh(household_ids)


def _summary(plan: Plan) -> dict[str, list]:
    """The import's event: how many households and members it created and updated (as [None, count])."""
    counts = plan.counts()
    return {
        f"{kind} {action}": [None, counts[kind][action]]
        for kind in ("households", "members")
        for action in (CREATED, UPDATED)
        if counts[kind][action]
    }


def _create_groups(plan: Plan) -> dict[tuple[int, str], int]:
    if not plan.new_groups:
        return {}
    VillagerGroup.objects.bulk_create(
        [VillagerGroup(village_id=village_id, name=name) for village_id, name in plan.new_groups],
        batch_size=BATCH_SIZE,
    )
    village_ids = {village_id for village_id, _name in plan.new_groups}
    names = {name for _village_id, name in plan.new_groups}
    found = VillagerGroup.objects.filter(village_id__in=village_ids, name__in=names).values_list(
        "village_id", "name", "pk"
    )
    return {(village_id, name): pk for village_id, name, pk in found}


def _create_households(part: list[HouseholdChange], group_ids, now) -> list[Household]:
    new = []
    for change in part:
        if change.action != CREATED:
            continue
        values = dict(change.values)
        if change.group:
            values["group_id"] = group_ids[change.group]
        change.household = unsaved(Household, {**values, "created_at": now, "updated_at": now})
        new.append(change.household)
    bulk_insert(Household, new)
    if new and new[0].pk is None:  # a database that does not return keys from a bulk insert
        pks = dict(Household.objects.filter(number__in=[h.number for h in new]).values_list("number", "pk"))
        for household in new:
            household.pk = pks[household.number]
    return new


def _update_households(part: list[HouseholdChange], group_ids, now):
    changed, fields = [], set()
    for change in part:
        if change.action != UPDATED:
            continue
        household = change.household
        if change.group:
            change.values["group_id"] = group_ids[change.group]
        for key, value in change.values.items():
            setattr(household, key, value)
        household.updated_at = now
        changed.append(household)
        fields |= set(change.values)
    if changed:
        Household.objects.bulk_update(changed, sorted(fields | {"updated_at"}), batch_size=BATCH_SIZE)


def _write_members(part: list[HouseholdChange]):
    """Heads that stop being heads first, then other updates, then new members: never two heads at once.

    A household's members are all in its part, so this holds part by part.
    """
    demoted, demoted_fields, updated, updated_fields, new = [], set(), [], set(), []
    for change in part:
        for member_change in change.members:
            if member_change.action == CREATED:
                values = {"household_id": change.household.pk, "id_number": member_change.id_number}
                member_change.member = unsaved(Member, {**values, **member_change.values})
                new.append(member_change.member)
            elif member_change.action == UPDATED:
                member = member_change.member
                for key, value in member_change.values.items():
                    setattr(member, key, value)
                if member_change.loses_head:
                    demoted.append(member)
                    demoted_fields |= set(member_change.values)
                else:
                    updated.append(member)
                    updated_fields |= set(member_change.values)
    if demoted:
        Member.objects.bulk_update(demoted, sorted(demoted_fields), batch_size=BATCH_SIZE)
    if updated:
        Member.objects.bulk_update(updated, sorted(updated_fields), batch_size=BATCH_SIZE)
    bulk_insert(Member, new)


def _record_history(part: list[HouseholdChange], *, batch, user, today, created):
    statuses, imports = [], []
    for change in part:
        if not change.touched:
            continue
        members = [m for m in change.members if m.action != UNCHANGED]
        imports.append(
            unsaved(
                HouseholdImport,
                {
                    "household_id": change.household.pk,
                    "batch_id": batch.pk,
                    "action": change.action if change.action != UNCHANGED else UPDATED,
                    "changed_fields": change.changed_fields,
                    "members_created": sum(1 for m in members if m.action == CREATED),
                    "members_updated": sum(1 for m in members if m.action == UPDATED),
                },
            )
        )
        reason = _status_reason(change, batch)
        if change.action == CREATED:
            statuses.append(_status(change.household, "", change.household.status, reason, batch, user, today))
        elif change.status_to == HouseholdStatus.EXITED:
            statuses.append(
                _status(change.household, HouseholdStatus.UNEXITED, change.status_to, reason, batch, user, today)
            )
        elif change.status_to == HouseholdStatus.UNEXITED:
            statuses.append(
                _status(change.household, HouseholdStatus.EXITED, change.status_to, reason, batch, user, today)
            )
    bulk_insert(StatusChange, statuses)
    bulk_insert(HouseholdImport, imports)


def _status_reason(change, batch) -> str:
    if change.action == CREATED:
        return _("Registered by roster import (batch %(batch)s).") % {"batch": batch.pk}
    if change.status_to == HouseholdStatus.EXITED:
        return _("Out of poverty in %(year)s according to the roster (batch %(batch)s).") % {
            "year": change.household.exit_year,
            "batch": batch.pk,
        }
    if change.status_to == HouseholdStatus.UNEXITED:
        return _("The roster gives no exit year (batch %(batch)s).") % {"batch": batch.pk}
    return ""


def _stored_copies(part: list[HouseholdChange]) -> dict[tuple[str, int], object]:
    """The households and members a part updates, as stored before it writes: what the audit compares with."""
    stored = {}
    for change in part:
        if change.action == UPDATED:
            stored["household", change.household.pk] = copy.copy(change.household)
        for member_change in change.members:
            if member_change.action == UPDATED:
                stored["member", member_change.member.pk] = copy.copy(member_change.member)
    return stored


def _record_audit(part: list[HouseholdChange], stored, *, trail, batch) -> None:
    for change in part:
        household = change.household
        if change.action == CREATED:
            trail.created(household, household=household, reason=_status_reason(change, batch))
        elif change.action == UPDATED:
            action = AuditEvent.Action.STATUS_CHANGED if change.status_to else AuditEvent.Action.CHANGED
            before = stored["household", household.pk]
            trail.changed(before, household, household=household, action=action, reason=_status_reason(change, batch))
        for member_change in change.members:
            if member_change.action == CREATED:
                trail.created(member_change.member, household=household)
            elif member_change.action == UPDATED:
                trail.changed(stored["member", member_change.member.pk], member_change.member, household=household)
    trail.record()


def _status(household, from_status, to_status, reason, batch, user, today) -> StatusChange:
    # unsaved: thirty thousand of these for a county's roster, without Model.__init__'s checks of every keyword
    return unsaved(
        StatusChange,
        {
            "household_id": household.pk,
            "from_status": from_status,
            "to_status": to_status,
            "changed_on": today,
            "reason": reason,
            "changed_by_id": getattr(user, "pk", None),
            "import_batch_id": batch.pk,
        },
    )
