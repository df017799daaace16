"""Visits (走访): the records cadres log, the rules that say who must visit whom and how often,
and the flags the daily job raises for visits not logged in time."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import AssignmentRole, HouseholdStatus
from households.models import Assessment, Assignment, Household
from households.querysets import HouseholdChildQuerySet
from visits.periods import MONTH, QUARTER, Period, period_of


class VisitorRole(models.TextChoices):
    RESPONSIBLE = AssignmentRole.RESPONSIBLE.value, AssignmentRole.RESPONSIBLE.label
    CONTACT = AssignmentRole.CONTACT.value, AssignmentRole.CONTACT.label
    OTHER = "other", _("Other visitor")


class Method(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")


class PeriodLength(models.TextChoices):
    MONTH = MONTH, _("Every calendar month")
    QUARTER = QUARTER, _("Every calendar quarter")


class VisitRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_visit(self, household_status: str, role: str) -> "VisitRule | None":
        """The active rule a visit in `role` to a household of that status answers, if any."""
        return self.active().filter(household_status=household_status, visitor_role=role).first()


class VisitRule(models.Model):
    """Who must visit which households how often: data that admins edit.

    The one place that says who owes which visit (owed, counted_visits): the
    daily job, the due lists, compliance and the dashboards all ask it, so that a
    new kind of rule changes only this class.
    """

    household_status = models.CharField(_("households with status"), max_length=20, choices=HouseholdStatus.choices)
    visitor_role = models.CharField(_("visited by"), max_length=20, choices=AssignmentRole.choices)
    period = models.CharField(_("at least once"), max_length=10, choices=PeriodLength.choices)
    active = models.BooleanField(_("active"), default=True)

    objects = VisitRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["household_status", "visitor_role"]
        constraints = [
            models.UniqueConstraint(fields=["household_status", "visitor_role"], name="one_rule_per_status_and_role"),
        ]

    def __str__(self):
        return (
            f"{self.get_household_status_display()} · {self.get_visitor_role_display()} · {self.get_period_display()}"
        )

    def period_of(self, day) -> Period:
        return period_of(day, self.period)

    def owed(self, period: Period, *, on: dt.date, households=None):
        """The households this rule asks a visit of in `period`, each with `visitor_id`.

        A household owes it when it has the rule's status and was registered by the
        period's end. `visitor_id` is the person assigned in the rule's role on the
        period's last day (on `on` while the period still runs), or None when the
        household has nobody in that role: that person owes the visit.
        `households` narrows the households asked about (a user's scope, a village).
        """
        as_of = min(period.end, on)
        assigned = Assignment.objects.current(on=as_of).filter(household=OuterRef("pk"), role=self.visitor_role)
        households = Household.objects.all() if households is None else households
        return households.filter(status=self.household_status, registered_on__lte=period.end).annotate(
            visitor_id=Subquery(assigned.order_by("-start_date").values("person_id")[:1])
        )

    def counted_visits(self, period: Period):
        """The visits that count for this rule in `period`: made in its role within the period, not entered late.

        A visit's role is the visitor's own assignment to the household on the
        visit date (visits.services.visit_log), so a visit in the responsible
        role is one by the person then responsible: nobody else's counts.
        """
        return Visit.objects.filter(role=self.visitor_role, visited_on__range=(period.start, period.end), late=False)

    def visited(self, period: Period, *, household="pk", visitor=None) -> Exists:
        """Whether the household of the outer query (its field `household`) had a counted visit in `period`.

        With `visitor`, a visit by that person: a user, or the name of a field of the outer query.
        """
        visits = self.counted_visits(period).filter(household=OuterRef(household))
        if visitor is not None:
            visits = visits.filter(visitor=OuterRef(visitor) if isinstance(visitor, str) else visitor)
        return Exists(visits)


class Visit(models.Model):
    # Made by the client (the form, or later the offline phone app) so that a
    # double tap, a resent form or a sync that repeats itself stores one visit.
    client_key = models.UUIDField(_("client key"), unique=True, default=uuid.uuid4, editable=False)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="visits"
    )
    role = models.CharField(_("visited as"), max_length=20, choices=VisitorRole.choices)
    visited_on = models.DateField(_("date of the visit"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.HOME)
    met_with = models.CharField(_("who was met"), max_length=100, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    problems_found = models.TextField(_("problems found"), blank=True)
    problems_solved = models.TextField(_("problems solved"), blank=True)
    policies_explained = models.TextField(_("policies explained"), blank=True)
    income_changes = models.TextField(_("income changes noticed"), blank=True)
    follow_up = models.TextField(_("follow-up actions"), blank=True)
    items_checked = models.JSONField(_("2W3G items checked"), default=list, blank=True)
    # What the visitor found on each item they checked, as given: item -> [passes, note]. The
    # assessment below is recorded only when a verdict differs from the latest one; this keeps
    # the visit's own words, so that a version sent later can be set beside it (visits.sync).
    verdicts = models.JSONField(_("2W3G verdicts given"), default=dict, blank=True)
    late = models.BooleanField(
        _("entered late"),
        default=False,
        help_text=_("Entered too long after the period it falls in had closed: kept, but it counts for no period."),
    )
    assessment = models.OneToOneField(
        Assessment,
        verbose_name=_("2W3G assessment recorded"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit",
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    # When and where (issue 14). made_at is the phone's clock, as sent: shown, never trusted for
    # lateness (a phone's clock can be wrong, or set back); received_at is the server's.
    made_at = models.DateTimeField(_("written on the phone at"), null=True, blank=True)
    received_at = models.DateTimeField(_("reached the server at"), default=timezone.now)
    offline = models.BooleanField(
        _("logged offline"), default=False, help_text=_("Saved on the phone without a connection and sent later.")
    )
    # Coarse on purpose: rounded on the server to 3 decimals (about 100 m), whatever was sent.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    # sha256 of the content as sent (visits.sync.content_digest); blank for visits from before it.
    content_digest = models.CharField(_("content digest"), max_length=64, blank=True, editable=False)

    objects = HouseholdChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            models.Index(fields=["household", "role", "visited_on"], name="visit_household_role_date"),
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_date"),
            # The list's order (newest first, then the latest entered), read backwards; serves ranges of dates too.
            # On visited_on alone, a day with thousands of visits (the county's) was sorted whole for each page.
            models.Index(fields=["visited_on", "id"], name="visit_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__range=(-90, 90), longitude__range=(-180, 180)),
                name="visit_location_whole_and_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.household} {self.visited_on} {self.visitor}"

    def get_absolute_url(self):
        return reverse("visits:detail", args=[self.pk])


def photo_path(photo, filename):
    # Named by the visit's key, never by the uploaded name; re-encoded to JPEG on upload.
    return f"visit-photos/{photo.visit.visited_on:%Y/%m}/{uuid.uuid4().hex}.jpg"


class VisitPhotoQuerySet(HouseholdChildQuerySet):
    household_path = "visit__household__"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    # sha256 of the file as uploaded, before re-encoding: a photo sent again is known by it.
    upload_digest = models.CharField(_("upload digest"), max_length=64, blank=True, editable=False)

    objects = VisitPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


class Resolution(models.TextChoices):
    KEPT = "kept", _("The stored version was kept")
    REPLACED = "replaced", _("The phone's version replaced it")


class VisitConflictQuerySet(HouseholdChildQuerySet):
    household_path = "visit__household__"

    def unresolved(self):
        return self.filter(resolved_at__isnull=True)


class VisitConflict(models.Model):
    """A version of a visit sent with the key of a stored visit but saying something else.

    Never merged and never overwriting: it is kept here until the visitor chooses which
    version stays (visits.services.visit_replace / visit_conflict_keep). One unresolved
    conflict per visit and version, so that a phone sending it again records nothing more.
    """

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="conflicts")
    client_key = models.UUIDField(_("client key"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # The version as sent, in the canonical shape of visits.sync.canonical_content, with photo_count.
    content = models.JSONField(_("version sent"))
    content_digest = models.CharField(_("content digest"), max_length=64)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = VisitConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit conflict")
        verbose_name_plural = _("visit conflicts")
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "content_digest"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_conflict_per_visit_version",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="") | Q(resolved_at__isnull=False, resolution__gt=""),
                name="conflict_resolved_with_resolution",
            ),
        ]

    def __str__(self):
        return f"{self.visit} · {self.received_at:%Y-%m-%d %H:%M}"


class FlagKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class VisitFlagQuerySet(HouseholdChildQuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)


class VisitFlag(models.Model):
    """A required visit not logged yet: due soon near the end of its period, overdue once it has passed.

    One per household, rule and period, so rerunning the job changes nothing.
    """

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visit_flags"
    )
    rule = models.ForeignKey(VisitRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="flags")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_flags",
        help_text=_("Who was assigned when the flag was raised."),
    )
    kind = models.CharField(_("flag"), max_length=10, choices=FlagKind.choices)
    raised_at = models.DateTimeField(_("raised at"))
    notified_kind = models.CharField(_("notified as"), max_length=10, choices=FlagKind.choices, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        Visit, verbose_name=_("cleared by visit"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = VisitFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit flag")
        verbose_name_plural = _("visit flags")
        ordering = ["period_start", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "rule", "period_start"], name="one_flag_per_household_rule_period"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="flag_period_in_order"),
        ]
        indexes = [
            models.Index(fields=["visitor", "cleared_at"], name="visitflag_visitor_open"),
            models.Index(fields=["kind", "cleared_at"], name="visitflag_kind_open"),
            # The monthly report: flags raised in a month.
            models.Index(fields=["raised_at"], name="visitflag_raised"),
        ]

    def __str__(self):
        return f"{self.household} {self.rule} {self.period_start}: {self.get_kind_display()}"
