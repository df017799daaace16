"""Income by year against the yearly line, and the classes households are managed in after exit."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households import classification
from households.models.geography import FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR, year_validators
from households.models.registry import Household
from households.querysets import (
    HouseholdChildQuerySet,
)

MAX_AMOUNT = 99_999_999
amount_validators = [MaxValueValidator(MAX_AMOUNT)]


class IncomeLine(models.Model):
    """The income line of one year, and the thresholds the flags and the classification use.

    Reference data that administrators keep in the Django admin; visible to everyone.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=year_validators)
    line = models.PositiveIntegerField(
        _("income line (yuan per person)"),
        validators=[MinValueValidator(1), *amount_validators],
        help_text=_("Per-capita net income must be above this figure."),
    )
    drop_share = models.DecimalField(
        _("income drop share"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_(
            "A household is flagged when its per-capita net income falls by more than this share of the "
            "previous year's figure (0.30 = 30%)."
        ),
    )
    consolidation_factor = models.DecimalField(
        _("consolidation factor"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("10.00"))],
        help_text=_(
            "Exited households whose per-capita net income is below this multiple of the line are suggested "
            "for continued consolidation (1.50 = 1.5 times the line)."
        ),
    )

    class Meta:
        verbose_name = _("income line")
        verbose_name_plural = _("income lines")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(line__gt=0), name="income_line_positive"),
            models.CheckConstraint(condition=Q(drop_share__gt=0, drop_share__lt=1), name="income_drop_share_0_to_1"),
            models.CheckConstraint(condition=Q(consolidation_factor__gte=1), name="consolidation_factor_at_least_1"),
        ]

    def __str__(self):
        return f"{self.year}: {self.line}"


class IncomeRecord(models.Model):
    """One household's income in one year (收入), in whole yuan.

    Production and business income is the gross figure and its costs are a
    separate line, as on the national income form; a loss shows as costs above
    income, so no amount is ever negative (net income may be).
    """

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="income_records"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    wage_income = models.PositiveIntegerField(_("wage income"), default=0, validators=amount_validators)
    production_income = models.PositiveIntegerField(
        _("production and business income"), default=0, validators=amount_validators
    )
    property_income = models.PositiveIntegerField(_("property income"), default=0, validators=amount_validators)
    transfer_income = models.PositiveIntegerField(
        _("transfer income"),
        default=0,
        validators=amount_validators,
        help_text=_("Subsidies, pensions and allowances."),
    )
    production_costs = models.PositiveIntegerField(
        _("production and business costs"), default=0, validators=amount_validators
    )
    household_size = models.PositiveSmallIntegerField(
        _("household size"), validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    net_income = models.GeneratedField(
        verbose_name=_("net income"),
        expression=F("wage_income")
        + F("production_income")
        + F("property_income")
        + F("transfer_income")
        - F("production_costs"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("income record")
        verbose_name_plural = _("income records")
        ordering = ["household_id", "-year"]
        # The unique constraint's index serves one household's years; the second
        # serves the flagged list, which reads one year across the county.
        indexes = [models.Index(fields=["year", "household"], name="income_year_household")]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_income_record_per_household_year"),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="income_household_size_at_least_1"),
            models.CheckConstraint(
                condition=Q(year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)), name="income_year_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.year}"

    @property
    def per_capita(self):
        return classification.per_capita(self.net_income, self.household_size)

    def is_above(self, line: IncomeLine) -> bool:
        return classification.is_above_line(self.net_income, self.household_size, line.line)


class ClassificationQuerySet(HouseholdChildQuerySet):
    def current(self):
        return self.filter(current=True)


class Classification(models.Model):
    """One decision on an exited household's class: what the rules suggested, what an official confirmed.

    History is kept: a new decision clears `current` on the previous one, so the
    household's class is the latest row, and a list can find it with one join.
    """

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="classifications"
    )
    classified_on = models.DateField(_("date"))
    suggested_class = models.CharField(_("suggested class"), max_length=20, choices=classification.ExitClass.choices)
    rule = models.CharField(_("rule"), max_length=30, choices=classification.Rule.choices)
    # The figures the rule quoted, so that the explanation is shown in the reader's language.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    confirmed_class = models.CharField(_("confirmed class"), max_length=20, choices=classification.ExitClass.choices)
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Required when the class differs from the suggestion.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now, editable=False)
    current = models.BooleanField(_("current"), default=True, editable=False)

    objects = ClassificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["household_id", "-decided_at", "-pk"]
        indexes = [
            models.Index(fields=["household", "-decided_at"], name="classification_household_time"),
            models.Index(
                fields=["confirmed_class", "household"], condition=Q(current=True), name="classification_current"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(current=True), name="one_current_classification_per_household"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_class=F("suggested_class")) | ~Q(reason=""),
                name="classification_override_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.classified_on}: {self.confirmed_class}"

    def clean(self):
        if self.confirmed_class and self.confirmed_class != self.suggested_class and not self.reason.strip():
            raise ValidationError({"reason": _("Give the reason for choosing another class than the suggested one.")})

    @property
    def explanation(self) -> str:
        return classification.explain(self.rule, self.figures)

    @property
    def is_override(self) -> bool:
        return self.confirmed_class != self.suggested_class
