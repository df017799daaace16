"""Geography and reference data: town and its yearly targets, villages, villager groups, support units, work teams."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.querysets import (
    HouseholdChildQuerySet,
    TownChildQuerySet,
    TownQuerySet,
    VillageChildQuerySet,
    VillageQuerySet,
)

FIRST_REGISTRY_YEAR = 2013
LAST_PLAUSIBLE_YEAR = 2100

year_validators = [MinValueValidator(FIRST_REGISTRY_YEAR), MaxValueValidator(LAST_PLAUSIBLE_YEAR)]


class Town(models.Model):
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("code"), max_length=20, unique=True)

    objects = TownQuerySet.as_manager()

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Target(models.Model):
    """A town's campaign target for a year: lift out of poverty the households still poor on a given day.

    The households it covers (its cohort, TargetHousehold) are fixed once, when
    the target is set (households.services.target_fix), from the status history
    as it stood at the start of `as_of`; households identified later never join
    it, and nothing edits it afterwards. Its progress is read from the same
    history: the cohort households that left poverty between `as_of` and the
    end of the year. The demo town's 2020 target is the 25 households / 70 people
    still poor at the start of 2020; a county sets one per town and year.
    """

    town = models.ForeignKey(Town, verbose_name=_("town"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    name = models.CharField(_("name"), max_length=200)
    as_of = models.DateField(
        _("households still poor on"),
        help_text=_(
            "The target covers the town's households still poor at the start of this day, by their status "
            "history; it must fall in the target's year."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("set on"), auto_now_add=True)

    objects = TownChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["town_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["town", "year"], name="one_target_per_town_and_year"),
        ]

    def __str__(self):
        return f"{self.town} {self.year}"

    def clean(self):
        if self.as_of and self.year and self.as_of.year != self.year:
            raise ValidationError({"as_of": _("The day must fall in the target's year.")})


class TargetHousehold(models.Model):
    """One household of a target's cohort, with its people as counted when the cohort was fixed.

    The count is kept so that members born, married in or deceased later do not
    move a past target. A household in a cohort cannot be deleted (PROTECT):
    deleting it would silently shrink a target already reported; a dissolved
    household is closed instead, which leaves its history.
    """

    target = models.ForeignKey(
        Target,
        verbose_name=_("campaign target"),
        on_delete=models.CASCADE,
        related_name="cohort",
        db_index=False,  # the unique (target, household) index serves it
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="target_entries",
    )
    people = models.PositiveSmallIntegerField(_("people when the target was set"))

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("household of a target")
        verbose_name_plural = _("households of a target")
        ordering = ["target_id", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "household"], name="household_once_per_target"),
        ]

    def __str__(self):
        # Without loading the household: the admin names every row of a cohort when its target is deleted.
        return f"{self.target_id}/{self.household_id}"


class Village(models.Model):
    town = models.ForeignKey(Town, verbose_name=_("town"), on_delete=models.PROTECT, related_name="villages")
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("code"), max_length=20, blank=True)

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["town_id", "code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="village_name_unique_in_town"),
            models.UniqueConstraint(fields=["town", "code"], condition=~Q(code=""), name="village_code_unique_in_town"),
        ]

    def __str__(self):
        return self.name


class VillagerGroup(models.Model):
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("name"), max_length=50)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("villager group")
        verbose_name_plural = _("villager groups")
        ordering = ["village_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="group_name_unique_in_village"),
        ]

    def __str__(self):
        return self.name


class SupportUnit(models.Model):
    """A stable support unit (帮扶单位): an office whose officials help one village's households."""

    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="support_units"
    )
    name = models.CharField(_("name"), max_length=100)
    contact_phone = models.CharField(_("phone"), max_length=30, blank=True)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("support unit")
        verbose_name_plural = _("support units")
        ordering = ["village_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="support_unit_unique_in_village"),
        ]

    def __str__(self):
        return self.name


class WorkTeam(models.Model):
    """The resident work team (驻村工作队) stationed in a village, and who is on it."""

    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="work_teams")
    name = models.CharField(_("name"), max_length=100)
    sent_by = models.CharField(_("sent by"), max_length=100, blank=True, help_text=_("The unit that sent the team."))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("team members"), blank=True, related_name="work_teams"
    )
    start_date = models.DateField(_("stationed from"))
    end_date = models.DateField(_("stationed until"), null=True, blank=True)

    objects = VillageChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident work team")
        verbose_name_plural = _("resident work teams")
        ordering = ["village_id", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="work_team_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name
