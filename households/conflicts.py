"""Edits that crossed: a household form, with its members, compared with what is stored now.

See common/concurrency.py for the version each form carries. A household form
is stale when the household's fields changed, or a member the form was opened
with was changed or deleted, or a member was added that the form never showed:
the formset would otherwise keep that member unseen, and could not save a form
whose member is gone (its hidden id no longer matches any row).
"""

from django.db.models import Prefetch
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.utils.translation import gettext as _

from common.concurrency import (
    VERSION_FIELD,
    Conflict,
    ConflictKind,
    RowConflict,
    as_querydict,
    differences,
    version_of,
)
from households import idnumbers
from households.models import AuditEvent, Household, Member

HIDDEN = {"id_number": idnumbers.mask}
RECORDS = ["households.Household", "households.Member"]  # what the household form edits, as the audit names them


def household_conflict(*, household_form, member_formset, lock: bool = False) -> Conflict | None:
    """What changed under an edit form of an existing household since it was opened; None when nothing did.

    With `lock`, the household and its members are read with select_for_update,
    so that nobody changes them between this check and the save that follows it
    in the same transaction. A household deleted meanwhile gives a conflict
    whose `current` is None.
    """
    pk = household_form.instance.pk
    if pk is None:
        return None
    households = Household.objects.filter(pk=pk)
    members = Member.objects.filter(household_id=pk).order_by("pk")
    if lock:
        households, members = households.select_for_update(), members.select_for_update()
    current = households.prefetch_related(Prefetch("members", queryset=members, to_attr="stored_members")).first()
    if current is None:
        return Conflict(rows=[], current=None, data=QueryDict())
    stored = {member.pk: member for member in current.stored_members}

    rows = []
    household_changed = household_form.is_stale(current)
    if household_changed:
        rows.append(
            RowConflict(
                name=_("Household %(number)s") % {"number": current.number},
                kind=ConflictKind.CHANGED,
                differences=differences(household_form, current),
            )
        )
    if member_formset.management_form.is_valid():  # else the formset says it was tampered with
        rows += _member_rows(member_formset, stored)
    if not rows:
        return None
    changed_at, changed_by = last_recorded_change(household_id=pk, object_types=RECORDS)
    if changed_at is None and household_changed:
        changed_at = current.updated_at  # a change the audit trail missed: when, not who
    return Conflict(
        rows=rows,
        current=current,
        data=_reopened(household_form, member_formset, current, stored),
        changed_at=changed_at,
        changed_by=changed_by,
    )


def last_recorded_change(*, household_id: int, object_types: list[str], object_id: int | None = None):
    """When and by whom (a name, or the way it came: roster import, job) a household's records last changed.

    From the audit trail, through its (household, time) index; (None, "") when it holds nothing.
    """
    events = AuditEvent.objects.filter(household_id=household_id, object_type__in=object_types)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    event = events.select_related("actor").order_by("-at", "-id").first()
    if event is None:
        return None, ""
    if event.actor is None:
        return event.at, event.get_via_display()
    return event.at, event.actor.get_full_name() or event.actor.username


def _member_rows(member_formset, stored: dict[int, Member]) -> list[RowConflict]:
    rows, seen = [], set()
    for form in member_formset.initial_forms:
        pk = _sent_pk(form)
        seen.add(pk)
        member = stored.get(pk)
        if member is None:
            if not form["DELETE"].data:  # deleted twice is one outcome, no conflict
                rows.append(RowConflict(name=_member_name(form["name"].data), kind=ConflictKind.DELETED))
        elif form.is_stale(member):
            rows.append(
                RowConflict(
                    name=_member_name(member.name),
                    kind=ConflictKind.CHANGED,
                    differences=differences(form, member, hide=HIDDEN),
                )
            )
    rows += [
        RowConflict(name=_member_name(member.name), kind=ConflictKind.ADDED)
        for pk, member in stored.items()
        if pk not in seen
    ]
    return rows


def _member_name(name) -> str:
    return _("Member %(name)s") % {"name": name or "?"}


def _sent_pk(form) -> int | None:
    value = form.data.get(form.add_prefix("id"), "")
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _reopened(household_form, member_formset, current: Household, stored: dict[int, Member]) -> QueryDict:
    """The data sent, made to fit the household as stored now, with every version up to date.

    The user's members that still exist keep the user's values; members deleted
    meanwhile come back as new members with the user's values (saving adds them
    again unless the user removes them); members added meanwhile are shown with
    their stored values.
    """
    prefix, sent = member_formset.prefix, as_querydict(household_form.data)
    data = QueryDict(mutable=True)
    for key, values in sent.lists():
        if not key.startswith(f"{prefix}-"):
            data.setlist(key, values)
    data[household_form.add_prefix(VERSION_FIELD)] = version_of(current, household_form.versioned_fields())

    kept, new, seen = [], [], set()
    for form in member_formset.initial_forms:
        pk = _sent_pk(form)
        seen.add(pk)
        values = _sent_values(form, sent)
        if pk in stored:
            values[VERSION_FIELD] = [version_of(stored[pk], form.versioned_fields())]
            kept.append(values)
        else:
            values.pop("id", None)
            values.pop(VERSION_FIELD, None)
            new.append(values)
    fields = member_formset.form.versioned_fields()
    kept += [_stored_values(member, fields) for pk, member in stored.items() if pk not in seen]
    new += [_sent_values(form, sent) for form in member_formset.extra_forms]

    for index, values in enumerate(kept + new):
        for name, value in values.items():
            data.setlist(f"{prefix}-{index}-{name}", value)
    for name, value in member_formset.management_form.cleaned_data.items():
        data[f"{prefix}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = len(kept) + len(new)
    data[f"{prefix}-INITIAL_FORMS"] = len(kept)
    return data


def _sent_values(form, sent: QueryDict) -> dict[str, list]:
    start = f"{form.prefix}-"
    return {key[len(start) :]: sent.getlist(key) for key in sent if key.startswith(start)}


def _stored_values(member: Member, fields) -> dict[str, list]:
    """A stored member as a browser would send its form back unchanged."""
    values = {"id": [member.pk], "household": [member.household_id], VERSION_FIELD: [version_of(member, fields)]}
    for name, value in model_to_dict(member, fields=fields).items():
        if value is True:
            values[name] = ["on"]
        elif value is not False:
            values[name] = ["" if value is None else str(value)]
    values["id_number"] = [""]  # blank keeps the stored number, which the form never holds whole
    return values
