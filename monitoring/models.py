"""Monitoring for a return to poverty (防止返贫动态监测和帮扶): lines, cases, follow-ups, department warnings.

A household of any origin (exited, or never registered poor) can be a monitoring case. A case is found
(applied for, found by a cadre, warned of by a department, flagged by the income ledger), identified through
village verification, town review and county confirmation within a deadline, helped with measures per risk
and followed up monthly, and closed when its risk is removed through its own steps (monitoring.services).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Reach
from accounts.querysets import ScopedQuerySet
from households.choices import MonitorKind
from households.models import FIRST_REGISTRY_YEAR, Household, Member, year_validators
from households.querysets import HouseholdChildQuerySet

MAX_AMOUNT = 99_999_999


class MonitoringLine(models.Model):
    """The monitoring line of one year (set by the province), and the rigid expense that makes a candidate.

    Reference data that administrators keep; visible to everyone.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=year_validators)
    income_line = models.PositiveIntegerField(
        _("monitoring line (yuan per person)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("A household whose per-capita net income is below this figure is a candidate for monitoring."),
    )
    rigid_expense_threshold = models.PositiveIntegerField(
        _("rigid expense threshold (yuan)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_(
            "A household with a rigid expense above this figure (medical bills after insurance, a disaster, an "
            "accident) is a candidate for monitoring."
        ),
    )

    class Meta:
        verbose_name = _("monitoring line")
        verbose_name_plural = _("monitoring lines")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(income_line__gt=0), name="monitoring_line_positive"),
            models.CheckConstraint(
                condition=Q(rigid_expense_threshold__gt=0), name="monitoring_rigid_expense_positive"
            ),
            models.CheckConstraint(condition=Q(year__gte=FIRST_REGISTRY_YEAR), name="monitoring_line_year_plausible"),
        ]

    def __str__(self):
        return f"{self.year}: {self.income_line}"


class Origin(models.TextChoices):
    """How a candidate was found."""

    APPLICATION = "application", _("The household applied")
    CADRE = "cadre", _("Found by a cadre")
    DEPARTMENT = "department", _("Department warning")
    INCOME = "income", _("Income ledger")


class CaseState(models.TextChoices):
    """Where a case stands; the order is the order of the steps."""

    CANDIDATE = "candidate", _("Candidate, to be verified by the village")
    VERIFIED = "verified", _("Verified by the village, to be reviewed by the town")
    REVIEWED = "reviewed", _("Reviewed by the town, to be confirmed by the county")
    IDENTIFIED = "identified", _("Identified, being helped")
    REMOVAL_APPRAISED = "removal_appraised", _("Risk removal appraised by the village, to be publicised")
    REMOVAL_PUBLICISED = "removal_publicised", _("Risk removal publicised, to be signed off")
    RISK_REMOVED = "risk_removed", _("Risk removed")
    DISMISSED = "dismissed", _("Not identified")


OPEN_STATES = [
    CaseState.CANDIDATE,
    CaseState.VERIFIED,
    CaseState.REVIEWED,
    CaseState.IDENTIFIED,
    CaseState.REMOVAL_APPRAISED,
    CaseState.REMOVAL_PUBLICISED,
]
# Before the county's confirmation: the steps that must be done within the identification deadline.
IDENTIFYING_STATES = [CaseState.CANDIDATE, CaseState.VERIFIED, CaseState.REVIEWED]
# Identified and not yet closed: the household is monitored and helped.
HELPED_STATES = [CaseState.IDENTIFIED, CaseState.REMOVAL_APPRAISED, CaseState.REMOVAL_PUBLICISED]


class MonitoringCaseQuerySet(HouseholdChildQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def late(self, today=None):
        """Cases not confirmed by the county by their deadline (Asia/Shanghai dates)."""
        return self.filter(state__in=IDENTIFYING_STATES, deadline_on__lt=today or timezone.localdate())


class MonitoringCase(models.Model):
    """One household's monitoring, from the first report to the risk removed (or found not at risk)."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="monitoring_cases"
    )
    kind = models.CharField(_("monitoring type"), max_length=20, choices=MonitorKind.choices)
    origin = models.CharField(_("found through"), max_length=20, choices=Origin.choices)
    # A short list of MonitoringRisk values, like a household's other causes.
    risks = models.JSONField(_("risks"), default=list)
    description = models.TextField(_("situation"), help_text=_("What happened, and what the household needs."))
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.CANDIDATE)
    reported_on = models.DateField(_("reported on"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    deadline_on = models.DateField(
        _("identification deadline"), help_text=_("The county's confirmation is due by this day.")
    )
    verified_on = models.DateField(_("village verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_on = models.DateField(_("town reviewed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_on = models.DateField(_("county confirmed on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmation recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    removal_appraised_on = models.DateField(_("risk removal appraised on"), null=True, blank=True)
    removal_publicised_on = models.DateField(_("risk removal publicised from"), null=True, blank=True)
    removed_on = models.DateField(_("risk removed on"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removal signed off by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    dismissed_on = models.DateField(_("found not at risk on"), null=True, blank=True)
    dismissal_reason = models.TextField(_("why not at risk"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MonitoringCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("monitoring case")
        verbose_name_plural = _("monitoring cases")
        ordering = ["-reported_on", "-pk"]
        indexes = [
            models.Index(fields=["household", "-reported_on"], name="monitoring_case_household"),
            # Late cases and the dashboards' open cases, across the county.
            models.Index(fields=["state", "deadline_on"], name="monitoring_case_state_deadline"),
            # The yearly target: identified and removed in a year.
            models.Index(fields=["confirmed_on"], name="monitoring_case_confirmed"),
            models.Index(fields=["removed_on"], name="monitoring_case_removed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_monitoring_case_per_household",
            ),
            models.CheckConstraint(condition=Q(deadline_on__gte=models.F("reported_on")), name="deadline_after_report"),
            models.CheckConstraint(
                condition=~Q(state=CaseState.DISMISSED) | ~Q(dismissal_reason=""), name="dismissed_case_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.reported_on}"

    def get_absolute_url(self):
        return reverse("monitoring:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_late(self, today=None) -> bool:
        return self.state in IDENTIFYING_STATES and self.deadline_on < (today or timezone.localdate())


class FollowUpQuerySet(HouseholdChildQuerySet):
    household_path = "case__household__"


class FollowUp(models.Model):
    """A month's follow-up of an identified case: the household's per-capita income as it stands, and a note.

    Risk removal reads the run of months at or above the monitoring line.
    """

    case = models.ForeignKey(
        MonitoringCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month followed up."))
    per_capita_income = models.PositiveIntegerField(
        _("per-capita net income (yuan a year)"),
        validators=[MaxValueValidator(MAX_AMOUNT)],
        help_text=_("The household's yearly net income per person as it stands this month."),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["case_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["case", "month"], name="one_follow_up_per_case_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="follow_up_month_first_day"),
        ]

    def __str__(self):
        return f"{self.case} {self.month:%Y-%m}"


class Department(models.TextChoices):
    """The departments whose lists warn of households at risk (部门筛查预警)."""

    HEALTH_INSURANCE = "health_insurance", pgettext_lazy("department", "Medical insurance")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    DISABILITY = "disability", _("Disabled persons' federation")
    EMERGENCY = "emergency", _("Emergency management")
    EDUCATION = "education", _("Education")
    HOUSING = "housing", _("Housing and construction")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    OTHER = "other", _("Other department")


class AdministratorsAndOfficialsQuerySet(ScopedQuerySet):
    """Warning lists are uploaded by administrators (all of them) and town officials (their own)."""

    def scope_filter(self, scope):
        if scope.reach is Reach.EVERYTHING:
            return Q()
        if scope.reach is Reach.TOWN:
            return Q(uploaded_by_id=scope.user_id)
        return None


def warning_path(upload, filename):
    # Named by a random key, never by the uploaded name; kept under MEDIA_ROOT, which has no URL.
    return f"warnings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class WarningUpload(models.Model):
    """A department's warning list as uploaded: checked and previewed, then applied whole or not at all."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Has errors")
        READY = "ready", _("Ready to apply")
        APPLIED = "applied", _("Applied")

    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    file = models.FileField(_("file"), upload_to=warning_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # What the check found: rows, matched, unmatched, already received, errors (each with row, column, message).
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    objects = AdministratorsAndOfficialsQuerySet.as_manager()

    class Meta:
        verbose_name = _("department warning list")
        verbose_name_plural = _("department warning lists")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.get_department_display()} {self.original_name}"

    def get_absolute_url(self):
        return reverse("monitoring:warning-upload", args=[self.pk])


class DepartmentWarningQuerySet(HouseholdChildQuerySet):
    pass


class DepartmentWarning(models.Model):
    """One row of a department's list, matched to a member by ID number.

    The same row uploaded again (same department, ID number, kind and date) is the same warning: the unique
    constraint makes a second upload of a list create nothing. Unmatched rows are not kept here (the upload
    lists them); a warning always names a household in the registry.
    """

    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name on the list"), max_length=50)
    kind = models.CharField(_("kind of warning"), max_length=100)
    amount = models.PositiveIntegerField(_("amount (yuan)"), validators=[MaxValueValidator(MAX_AMOUNT)])
    warned_on = models.DateField(_("date"))
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.SET_NULL, null=True, related_name="+")
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="department_warnings"
    )
    case = models.ForeignKey(
        MonitoringCase,
        verbose_name=_("monitoring case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="warnings",
    )
    upload = models.ForeignKey(
        WarningUpload, verbose_name=_("warning list"), on_delete=models.PROTECT, related_name="warnings"
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    objects = DepartmentWarningQuerySet.as_manager()

    class Meta:
        verbose_name = _("department warning")
        verbose_name_plural = _("department warnings")
        ordering = ["-warned_on", "-pk"]
        indexes = [models.Index(fields=["household", "-warned_on"], name="warning_household_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "id_number", "kind", "warned_on"], name="one_warning_per_department_row"
            ),
        ]

    def __str__(self):
        return f"{self.get_department_display()} {self.warned_on}"
