"""The programmes besides loans: training, public-welfare jobs, photovoltaic income, industry support, motivation.

Rows that belong to a household (a job, a PV share, a reward, an example) are
scoped through it; rows that belong to a village (a training session, a PV
station, an industry support, a five-mutual activity) are scoped through the
village, and the households or members they list are shown only as far as the
reader may see them.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.models import FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR, Household, Member, Village, year_validators
from households.querysets import HouseholdChildQuerySet, VillageChildQuerySet

positive_amount = [MinValueValidator(Decimal("0.01"))]


# ---------------------------------------------------------------- training


class TrainingKind(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment training")
    SKILLS = "skills", _("Skills training")


class TrainingSession(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices)
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=100)
    location = models.CharField(_("location"), max_length=200)
    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="training_sessions"
    )
    attendees = models.ManyToManyField(
        Member, verbose_name=_("attendees"), blank=True, related_name="training_sessions"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["village", "-held_on"], name="training_village_date")]

    def __str__(self):
        return f"{self.held_on} {self.topic}"

    def get_absolute_url(self):
        return reverse("assistance:training-detail", args=[self.pk])


# ---------------------------------------------------------------- public-welfare jobs


class WelfarePost(models.TextChoices):
    CLEANER = "cleaner", _("Cleaner")
    FOREST_RANGER = "forest_ranger", _("Forest ranger")
    ROAD_KEEPER = "road_keeper", _("Road keeper")
    WATER_KEEPER = "water_keeper", _("Water keeper")
    PATROL = "patrol", _("Security patrol")
    CARER = "carer", _("Carer for the elderly")


class WelfareJobQuerySet(HouseholdChildQuerySet):
    household_path = "member__household__"

    def current_on(self, day):
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class WelfareJob(models.Model):
    """A public-welfare post (公益岗位) held by one member, paid monthly."""

    post = models.CharField(_("post"), max_length=20, choices=WelfarePost.choices)
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="welfare_jobs")
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    monthly_pay = models.DecimalField(
        _("monthly pay (yuan)"), max_digits=12, decimal_places=2, validators=positive_amount
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = WelfareJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("public-welfare job")
        verbose_name_plural = _("public-welfare jobs")
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["village", "-start_date"], name="welfarejob_village_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(end_date__isnull=True),
                name="one_open_welfare_job_per_member",
                violation_error_message=_("This member already holds an open public-welfare post."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="welfare_job_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(monthly_pay__gt=0), name="welfare_job_pay_positive"),
        ]

    def __str__(self):
        return f"{self.get_post_display()}: {self.member}"

    def get_absolute_url(self):
        return reverse("assistance:welfare-job-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.member_id and self.village_id and self.member.household.village_id != self.village_id:
            errors["member"] = _("The member's household is in another village.")
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if errors:
            raise ValidationError(errors)

    def overlapping_jobs(self):
        """The member's other posts whose time overlaps this one's: at most one post at a time."""
        others = WelfareJob.objects.filter(member_id=self.member_id).exclude(pk=self.pk)
        others = others.filter(Q(end_date__isnull=True) | Q(end_date__gte=self.start_date))
        if self.end_date:
            others = others.filter(start_date__lte=self.end_date)
        return others


# ---------------------------------------------------------------- photovoltaic income


class PVStation(models.Model):
    """A photovoltaic poverty-alleviation station (光伏扶贫电站) whose yearly income is shared out."""

    name = models.CharField(_("name"), max_length=100)
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    capacity_kw = models.DecimalField(_("capacity (kW)"), max_digits=10, decimal_places=2, validators=positive_amount)
    built_year = models.PositiveSmallIntegerField(_("year built"), validators=year_validators)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("photovoltaic station")
        verbose_name_plural = _("photovoltaic stations")
        ordering = ["village_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="pv_station_name_unique_in_village"),
            models.CheckConstraint(condition=Q(capacity_kw__gt=0), name="pv_station_capacity_positive"),
            models.CheckConstraint(
                condition=Q(built_year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)),
                name="pv_station_built_year_plausible",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assistance:pv-station-detail", args=[self.pk])


class PVIncomeQuerySet(VillageChildQuerySet):
    village_path = "station__village__"


class PVIncome(models.Model):
    station = models.ForeignKey(PVStation, verbose_name=_("station"), on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    income = models.DecimalField(_("income (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])

    objects = PVIncomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("photovoltaic income")
        verbose_name_plural = _("photovoltaic incomes")
        ordering = ["station_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["station", "year"], name="pv_income_once_per_station_year"),
            models.CheckConstraint(condition=Q(income__gte=0), name="pv_income_not_negative"),
        ]

    def __str__(self):
        return f"{self.station} {self.year}"

    def get_absolute_url(self):
        return self.station.get_absolute_url()


class PVShareQuerySet(HouseholdChildQuerySet):
    household_path = "household__"


class PVShare(models.Model):
    """A household's share of one station-year's income; the shares never exceed the income."""

    income = models.ForeignKey(
        PVIncome, verbose_name=_("station income"), on_delete=models.CASCADE, related_name="shares"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="pv_shares"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, validators=positive_amount)

    objects = PVShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("photovoltaic income share")
        verbose_name_plural = _("photovoltaic income shares")
        ordering = ["income_id", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["income", "household"], name="pv_share_once_per_household"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pv_share_amount_positive"),
        ]

    def __str__(self):
        return f"{self.income} → {self.household}: {self.amount}"

    def clean(self):
        if self.household_id and self.income_id and self.household.village_id != self.income.station.village_id:
            raise ValidationError({"household": _("The household is not in the station's village.")})


# ---------------------------------------------------------------- specialty industry: four drives, one self


class IndustryDrive(models.TextChoices):
    ENTERPRISE = "enterprise", _("Driven by a leading enterprise")
    COOPERATIVE = "cooperative", _("Driven by a cooperative")
    FAMILY_FARM = "family_farm", _("Driven by a family farm")
    LARGE_HOUSEHOLD = "large_household", _("Driven by a capable large household")
    SELF = "self", _("Self-development")


class IndustrySupport(models.Model):
    """Specialty-industry support under "four drives, one self" (四带一自)."""

    drive = models.CharField(_("drive"), max_length=20, choices=IndustryDrive.choices)
    partner = models.CharField(
        _("enterprise or cooperative"),
        max_length=100,
        blank=True,
        help_text=_("The enterprise, cooperative, farm or household that drives it; blank for self-development."),
    )
    industry = models.CharField(_("industry"), max_length=100, help_text=_("For example grape growing."))
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    households = models.ManyToManyField(
        Household, verbose_name=_("households supported"), blank=True, related_name="industry_supports"
    )
    description = models.TextField(_("description"), blank=True)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("industry support")
        verbose_name_plural = _("industry supports")
        ordering = ["-year", "village_id", "pk"]
        indexes = [models.Index(fields=["village", "-year"], name="industry_village_year")]
        constraints = [
            models.CheckConstraint(
                condition=Q(drive=IndustryDrive.SELF) | ~Q(partner=""), name="industry_driven_support_names_partner"
            ),
            models.CheckConstraint(
                condition=Q(year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)), name="industry_year_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.industry}"

    def get_absolute_url(self):
        return reverse("assistance:industry-detail", args=[self.pk])

    def clean(self):
        if self.drive and self.drive != IndustryDrive.SELF and not self.partner.strip():
            raise ValidationError({"partner": _("Name who drives it.")})


# ---------------------------------------------------------------- motivation


class Reward(models.Model):
    """A reward instead of a subsidy (以奖代补) paid to a household for what it achieved."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="rewards"
    )
    awarded_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, validators=positive_amount)
    reason = models.TextField(_("reason"))

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward instead of subsidy")
        verbose_name_plural = _("rewards instead of subsidies")
        ordering = ["-awarded_on", "-pk"]
        indexes = [models.Index(fields=["-awarded_on", "-id"], name="reward_latest")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="reward_amount_positive")]

    def __str__(self):
        return f"{self.household} {self.awarded_on} {self.amount}"

    def get_absolute_url(self):
        return reverse("assistance:reward-detail", args=[self.pk])


class ExampleKind(models.TextChoices):
    POSITIVE = "positive", _("Positive example")
    NEGATIVE = "negative", _("Negative example")


class TypicalExample(models.Model):
    """A household held up as a positive or negative example (正反典型)."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="typical_examples"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ExampleKind.choices)
    noted_on = models.DateField(_("date"))
    description = models.TextField(_("description"))

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("positive or negative example")
        verbose_name_plural = _("positive and negative examples")
        ordering = ["-noted_on", "-pk"]
        indexes = [models.Index(fields=["kind", "-noted_on"], name="example_kind_date")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.household}"

    def get_absolute_url(self):
        return reverse("assistance:example-detail", args=[self.pk])


class FiveMutualTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class FiveMutualType(models.Model):
    """A kind of "five mutual" activity (五互活动): local reference data that admins keep."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active types are offered for new activities.")
    )

    objects = FiveMutualTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("five-mutual activity type")
        verbose_name_plural = _("five-mutual activity types")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FiveMutualActivity(models.Model):
    type = models.ForeignKey(
        FiveMutualType, verbose_name=_("activity type"), on_delete=models.PROTECT, related_name="activities"
    )
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"))
    description = models.TextField(_("description"))
    households = models.ManyToManyField(
        Household, verbose_name=_("participating households"), blank=True, related_name="five_mutual_activities"
    )

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("five-mutual activity")
        verbose_name_plural = _("five-mutual activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["village", "-held_on"], name="fivemutual_village_date")]

    def __str__(self):
        return f"{self.held_on} {self.type}"

    def get_absolute_url(self):
        return reverse("assistance:five-mutual-detail", args=[self.pk])
