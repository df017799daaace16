"""The audit trail: every change to a household's records, and every look at personal data.

Both are written by households.audit only and are never changed or deleted by
the app: the admin shows them read-only to administrators, and no page writes
them except by recording. They outlive what they describe: the household link
is SET_NULL (a deleted household keeps its history, found by its number),
never PROTECT (which would make every household that was ever touched
undeletable) nor CASCADE (which would erase the history with it).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Reach
from households.querysets import ScopedQuerySet


class AdministratorsOnlyQuerySet(ScopedQuerySet):
    """The trail says who did what to whom: administrators read all of it, everyone else none."""

    def scope_filter(self, scope):
        return Q() if scope.reach is Reach.EVERYTHING else None


class AuditEvent(models.Model):
    """One change to one record: who, when, through what, which household, what changed (old and new), and why.

    `changes` maps each changed field to [old, new] as readable values: a
    related record by its name, a choice by its stored value (shown with its
    label in the reader's language), a date as YYYY-MM-DD, an ID number masked.
    A record created lists its values as [null, value]; one deleted as [value, null].
    """

    class Via(models.TextChoices):
        WEB = "web", _("Web page")
        ADMIN = "admin", _("Administration")
        IMPORT = "import", _("Roster import")
        JOB = "job", _("Background job")
        COMMAND = "command", _("Command")

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")
        STATUS_CHANGED = "status_changed", _("Status changed")

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (actor, at) index serves it
        help_text=_("Empty for changes made by a background job."),
    )
    via = models.CharField(_("through"), max_length=10, choices=Via.choices)
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (household, at) index serves it
    )
    # Searched for in the admin, and the only name left of a deleted household.
    household_number = models.CharField(_("household number"), max_length=32, blank=True, db_index=True)
    object_type = models.CharField(_("record type"), max_length=100)  # a model label: "households.Member"
    object_id = models.PositiveBigIntegerField(_("record ID"), null=True, blank=True)
    object_repr = models.CharField(_("record"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    import_batch = models.ForeignKey(
        "households.ImportBatch",
        verbose_name=_("roster import"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )

    objects = AdministratorsOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("change history entry")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["household", "-at", "-id"], name="auditevent_household_time"),
            models.Index(fields=["actor", "-at", "-id"], name="auditevent_actor_time"),
            models.Index(fields=["-at", "-id"], name="auditevent_time"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"


class AccessEvent(models.Model):
    """A look at personal data that left the page: a full ID number shown, a list or a card downloaded."""

    class Kind(models.TextChoices):
        ID_REVEALED = "id_revealed", _("Full ID number shown")
        LIST_EXPORTED = "list_exported", _("List downloaded")
        CARD_PRINTED = "card_printed", _("Household card downloaded")
        ID_SEARCHED = "id_searched", _("Searched by a whole ID number")
        OUT_OF_SCOPE_VALUE = "out_of_scope_value", _("Value of a household out of scope refused")

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (user, at) index serves it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (household, at) index serves it
    )
    # Searched for in the admin, and the only name left of a deleted household.
    household_number = models.CharField(_("household number"), max_length=32, blank=True, db_index=True)
    member = models.ForeignKey(
        "households.Member",
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=20, blank=True)  # for an ID number: "view" or "edit"
    detail = models.JSONField(_("detail"), default=dict, blank=True)  # a list's name, rows and filters

    objects = AdministratorsOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at", "-id"], name="accessevent_user_time"),
            models.Index(fields=["household", "-at", "-id"], name="accessevent_household_time"),
            models.Index(fields=["-at", "-id"], name="accessevent_time"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.get_kind_display()}"
