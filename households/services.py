"""Writes to the registry that touch several rows or leave history behind."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.choices import HouseholdStatus, Relation
from households.models import Assessment, Household, IdNumberReveal, Member, StatusChange

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


def exit_blockers(household: Household) -> list[str]:
    """Why a household may not be marked out of poverty yet; empty when it may."""
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
