"""Writes to the programmes whose rules span several rows: welfare jobs and photovoltaic income shares.

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
from households.models import Member


@transaction.atomic
def welfare_job_save(*, job: WelfareJob) -> WelfareJob:
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
    job.save()
    return job


def _shared(income: PVIncome, *, excluding: PVShare | None = None) -> Decimal:
    shares = income.shares.all()
    if excluding is not None and excluding.pk:
        shares = shares.exclude(pk=excluding.pk)
    return shares.aggregate(total=Sum("amount"))["total"] or Decimal("0")


@transaction.atomic
def pv_income_save(*, income: PVIncome) -> PVIncome:
    """Save a station-year's income; it cannot drop below what has already been shared out."""
    if income.pk:
        PVIncome.objects.select_for_update().get(pk=income.pk)
        shared = _shared(income)
        if income.income is not None and income.income < shared:
            raise ValidationError(
                {"income": _("%(shared)s yuan of this income has already been shared out.") % {"shared": shared}}
            )
    income.full_clean()
    income.save()
    return income


@transaction.atomic
def pv_share_save(*, share: PVShare) -> PVShare:
    """Save a household's share of a station-year's income, never letting the shares exceed the income."""
    income = PVIncome.objects.select_for_update().get(pk=share.income_id)
    share.income = income
    share.full_clean()
    remaining = income.income - _shared(income, excluding=share)
    if share.amount > remaining:
        raise ValidationError(
            {"amount": _("Only %(remaining)s yuan of this income is left to share.") % {"remaining": remaining}}
        )
    share.save()
    return share
