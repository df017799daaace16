"""One household, one plan (一户一策): per household and year, the causes analysed and the measures taken."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households.choices import MonitoringRisk
from households.models import FIRST_REGISTRY_YEAR, Household, Member
from households.querysets import HouseholdChildQuerySet


class MeasureCategory(models.TextChoices):
    INDUSTRY = "industry", _("Specialty agriculture (four drives, one self)")
    EMPLOYMENT = "employment", _("Employment and job training")
    SKILLS = "skills", _("Skills training")
    WELFARE_JOB = "welfare_job", _("Public-welfare job")
    LOAN = "loan", _("Small poverty-alleviation loan")
    PHOTOVOLTAIC = "photovoltaic", _("Photovoltaic income")
    EDUCATION = "education", _("Education subsidy")
    HEALTH = "health", _("Health policies")
    HOUSING = "housing", _("Housing renovation")
    WATER = "water", _("Drinking water")
    BOTTOM_LINE = "bottom_line", _("Minimum living allowance and bottom-line support")
    REWARD = "reward", _("Rewards instead of subsidies")
    OTHER = "other", pgettext_lazy("measure", "Other")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Plan(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(FIRST_REGISTRY_YEAR)])
    cause_analysis = models.TextField(_("analysis of the causes of poverty"))
    goal = models.TextField(_("goal for the year"), blank=True)
    # Empty for a plan no person wrote: the demo, the county generator, an import. Set by plan_save, never edited.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("assistance plan")
        verbose_name_plural = _("assistance plans")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="one_plan_per_household_and_year")]

    def __str__(self):
        return f"{self.household} {self.year}"

    def get_absolute_url(self):
        return reverse("assistance:plan-detail", args=[self.pk])


class MeasureQuerySet(HouseholdChildQuerySet):
    household_path = "plan__household__"


class Measure(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="measures")
    category = models.CharField(_("category"), max_length=20, choices=MeasureCategory.choices)
    description = models.TextField(_("description"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
    )
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    beneficiary = models.ForeignKey(
        Member,
        verbose_name=_("beneficiary member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
    )
    status = models.CharField(_("status"), max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED)
    risk = models.CharField(
        _("monitoring risk answered"),
        max_length=20,
        choices=MonitoringRisk.choices,
        blank=True,
        help_text=_("For a monitored household: the risk this measure answers."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["planned_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="measure_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=MeasureStatus.DONE) | Q(actual_date__isnull=False),
                name="done_measure_has_actual_date",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.description[:30]}"

    def clean(self):
        errors = {}
        if self.beneficiary_id and self.plan_id and self.beneficiary.household_id != self.plan.household_id:
            errors["beneficiary"] = _("The beneficiary must be a member of this household.")
        if self.status == MeasureStatus.DONE and not self.actual_date:
            errors["actual_date"] = _("Give the date the measure was carried out.")
        if self.actual_date and self.planned_date and self.status == MeasureStatus.PLANNED:
            errors["status"] = _("A measure with an actual date is no longer only planned.")
        if errors:
            raise ValidationError(errors)
