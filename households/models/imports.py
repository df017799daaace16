"""Roster imports: every uploaded workbook kept as a batch, what it found, and what it changed in which household."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from accounts.models import Reach
from households.querysets import HouseholdChildQuerySet, ScopedQuerySet
from households.roster.issues import render


def roster_path(batch, filename):
    # Named by a random key, never by the uploaded name; kept under MEDIA_ROOT, which has no URL.
    return f"rosters/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportBatchQuerySet(ScopedQuerySet):
    """Only administrators import rosters, and they see every batch; everyone else sees none."""

    def scope_filter(self, scope):
        return Q() if scope.reach is Reach.EVERYTHING else None


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Waiting to be checked")
        VALIDATING = "validating", _("Being checked")
        INVALID = "invalid", _("Has errors")
        READY = "ready", _("Ready to apply")
        APPLY_QUEUED = "apply_queued", _("Waiting to be applied")
        APPLYING = "applying", _("Being applied")
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Nothing to change")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to=roster_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    sheet_name = models.CharField(
        _("worksheet"), max_length=100, blank=True, help_text=_("Leave blank to read the first worksheet.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    background = models.BooleanField(_("checked and applied in the background"), default=False)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["-uploaded_at", "-id"], name="importbatch_recent")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="applied") | Q(applied_at__isnull=False),
                name="applied_batch_has_applied_at",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self):
        return reverse("households:import-detail", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (
            self.Status.QUEUED,
            self.Status.VALIDATING,
            self.Status.APPLY_QUEUED,
            self.Status.APPLYING,
        )

    @property
    def can_apply(self) -> bool:
        return self.status == self.Status.READY

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ImportIssue(models.Model):
    """One thing a batch found: an error (nothing is applied while any remain) or a warning."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="issues")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    column = models.PositiveSmallIntegerField(_("column"), null=True, blank=True)
    header = models.CharField(_("header"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=40)
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import issue")
        verbose_name_plural = _("import issues")
        ordering = ["batch_id", "severity", F("row").asc(nulls_first=True), "column", "pk"]
        indexes = [models.Index(fields=["batch", "severity", "row"], name="importissue_batch_order")]

    def __str__(self):
        return f"{self.batch_id} {self.row}:{self.column} {self.code}"

    @property
    def message(self) -> str:
        return render(self.code, self.params)

    @property
    def letter(self) -> str:
        return get_column_letter(self.column) if self.column else ""


class HouseholdImport(models.Model):
    """A household a batch created or changed, and what it changed: the import's trace in the household's history."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")

    household = models.ForeignKey(
        "households.Household", verbose_name=_("household"), on_delete=models.CASCADE, related_name="imports"
    )
    batch = models.ForeignKey(
        ImportBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="household_imports"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changed_fields = models.JSONField(_("fields changed"), default=list, blank=True)
    members_created = models.PositiveIntegerField(_("members added"), default=0)
    members_updated = models.PositiveIntegerField(_("members updated"), default=0)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("household imported")
        verbose_name_plural = _("households imported")
        ordering = ["household_id", "-batch_id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "batch"], name="one_import_row_per_household_and_batch"),
        ]

    def __str__(self):
        return f"{self.household_id} <- {self.batch_id}"
