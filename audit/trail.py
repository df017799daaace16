"""Recording the audit trail: what changed in a record, by whom, through what and why; and who saw personal data.

Every write service of every app records here (audit/tests/test_every_write.py
holds them to it), as do the admin (households.admin.AuditedAdmin) and the
roster import. A service names the path it came by (`via`: a page, the admin,
an import, a job, a command, a synchronisation) and keeps its reason. A write collects
its events in an AuditTrail and inserts them together at the end, in one query
whatever the number of records and fields; the old values come from the
records as they were read before the write (one query per save at most),
never from the form, so that what the model's clean() changed is seen too.

Values are stored readable and language-neutral: a related record by its
name, a choice by its stored value (the admin shows its label), a date as
YYYY-MM-DD, a decimal as text, and an ID number masked, never whole. The
apps above say which of their fields are masked (mask_field) and which JSON
lists hold choices (label_list), since this module imports none of them.

`record()` is the one call for a service that writes one record;
AuditTrail collects the events of a write that touches many.
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

from audit.models import AccessEvent, AuditEvent, AuditRowChange
from common.copying import insert_values

audit_log = logging.getLogger("townaid.audit")

Via = AuditEvent.Via
Action = AuditEvent.Action

# Not part of what a record says: bookkeeping, who wrote it (the event's actor), derived
# pointers and figures, the record's parent (the event names the household; no page moves a record to
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
    # A household's figures kept for the dashboards (households.summaries): derived from records the trail
    # follows on their own, and rewritten after every write.
    "failing_items",
    "people_count",
    "exit_class",
    "income_year",
    "income_net",
    "income_size",
    "last_responsible_visit_on",
    "last_contact_visit_on",
}
# Fields kept masked in the trail: ID numbers, and birth dates, which are the part of an ID number the mask hides.
# Filled by the apps that own them (households.apps), as (model label, field) -> function.
MASKED_FIELDS: dict[tuple[str, str], Any] = {}
# JSON lists of choices, whose field has no choices of its own to label them with.
LIST_CHOICES: dict[tuple[str, str], Any] = {}
BATCH_SIZE = 500
ROW_FIELDS = [
    "event_id",
    "at",
    "household_id",
    "household_number",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "reason",
]
EMPTY = (None, "", [], {})


def mask_field(label: str, name: str, mask) -> None:
    """Keep a field masked in the trail: `mask` turns its stored value into what may be shown."""
    MASKED_FIELDS[(label, name)] = mask
    _KINDS.clear()


def label_list(label: str, name: str, choices) -> None:
    """Label the items of a JSON list field with a TextChoices when the trail is read."""
    LIST_CHOICES[(label, name)] = choices


def form_fields(form) -> list[str]:
    """The model fields a ModelForm edits (and so writes)."""
    return [name for name in form._meta.fields or [] if name in form.fields]


def tracked_fields(model) -> list[models.Field]:
    found = _TRACKED.get(model)
    if found is None:
        found = _TRACKED[model] = _tracked_fields(model)
    return found


_TRACKED: dict[Any, list[models.Field]] = {}  # a model's fields never change while the process runs


def _tracked_fields(model) -> list[models.Field]:
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
    household: Any
    raw: dict[str, tuple[Any, Any]]  # field name -> (old, new) as stored
    reason: str | None  # None: the trail's reason
    effective_on: dt.date | None = None


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
    event: AuditEvent | None = None  # a bulk change's one event (bulk_event): record() writes its rows instead
    _pending: list[_Pending] = field(default_factory=list)
    _labels: dict[tuple[Any, Any], str] = field(default_factory=dict)

    def created(
        self,
        instance,
        *,
        household: Any,
        reason: str | None = None,
        effective_on: dt.date | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        raw = {}
        attributes = instance.__dict__
        for f in tracked_fields(type(instance)):
            value = attributes[f.attname] if f.attname in attributes else getattr(instance, f.attname)
            if f.is_relation and value is not None:
                value = self._value(instance, f)  # its name, when the related record is at hand
            if value not in EMPTY:
                raw[f.name] = (None, value)
        for name, value in (extra or {}).items():
            if value not in EMPTY:
                raw[name] = (None, value)
        self._add(instance, Action.CREATED, household, raw, reason, effective_on)

    def changed(
        self,
        before,
        after,
        *,
        household: Any,
        action: str = Action.CHANGED,
        reason: str | None = None,
        fields: Iterable[str] | None = None,
        effective_on: dt.date | None = None,
        extra: dict[str, tuple[Any, Any]] | None = None,
    ) -> bool:
        """Record what differs between the record as it was and as it is saved; nothing when nothing differs.

        `fields` limits the comparison to the fields the save wrote (update_fields): the others
        may hold stale values on `after` that were never written. `extra` adds changes that are
        no field of the record (a project's beneficiaries); `effective_on` dates a dated step.
        """
        raw = {}
        wanted = None if fields is None else set(fields)
        for f in tracked_fields(type(after)):
            if wanted is not None and f.name not in wanted:
                continue
            old, new = self._value(before, f), self._value(after, f)
            if old != new:
                raw[f.name] = (old, new)
        for name, (old, new) in (extra or {}).items():
            if old != new:
                raw[name] = (old, new)
        if not raw:
            return False
        self._add(after, action, household, raw, reason, effective_on)
        return True

    def deleted(self, instance, *, household: Any, reason: str | None = None) -> None:
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
        if self.event is not None:
            return self._record_rows()
        events = [
            AuditEvent(
                actor=self.actor,
                via=self.via,
                household_id=p.household.pk if p.household is not None else None,
                household_number=p.household.number if p.household is not None else "",
                object_type=p.instance_label,
                object_id=p.object_id,
                object_repr=p.object_repr[:200],
                action=p.action,
                changes=self._changes(p),
                reason=self.reason if p.reason is None else p.reason,
                import_batch_id=getattr(self.import_batch, "pk", None),
                effective_on=p.effective_on,
            )
            for p in self._pending
        ]
        self._pending = []
        return AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)

    def _record_rows(self) -> list:
        event = self.event
        rows = [
            (
                event.pk,
                event.at,
                p.household.pk if p.household is not None else None,
                p.household.number if p.household is not None else "",
                p.instance_label,
                p.object_id,
                p.object_repr[:200],
                p.action,
                self._changes(p),
                "" if p.reason is None else p.reason,
            )
            for p in self._pending
        ]
        self._pending = []
        insert_values(AuditRowChange, ROW_FIELDS, rows)
        return []  # written, not kept: a bulk change may write hundreds of thousands

    # ------------------------------------------------------------ internals

    def _add(self, instance, action, household, raw, reason=None, effective_on=None) -> None:
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
                effective_on=effective_on,
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
                try:
                    f = p.model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                if f.is_relation and not f.many_to_many:
                    for value in pair:
                        if value is not None and (f.related_model, value) not in self._labels:
                            wanted[f.related_model].add(value)
        for model, pks in wanted.items():
            for pk, related in model._base_manager.in_bulk(sorted(pks)).items():
                self._labels[(model, pk)] = str(related)

    def _changes(self, p: _Pending) -> dict[str, list]:
        display = self._display
        if p.action == Action.CREATED:  # [None, value]: one value to show
            return {name: [None, display(p, name, new)] for name, (_old, new) in p.raw.items()}
        return {name: [display(p, name, old), display(p, name, new)] for name, (old, new) in p.raw.items()}

    def _display(self, p: _Pending, name: str, value):
        if value is None:
            return None
        kind, how = _KINDS.get((p.model, name)) or _display_kind(p.model, p.instance_label, name)
        if kind == RELATED:  # many-to-many values come as `extra`, already readable
            return self._labels.get((how, value), f"#{value}")
        if kind == MASKED:
            return how(value)
        return json_value(value)


def bulk_event(
    *, actor, via: str, instance, action: str = Action.CHANGED, reason: str = "", import_batch=None, changes=None
) -> AuditEvent:
    """The one event of a write of many records (a roster import): an AuditTrail(event=...) records its rows.

    `changes` sums it up ({"households created": [None, 120], ...}); each record's own changes are its rows.
    """
    return AuditEvent.objects.create(
        actor=actor,
        via=via,
        object_type=type(instance)._meta.label,
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        changes=changes or {},
        reason=reason,
        import_batch_id=getattr(import_batch, "pk", None),
    )


RELATED, MASKED, PLAIN = "related", "masked", "plain"
_KINDS: dict[tuple[Any, str], tuple[str, Any]] = {}


def _display_kind(model, label: str, name: str) -> tuple[str, Any]:
    """How a field's value is shown (a related record's name, masked, or as itself): looked up once per field."""
    found = _KINDS.get((model, name))
    if found is None:
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:  # a change that is no field of the record (`extra`)
            f = None
        if f is not None and f.is_relation and not f.many_to_many:
            found = (RELATED, f.related_model)
        elif f is not None and (masked := MASKED_FIELDS.get((label, name))) is not None:
            found = (MASKED, masked)
        else:
            found = (PLAIN, None)
        _KINDS[(model, name)] = found
    return found


_AS_THEY_ARE = (bool, int, float, str, list, dict)
_ISO = (dt.datetime, dt.date, dt.time)


def json_value(value):
    if type(value) in _AS_THEY_ARE:  # most values: no isinstance chain
        return value
    if isinstance(value, _ISO):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _AS_THEY_ARE):
        return value
    return str(value)


def record(
    *,
    actor,
    via: str,
    instance,
    action: str | None = None,
    before=None,
    household: Any = None,
    reason: str = "",
    import_batch=None,
    effective_on: dt.date | None = None,
    fields: Iterable[str] | None = None,
) -> AuditEvent | None:
    """Record one write of one record: the call a service makes after it saved (or before it deletes).

    The action is CREATED when there is no `before` (snapshot() read before the save), CHANGED
    otherwise, unless named (DELETED, STATUS_CHANGED). `household` is the household the record
    belongs to, if any (anything with `pk` and `number`). A change that changes nothing is not
    recorded (None).
    """
    if action is None:
        action = Action.CREATED if before is None else Action.CHANGED
    trail = AuditTrail(actor=actor, via=via, reason=reason, import_batch=import_batch)
    if action == Action.CREATED:
        trail.created(instance, household=household, effective_on=effective_on)
    elif action == Action.DELETED:
        trail.deleted(instance, household=household)
    else:
        trail.changed(before, instance, household=household, action=action, fields=fields, effective_on=effective_on)
    events = trail.record()
    return events[0] if events else None


def audit_record(
    *, actor, via: str, action: str, instance, household: Any, before=None, reason: str = "", import_batch=None
):
    """record() with the action named, as the registry's services call it."""
    return record(
        actor=actor,
        via=via,
        action=action,
        instance=instance,
        household=household,
        before=before,
        reason=reason,
        import_batch=import_batch,
    )


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
    """A list searched by a whole ID number: whether it matched is not kept, only that it was asked.

    The caller masks the number (households.idnumbers.mask): the whole one is never stored.
    """
    audit_log.info("id_number_searched user=%s id=%s", user.pk, id_number)
    return AccessEvent.objects.create(user=user, kind=AccessEvent.Kind.ID_SEARCHED, detail={"id_number": id_number})


def access_record_cards(*, user, households: list, detail: dict) -> None:
    """Household cards downloaded: one row per household, so that each household's log shows it (one query)."""
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                user=user,
                kind=AccessEvent.Kind.CARD_PRINTED,
                household_id=household.pk,
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
