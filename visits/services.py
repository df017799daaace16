"""Writes of the visits app: logging a visit, and the daily job that raises and clears flags."""

import copy
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Role, User
from accounts.services import Message, notify
from audit import trail
from audit.models import AuditEvent
from common.bulk import insert_selected_keys
from common.collector import collector_paused
from households import summaries
from households.choices import AssessmentItem
from households.models import Assessment, Assignment, Household
from households.selectors import head_name
from households.services import assessment_record
from visits import periods, sync
from visits.models import FlagKind, Resolution, Visit, VisitConflict, VisitFlag, VisitorRole, VisitPhoto, VisitRule
from visits.periods import MONTH, Period, due_soon_from, entry_closes, period_of, previous_period

log = logging.getLogger(__name__)
BATCH_SIZE = 1000


# ---------------------------------------------------------------- logging a visit


class VisitConflictError(Exception):
    """A visit sent with the key of a stored visit of the same visitor and household, but saying something else.

    Nothing of it was stored in the visit: the version sent is kept as `conflict` for the visitor to
    choose (visit_replace or visit_conflict_keep), `visit` is the one stored.
    """

    def __init__(self, *, visit: Visit, conflict: VisitConflict):
        super().__init__(f"visit {visit.pk}: another version under key {visit.client_key}")
        self.visit, self.conflict = visit, conflict


def visit_log(
    *,
    visit: Visit,
    user,
    verdicts: dict[str, tuple[bool, str]] | None = None,
    photos=(),
    via: str = AuditEvent.Via.WEB,
) -> tuple[Visit, bool]:
    """Store a visit once, however often it is sent; record a 2W3G change; clear the flags it answers.

    `visit` is unsaved, with its client_key (and, from a phone, made_at, offline and a location,
    rounded here to about 100 m). `verdicts` maps each 2W3G item the visitor checked to
    (passes, note); `photos` are re-encoded image files, each with the `upload_digest` of the
    bytes uploaded (visits.forms.PhotosField). Returns the stored visit and whether this call
    created it; only a visit created is recorded in the audit trail (with its photos, in one
    insert), a repeat of the same content is not. The same key with other content raises
    VisitConflictError after recording that version (once: sent again, it records nothing more);
    the stored visit is never overwritten. The same key from another visitor or for another
    household raises ValidationError("key_used").

    Two requests with one key at once store one visit: on SQLite the transaction takes the
    write lock when it begins (settings: IMMEDIATE), so the second finds the first's visit; on
    PostgreSQL the second's insert meets the unique key and reads the first's.
    """
    verdicts = verdicts or {}
    photos = list(photos)
    digests = [sync.upload_digest(photo) for photo in photos]
    content = sync.canonical_content(visit=visit, verdicts=verdicts, photo_digests=digests)
    visit.content_digest = sync.content_digest(content)
    with transaction.atomic():
        stored, created = _stored_or_created(
            visit, user, verdicts, content, list(zip(photos, digests, strict=True)), via
        )
        conflict = None if created else _other_version(stored, content, visit.content_digest, user, via)
    if conflict is not None:  # raised once the conflict is committed: the caller's rollback must not take it
        raise VisitConflictError(visit=stored, conflict=conflict)
    return stored, created


def _stored_or_created(visit, user, verdicts, content, photos, via) -> tuple[Visit, bool]:
    existing = Visit.objects.filter(client_key=visit.client_key).first()
    if existing is not None:
        return _owned(existing, visit, user), False
    household = Household.objects.select_related("latest_assessment").get(pk=visit.household_id)
    visit.latitude, visit.longitude = sync.coarse(visit.latitude), sync.coarse(visit.longitude)
    _check(visit, household)
    visit.visitor = user
    standing = visit_standing(household=household, person=user, day=visit.visited_on)
    visit.role, visit.late = standing.role, standing.late
    visit.items_checked = sorted(verdicts)
    visit.verdicts = content["verdicts"]
    visit.received_at = timezone.now()
    # Not the client key: a visit stored meanwhile by a request with the same key is met below.
    visit.full_clean(exclude=["assessment", "client_key"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # the same form, sent twice at once: the other request stored it
        return _owned(Visit.objects.get(client_key=visit.client_key), visit, user), False
    events = trail.AuditTrail(actor=user, via=via)
    for photo, digest in photos:
        events.created(VisitPhoto.objects.create(visit=visit, image=photo, upload_digest=digest), household=household)
    if verdicts:
        visit.assessment = _record_changed_verdicts(household, visit, verdicts, user, via)
        if visit.assessment is not None:
            visit.save(update_fields=["assessment"])
    events.created(visit, household=household)
    events.record()
    _clear_flags_answered_by(visit, timezone.now())
    summaries.refresh([household.pk], fields=summaries.LAST_VISIT_FIELDS.values())
    return visit, True


def _owned(stored: Visit, sent: Visit, user) -> Visit:
    if (stored.household_id, stored.visitor_id) != (sent.household_id, user.pk):
        # Someone else's key (a copied form, a forged one): saying whose visit it is would
        # tell what lies outside the user's scope.
        raise ValidationError(_("This form can no longer be saved: open a new one."), code="key_used")
    return stored


def _other_version(stored: Visit, content: dict, digest: str, user, via) -> VisitConflict | None:
    """The version sent, kept as a conflict when it differs from the stored one (a visit from before digests never)."""
    if not stored.content_digest or stored.content_digest == digest:
        return None
    return _conflict_record(stored, content, digest, user, via)


def _conflict_record(visit: Visit, content: dict, digest: str, user, via) -> VisitConflict:
    found = visit.conflicts.unresolved().filter(content_digest=digest).first()
    if found is not None:
        return found
    conflict = VisitConflict(
        visit=visit,
        client_key=visit.client_key,
        content={**content, "photo_count": len(content["photos"])},
        content_digest=digest,
    )
    try:
        with transaction.atomic():
            conflict.save()
    except IntegrityError:  # the same version, sent twice at once
        return visit.conflicts.unresolved().get(content_digest=digest)
    trail.record(actor=user, via=via, instance=conflict, household=Household.objects.get(pk=visit.household_id))
    return conflict


# ---------------------------------------------------------------- choosing between two versions


def visit_replace(
    *,
    visit: Visit,
    user,
    sent: Visit,
    verdicts: dict[str, tuple[bool, str]] | None = None,
    photos=(),
    replaces: str,
    via: str = AuditEvent.Via.SYNC,
) -> tuple[Visit, bool]:
    """The visitor chose the phone's version of a visit in conflict: it takes the stored version's place.

    `sent` is the phone's version as the form built it (unsaved, with the visit's client key
    and household); `replaces` the digest of the stored version the visitor saw when choosing.
    Only the visit's own visitor may, and only while a conflict of the visit is unresolved: a
    visit is otherwise never edited. When the stored version is no longer the one seen (another
    choice was made meanwhile) or there is nothing to resolve, the version sent is recorded as a
    conflict again and VisitConflictError raised. Sent twice, the second finds its version
    stored and changes nothing (returns False).

    The role and lateness are found again for the (maybe new) date as visit_log finds them,
    lateness as of the day this version reached the server (its conflict's received_at, else
    today): choosing late does not make a visit late. Photos are added, never removed (a photo
    already there, by its upload digest, is not added twice). A changed 2W3G verdict records a
    new assessment as visit_log does; the earlier ones stay in the history. Flags follow the
    date: those this visit cleared and no longer answers open again (unless another visit
    answers them), and those the new date answers are cleared.
    """
    verdicts = verdicts or {}
    photos = list(photos)
    digests = [sync.upload_digest(photo) for photo in photos]
    content = sync.canonical_content(visit=sent, verdicts=verdicts, photo_digests=digests)
    digest = sync.content_digest(content)
    with transaction.atomic():
        stored = _owned(Visit.objects.select_for_update().get(pk=visit.pk), sent, user)
        if stored.content_digest == digest:
            return stored, False
        open_conflicts = list(stored.conflicts.unresolved().select_for_update())
        if stored.content_digest != replaces or not open_conflicts:
            conflict = _conflict_record(stored, content, digest, user, via)
        else:
            conflict = None
            _replace(
                stored,
                sent,
                content,
                digest,
                verdicts,
                list(zip(photos, digests, strict=True)),
                open_conflicts,
                user,
                via,
            )
    if conflict is not None:
        raise VisitConflictError(visit=stored, conflict=conflict)
    return stored, True


REPLACED_FIELDS = [
    *sync.CONTENT_FIELDS,
    "made_at",
    "offline",
    "latitude",
    "longitude",
    "role",
    "late",
    "items_checked",
    "verdicts",
    "content_digest",
    "received_at",
    "assessment",
]


def _replace(stored, sent, content, digest, verdicts, photos, open_conflicts, user, via) -> None:
    household = Household.objects.select_related("latest_assessment").get(pk=stored.household_id)
    before = copy.copy(stored)  # as read, under its row lock
    for name in sync.CONTENT_FIELDS:
        setattr(stored, name, getattr(sent, name))
    stored.made_at, stored.offline = sent.made_at, sent.offline
    stored.latitude, stored.longitude = sync.coarse(sent.latitude), sync.coarse(sent.longitude)
    _check(stored, household)
    now = timezone.now()
    arrived = next((c.received_at for c in open_conflicts if c.content_digest == digest), now)
    standing = visit_standing(household=household, person=user, day=stored.visited_on)
    stored.role, stored.late = standing.role, standing.late_if_entered(timezone.localdate(arrived))
    stored.items_checked = sorted(verdicts)
    stored.verdicts = content["verdicts"]
    stored.content_digest = digest
    stored.received_at = arrived
    stored.full_clean(exclude=["assessment", "client_key"])
    events = trail.AuditTrail(actor=user, via=via)
    had = list(stored.photos.values_list("upload_digest", flat=True))
    known = set(had)
    for photo, photo_digest in photos:
        if photo_digest not in known:
            known.add(photo_digest)
            added = VisitPhoto.objects.create(visit=stored, image=photo, upload_digest=photo_digest)
            events.created(added, household=household)
    if verdicts:
        stored.assessment = _record_changed_verdicts(household, stored, verdicts, user, via) or stored.assessment
    stored.save(update_fields=REPLACED_FIELDS)
    photos_count = [len(had), len(had) + len(known - set(had))]
    events.changed(before, stored, household=household, fields=REPLACED_FIELDS, extra={"photo_count": photos_count})
    _resolve(open_conflicts, Resolution.REPLACED, user, now, events, household)
    events.record()
    _flags_follow(stored, now)
    summaries.refresh([household.pk], fields=summaries.LAST_VISIT_FIELDS.values())


@transaction.atomic
def visit_conflict_keep(*, visit: Visit, user, via: str = AuditEvent.Via.SYNC) -> int:
    """The visitor kept the stored version of a visit: the versions sent against it are resolved as dropped.

    Only the visit's own visitor may. Returns how many were resolved (none when sent again).
    """
    if visit.visitor_id != user.pk:
        raise ValidationError(_("This form can no longer be saved: open a new one."), code="key_used")
    open_conflicts = list(visit.conflicts.unresolved().select_for_update())
    if open_conflicts:
        events = trail.AuditTrail(actor=user, via=via)
        household = Household.objects.get(pk=visit.household_id)
        _resolve(open_conflicts, Resolution.KEPT, user, timezone.now(), events, household)
        events.record()
    return len(open_conflicts)


def _resolve(conflicts, resolution: str, user, now, events, household) -> None:
    for conflict in conflicts:
        before = copy.copy(conflict)
        conflict.resolved_at, conflict.resolution, conflict.resolved_by = now, resolution, user
        conflict.save(update_fields=["resolved_at", "resolution", "resolved_by"])
        events.changed(before, conflict, household=household, fields=["resolved_at", "resolution", "resolved_by"])


@dataclass(frozen=True)
class VisitStanding:
    """What a visit by a person to a household on a day would be: in which role, for which period, and whether late."""

    role: str  # the person's own assignment to the household that day, or "other"
    period: Period  # the period it falls in (of its rule; a month for a visit no rule asks for)
    counts_until: dt.date  # the last day it may be entered and still count
    rule: VisitRule | None  # the rule it answers, if any

    @property
    def late(self) -> bool:
        return self.late_if_entered(timezone.localdate())

    def late_if_entered(self, day: dt.date) -> bool:
        return day > self.counts_until

    @property
    def counts(self) -> bool:
        return self.rule is not None and not self.late


def visitor_role(*, household: Household, person, day: dt.date) -> str:
    """The role `person` holds for `household` on `day`: responsible, contact, or "other" when neither."""
    roles = set(
        Assignment.objects.current(on=day).filter(household=household, person=person).values_list("role", flat=True)
    )
    # One person in both roles is refused when assigning (assistance.services.guarantee): if an
    # older record has it, their visit answers for one half of the guarantee only.
    for role in (VisitorRole.RESPONSIBLE, VisitorRole.CONTACT):
        if role in roles:
            return role
    return VisitorRole.OTHER


def visit_standing(*, household: Household, person, day: dt.date) -> VisitStanding:
    """How a visit by `person` to `household` on `day` will be recorded and counted, entered today."""
    role = visitor_role(household=household, person=person, day=day)
    rule = VisitRule.objects.for_visit(household.status, role) if role != VisitorRole.OTHER else None
    period = rule.period_of(day) if rule is not None else period_of(day, MONTH)
    return VisitStanding(
        role=role, period=period, counts_until=entry_closes(period, settings.VISIT_LATE_ENTRY_DAYS), rule=rule
    )


def counts_from(*, household: Household, person, on: dt.date) -> dt.date | None:
    """The earliest visit date that still counts when entered on `on`, for the person's role today; None when no rule
    asks them to visit (the visit is then recorded as another visitor's and clears nothing)."""
    standing = visit_standing(household=household, person=person, day=on)
    if standing.rule is None:
        return None
    return periods.counts_from(on, standing.rule.period, settings.VISIT_LATE_ENTRY_DAYS)


def _check(visit: Visit, household: Household) -> None:
    errors = {}
    today = timezone.localdate()
    if visit.visited_on > today:
        errors["visited_on"] = _("The date cannot be in the future.")
    elif visit.visited_on < household.registered_on:
        errors["visited_on"] = _("The household was only registered on %(date)s.") % {
            "date": household.registered_on.isoformat()
        }
    if (visit.latitude is None) != (visit.longitude is None):
        errors["latitude"] = _("A location needs both its latitude and its longitude.")
    if errors:
        raise ValidationError(errors)


def _record_changed_verdicts(household, visit, verdicts, user, via) -> Assessment | None:
    """A new assessment when what the visitor found differs from the latest one; the unchecked items carry over."""
    latest = household.latest_assessment
    fields = {}
    changed = latest is None
    for item in AssessmentItem:
        if item.value in verdicts:
            passes, note = verdicts[item.value]
            changed |= latest is None or getattr(latest, item.verdict_field) != passes
        else:
            passes = getattr(latest, item.verdict_field) if latest else True
            note = getattr(latest, item.note_field) if latest else ""
        fields[item.verdict_field], fields[item.note_field] = passes, note
    if not changed:
        return None
    return assessment_record(
        assessment=Assessment(household=household, assessed_on=visit.visited_on, **fields), user=user, via=via
    )


def _answers(visit: Visit, flag: VisitFlag) -> bool:
    return (
        not visit.late
        and visit.role == flag.rule.visitor_role
        and flag.period_start <= visit.visited_on <= flag.period_end
    )


def _flags_follow(visit: Visit, now) -> None:
    """After a visit changed: the flags it cleared and no longer answers go to another visit that does, or open again.

    A flag opened again was already notified of (notified_kind), so nobody is told twice; the
    daily job's _clear_answered would find the other visit too, a night later.
    """
    stale = [
        flag for flag in VisitFlag.objects.filter(cleared_by=visit).select_related("rule") if not _answers(visit, flag)
    ]
    for flag in stale:
        other = (
            flag.rule.counted_visits(Period(flag.period_start, flag.period_end))
            .filter(household_id=flag.household_id)
            .exclude(pk=visit.pk)
            .order_by("visited_on", "pk")
            .first()
        )
        flag.cleared_by = other
        flag.cleared_at = flag.cleared_at if other is not None else None
    if stale:
        VisitFlag.objects.bulk_update(stale, ["cleared_by", "cleared_at"])
    _clear_flags_answered_by(visit, now)


def _clear_flags_answered_by(visit: Visit, now) -> int:
    """The open flags of the visit's household, role and period: none for a visit entered late or by another visitor."""
    if visit.late or visit.role == VisitorRole.OTHER:
        return 0
    return (
        VisitFlag.objects.open()
        .filter(
            household_id=visit.household_id,
            rule__visitor_role=visit.role,
            period_start__lte=visit.visited_on,
            period_end__gte=visit.visited_on,
        )
        .update(cleared_at=now, cleared_by=visit)
    )


# ---------------------------------------------------------------- the daily job


@dataclass
class FlagRun:
    on: dt.date
    raised: int = 0
    escalated: int = 0
    cleared: int = 0
    notified: int = 0


@collector_paused()
def visits_flag(*, on: dt.date | None = None) -> FlagRun:
    """Raise, escalate and clear visit flags as of `on` (today in Asia/Shanghai by default), and tell people.

    One transaction: the flags it raises are stored already marked as notified, with the messages that tell
    of them, so that a county's 100,000 new flags are written once rather than inserted and then updated; a
    run killed halfway leaves nothing of itself, and the next run does it all. Idempotent: one flag per
    household, rule and period (a unique constraint, and inserts that skip conflicts), so a rerun, or two
    runs at once, change nothing; each run counts only the flags it inserted itself, so the counts of two
    runs at once add up to the flags raised. Flags whose kind changed since they were told of (due soon, now
    overdue) are told of again. Set-based: a fixed handful of queries per rule, whatever the number of
    households, and the messages written in batches.
    """
    on = on or timezone.localdate()
    run = FlagRun(on=on)
    now = timezone.now()
    with transaction.atomic():
        raised = []
        for rule in VisitRule.objects.active():
            run.cleared += _clear_answered(rule, now)
            past = previous_period(on, rule.period)
            run.escalated += _escalate(rule, before=period_of(on, rule.period).start)
            raised += _raise(rule, past, FlagKind.OVERDUE, now, on)
            current = period_of(on, rule.period)
            if on >= due_soon_from(current, settings.VISIT_DUE_SOON_DAY):
                raised += _raise(rule, current, FlagKind.DUE_SOON, now, on)
        run.raised = len(raised)
        run.notified = _notify(sorted([*raised, *_claim_unnotified()]))
    return run


def _raise(rule: VisitRule, period: Period, kind: str, now, on: dt.date) -> list[int]:
    """One INSERT … SELECT: a county's 100,000 new flags never pass through Python, only their keys come back.

    They are stored as notified of (notified_kind): the caller tells of them in the same transaction.
    """
    owed = rule.owed(period, on=on).exclude(rule.visited(period))
    columns = {
        "household_id": F("pk"),
        "rule_id": rule.pk,
        "period_start": period.start,
        "period_end": period.end,
        "visitor_id": F("visitor_id"),
        "kind": kind,
        "raised_at": now,
        "notified_kind": kind,
    }
    return insert_selected_keys(VisitFlag, owed, columns)


def _escalate(rule: VisitRule, *, before: dt.date) -> int:
    """Flags of periods that have ended are overdue, not due soon."""
    return (
        VisitFlag.objects.open()
        .filter(rule=rule, kind=FlagKind.DUE_SOON, period_end__lt=before)
        .update(kind=FlagKind.OVERDUE)
    )


def _clear_answered(rule: VisitRule, now) -> int:
    """Flags whose visit has since been stored in time (synced late, or logged while the job was not running)."""
    visited = Visit.objects.filter(
        household=OuterRef("household"),
        role=rule.visitor_role,
        late=False,
        visited_on__gte=OuterRef("period_start"),
        visited_on__lte=OuterRef("period_end"),
    )
    first_visit = Subquery(visited.order_by("visited_on", "pk").values("pk")[:1])
    return (
        VisitFlag.objects.open()
        .filter(rule=rule)
        .filter(Exists(visited))
        .update(cleared_at=now, cleared_by=first_visit)
    )


def _notify(flags: list[int]) -> int:
    """Tell each of these flags' visitor and the village's cadres, in one message each; how many flags were told.

    Without a model instance per flag (805 MB for a county's 107,200 new flags): the flags are named by their
    keys alone, in ascending order, and read BATCH_SIZE at a time as plain rows; what is kept of each flag
    until every one has been read is its line of text, once, shared by its recipients' messages (a few
    hundred bytes a flag: about 150 MB peak for the whole process on the county), and the messages are
    written BATCH_SIZE recipients at a time.
    """
    if not flags:
        return 0
    batch_size = BATCH_SIZE
    cadres = _cadres_of()
    inboxes: dict[int, _Inbox] = defaultdict(_Inbox)
    with override(settings.LANGUAGE_CODE):
        labels = _Labels()
        for start in range(0, len(flags), batch_size):
            for flag in _flag_rows(flags[start : start + batch_size]):
                line = labels.line(flag)
                for person in {flag.visitor_id, *cadres.get(flag.village_id, ())} - {None}:
                    inboxes[person].add(flag.kind, line)
        people, url = list(inboxes), reverse("visits:due")
        for start in range(0, len(people), batch_size):
            batch = people[start : start + batch_size]
            recipients = User.objects.in_bulk(batch)  # a cadre deleted since _cadres_of is simply not told
            notify([_message(recipients[pk], inboxes.pop(pk), url) for pk in batch if pk in recipients])
    return len(flags)


def _claim_unnotified() -> list[int]:
    """Mark the open flags not yet notified in their kind as notified, and name them, in one statement.

    Their rows stay locked until the job commits the messages written for them, so a run at the same
    time skips them (SKIP LOCKED) rather than telling anyone twice; a run killed before it commits
    leaves them as they were, for the next. (SQLite has one writer at a time and no row locks.)
    """
    unnotified = (
        VisitFlag.objects.open()
        .exclude(notified_kind=F("kind"))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by()
        .values("pk")
    )
    select, params = unnotified.query.sql_with_params()
    quote, column = connection.ops.quote_name, lambda name: VisitFlag._meta.get_field(name).column
    table, pk, kind, notified = quote(VisitFlag._meta.db_table), column("id"), column("kind"), column("notified_kind")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quote(notified)} = {quote(kind)} WHERE {quote(pk)} IN ({select}) "
            f"RETURNING {quote(pk)}",
            params,
        )
        return sorted(pk for (pk,) in cursor.fetchall())


@dataclass
class _Inbox:
    overdue: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, kind: str, line: str) -> None:
        self.overdue += kind == FlagKind.OVERDUE
        self.lines.append(line)


@dataclass(frozen=True)
class _FlagRow:
    kind: str
    visitor_id: int | None
    village_id: int
    village: str
    number: str
    head_name: str | None
    role: str
    period_start: dt.date
    period_end: dt.date


def _flag_rows(pks: list[int]):
    """The flags of `pks` (ascending keys) as plain rows.

    Also bounded by the first and last key: the flags were mostly inserted in this transaction, after the
    table's statistics were taken, and a list of keys alone made PostgreSQL scan the whole table per batch.
    """
    rows = (
        VisitFlag.objects.filter(pk__in=pks, pk__range=(pks[0], pks[-1]))
        .order_by("pk")
        .values_list(
            "kind",
            "visitor_id",
            "household__village_id",
            "household__village__name",
            "household__number",
            head_name("household"),
            "rule__visitor_role",
            "period_start",
            "period_end",
        )
    )
    return (_FlagRow(*row) for row in rows)


def _cadres_of() -> dict[int, list[int]]:
    """The active cadres of each village, by id: a few per village, read once for the whole county."""
    cadres: dict[int, list[int]] = defaultdict(list)
    through = User.villages.through.objects.filter(user__role=Role.CADRE, user__is_active=True)
    for village_id, user_id in through.values_list("village_id", "user_id").order_by("user_id"):
        cadres[village_id].append(user_id)
    return cadres


class _Labels:
    """The words of a flag's line, translated once per run rather than once per flag."""

    def __init__(self):
        self.kinds = {kind: str(label) for kind, label in FlagKind.choices}
        self.roles = {role: str(label) for role, label in VisitorRole.choices}

    def line(self, flag: _FlagRow) -> str:
        # Each household by its head's name first, as people know it, then its number.
        return (
            f"{self.kinds[flag.kind]}: {_named(flag.head_name, flag.number)} {flag.village} · "
            f"{self.roles[flag.role]} · {flag.period_start:%Y-%m-%d} – {flag.period_end:%Y-%m-%d}"
        )


def _message(person: User, inbox: _Inbox, url: str) -> Message:
    subject = _("Visits to log: %(overdue)d overdue, %(soon)d due soon") % {
        "overdue": inbox.overdue,
        "soon": len(inbox.lines) - inbox.overdue,
    }
    return Message(recipient=person, subject=subject, body="\n".join(inbox.lines), url=url)


def _named(head: str | None, number: str) -> str:
    return f"{head} {number}" if head else number
