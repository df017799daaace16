"""Small poverty-alleviation loans (扶贫小额信贷): the loan, its instalment schedule and its repayments.

The schedule is written by assistance.services.loans when a loan is created
(and rewritten while nothing has been repaid); repayments are allocated to the
oldest unpaid instalments by the same module. The instalment flags (due soon,
overdue) are set in bulk by a daily job, so lists filter on an indexed column.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.models import Household, Member
from households.querysets import HouseholdChildQuerySet

MAX_LOAN_AMOUNT = Decimal("50000")
MIN_TERM_MONTHS = 1
MAX_TERM_MONTHS = 60
USUAL_TERM_MONTHS = 36
MAX_ANNUAL_RATE = Decimal("24")


class RepaymentMethod(models.TextChoices):
    QUARTERLY_INTEREST = "quarterly_interest", _("Interest quarterly, principal at the end")
    EQUAL_INSTALMENTS = "equal_instalments", _("Equal monthly instalments")
    EQUAL_PRINCIPAL = "equal_principal", _("Equal monthly principal")


class InstalmentFlag(models.TextChoices):
    NONE = "none", _("None")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class LoanStatus(models.TextChoices):
    """Not stored: a loan is repaid when it has a repaid-off date."""

    ACTIVE = "active", _("Being repaid")
    REPAID = "repaid", _("Repaid")


class Loan(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="loans"
    )
    # SET_NULL rather than PROTECT so that correcting a household's members never fails on a loan;
    # forms still require a borrower.
    borrower = models.ForeignKey(
        Member, verbose_name=_("borrower"), on_delete=models.SET_NULL, null=True, related_name="loans"
    )
    bank = models.CharField(_("bank"), max_length=100)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_LOAN_AMOUNT)],
        help_text=_("At most 50,000 yuan."),
    )
    issued_on = models.DateField(_("issue date"))
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"),
        default=USUAL_TERM_MONTHS,
        validators=[MinValueValidator(MIN_TERM_MONTHS), MaxValueValidator(MAX_TERM_MONTHS)],
    )
    annual_rate = models.DecimalField(
        _("annual interest rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_ANNUAL_RATE)],
        help_text=_("For example 4.35."),
    )
    interest_subsidised = models.BooleanField(
        _("interest subsidised"), default=True, help_text=_("The government pays the interest (贴息).")
    )
    repayment_method = models.CharField(
        _("repayment method"),
        max_length=20,
        choices=RepaymentMethod.choices,
        default=RepaymentMethod.QUARTERLY_INTEREST,
    )
    purpose = models.CharField(_("purpose"), max_length=200, help_text=_("For example the industry it funds."))
    repaid_on = models.DateField(_("repaid on"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdChildQuerySet.as_manager()

    # The fields the schedule is computed from: changing one rewrites it.
    TERM_FIELDS = ("amount", "issued_on", "term_months", "annual_rate", "repayment_method")

    class Meta:
        verbose_name = _("small poverty-alleviation loan")
        verbose_name_plural = _("small poverty-alleviation loans")
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["-issued_on", "-id"], name="loan_issued_latest"),
            models.Index(fields=["repaid_on"], name="loan_repaid_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=MAX_LOAN_AMOUNT), name="loan_amount_0_to_50000"
            ),
            models.CheckConstraint(
                condition=Q(term_months__range=(MIN_TERM_MONTHS, MAX_TERM_MONTHS)), name="loan_term_1_to_60_months"
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0) & Q(annual_rate__lte=MAX_ANNUAL_RATE), name="loan_rate_plausible"
            ),
            models.CheckConstraint(
                condition=Q(repaid_on__isnull=True) | Q(repaid_on__gte=F("issued_on")),
                name="loan_repaid_after_issue",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.bank} {self.amount}"

    def get_absolute_url(self):
        return reverse("assistance:loan-detail", args=[self.pk])

    def clean(self):
        if self.borrower_id and self.household_id and self.borrower.household_id != self.household_id:
            raise ValidationError({"borrower": _("The borrower must be a member of this household.")})

    @property
    def status(self) -> LoanStatus:
        return LoanStatus.REPAID if self.repaid_on else LoanStatus.ACTIVE


class InstalmentQuerySet(HouseholdChildQuerySet):
    household_path = "loan__household__"

    def unpaid(self):
        return self.filter(paid_on__isnull=True)


class Instalment(models.Model):
    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    principal = models.DecimalField(_("principal (yuan)"), max_digits=12, decimal_places=2)
    interest = models.DecimalField(_("interest (yuan)"), max_digits=12, decimal_places=2)
    # Principal plus interest, written by the schedule service (the only writer). Not a CHECK constraint:
    # SQLite adds decimals as floats, so an exact sum would fail there on amounts that PostgreSQL accepts.
    amount_due = models.DecimalField(_("amount due (yuan)"), max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid (yuan)"), max_digits=12, decimal_places=2, default=0)
    paid_on = models.DateField(_("paid off on"), null=True, blank=True)
    flag = models.CharField(_("flag"), max_length=10, choices=InstalmentFlag.choices, default=InstalmentFlag.NONE)

    objects = InstalmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["loan_id", "number"]
        indexes = [
            # The due and overdue list, and the panel's flag.
            models.Index(fields=["flag", "due_date"], name="instalment_flag_due"),
            # The daily flagging job looks only at what is still owed.
            models.Index(fields=["due_date"], condition=Q(paid_on__isnull=True), name="instalment_unpaid_due"),
            # The monthly report: instalments that fell due in a month, paid or not.
            models.Index(fields=["due_date"], name="instalment_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="instalment_number_unique_in_loan"),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0) & Q(amount_due__gt=0),
                name="instalment_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("amount_due")),
                name="instalment_paid_within_due",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True, amount_paid__lt=F("amount_due"))
                | Q(paid_on__isnull=False, amount_paid=F("amount_due")),
                name="instalment_paid_off_when_fully_paid",
            ),
        ]

    def __str__(self):
        return f"{self.loan_id}#{self.number} {self.due_date}"

    @property
    def amount_owed(self) -> Decimal:
        return self.amount_due - self.amount_paid


class RepaymentQuerySet(HouseholdChildQuerySet):
    household_path = "loan__household__"


class Repayment(models.Model):
    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="repayments")
    paid_on = models.DateField(_("date paid"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = RepaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["-paid_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive")]

    def __str__(self):
        return f"{self.loan_id} {self.paid_on} {self.amount}"
