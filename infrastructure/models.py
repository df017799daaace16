"""Infrastructure projects (基础设施): per village and year, moving through their milestones against yearly deadlines.

A project is planned, then declared (申报), construction starts (开工), it is
completed (完工) and accepted (验收), or it is cancelled with a reason. Each
milestone's actual date is kept on the project, each step in the audit trail (a dated step).
The deadlines are data (MilestoneDeadline, one per year and milestone) that
administrators edit; the daily job raises a MilestoneFlag for each milestone
that is late or due soon and clears it once the milestone is reached.
"""

import itertools
import pathlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.models import FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR, Household, Village, year_validators
from infrastructure.querysets import MilestoneFlagQuerySet, ProjectChildQuerySet, ProjectQuerySet


class Category(models.TextChoices):
    LIVING_ENVIRONMENT = "living_environment", _("Living environment and village improvement")
    ROAD_NEW = "road_new", _("Village and group roads, new")
    ROAD_UPGRADE = "road_upgrade", _("Village and group roads, upgraded")
    DRINKING_WATER = "drinking_water", _("Drinking water")
    ELECTRICITY = "electricity", _("Electricity")
    NETWORK = "network", _("Network and broadband")
    STREET = "street", _("Street infrastructure")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DECLARED = "declared", _("Declared")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    COMPLETED = "completed", _("Completed")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")


class Milestone(models.TextChoices):
    """The dated steps of a project; reaching one moves the project to the status of the same place in the line."""

    DECLARED = "declared", _("Declared")
    STARTED = "started", _("Construction started")
    COMPLETED = "completed", _("Completed")
    ACCEPTED = "accepted", _("Accepted")

    @property
    def date_field(self) -> str:
        return f"{self.value}_on"

    @property
    def status(self) -> str:
        return STATUS_OF_MILESTONE[self]

    @property
    def short_label(self) -> str:
        return SHORT_LABELS[self]


# The one way forward: each status but the first is reached through its milestone.
PROGRESSION = (Status.PLANNED, Status.DECLARED, Status.UNDER_CONSTRUCTION, Status.COMPLETED, Status.ACCEPTED)
STATUS_OF_MILESTONE = dict(zip(Milestone, PROGRESSION[1:], strict=True))
MILESTONE_OF_STATUS = {status: milestone for milestone, status in STATUS_OF_MILESTONE.items()}
FINAL_STATUSES = (Status.ACCEPTED, Status.CANCELLED)
# For the list's compact milestone pills.
SHORT_LABELS = {
    Milestone.DECLARED: _("Declare"),
    Milestone.STARTED: _("Start"),
    Milestone.COMPLETED: _("Complete"),
    Milestone.ACCEPTED: _("Accept"),
}
MILESTONE_DATE_FIELDS = tuple(milestone.date_field for milestone in Milestone)


def next_status(status: str) -> str | None:
    """The status one step further along the line, or None at its end (and for a cancelled project)."""
    if status not in PROGRESSION or status == PROGRESSION[-1]:
        return None
    return PROGRESSION[PROGRESSION.index(status) + 1]


def _dates_of(status: str) -> Q:
    """Exactly the milestones before and at `status` are dated."""
    reached = PROGRESSION.index(status)
    return Q(
        status=status,
        cancelled_on__isnull=True,
        cancel_reason="",
        **{field: None for field in MILESTONE_DATE_FIELDS[reached:]},
        **{f"{field}__isnull": False for field in MILESTONE_DATE_FIELDS[:reached]},
    )


def _in_order() -> Q:
    """A milestone is dated only after the one before it, and not earlier; a cancellation comes last."""
    condition = Q()
    for before, after in itertools.pairwise(MILESTONE_DATE_FIELDS):
        condition &= Q(**{after: None}) | Q(**{f"{before}__isnull": False, f"{after}__gte": F(before)})
    for field in MILESTONE_DATE_FIELDS:
        condition &= Q(cancelled_on=None) | Q(**{field: None}) | Q(cancelled_on__gte=F(field))
    return condition


class MilestoneDeadline(models.Model):
    """By when a milestone is due for the projects of a year: data that administrators edit."""

    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    milestone = models.CharField(_("milestone"), max_length=20, choices=Milestone.choices)
    due_on = models.DateField(_("due by"))

    class Meta:
        verbose_name = _("milestone deadline")
        verbose_name_plural = _("milestone deadlines")
        ordering = ["-year", "due_on"]
        constraints = [
            models.UniqueConstraint(fields=["year", "milestone"], name="one_deadline_per_year_and_milestone"),
            models.CheckConstraint(
                condition=Q(year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)), name="deadline_year_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.get_milestone_display()}: {self.due_on:%Y-%m-%d}"

    def clean(self):
        """A later milestone may not be due before an earlier one of the same year."""
        if not (self.year and self.milestone in Milestone.values and self.due_on):
            return
        order = list(Milestone.values)
        mine = order.index(self.milestone)
        for other in MilestoneDeadline.objects.filter(year=self.year).exclude(pk=self.pk):
            theirs = order.index(other.milestone)
            if theirs == mine:
                continue  # the unique constraint reports it
            if (theirs < mine and other.due_on > self.due_on) or (theirs > mine and other.due_on < self.due_on):
                message = _("Out of order: %(milestone)s is due by %(date)s.") % {
                    "milestone": other.get_milestone_display(),
                    "date": other.due_on.isoformat(),
                }
                raise ValidationError({"due_on": message})


class Project(models.Model):
    village = models.ForeignKey(
        Village, verbose_name=_("village"), on_delete=models.PROTECT, related_name="infrastructure_projects"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    funding_source = models.CharField(
        _("funding source"), max_length=200, blank=True, help_text=_("For example special poverty-alleviation funds.")
    )
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    beneficiaries = models.ManyToManyField(
        Household, verbose_name=_("beneficiary households"), blank=True, related_name="infrastructure_projects"
    )
    # Status and milestone dates change only through services.project_advance, which keeps the history.
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False
    )
    declared_on = models.DateField(_("declared on"), null=True, blank=True, editable=False)
    started_on = models.DateField(_("construction started on"), null=True, blank=True, editable=False)
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True, editable=False)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True, editable=False)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, editable=False)
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

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("infrastructure project")
        verbose_name_plural = _("infrastructure projects")
        ordering = ["-year", "village_id", "name"]
        indexes = [
            models.Index(fields=["village", "year"], name="project_village_year"),
            models.Index(fields=["year", "status"], name="project_year_status"),
            models.Index(fields=["category", "year"], name="project_category_year"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["village", "year", "name"], name="project_name_unique_in_village_year"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(year__range=(FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR)), name="project_year_plausible"
            ),
            models.CheckConstraint(
                condition=(
                    _dates_of(Status.PLANNED)
                    | _dates_of(Status.DECLARED)
                    | _dates_of(Status.UNDER_CONSTRUCTION)
                    | _dates_of(Status.COMPLETED)
                    | _dates_of(Status.ACCEPTED)
                    | (Q(status=Status.CANCELLED, cancelled_on__isnull=False) & ~Q(cancel_reason=""))
                ),
                name="project_dates_match_status",
            ),
            models.CheckConstraint(condition=_in_order(), name="project_milestones_in_order"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("infrastructure:detail", args=[self.pk])

    def reached_on(self, milestone: str):
        return getattr(self, Milestone(milestone).date_field)

    @property
    def last_dated(self):
        """The date of the latest milestone reached (or of the cancellation), None for a planned project."""
        dates = [getattr(self, field) for field in (*MILESTONE_DATE_FIELDS, "cancelled_on")]
        return max((d for d in dates if d is not None), default=None)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"

    @property
    def content_type(self) -> str:
        return "application/pdf" if self == DocumentKind.PDF else f"image/{self.value}"

    @property
    def extension(self) -> str:
        return ".jpg" if self == DocumentKind.JPEG else f".{self.value}"


def document_path(document, filename):
    # Never the uploaded name on disk: a random one under the project's year, with the checked type's extension.
    return f"infrastructure/{document.project.year}/{uuid.uuid4().hex}{DocumentKind(document.kind).extension}"


class ProjectDocument(models.Model):
    """An uploaded file of a project (declaration, contract, acceptance report, photo), served only in scope."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=DocumentKind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        ordering = ["project_id", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("infrastructure:document", args=[self.pk])

    @property
    def suffix(self) -> str:
        return pathlib.PurePath(self.name).suffix.lower()


class FlagKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    LATE = "late", _("Late")


class MilestoneFlag(models.Model):
    """A milestone not reached that is late or due soon; one per project and milestone, so reruns change nothing."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="flags")
    milestone = models.CharField(_("milestone"), max_length=20, choices=Milestone.choices)
    kind = models.CharField(_("flag"), max_length=10, choices=FlagKind.choices)
    raised_at = models.DateTimeField(_("raised at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    notified_kind = models.CharField(_("notified as"), max_length=10, choices=FlagKind.choices, blank=True)

    objects = MilestoneFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone flag")
        verbose_name_plural = _("milestone flags")
        ordering = ["project_id", "milestone"]
        constraints = [
            models.UniqueConstraint(fields=["project", "milestone"], name="one_flag_per_project_milestone"),
        ]
        indexes = [models.Index(fields=["kind", "cleared_at"], name="milestoneflag_kind_open")]

    def __str__(self):
        return f"{self.project} {self.get_milestone_display()}: {self.get_kind_display()}"
