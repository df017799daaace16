"""The registry: geography, households, members, status history, 2W3G assessments,
income, and the classification of exited households.

Geography (town, village, villager group) lives here with the households it
holds; accounts names it by string. Who is assigned to a household lives here
too, although the assistance app manages it, because the scoping choke point
needs it and arrows point one way (accounts <- households <- assistance).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.choices import ChoiceLabelsMixin
from households import classification, idnumbers
from households.choices import (
    AssessmentItem,
    AssignmentRole,
    Attribute,
    Education,
    Health,
    HouseholdStatus,
    HousingGrade,
    MigrantWork,
    MonitorKind,
    PovertyCause,
    Relation,
    Sex,
    StudentStatus,
    WorkAbility,
)
from households.models.geography import (
    FIRST_REGISTRY_YEAR,
    LAST_PLAUSIBLE_YEAR,
    SupportUnit,
    Village,
    VillagerGroup,
    year_validators,
)
from households.querysets import (
    AssignmentQuerySet,
    HouseholdChildQuerySet,
    HouseholdQuerySet,
)

# The statuses of a household registered poor (建档立卡), which always has a main poverty cause. A monitored or
# closed household may have come from an ordinary rural household (一般农户), which has none.
REGISTERED_POOR_STATUSES = (HouseholdStatus.UNEXITED, HouseholdStatus.EXITED)


class Household(ChoiceLabelsMixin, models.Model):
    number = models.CharField(_("household number"), max_length=32, unique=True)
    village = models.ForeignKey(Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="households")
    group = models.ForeignKey(
        VillagerGroup,
        verbose_name=_("villager group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    registered_on = models.DateField(
        _("registered on"),
        default=timezone.localdate,
        help_text=_("The day the household entered the registry; visits cannot be dated before it."),
    )
    identified_year = models.PositiveSmallIntegerField(
        _("year identified as poor"), null=True, blank=True, validators=year_validators
    )
    status = models.CharField(
        _("status"), max_length=20, choices=HouseholdStatus.choices, default=HouseholdStatus.UNEXITED
    )
    monitor_kind = models.CharField(_("monitoring type"), max_length=20, choices=MonitorKind.choices, blank=True)
    exit_year = models.PositiveSmallIntegerField(
        _("year out of poverty"), null=True, blank=True, validators=year_validators
    )
    attribute = models.CharField(
        _("household attribute"), max_length=20, choices=Attribute.choices, default=Attribute.ORDINARY
    )
    # Blank only on a household never registered poor (一般农户), or one that came to monitoring from there.
    main_cause = models.CharField(_("main poverty cause"), max_length=20, choices=PovertyCause.choices, blank=True)
    # A short list of PovertyCause values; a JSON list keeps it one row and works
    # on SQLite and PostgreSQL alike. Filtering happens on main_cause.
    other_causes = models.JSONField(_("other poverty causes"), default=list, blank=True)
    housing_grade = models.CharField(_("housing safety grade"), max_length=1, choices=HousingGrade.choices, blank=True)
    # The newest assessment, kept by assessment_record so that lists can filter
    # on compliance with one join instead of a "latest per household" subquery.
    latest_assessment = models.ForeignKey(
        "Assessment",
        verbose_name=_("latest 2W3G assessment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # What the dashboards count, kept here by households.summaries.refresh in the transaction of every write
    # that changes it, so that a dashboard adds up columns of this row instead of joining the latest
    # assessment, the year's income, the current class, the members and the visits of every household.
    # `manage.py dashboard_figures --check` compares them with a fresh computation.
    failing_items = models.PositiveSmallIntegerField(
        _("failing 2W3G items"), default=0, editable=False, help_text=_("One bit per item of the latest assessment.")
    )
    people_count = models.PositiveSmallIntegerField(_("people"), default=0, editable=False)
    exit_class = models.CharField(
        _("current class"), max_length=20, choices=classification.ExitClass.choices, blank=True, editable=False
    )
    income_year = models.PositiveSmallIntegerField(
        _("year of the income counted"), null=True, blank=True, editable=False
    )
    income_net = models.BigIntegerField(_("net income counted"), null=True, blank=True, editable=False)
    income_size = models.PositiveSmallIntegerField(_("household size counted"), null=True, blank=True, editable=False)
    last_responsible_visit_on = models.DateField(
        _("last visit by the responsible person"), null=True, blank=True, editable=False
    )
    last_contact_visit_on = models.DateField(
        _("last visit by the contact person"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village_id", "number"]
        indexes = [
            models.Index(fields=["village", "status"], name="household_village_status"),
            # The lists' order (households.selectors.LIST_ORDER): a page is read off this index, never sorted.
            models.Index(fields=["village", "number"], name="household_village_number"),
            models.Index(fields=["status", "exit_year"], name="household_status_exit_year"),
            models.Index(fields=["main_cause"], name="household_main_cause"),
            # The dashboards' lists of households failing an item, read by village without touching the others.
            models.Index(fields=["village", "number"], condition=Q(failing_items__gt=0), name="household_failing"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=HouseholdStatus.EXITED) | Q(exit_year__isnull=False),
                name="exited_household_has_exit_year",
            ),
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True)
                | Q(identified_year__isnull=True)
                | Q(exit_year__gte=models.F("identified_year")),
                name="exit_not_before_identification",
            ),
            models.CheckConstraint(
                condition=Q(status=HouseholdStatus.MONITORED) | Q(monitor_kind=""),
                name="only_monitored_household_has_monitor_kind",
            ),
            models.CheckConstraint(
                condition=Q(identified_year__isnull=True)
                | Q(identified_year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)),
                name="identified_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(exit_year__isnull=True) | Q(exit_year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)),
                name="exit_year_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=REGISTERED_POOR_STATUSES) | ~Q(main_cause=""),
                name="registered_poor_household_has_main_cause",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("households:detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.group_id and self.village_id and self.group.village_id != self.village_id:
            errors["group"] = _("This villager group belongs to another village.")
        if self.main_cause and self.main_cause in (self.other_causes or []):
            errors["other_causes"] = _("The main cause is already recorded; list only the other causes.")
        unknown = set(self.other_causes or []) - set(PovertyCause.values)
        if unknown:
            errors["other_causes"] = _("Unknown poverty causes: %(causes)s.") % {"causes": ", ".join(sorted(unknown))}
        if self.status in REGISTERED_POOR_STATUSES and not self.main_cause:
            errors["main_cause"] = _("A household registered as poor needs its main poverty cause.")
        if self.exit_year and self.identified_year and self.exit_year < self.identified_year:
            errors["exit_year"] = _("A household cannot leave poverty before it was identified as poor.")
        if errors:
            raise ValidationError(errors)

    def other_cause_labels(self) -> list[str]:
        return [PovertyCause(code).label for code in self.other_causes if code in PovertyCause.values]


class Member(ChoiceLabelsMixin, models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, unique=True, validators=[idnumbers.validate_id_number])
    relation = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True, default="汉族")
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    student_status = models.CharField(_("student status"), max_length=20, choices=StudentStatus.choices, blank=True)
    health = models.CharField(_("health"), max_length=20, choices=Health.choices, default=Health.HEALTHY)
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    work_ability = models.CharField(_("work ability"), max_length=20, choices=WorkAbility.choices, blank=True)
    migrant_work = models.CharField(_("migrant work"), max_length=20, choices=MigrantWork.choices, blank=True)
    work_months = models.PositiveSmallIntegerField(
        _("months of migrant work"), null=True, blank=True, validators=[MaxValueValidator(12)]
    )
    medical_insurance = models.BooleanField(_("basic medical insurance"), default=False)
    serious_illness_insurance = models.BooleanField(_("serious-illness insurance"), default=False)
    pension_insurance = models.BooleanField(_("pension insurance"), default=False)
    minimum_allowance = models.BooleanField(_("minimum living allowance"), default=False)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(relation=Relation.HEAD), name="one_head_per_household"
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(health=Health.DISABLED),
                name="disability_grade_only_for_disabled",
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__range=(1, 4)),
                name="disability_grade_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(work_months__isnull=True) | Q(work_months__lte=12), name="work_months_at_most_12"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return idnumbers.mask(self.id_number)

    @property
    def age(self) -> int:
        """Age today: shown beside a masked ID instead of the birth date, which is the ID's hidden middle."""
        return idnumbers.age_on(self.birth_date, timezone.localdate())

    def clean(self):
        self.id_number = idnumbers.normalise(self.id_number)
        try:
            facts = idnumbers.parse(self.id_number)
        except ValidationError:
            return  # the field validator reports it
        errors = {}
        if self.sex and self.sex != facts.sex:
            errors["sex"] = _("The sex does not agree with the ID number, which says %(sex)s.") % {
                "sex": Sex(facts.sex).label
            }
        if self.birth_date and self.birth_date != facts.birth_date:
            errors["birth_date"] = _("The birth date does not agree with the ID number, which says %(date)s.") % {
                "date": facts.birth_date.isoformat()
            }
        if self.disability_grade and self.health != Health.DISABLED:
            errors["disability_grade"] = _("A disability grade is only recorded for a disabled member.")
        if errors:
            raise ValidationError(errors)
        self.sex, self.birth_date = facts.sex, facts.birth_date


class StatusChange(models.Model):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=HouseholdStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=HouseholdStatus.choices)
    changed_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    import_batch = models.ForeignKey(
        "households.ImportBatch",
        verbose_name=_("roster import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        help_text=_("The roster import that made this change, if one did."),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_on", "-pk"]
        indexes = [
            models.Index(fields=["household", "changed_on"], name="statuschange_household_date"),
            # The monthly report and the dashboard's burn-down read a date range across the county.
            models.Index(fields=["changed_on"], name="statuschange_date"),
        ]

    def __str__(self):
        return f"{self.household}: {self.from_status} -> {self.to_status}"


class Assessment(models.Model):
    """A dated 2W3G-and-water check of one household: a verdict and a note per item."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="assessments"
    )
    assessed_on = models.DateField(_("date assessed"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    food_ok = models.BooleanField(AssessmentItem.FOOD.label, default=True)
    food_note = models.CharField(_("note"), max_length=200, blank=True)
    clothing_ok = models.BooleanField(AssessmentItem.CLOTHING.label, default=True)
    clothing_note = models.CharField(_("note"), max_length=200, blank=True)
    education_ok = models.BooleanField(AssessmentItem.EDUCATION.label, default=True)
    education_note = models.CharField(_("note"), max_length=200, blank=True)
    medical_ok = models.BooleanField(AssessmentItem.MEDICAL.label, default=True)
    medical_note = models.CharField(_("note"), max_length=200, blank=True)
    housing_ok = models.BooleanField(AssessmentItem.HOUSING.label, default=True)
    housing_note = models.CharField(_("note"), max_length=200, blank=True)
    water_ok = models.BooleanField(AssessmentItem.WATER.label, default=True)
    water_note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("2W3G assessment")
        verbose_name_plural = _("2W3G assessments")
        ordering = ["-assessed_on", "-pk"]
        indexes = [models.Index(fields=["household", "-assessed_on", "-id"], name="assessment_household_latest")]

    def __str__(self):
        return f"{self.household} {self.assessed_on}"

    def failing_items(self) -> list[AssessmentItem]:
        return [item for item in AssessmentItem if not getattr(self, item.verdict_field)]

    def verdicts(self) -> list[tuple[AssessmentItem, bool, str]]:
        return [(item, getattr(self, item.verdict_field), getattr(self, item.note_field)) for item in AssessmentItem]

    @property
    def passes(self) -> bool:
        return not self.failing_items()


class Assignment(models.Model):
    """Who answers for a household: its responsible person and its contact person.

    Reassignment ends the open row and starts a new one, so history is kept.
    """

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="assignments"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=AssignmentRole.choices)
    support_unit = models.ForeignKey(
        SupportUnit,
        verbose_name=_("support unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        help_text=_("For a responsible person: the unit they come from."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["household_id", "role", "-start_date"]
        indexes = [models.Index(fields=["person", "end_date"], name="assignment_person_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "role"], condition=Q(end_date__isnull=True), name="one_open_assignment_per_role"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.get_role_display()}: {self.person}"


# ---------------------------------------------------------------- income and classification after exit

# Amounts are whole yuan in integers, so that "above the line" (net > line x size)
# is exact on SQLite and PostgreSQL alike. The cap keeps the five amounts' sum
# far inside a 32-bit integer, which is what PostgreSQL adds them up in.
