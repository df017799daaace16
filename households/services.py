"""Writes to the registry that touch several rows or leave history behind."""

import copy
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.services import Message, notify
from audit import trail as audit
from audit.models import AccessEvent, AuditEvent
from common import concurrency
from common.concurrency import Conflict, ConflictKind, RowConflict
from households import classification, idnumbers, summaries
from households.choices import HouseholdStatus, Relation
from households.classification import POST_EXIT_STATUSES, yuan
from households.models import (
    Assessment,
    Classification,
    Household,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    Target,
    TargetHousehold,
    Town,
)
from households.models.registry import REGISTERED_POOR_STATUSES
from households.selectors import income_records_newest_first

audit_log = logging.getLogger("townaid.audit")
# What a refused value was, in the officials' message.
OUT_OF_SCOPE_FIELDS = {"number": gettext_lazy("household number"), "id_number": gettext_lazy("ID number of a member")}


# A household form's edits that crossed (common/concurrency.py): ID numbers are never shown whole in
# the table, nor held whole by the form; the audit trail says who changed them last.
CONFLICT_HIDDEN = {"id_number": idnumbers.mask}
CONFLICT_BLANK = ("id_number",)
CONFLICT_RECORDS = ["households.Household", "households.Member"]  # what the form edits, as the audit names it


def household_conflict(*, household_form, member_formset) -> Conflict | None:
    """What changed under an edit form of an existing household since it was opened, for the page to show;
    None when nothing did.

    household_save checks the versions under its lock and writes nothing when one is stale; the page then
    asks this for the comparison. A household deleted meanwhile gives a conflict whose `current` is None.
    """
    pk = household_form.instance.pk
    if pk is None:
        return None
    households = Household.objects.filter(pk=pk)
    members = Member.objects.filter(household_id=pk).order_by("pk")
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
                differences=concurrency.differences(household_form, current),
            )
        )
    if member_formset.management_form.is_valid():  # else the formset says it was tampered with
        rows += concurrency.formset_rows(member_formset, stored, name=_member_name, hide=CONFLICT_HIDDEN)
    if not rows:
        return None
    changed_at, changed_by = audit.last_recorded_change(household_id=pk, object_types=CONFLICT_RECORDS)
    if changed_at is None and household_changed:
        changed_at = current.updated_at  # a change the audit trail missed: when, not who
    return Conflict(
        rows=rows,
        current=current,
        data=concurrency.reopened(household_form, member_formset, current, stored, blank=CONFLICT_BLANK),
        changed_at=changed_at,
        changed_by=changed_by,
    )


def _member_name(name) -> str:
    return _("Member %(name)s") % {"name": name or "?"}


# What an editor of a household writes of each member; a member's version (common.concurrency) covers these.
MEMBER_FIELDS = (
    "name",
    "id_number",
    "relation",
    "ethnicity",
    "education",
    "student_status",
    "health",
    "disability_grade",
    "work_ability",
    "migrant_work",
    "work_months",
    "medical_insurance",
    "serious_illness_insurance",
    "pension_insurance",
    "minimum_allowance",
)


@dataclass(frozen=True)
class MemberWrite:
    """One member as the editor left it: new (no pk), stored and kept, stored and changed, or stored and deleted.

    `version` is the stored member's version as the editor saw it (common.concurrency.version_of over the
    fields it edits); `values` are the member's fields to write, None for a stored member left as it was.
    """

    pk: int | None = None
    version: str = ""
    values: dict | None = None
    delete: bool = False


@transaction.atomic
def household_save(
    *,
    household: Household | None,
    values: dict,
    members: list[MemberWrite],
    version: str = "",
    user,
    registered_as: str = HouseholdStatus.UNEXITED,
    via: str = AuditEvent.Via.WEB,
) -> Household:
    """Write a household and its members together: all of it or none of it.

    `household` is the stored household edited, or None for a new one; `values` its fields as the editor
    wrote them; `members` every member the editor saw and any they added. A new household starts as
    `registered_as`: unexited (a registered poor household, 建档立卡) or general (an ordinary rural household,
    一般农户, never registered poor, to be reported for monitoring), with a first line of status history; an
    edit never changes the status. The head is saved last so that swapping the head between
    two members never trips the one-head constraint halfway through. What changed, members deleted
    included, goes to the audit trail in one insert.

    An edit is written only if nobody changed the household or its members since the editor's versions,
    and no member was added that the editor never saw (checked under a lock); otherwise StaleVersion, and
    nothing is written. Only the fields given are written, so that a status changed meanwhile stays.
    """
    current, stored = None, {}
    if household is not None:
        # With its village and group, which the audit trail names (the lock stays on the household alone).
        current = (
            Household.objects.select_for_update(of=("self",))
            .select_related("village", "group")
            .filter(pk=household.pk)
            .first()
        )
        concurrency.check_version(current, version, values)
        stored = {m.pk: m for m in Member.objects.select_for_update().filter(household=current).order_by("pk")}
        seen = {write.pk for write in members if write.pk is not None}
        if seen != set(stored) or any(
            write.version and write.version != concurrency.version_of(stored[write.pk], MEMBER_FIELDS)
            for write in members
            if write.pk is not None
        ):
            raise concurrency.StaleVersion(current)
    if current is None and registered_as not in (HouseholdStatus.UNEXITED, HouseholdStatus.GENERAL):
        raise ValidationError(_("A new household is registered as poor or as an ordinary rural household."))
    saved = copy.copy(current) if current else Household(status=registered_as)
    for name, value in values.items():
        setattr(saved, name, value)
    saved.full_clean()
    saved.save(update_fields=None if current is None else [*values, "updated_at"])
    trail = audit.AuditTrail(actor=user, via=via)
    if current is None:
        trail.created(saved, household=saved)
    else:
        trail.changed(current, saved, household=saved, fields=list(values))
    written = []
    for write in members:
        before = stored.get(write.pk)
        if write.delete:
            trail.deleted(before, household=saved)
            before.delete()
        elif write.values is not None:
            member = copy.copy(before) if before else Member(household=saved)
            for name, value in write.values.items():
                setattr(member, name, value)
            try:  # read afresh from the ID number, never checked against the stored ones: a new number replaces them
                facts = idnumbers.parse(idnumbers.normalise(member.id_number))
                member.sex, member.birth_date = facts.sex, facts.birth_date
            except ValidationError:
                pass  # full_clean names what is wrong with the number
            member.full_clean(exclude=["household"])  # the one-head rule is the whole household's, checked below
            written.append((before, member))
    for before, member in sorted(written, key=lambda pair: pair[1].relation == Relation.HEAD):
        member.save()
        if before is None:
            trail.created(member, household=saved)
        else:
            trail.changed(before, member, household=saved)
    if Member.objects.filter(household=saved, relation=Relation.HEAD).count() != 1:
        raise ValidationError(_("A household has exactly one head."))
    if current is None:
        household_history_start(household=saved, user=user)
    summaries.refresh([saved.pk])  # its people
    trail.record()
    return saved


def household_history_start(*, household: Household, user) -> StatusChange:
    """The first line of a new household's status history: registered today, in the status it starts with.

    Every way of adding a household (the page, the admin) writes it, so that the
    status history, which the targets and the monthly report read, knows every
    household from the day it entered the registry.
    """
    return StatusChange.objects.create(
        household=household,
        from_status="",
        to_status=household.status,
        changed_on=timezone.localdate(),
        reason=_("Registered"),
        changed_by=user,
    )


@transaction.atomic
def assessment_record(*, assessment: Assessment, user, via: str = AuditEvent.Via.WEB) -> Assessment:
    """Record a 2W3G assessment; the newest one by date drives the household's compliance."""
    household = Household.objects.select_for_update().get(pk=assessment.household_id)
    assessment.assessed_by = user
    assessment.full_clean()
    assessment.save()
    audit.record(actor=user, via=via, instance=assessment, household=household)
    latest = household.assessments.order_by("-assessed_on", "-pk").first()
    if household.latest_assessment_id != latest.pk:
        household.latest_assessment = latest
        household.save(update_fields=["latest_assessment", "updated_at"])
    summaries.refresh([household.pk], fields=["failing_items"])
    return assessment


def _line_for(year: int, lines: dict[int, IncomeLine] | None) -> IncomeLine | None:
    if lines is not None:
        return lines.get(year)
    return IncomeLine.objects.filter(year=year).first()


def exit_blockers(household: Household, *, lines: dict[int, IncomeLine] | None = None) -> list[str]:
    """Why a household may not be marked out of poverty yet, one sentence each; empty when it may.

    Its latest income record's per-capita net income must be above that year's
    line, and every item of its latest 2W3G assessment must pass. `lines` (from
    income_lines) spares a query when the caller has them already.
    """
    return [*_income_blockers(household, lines), *assessment_blockers(household)]


def _income_blockers(household: Household, lines: dict[int, IncomeLine] | None) -> list[str]:
    records = income_records_newest_first(household)
    if not records:
        return [_("No income has been recorded.")]
    latest = records[0]
    line = _line_for(latest.year, lines)
    if line is None:
        return [_("No income line is configured for {year}.").format(year=latest.year)]
    if not latest.is_above(line):
        sentence = _(
            "Per-capita net income of {per_capita} yuan in {year} is not above that year's line of {line} yuan."
        )
        return [sentence.format(per_capita=yuan(latest.per_capita), year=latest.year, line=yuan(line.line))]
    return []


def assessment_blockers(household: Household) -> list[str]:
    latest = household.latest_assessment
    if latest is None:
        return [_("No 2W3G assessment has been recorded.")]
    return [_("Fails the 2W3G item: {item}.").format(item=item.label) for item in latest.failing_items()]


@transaction.atomic
def household_set_status(
    *,
    household: Household,
    to_status: str,
    changed_on: dt.date,
    reason: str,
    user,
    monitor_kind: str = "",
    via: str = AuditEvent.Via.WEB,
) -> StatusChange:
    """Move a household to another status, keeping the change as history and in the audit trail."""
    household = (
        Household.objects.select_for_update(of=("self",)).select_related("latest_assessment").get(pk=household.pk)
    )
    errors = {}
    if to_status == household.status:
        errors["to_status"] = _("The household already has this status.")
    if changed_on > timezone.localdate():
        errors["changed_on"] = _("The date cannot be in the future.")
    if not reason.strip():
        errors["reason"] = _("Give the reason for the change.")
    if to_status == HouseholdStatus.EXITED:
        # A risk removed (monitored back to exited) was checked by its own conditions: income at or above the
        # monitoring line, higher than the poverty line, month after month, which a year's income record
        # written while the household was struck would contradict; its 2W3G items are checked again here.
        risk_removed = household.status == HouseholdStatus.MONITORED and household.exit_year is not None
        blockers = assessment_blockers(household) if risk_removed else exit_blockers(household)
        if blockers:
            errors["to_status"] = [_("The household cannot be marked out of poverty yet."), *blockers]
    if to_status in REGISTERED_POOR_STATUSES and not household.main_cause:
        # An ordinary rural household (一般农户) has none: said here, on the status, rather than by full_clean below.
        errors["to_status"] = _("Record the household's main poverty cause (edit the household) before this change.")
    if to_status == HouseholdStatus.MONITORED and not monitor_kind:
        errors["monitor_kind"] = _("Choose the type of monitoring.")
    if errors:
        raise ValidationError(errors)

    before = copy.copy(household)
    change = StatusChange.objects.create(
        household=household,
        from_status=household.status,
        to_status=to_status,
        changed_on=changed_on,
        reason=reason.strip(),
        changed_by=user,
    )
    household.status = to_status
    household.monitor_kind = monitor_kind if to_status == HouseholdStatus.MONITORED else ""
    # The exit year (脱贫年度) is the year the household was lifted: a risk removed later (monitored back to
    # exited) keeps it, while a second exit after a return to poverty is a new one.
    risk_removed = before.status == HouseholdStatus.MONITORED and before.exit_year is not None
    if to_status == HouseholdStatus.EXITED and not risk_removed:
        household.exit_year = changed_on.year
    household.full_clean()
    household.save(update_fields=["status", "monitor_kind", "exit_year", "updated_at"])
    audit.audit_record(
        actor=user,
        via=via,
        action=AuditEvent.Action.STATUS_CHANGED,
        instance=household,
        before=before,
        household=household,
        reason=change.reason,
    )
    return change


@transaction.atomic
def income_record_save(
    *,
    household: Household,
    year: int,
    wage_income: int,
    production_income: int,
    property_income: int,
    transfer_income: int,
    production_costs: int,
    household_size: int,
    user,
    via: str = AuditEvent.Via.WEB,
) -> IncomeRecord:
    """Write a household's income of one year: the year's record is created, or updated when there is one.

    A household has one record a year, so writing the same year again (a resent
    form, an import, a sync) changes that record rather than adding one. What
    changed goes to the audit trail.
    """
    before = IncomeRecord.objects.select_for_update().filter(household=household, year=year).first()
    record = copy.copy(before) if before else IncomeRecord(household=household, year=year)
    record.wage_income, record.production_income = wage_income, production_income
    record.property_income, record.transfer_income = property_income, transfer_income
    record.production_costs, record.household_size = production_costs, household_size
    record.recorded_by = user
    record.full_clean()
    record.save()
    summaries.refresh([household.pk], fields=summaries.INCOME_FIELDS)
    audit.audit_record(
        actor=user,
        via=via,
        action=AuditEvent.Action.CHANGED if before else AuditEvent.Action.CREATED,
        instance=record,
        before=before,
        household=household,
    )
    return record


def id_numbers_reveal(*, members: list[Member], user, purpose: str) -> None:
    """Record that whole ID numbers are being shown: a deliberate act, kept in the log and the access log.

    The members come through their household (household.members.all()), so naming it costs no query.
    """
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                user=user,
                kind=AccessEvent.Kind.ID_REVEALED,
                member_id=m.pk,
                household_id=m.household_id,
                household_number=m.household.number,
                purpose=purpose,
            )
            for m in members
        ]
    )
    for member in members:
        audit_log.info("id_number_revealed user=%s member=%s purpose=%s", user.pk, member.pk, purpose)


def out_of_scope_values_record(*, user, household: Household, clashes: list) -> None:
    """Record values refused because a household out of the user's scope holds them, and tell its town's officials.

    The form told the user only that the value cannot be used (forms.UniqueInScopeMixin).
    Such a value is either a person or household registered twice, which the town must
    sort out, or someone probing another village's registry: either way the officials of
    the town that holds it hear of it, and the access log keeps it.
    """
    if not clashes:
        return
    AccessEvent.objects.bulk_create(
        AccessEvent(
            user=user,
            kind=AccessEvent.Kind.OUT_OF_SCOPE_VALUE,
            household_id=clash.household.pk,
            household_number=clash.household.number,
            purpose=clash.field,
            detail={"form": household.number if household.pk else "", "field": clash.field},
        )
        for clash in clashes
    )
    officials = defaultdict(list)
    towns = dict(
        Household.objects.filter(pk__in={c.household.pk for c in clashes}).values_list("pk", "village__town_id")
    )
    for official in User.objects.filter(role=Role.OFFICIAL, is_active=True, town_id__in=set(towns.values())):
        officials[official.town_id].append(official)
    messages = []
    for clash in clashes:
        audit_log.warning(
            "out_of_scope_value user=%s field=%s household=%s form=%s",
            user.pk,
            clash.field,
            clash.household.pk,
            household.pk or "new",
        )
        with translation.override(settings.LANGUAGE_CODE):
            params = {
                "user": user.get_full_name() or user.username,
                "what": OUT_OF_SCOPE_FIELDS[clash.field],
                "number": clash.household.number,
                "form": household.number or _("a new household"),
            }
            subject = _("A value of household %(number)s was typed in another village") % params
            body = (
                _(
                    "%(user)s typed the %(what)s of household %(number)s into the form of %(form)s and was refused, "
                    "as household %(number)s is outside what they may see. Either the same person or household is "
                    "registered twice, or someone is searching for records outside their village."
                )
                % params
            )
        url = clash.household.get_absolute_url()
        messages += [Message(o, subject, body, url) for o in officials[towns[clash.household.pk]]]
    notify(messages)


# ---------------------------------------------------------------- classification after exit


def classification_suggest(
    household: Household, *, on: dt.date | None = None, lines: dict[int, IncomeLine] | None = None
) -> classification.Suggestion:
    """The class the rules suggest today (or `on`) from the household's members, income and latest 2W3G.

    Reads members, income records and the latest assessment through the
    household (prefetched on the household page), and the line through `lines`.
    """
    records = income_records_newest_first(household)
    latest = records[0] if records else None
    previous = next((r for r in records if latest and r.year == latest.year - 1), None)
    assessment = household.latest_assessment
    return classification.suggest(
        members=household.members.all(),
        income=latest,
        previous_income=previous,
        line=_line_for(latest.year, lines) if latest else None,
        failing_items=assessment.failing_items() if assessment else None,
        monitored=household.status == HouseholdStatus.MONITORED,
        on=on or timezone.localdate(),
    )


@transaction.atomic
def classification_confirm(
    *, household: Household, confirmed_class: str, reason: str, user, on: dt.date | None = None
) -> Classification:
    """Confirm (or override, with a reason) the class the rules suggest now, keeping the previous ones as history.

    Only those who may change a household's status (officials and admins) decide
    its class; the suggestion is computed afresh, never taken from the form.
    """
    try:
        household = (
            Household.objects.status_changeable_by(user)
            .select_for_update(of=("self",))
            .select_related("latest_assessment")
            .get(pk=household.pk)
        )
    except Household.DoesNotExist:
        raise PermissionDenied from None
    on = on or timezone.localdate()
    if household.status not in POST_EXIT_STATUSES:
        raise ValidationError(_("Only households out of poverty are classified."))
    if on > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    suggestion = classification_suggest(household, on=on)
    decision = Classification(
        household=household,
        classified_on=on,
        suggested_class=suggestion.exit_class,
        rule=suggestion.rule,
        figures=suggestion.figures,
        confirmed_class=confirmed_class,
        reason=reason.strip(),
        decided_by=user,
    )
    # The previous decision stops being current first, so that the one-current constraint holds when
    # checked; an invalid decision raises and the transaction undoes this.
    Classification.objects.filter(household=household, current=True).update(current=False)
    decision.full_clean()
    decision.save()
    summaries.refresh([household.pk], fields=["exit_class"])
    audit.audit_record(
        actor=user,
        via=AuditEvent.Via.WEB,
        action=AuditEvent.Action.CREATED,
        instance=decision,
        household=household,
        reason=decision.reason,
    )
    return decision


# ---------------------------------------------------------------- campaign targets

TARGET_BATCH_SIZE = 1000


def target_cohort(*, town: Town, as_of: dt.date) -> list[tuple[int, int]]:
    """(household, people) for each household of the town still poor at the start of `as_of`, by household.

    "Still poor" is read from the status history, not from today's status: a
    household counts when the last change dated before that day left it unexited
    (changes on the day itself belong to the target's period). So a target can be
    set after the fact ("every household still poor at the start of 2020"), and
    a household whose history starts later (identified, registered or imported
    afterwards) is not in it. People are the members counted now.

    One query: the latest change before the day and the member count are
    subqueries per household of the town, served by the (household, date) index
    of the history and the household index of the members.
    """
    status_then = (
        StatusChange.objects.filter(household=OuterRef("pk"), changed_on__lt=as_of)
        .order_by("-changed_on", "-pk")
        .values("to_status")[:1]
    )
    people = Member.objects.filter(household=OuterRef("pk")).order_by().values("household").annotate(n=Count("pk"))
    rows = (
        Household.objects.filter(village__town=town)
        .annotate(status_then=Subquery(status_then))
        .filter(status_then=HouseholdStatus.UNEXITED)
        .annotate(people=Coalesce(Subquery(people.values("n")), Value(0), output_field=IntegerField()))
        .order_by("pk")
        .values_list("pk", "people")
    )
    return list(rows)


def target_refusal(*, town: Town, as_of: dt.date) -> str | None:
    """Why target_fix would refuse a target of the town from that day, or None (for forms, before they save)."""
    future = as_of > timezone.localdate()
    return _cohort_refusal(town, as_of, future, [] if future else target_cohort(town=town, as_of=as_of))


def _cohort_refusal(town: Town, as_of: dt.date, future: bool, cohort: list) -> str | None:
    if future:
        return _("The date cannot be in the future.")
    if not cohort:
        return _("No household of {town} was still poor at the start of {date}, by its status history.").format(
            town=town, date=as_of.isoformat()
        )
    return None


@transaction.atomic
def target_fix(*, town: Town, year: int, name: str, as_of: dt.date, user, via: str = AuditEvent.Via.ADMIN) -> Target:
    """Set a town's target for a year and fix its cohort: the households still poor at the start of `as_of`.

    The cohort (target_cohort) and each household's people are stored and never
    change afterwards, so that exits, returns, new households and new members
    later on move the target's progress, never the target. A day to come is
    refused (its history is not written yet), and so is a day on which the town
    had nobody poor. The town's row is locked so that two admins setting the same
    target at once get one target and a refusal. One audit event names the
    target and its size.
    """
    town = Town.objects.select_for_update().get(pk=town.pk)
    target = Target(town=town, year=year, name=name.strip(), as_of=as_of, created_by=user)
    target.full_clean()
    future = as_of > timezone.localdate()
    cohort = [] if future else target_cohort(town=town, as_of=as_of)
    refusal = _cohort_refusal(town, as_of, future, cohort)
    if refusal:
        raise ValidationError({"as_of": refusal})
    target.save()
    TargetHousehold.objects.bulk_create(
        (TargetHousehold(target=target, household_id=household, people=people) for household, people in cohort),
        batch_size=TARGET_BATCH_SIZE,
    )
    audit.audit_record(
        actor=user,
        via=via,
        action=AuditEvent.Action.CREATED,
        instance=target,
        household=None,
        reason=_("{households} households and {people} people still poor at the start of {date}.").format(
            households=len(cohort), people=sum(people for _household, people in cohort), date=as_of.isoformat()
        ),
    )
    return target
