"""Writes of the visits app: logging a visit, and the daily job that raises and clears flags."""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import Message, notify_flags_once
from audit import trail
from audit.models import AuditEvent
from common.bulk import insert_new
from households.choices import AssessmentItem
from households.models import Assessment, Assignment, Household
from households.selectors import head_name
from households.services import assessment_record
from visits.models import FlagKind, Visit, VisitFlag, VisitorRole, VisitPhoto, VisitRule
from visits.periods import MONTH, Period, due_soon_from, entry_closes, period_of, previous_period

log = logging.getLogger(__name__)
BATCH_SIZE = 1000


# ---------------------------------------------------------------- logging a visit


@transaction.atomic
def visit_log(
    *,
    visit: Visit,
    user,
    verdicts: dict[str, tuple[bool, str]] | None = None,
    photos=(),
    via: str = AuditEvent.Via.WEB,
) -> tuple[Visit, bool]:
    """Store a visit once, however often it is sent; record a 2W3G change; clear the flags it answers.

    `visit` is unsaved, with its client_key. `verdicts` maps each 2W3G item the
    visitor checked to (passes, note); `photos` are re-encoded image files.
    Returns the stored visit and whether this call created it; only a visit created is recorded
    in the audit trail (with its photos, in one insert), a repeat of the same form is not.
    """
    existing = Visit.objects.filter(client_key=visit.client_key).first()
    if existing is not None:
        if (existing.household_id, existing.visitor_id) != (visit.household_id, user.pk):
            # Someone else's key (a copied form, a forged one): saying whose visit it is would
            # tell what lies outside the user's scope.
            raise ValidationError(_("This form can no longer be saved: open a new one."), code="key_used")
        return existing, False
    household = Household.objects.select_related("latest_assessment").get(pk=visit.household_id)
    _check(visit, household)
    visit.visitor = user
    standing = visit_standing(household=household, person=user, day=visit.visited_on)
    visit.role, visit.late = standing.role, standing.late
    visit.items_checked = sorted(verdicts or {})
    visit.full_clean(exclude=["assessment"])
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # the same form, sent twice at once: the other request stored it
        return Visit.objects.get(client_key=visit.client_key), False
    events = trail.AuditTrail(actor=user, via=via)
    for photo in photos:
        events.created(VisitPhoto.objects.create(visit=visit, image=photo), household=household)
    if verdicts:
        visit.assessment = _record_changed_verdicts(household, visit, verdicts, user, via)
        if visit.assessment is not None:
            visit.save(update_fields=["assessment"])
    events.created(visit, household=household)
    events.record()
    _clear_flags_answered_by(visit, timezone.now())
    return visit, True


@dataclass(frozen=True)
class VisitStanding:
    """What a visit by a person to a household on a day would be: in which role, for which period, and whether late."""

    role: str  # the person's own assignment to the household that day, or "other"
    period: Period  # the period it falls in (of its rule; a month for a visit no rule asks for)
    counts_until: dt.date  # the last day it may be entered and still count
    rule: VisitRule | None  # the rule it answers, if any

    @property
    def late(self) -> bool:
        return timezone.localdate() > self.counts_until

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
    previous = previous_period(on, standing.rule.period)
    return previous.start if on <= entry_closes(previous, settings.VISIT_LATE_ENTRY_DAYS) else standing.period.start


def _check(visit: Visit, household: Household) -> None:
    errors = {}
    today = timezone.localdate()
    if visit.visited_on > today:
        errors["visited_on"] = _("The date cannot be in the future.")
    elif visit.visited_on < household.registered_on:
        errors["visited_on"] = _("The household was only registered on %(date)s.") % {
            "date": household.registered_on.isoformat()
        }
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


def visits_flag(*, on: dt.date | None = None) -> FlagRun:
    """Raise, escalate and clear visit flags as of `on` (today in Asia/Shanghai by default).

    Idempotent: one flag per household, rule and period (a unique constraint, and
    inserts that skip conflicts), so a rerun, or two runs at once, change
    nothing; each run counts only the flags it inserted itself, so the counts of
    two runs at once add up to the flags raised. Set-based: a fixed handful of queries per rule, whatever the number
    of households. A run killed halfway is finished by the next one, since
    notifying looks for flags not yet notified rather than flags just raised.
    """
    on = on or timezone.localdate()
    run = FlagRun(on=on)
    now = timezone.now()
    for rule in VisitRule.objects.active():
        with transaction.atomic():
            run.cleared += _clear_answered(rule, now)
            past = previous_period(on, rule.period)
            run.escalated += _escalate(rule, before=period_of(on, rule.period).start)
            run.raised += _raise(rule, past, FlagKind.OVERDUE, now, on)
            current = period_of(on, rule.period)
            if on >= due_soon_from(current, settings.VISIT_DUE_SOON_DAY):
                run.raised += _raise(rule, current, FlagKind.DUE_SOON, now, on)
    with transaction.atomic():
        run.notified = _notify_unnotified()
    return run


def _raise(rule: VisitRule, period: Period, kind: str, now, on: dt.date) -> int:
    rows = rule.owed(period, on=on).exclude(rule.visited(period)).values_list("pk", "visitor_id")
    flags = [
        VisitFlag(
            household_id=household_id,
            rule=rule,
            period_start=period.start,
            period_end=period.end,
            visitor_id=visitor_id,
            kind=kind,
            raised_at=now,
        )
        for household_id, visitor_id in rows.iterator(chunk_size=BATCH_SIZE)
    ]
    return len(insert_new(VisitFlag, flags, batch_size=BATCH_SIZE))


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


def _notify_unnotified() -> int:
    """Tell each flag's visitor and the village's cadres, once per flag and kind."""
    flags = list(
        VisitFlag.objects.open()
        .exclude(notified_kind=F("kind"))
        .select_related("household__village", "rule", "visitor")
        .annotate(head_name=head_name("household"))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("pk")
    )
    if not flags:
        return 0
    cadres = _cadres_of({flag.household.village_id for flag in flags})
    return notify_flags_once(
        flags, recipients=lambda flag: [flag.visitor, *cadres.get(flag.household.village_id, [])], message=_message
    )


def _cadres_of(village_ids) -> dict[int, list[User]]:
    cadres: dict[int, list[User]] = defaultdict(list)
    through = User.villages.through.objects.filter(
        village_id__in=village_ids, user__role=Role.CADRE, user__is_active=True
    ).select_related("user")
    for link in through:
        cadres[link.village_id].append(link.user)
    return cadres


def _message(person: User, flags: list[VisitFlag]) -> Message:
    overdue = sum(1 for f in flags if f.kind == FlagKind.OVERDUE)
    subject = _("Visits to log: %(overdue)d overdue, %(soon)d due soon") % {
        "overdue": overdue,
        "soon": len(flags) - overdue,
    }
    # Each household by its head's name first, as people know it, then its number.
    lines = [
        f"{flag.get_kind_display()}: {_named(flag.head_name, flag.household.number)} {flag.household.village} · "
        f"{flag.rule.get_visitor_role_display()} · {flag.period_start:%Y-%m-%d} – {flag.period_end:%Y-%m-%d}"
        for flag in flags
    ]
    return Message(recipient=person, subject=subject, body="\n".join(lines), url=reverse("visits:due"))


def _named(head: str | None, number: str) -> str:
    return f"{head} {number}" if head else number
