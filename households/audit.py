"""Recording the audit trail: what changed in a record, by whom, through what and why; and who saw personal data.

Every write path of households, members, status, income, assignments,
classes, plans and measures records here: the services behind the pages, the
admin (households.admin.AuditedAdmin) and the roster import. A write collects
its events in an AuditTrail and inserts them together at the end, in one query
whatever the number of records and fields; the old values come from the
records as they were read before the write (one query per save at most),
never from the form, so that what the model's clean() changed is seen too.

Values are stored readable and language-neutral: a related record by its
name, a choice by its stored value (the admin shows its label), a date as
YYYY-MM-DD, a decimal as text, and an ID number masked, never whole.
"""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from households import idnumbers
from households.choices import PovertyCause
from households.models import AccessEvent, AuditEvent, Household

audit_log = logging.getLogger("townaid.audit")

Via = AuditEvent.Via
Action = AuditEvent.Action

# Not part of what a record says: bookkeeping, who wrote it (the event's actor), derived
# pointers, the record's parent (the event names the household; no page moves a record to
# another household or plan), and the version counter of optimistic concurrency.
UNTRACKED = {
    "created_at",
    "updated_at",
    "latest_assessment",
    "household",
    "plan",
    "created_by",
    "recorded_by",
    "decided_by",
    "decided_at",
    "current",
    "version",
}
# Fields kept masked in the trail: ID numbers, and birth dates, which are the part of an ID number the mask hides.
MASKED_FIELDS = {
    ("households.Member", "id_number"): idnumbers.mask,
    ("households.Member", "birth_date"): idnumbers.mask_birth_date,
}
# JSON lists of choices, whose field has no choices of its own to label them with.
LIST_CHOICES = {("households.Household", "other_causes"): PovertyCause}
BATCH_SIZE = 500
EMPTY = (None, "", [], {})


def form_fields(form) -> list[str]:
    """The model fields a ModelForm edits (and so writes)."""
    return [name for name in form._meta.fields or [] if name in form.fields]


def tracked_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in UNTRACKED
        and not isinstance(f, models.GeneratedField)
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def snapshot(instance):
    """The record as the database holds it now (one query, its related names joined); None for a new record."""
    if instance.pk is None:
        return None
    model = type(instance)
    return model._base_manager.select_related(*_related_names(model)).filter(pk=instance.pk).first()


def snapshots(model, pks: Iterable[int]) -> dict[int, Any]:
    """Several records of one model as the database holds them now, by key, in one query."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return {}
    return model._base_manager.select_related(*_related_names(model)).in_bulk(pks)


def _related_names(model) -> list[str]:
    return [f.name for f in tracked_fields(model) if f.is_relation and f.many_to_one]


@dataclass
class _Pending:
    instance_label: str
    model: Any
    object_id: int | None
    object_repr: str
    action: str
    household: Household | None
    raw: dict[str, tuple[Any, Any]]  # field name -> (old, new) as stored
    reason: str | None  # None: the trail's reason


@dataclass
class AuditTrail:
    """The events of one write, inserted together by record().

    Call created/changed/deleted while the records are at hand (deleted before
    the delete, so that the record's key is still known), then record() once.
    """

    actor: Any
    via: str
    reason: str = ""
    import_batch: Any = None
    _pending: list[_Pending] = field(default_factory=list)
    _labels: dict[tuple[Any, Any], str] = field(default_factory=dict)

    def created(self, instance, *, household: Household | None, reason: str | None = None) -> None:
        raw = {}
        for f in tracked_fields(type(instance)):
            value = self._value(instance, f)
            if value not in EMPTY:
                raw[f.name] = (None, value)
        self._add(instance, Action.CREATED, household, raw, reason)

    def changed(
        self,
        before,
        after,
        *,
        household: Household | None,
        action: str = Action.CHANGED,
        reason: str | None = None,
        fields: Iterable[str] | None = None,
    ) -> bool:
        """Record what differs between the record as it was and as it is saved; nothing when nothing differs.

        `fields` limits the comparison to the fields the save wrote (update_fields): the others
        may hold stale values on `after` that were never written.
        """
        raw = {}
        wanted = None if fields is None else set(fields)
        for f in tracked_fields(type(after)):
            if wanted is not None and f.name not in wanted:
                continue
            old, new = self._value(before, f), self._value(after, f)
            if old != new:
                raw[f.name] = (old, new)
        if not raw:
            return False
        self._add(after, action, household, raw, reason)
        return True

    def deleted(self, instance, *, household: Household | None, reason: str | None = None) -> None:
        raw = {}
        for f in tracked_fields(type(instance)):
            value = self._value(instance, f)
            if value not in EMPTY:
                raw[f.name] = (value, None)
        self._add(instance, Action.DELETED, household, raw, reason)

    def record(self) -> list[AuditEvent]:
        """Insert the collected events: one query, plus one per kind of related record whose name was not loaded."""
        if not self._pending:
            return []
        self._load_missing_labels()
        events = [
            AuditEvent(
                actor=self.actor,
                via=self.via,
                # A household being deleted is named by its number only: the row is about to go.
                household=None if p.action == Action.DELETED and p.model is Household else p.household,
                household_number=p.household.number if p.household is not None else "",
                object_type=p.instance_label,
                object_id=p.object_id,
                object_repr=p.object_repr[:200],
                action=p.action,
                changes=self._changes(p),
                reason=self.reason if p.reason is None else p.reason,
                import_batch=self.import_batch,
            )
            for p in self._pending
        ]
        self._pending = []
        return AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)

    # ------------------------------------------------------------ internals

    def _add(self, instance, action, household, raw, reason=None) -> None:
        model = type(instance)
        self._pending.append(
            _Pending(
                instance_label=model._meta.label,
                model=model,
                object_id=instance.pk,
                object_repr=str(instance),
                action=action,
                household=household,
                raw=raw,
                reason=reason,
            )
        )

    def _value(self, instance, f):
        value = getattr(instance, f.attname)
        if f.is_relation and value is not None and f.is_cached(instance):
            related = f.get_cached_value(instance)
            if related is not None:
                self._labels[(f.related_model, value)] = str(related)
        return value

    def _load_missing_labels(self) -> None:
        wanted = defaultdict(set)
        for p in self._pending:
            for name, pair in p.raw.items():
                f = p.model._meta.get_field(name)
                if f.is_relation:
                    for value in pair:
                        if value is not None and (f.related_model, value) not in self._labels:
                            wanted[f.related_model].add(value)
        for model, pks in wanted.items():
            for pk, related in model._base_manager.in_bulk(sorted(pks)).items():
                self._labels[(model, pk)] = str(related)

    def _changes(self, p: _Pending) -> dict[str, list]:
        return {name: [self._display(p, name, old), self._display(p, name, new)] for name, (old, new) in p.raw.items()}

    def _display(self, p: _Pending, name: str, value):
        if value is None:
            return None
        f = p.model._meta.get_field(name)
        if f.is_relation:
            return self._labels.get((f.related_model, value), f"#{value}")
        if (masked := MASKED_FIELDS.get((p.instance_label, name))) is not None:
            return masked(value)
        return json_value(value)


def json_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def audit_record(
    *,
    actor,
    via: str,
    action: str,
    instance,
    household: Household | None,
    before=None,
    reason: str = "",
    import_batch=None,
) -> AuditEvent | None:
    """Record one change to one record; a change that changes nothing is not recorded (None)."""
    trail = AuditTrail(actor=actor, via=via, reason=reason, import_batch=import_batch)
    if action == Action.CREATED:
        trail.created(instance, household=household)
    elif action == Action.DELETED:
        trail.deleted(instance, household=household)
    else:
        trail.changed(before, instance, household=household, action=action)
    events = trail.record()
    return events[0] if events else None


def audit_record_restore(
    *, using: str, backup: str, name: str, made_at: dt.datetime, operator: str, host: str, uploads: str
) -> AuditEvent:
    """A backup restored (maintenance.backups), recorded in the database it restored.

    Not through AuditTrail, which records changes to the records it is given: a restore
    replaces them all. No user of the app runs the command, so the machine account and
    its host are named instead of an actor.
    """
    return AuditEvent.objects.using(using).create(
        actor=None,
        via=Via.COMMAND,
        object_type="maintenance.Backup",
        object_repr=name[:200],
        action=Action.CHANGED,
        changes={
            "backup": [None, backup],
            "made_at": [None, made_at.isoformat()],
            "machine_account": [None, operator],
            "host": [None, host],
            "uploads": [None, uploads],
        },
        reason=_(
            "Backup %(name)s, made %(made)s, was restored with `manage.py restore` by the machine account "
            "%(account)s on %(host)s."
        )
        % {"name": name, "made": made_at.isoformat(), "account": operator, "host": host},
    )


@dataclass(frozen=True)
class ReadableChange:
    label: str
    old: str
    new: str


def readable_changes(event: AuditEvent) -> list[ReadableChange]:
    """An event's changes as people read them: field names and choices in the reader's language."""
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):  # a model since removed: the stored names and values
        model = None
    rows = []
    for name, pair in (event.changes or {}).items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        try:
            f = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            f = None
        label = capfirst(str(f.verbose_name)) if f is not None else name
        if (masked := MASKED_FIELDS.get((event.object_type, name))) is not None:
            # Masked when recorded; masked again here for entries recorded before birth dates were.
            old, new = (masked(value) if value not in (None, "") else value for value in (old, new))
        choices = LIST_CHOICES.get((event.object_type, name))
        rows.append(ReadableChange(label, _readable(f, choices, old), _readable(f, choices, new)))
    return rows


def _readable(f, choices, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        labels = dict(choices.choices) if choices is not None else {}
        return "、".join(str(labels.get(item, item)) for item in value) or "—"
    if f is not None and f.choices and not f.is_relation:
        return str(dict(f.flatchoices).get(value, value))
    return str(value)


# ---------------------------------------------------------------- the access log


def access_record_export(*, user, list_name: str, rows: int, query: str) -> AccessEvent:
    """A list downloaded as a workbook (common.spreadsheets calls this for every download)."""
    return AccessEvent.objects.create(
        user=user,
        kind=AccessEvent.Kind.LIST_EXPORTED,
        detail={"list": list_name, "rows": rows, "query": query},
    )


def access_record_id_search(*, user, id_number: str) -> AccessEvent:
    """A list searched by a whole ID number: whether it matched is not kept, only that it was asked, and masked."""
    audit_log.info("id_number_searched user=%s id=%s", user.pk, idnumbers.mask(id_number))
    return AccessEvent.objects.create(
        user=user, kind=AccessEvent.Kind.ID_SEARCHED, detail={"id_number": idnumbers.mask(id_number)}
    )


def access_record_cards(*, user, households: list[Household], detail: dict) -> None:
    """Household cards downloaded: one row per household, so that each household's log shows it (one query)."""
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                user=user,
                kind=AccessEvent.Kind.CARD_PRINTED,
                household=household,
                household_number=household.number,
                detail=detail,
            )
            for household in households
        ],
        batch_size=BATCH_SIZE,
    )
    audit_log.info("card_printed user=%s households=%d detail=%s", user.pk, len(households), detail)


def last_recorded_change(*, household_id: int, object_types: list[str], object_id: int | None = None):
    """When and by whom (a name, or the way it came: roster import, job) a household's records last changed.

    From the audit trail, through its (household, time) index; (None, "") when it holds nothing.
    An edit refused as stale says so beside both versions (common/concurrency.py).
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
