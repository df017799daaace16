"""Writes to the registry that touch several rows or leave history behind."""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households import classification
from households.choices import HouseholdStatus, Relation
from households.classification import POST_EXIT_STATUSES, yuan
from households.models import (
    Assessment,
    Classification,
    Household,
    IdNumberReveal,
    IncomeLine,
    Member,
    StatusChange,
)
from households.selectors import income_records_newest_first

audit_log = logging.getLogger("townaid.audit")


@transaction.atomic
def household_save(*, household_form, member_formset, user) -> Household:
    """Save a household and its members together: all of it or none of it.

    A new household starts as unexited with a first line of status history.
    The head is saved last so that swapping the head between two members never
    trips the one-head constraint halfway through.
    """
    is_new = household_form.instance.pk is None
    household = household_form.save()
    member_formset.instance = household
    members = member_formset.save(commit=False)
    for member in member_formset.deleted_objects:
        member.delete()
    for member in sorted(members, key=lambda m: m.relation == Relation.HEAD):
        member.household = household
        member.save()
    if is_new:
        StatusChange.objects.create(
            household=household,
            from_status="",
            to_status=household.status,
            changed_on=timezone.localdate(),
            reason=_("Registered"),
            changed_by=user,
        )
    return household


@transaction.atomic
def assessment_record(*, assessment: Assessment, user) -> Assessment:
    """Record a 2W3G assessment; the newest one by date drives the household's compliance."""
    household = Household.objects.select_for_update().get(pk=assessment.household_id)
    assessment.assessed_by = user
    assessment.full_clean()
    assessment.save()
    latest = household.assessments.order_by("-assessed_on", "-pk").first()
    if household.latest_assessment_id != latest.pk:
        household.latest_assessment = latest
        household.save(update_fields=["latest_assessment", "updated_at"])
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
    return [*_income_blockers(household, lines), *_assessment_blockers(household)]


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


def _assessment_blockers(household: Household) -> list[str]:
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
) -> StatusChange:
    """Move a household to another status, keeping the change as history."""
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
        blockers = exit_blockers(household)
        if blockers:
            errors["to_status"] = [_("The household cannot be marked out of poverty yet."), *blockers]
    if to_status == HouseholdStatus.MONITORED and not monitor_kind:
        errors["monitor_kind"] = _("Choose the type of monitoring.")
    if errors:
        raise ValidationError(errors)

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
    if to_status == HouseholdStatus.EXITED:
        household.exit_year = changed_on.year
    household.full_clean()
    household.save(update_fields=["status", "monitor_kind", "exit_year", "updated_at"])
    return change


def id_numbers_reveal(*, members: list[Member], user, purpose: str) -> None:
    """Record that whole ID numbers are being shown: a deliberate act, kept in the log and the database."""
    IdNumberReveal.objects.bulk_create([IdNumberReveal(member=m, user=user, purpose=purpose) for m in members])
    for member in members:
        audit_log.info("id_number_revealed user=%s member=%s purpose=%s", user.pk, member.pk, purpose)


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
    return decision
