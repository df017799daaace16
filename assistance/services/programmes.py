"""Writes to the programmes: any programme's form (programme_save), and those whose rules span several rows,
welfare jobs and photovoltaic income shares. Every one of them records its change in the audit trail.

Both rules ("one post at a time", "shares never exceed the income") are checks
against other rows, so two requests at once could each pass them alone; the
row they both depend on is locked first (select_for_update) so that the second
waits for the first and then sees its write.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from assistance.models import PVIncome, PVShare, WelfareJob
from audit import trail
from audit.models import AuditEvent
from households.models import Household, Member


def _household_of(record) -> Household | None:
    """The household a programme's record belongs to, directly or through a member; None for a village's record."""
    if getattr(record, "household_id", None) is not None:
        return record.household
    if getattr(record, "member_id", None) is not None:
        return record.member.household
    return None


@transaction.atomic
def programme_save(*, form, user, via: str = AuditEvent.Via.WEB):
    """Save a programme's valid ModelForm (the specs' default save) and record what it changed."""
    before = trail.snapshot(form.instance)
    record = form.save()
    trail.record(actor=user, via=via, instance=record, before=before, household=_household_of(record))
    return record


@transaction.atomic
def welfare_job_save(*, job: WelfareJob, user=None, via: str = AuditEvent.Via.WEB) -> WelfareJob:
    """Save a public-welfare job; a member holds at most one post at any time."""
    Member.objects.select_for_update().filter(pk=job.member_id).first()
    # Overlap first: it names the post already held, where the open-post constraint could only say "one".
    overlapping = job.overlapping_jobs().select_related("member").first() if job.start_date else None
    if overlapping is not None:
        raise ValidationError(
            {
                "member": _("%(member)s already holds the post of %(post)s from %(start)s.")
                % {
                    "member": overlapping.member,
                    "post": overlapping.get_post_display(),
                    "start": overlapping.start_date.isoformat(),
                }
            }
        )
    job.full_clean()
    before = trail.snapshot(job)
    job.save()
    trail.record(actor=user, via=via, instance=job, before=before, household=_household_of(job))
    return job


def _shared(income: PVIncome, *, excluding: PVShare | None = None) -> Decimal:
    shares = income.shares.all()
    if excluding is not None and excluding.pk:
        shares = shares.exclude(pk=excluding.pk)
    return shares.aggregate(total=Sum("amount"))["total"] or Decimal("0")


@transaction.atomic
def pv_income_save(*, income: PVIncome, user=None, via: str = AuditEvent.Via.WEB) -> PVIncome:
    """Save a station-year's income; it cannot drop below what has already been shared out."""
    if income.pk:
        PVIncome.objects.select_for_update().get(pk=income.pk)
        shared = _shared(income)
        if income.income is not None and income.income < shared:
            raise ValidationError(
                {"income": _("%(shared)s yuan of this income has already been shared out.") % {"shared": shared}}
            )
    income.full_clean()
    before = trail.snapshot(income)
    income.save()
    trail.record(actor=user, via=via, instance=income, before=before)  # a station's, shared out to households
    return income


@transaction.atomic
def pv_share_save(*, share: PVShare, user=None, via: str = AuditEvent.Via.WEB) -> PVShare:
    """Save a household's share of a station-year's income, never letting the shares exceed the income."""
    income = PVIncome.objects.select_for_update().get(pk=share.income_id)
    share.income = income
    share.full_clean()
    remaining = income.income - _shared(income, excluding=share)
    if share.amount > remaining:
        raise ValidationError(
            {"amount": _("Only %(remaining)s yuan of this income is left to share.") % {"remaining": remaining}}
        )
    before = trail.snapshot(share)
    share.save()
    trail.record(actor=user, via=via, instance=share, before=before, household=_household_of(share))
    return share
