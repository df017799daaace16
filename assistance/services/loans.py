"""Writes to small poverty-alleviation loans: the schedule, repayments and the due/overdue flags.

A loan's instalment schedule follows from its terms (amount, issue date, term,
rate, repayment method), so it is computed here and rewritten whenever the
terms change, as long as nothing has been repaid; after the first repayment the
terms are fixed. Repayments go to the oldest unpaid instalments first and can
never exceed what is still owed. The flags are set for all instalments at once
by a few UPDATE statements, so the daily job costs the same for ten loans or
ten thousand, and running it twice changes nothing.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import Instalment, InstalmentFlag, Loan, Repayment, RepaymentMethod
from audit import trail
from audit.models import AuditEvent

CENT = Decimal("0.01")
ZERO = Decimal("0")
MONTHS_PER_QUARTER = 3


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ScheduledInstalment:
    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal

    @property
    def amount_due(self) -> Decimal:
        return self.principal + self.interest


def loan_schedule(
    *, amount: Decimal, issued_on: dt.date, term_months: int, annual_rate: Decimal, method: str
) -> list[ScheduledInstalment]:
    """The instalments that repay `amount` over `term_months` at `annual_rate` percent a year.

    Amounts are rounded to the fen each period and the last instalment takes
    what rounding left over, so the principals always add up to the amount.
    Periods that would owe nothing (interest-only periods of an interest-free
    loan) are left out.
    """
    if method == RepaymentMethod.QUARTERLY_INTEREST:
        rows = _quarterly_interest(amount, term_months, annual_rate)
    elif method in (RepaymentMethod.EQUAL_INSTALMENTS, RepaymentMethod.EQUAL_PRINCIPAL):
        rows = _monthly(amount, term_months, annual_rate / 100 / 12, method)
    else:
        raise ValueError(f"unknown repayment method {method!r}")
    rows = [(month, principal, interest) for month, principal, interest in rows if principal + interest > 0]
    return [
        ScheduledInstalment(number, add_months(issued_on, month), principal, interest)
        for number, (month, principal, interest) in enumerate(rows, 1)
    ]


def _quarterly_interest(amount: Decimal, term_months: int, annual_rate: Decimal):
    """Interest at the end of each quarter (a shorter last period if the term is not whole quarters), principal last."""
    ends = [*range(MONTHS_PER_QUARTER, term_months, MONTHS_PER_QUARTER), term_months]
    rows, start = [], 0
    for end in ends:
        interest = money(amount * annual_rate / 100 * (end - start) / 12)
        rows.append((end, amount if end == term_months else ZERO, interest))
        start = end
    return rows


def _monthly(amount: Decimal, term_months: int, monthly_rate: Decimal, method: str):
    """Equal instalments (等额本息) or equal principal (等额本金), interest on the balance still owed."""
    if method == RepaymentMethod.EQUAL_INSTALMENTS and monthly_rate:
        payment = money(amount * monthly_rate / (1 - (1 + monthly_rate) ** -term_months))
    else:
        payment = None  # equal principal, or an interest-free loan where both are the same
    even_principal = money(amount / term_months)
    rows, balance = [], amount
    for month in range(1, term_months + 1):
        interest = money(balance * monthly_rate)
        if month == term_months:
            principal = balance
        elif payment is not None:
            principal = min(payment - interest, balance)
        else:
            principal = min(even_principal, balance)
        rows.append((month, principal, interest))
        balance -= principal
    return rows


# ---------------------------------------------------------------- loans


@transaction.atomic
def loan_create(*, loan: Loan, user, via: str = AuditEvent.Via.WEB) -> Loan:
    """Record a new loan and write its instalment schedule (derived from the loan's terms, so not in the trail)."""
    loan.created_by = user
    loan.full_clean()
    loan.save()
    _write_schedule(loan)
    trail.record(actor=user, via=via, instance=loan, household=loan.household)
    return loan


@transaction.atomic
def loan_update(*, loan: Loan, user=None, via: str = AuditEvent.Via.WEB) -> Loan:
    """Save changes to a loan; new terms rewrite the schedule, which is refused once anything was repaid."""
    stored = Loan.objects.select_for_update(of=("self",)).select_related("household").get(pk=loan.pk)
    changed = [name for name in Loan.TERM_FIELDS if getattr(stored, name) != getattr(loan, name)]
    if changed and stored.repayments.exists():
        raise ValidationError(
            {name: _("The terms cannot change once a repayment has been recorded.") for name in changed}
        )
    loan.full_clean()
    loan.save()
    if changed:
        loan.instalments.all().delete()
        _write_schedule(loan)
    trail.record(actor=user, via=via, instance=loan, before=stored, household=stored.household)
    return loan


def _write_schedule(loan: Loan) -> None:
    schedule = loan_schedule(
        amount=loan.amount,
        issued_on=loan.issued_on,
        term_months=loan.term_months,
        annual_rate=loan.annual_rate,
        method=loan.repayment_method,
    )
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            amount_due=row.amount_due,
        )
        for row in schedule
    )
    instalments_flag(today=timezone.localdate(), instalments=Instalment.objects.filter(loan=loan))


@transaction.atomic
def loan_record_repayment(
    *, loan: Loan, paid_on: dt.date, amount: Decimal, user, via: str = AuditEvent.Via.WEB
) -> Repayment:
    """Record a repayment and allocate it to the oldest unpaid instalments; the last one repays the loan."""
    loan = Loan.objects.select_for_update(of=("self",)).select_related("household").get(pk=loan.pk)
    unpaid = list(loan.instalments.unpaid().order_by("number"))
    owed = sum((instalment.amount_owed for instalment in unpaid), ZERO)
    last = loan.repayments.order_by("-paid_on").values_list("paid_on", flat=True).first()
    errors = {}
    if amount <= 0:
        errors["amount"] = _("The amount must be more than zero.")
    elif amount > owed:
        errors["amount"] = _("This is more than the %(owed)s yuan still owed.") % {"owed": owed}
    if paid_on > timezone.localdate():
        errors["paid_on"] = _("The date cannot be in the future.")
    elif paid_on < loan.issued_on:
        errors["paid_on"] = _("A repayment cannot be made before the loan was issued.")
    elif last and paid_on < last:
        errors["paid_on"] = _("A repayment cannot be dated before the last one recorded (%(date)s).") % {
            "date": last.isoformat()
        }
    if errors:
        raise ValidationError(errors)

    repayment = Repayment(loan=loan, paid_on=paid_on, amount=amount, recorded_by=user)
    repayment.full_clean()
    repayment.save()
    left, touched = amount, []
    for instalment in unpaid:
        if left <= 0:
            break
        part = min(left, instalment.amount_owed)
        instalment.amount_paid += part
        left -= part
        if instalment.amount_paid == instalment.amount_due:
            instalment.paid_on, instalment.flag = paid_on, InstalmentFlag.NONE
        touched.append(instalment)
    Instalment.objects.bulk_update(touched, ["amount_paid", "paid_on", "flag"])
    events = trail.AuditTrail(actor=user, via=via)
    events.created(repayment, household=loan.household)
    if amount == owed:
        repaid = Loan(pk=loan.pk, repaid_on=None)
        loan.repaid_on = paid_on
        loan.save(update_fields=["repaid_on", "updated_at"])
        events.changed(repaid, loan, household=loan.household, fields=["repaid_on"])
    events.record()  # one insert; the instalments it paid follow from it and are not listed
    return repayment


# ---------------------------------------------------------------- flags


def due_soon_days() -> int:
    return settings.LOAN_DUE_SOON_DAYS


@dataclass(frozen=True)
class FlagCounts:
    """How many instalments carry each flag after a run, and how many this run changed."""

    overdue: int
    due_soon: int
    newly_overdue: int
    newly_due_soon: int
    cleared: int


def instalments_flag(*, today: dt.date, instalments=None) -> FlagCounts:
    """Flag unpaid instalments past due as overdue and those due within the window as due soon; clear the rest.

    Three UPDATE statements and one count, whatever the number of rows; each
    touches only rows whose flag is wrong, so a second run on the same day
    changes nothing.
    """
    rows = Instalment.objects.all() if instalments is None else instalments
    horizon = today + dt.timedelta(days=due_soon_days())
    unpaid = rows.filter(paid_on__isnull=True)
    newly_overdue = (
        unpaid.filter(due_date__lt=today).exclude(flag=InstalmentFlag.OVERDUE).update(flag=InstalmentFlag.OVERDUE)
    )
    newly_due_soon = (
        unpaid.filter(due_date__gte=today, due_date__lte=horizon)
        .exclude(flag=InstalmentFlag.DUE_SOON)
        .update(flag=InstalmentFlag.DUE_SOON)
    )
    cleared = (
        rows.exclude(flag=InstalmentFlag.NONE)
        .filter(Q(paid_on__isnull=False) | Q(due_date__gt=horizon))
        .update(flag=InstalmentFlag.NONE)
    )
    totals = rows.aggregate(
        overdue=Count("pk", filter=Q(flag=InstalmentFlag.OVERDUE)),
        due_soon=Count("pk", filter=Q(flag=InstalmentFlag.DUE_SOON)),
    )
    return FlagCounts(totals["overdue"], totals["due_soon"], newly_overdue, newly_due_soon, cleared)


def loan_outstanding(loan: Loan) -> Decimal:
    """What is still owed on a loan (principal and interest)."""
    totals = loan.instalments.aggregate(due=Sum("amount_due"), paid=Sum("amount_paid"))
    return (totals["due"] or ZERO) - (totals["paid"] or ZERO)
