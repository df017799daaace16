"""The exit procedure (贫困户退出程序): steps kept as reference data, and each household's way through them.

A household leaves poverty through a procedure, not a click: the steps and their order are data that a
county may change (add a step, merge two, rename one), the procedure says which step a household waits on,
and the status becomes exited only when the last step is done (households.exits).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models.registry import Household
from households.querysets import HouseholdChildQuerySet


class StepLevel(models.TextChoices):
    """Who takes a step, and so who may record it: the village (cadres) or the town and county (officials)."""

    VILLAGE = "village", _("Village")
    TOWN = "town", _("Town")
    COUNTY = "county", _("County")


# The steps migration 0018 seeds, by code: the name it gives and what the interface calls the step. The
# name is data (a county may rename a step in the admin); while it is still the seeded one, the step is
# shown in the reader's language.
SEEDED_STEPS = {
    "appraisal": ("村民主评议", _("Democratic appraisal by the villagers")),
    "verification": ("村两委和驻村工作队核实", _("Verification by the village committees and the resident team")),
    "acknowledgement": ("农户认可", _("Acknowledgement by the household")),
    "publicity": ("村内公示", _("Publicity in the village")),
    "town_review": ("乡镇审核", _("Review by the town")),
    "county_approval": ("县审定", _("Approval by the county")),
    "announcement": ("县公告退出", _("Announcement of the exit by the county")),
}


class ExitStepQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ExitStep(models.Model):
    """One step of the exit procedure: reference data that administrators keep.

    What the software does at a step comes from its flags, never from its name: a step with publicity days
    cannot be finished before they have passed and takes objections; a step that checks the exit standard
    cannot be finished while the household fails it. The last active step, by position, makes the
    household exited.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    level = models.CharField(_("taken by"), max_length=10, choices=StepLevel.choices)
    publicity_days = models.PositiveSmallIntegerField(
        _("days of publicity"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_("For a publicity step: how many days the list stays up; objections are taken meanwhile."),
    )
    checks_exit_standard = models.BooleanField(
        _("checks the exit standard"),
        default=False,
        help_text=_("The step cannot be finished while the household's income or 2W3G fails the standard."),
    )
    needs_document = models.BooleanField(
        _("needs a document"), default=False, help_text=_("The minutes, the signed form or the photo of the notice.")
    )
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive steps are skipped."))

    objects = ExitStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("exit step")
        verbose_name_plural = _("exit steps")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(publicity_days__lte=60), name="exit_step_publicity_at_most_60_days"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_publicity(self) -> bool:
        return self.publicity_days > 0

    @property
    def label(self) -> str:
        """What the interface calls the step: translated while it keeps its seeded name, else its name."""
        seeded = SEEDED_STEPS.get(self.code)
        return str(seeded[1]) if seeded and self.name == seeded[0] else self.name


class ExitProcedure(models.Model):
    """One household's way out of poverty: open until its last step is done (completed) or it is withdrawn."""

    class State(models.TextChoices):
        OPEN = "open", _("In progress")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="exit_procedures"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2014)], help_text=_("The year the household is proposed to exit.")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The step the household waits on; None once completed or withdrawn.
    waiting_on = models.ForeignKey(
        ExitStep,
        verbose_name=_("waiting on"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_on = models.DateField(_("started on"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("exit procedure")
        verbose_name_plural = _("exit procedures")
        ordering = ["-started_on", "-pk"]
        indexes = [
            models.Index(fields=["household", "-started_on"], name="exit_procedure_household"),
            # The register and the publicity notice: the open procedures waiting on a step.
            models.Index(fields=["waiting_on", "household"], condition=Q(state="open"), name="exit_procedure_waiting"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(state="open"), name="one_open_exit_procedure_per_household"
            ),
            models.CheckConstraint(
                condition=Q(state="open", ended_on__isnull=True) | (~Q(state="open") & Q(ended_on__isnull=False)),
                name="exit_procedure_ended_iff_not_open",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.year}"


def exit_document_path(record, filename):
    # Named by a random key, never by the uploaded name; served only through a scoped view.
    return f"exit-documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ExitStepRecordQuerySet(HouseholdChildQuerySet):
    household_path = "procedure__household__"


class ExitStepRecord(models.Model):
    """What happened at a step: done on a day by someone, or an objection that sent the household back."""

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        OBJECTION = "objection", _("Objection upheld, sent back")

    procedure = models.ForeignKey(
        ExitProcedure, verbose_name=_("exit procedure"), on_delete=models.CASCADE, related_name="records"
    )
    step = models.ForeignKey(ExitStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="records")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.DONE)
    done_on = models.DateField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    document = models.FileField(_("document"), upload_to=exit_document_path, max_length=200, blank=True)
    document_name = models.CharField(_("document name"), max_length=255, blank=True)
    document_type = models.CharField(_("document type"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = ExitStepRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("exit step record")
        verbose_name_plural = _("exit step records")
        ordering = ["procedure_id", "done_on", "pk"]
        indexes = [models.Index(fields=["procedure", "done_on"], name="exit_record_procedure_date")]
        constraints = [
            models.CheckConstraint(condition=Q(outcome="done") | ~Q(note=""), name="exit_objection_has_reason"),
        ]

    def __str__(self):
        return f"{self.procedure}: {self.step} {self.done_on}"
