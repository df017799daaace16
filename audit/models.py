"""The audit trail: every change to a record of any app, and every look at personal data.

Both are written through audit.trail only and are never changed or deleted by
the app: the admin shows them read-only to administrators, and no page writes
them except by recording. They outlive what they describe, and they sit below
every app that records into them, so the record they are about is named by
plain keys (a household's id and number, a member's id, a roster import's id),
never by a foreign key: a deleted household keeps its history, found by its
number, and no record is made undeletable by having been touched.
"""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Reach
from accounts.querysets import ScopedQuerySet


class AdministratorsOnlyQuerySet(ScopedQuerySet):
    """The trail says who did what to whom: administrators read all of it, everyone else none."""

    def scope_filter(self, scope):
        return Q() if scope.reach is Reach.EVERYTHING else None


class AuditEventQuerySet(AdministratorsOnlyQuerySet):
    def dated_steps_of(self, model, pks):
        """The dated steps (those with a business date) of some records of one model, whoever reads them.

        Not scoped: the caller passes records it has already scoped (a project's timeline shows its
        steps to whoever may see the project), and gets nothing else of the trail.
        """
        return self.filter(object_type=model._meta.label, object_id__in=pks, effective_on__isnull=False)


def _named(label: str, pk):
    """The record a plain key names, if it still exists (one query); for the admin and for tests."""
    if pk is None:
        return None
    return apps.get_model(label)._base_manager.filter(pk=pk).first()


class AuditEvent(models.Model):
    """One change to one record: who, when, through what, which household, what changed (old and new), and why.

    `changes` maps each changed field to [old, new] as readable values: a
    related record by its name, a choice by its stored value (shown with its
    label in the reader's language), a date as YYYY-MM-DD, an ID number masked.
    A record created lists its values as [null, value]; one deleted as [value, null].
    `effective_on` is the business date of a dated step (a project declared on
    a given day), which can be earlier than the day it was recorded.
    """

    class Via(models.TextChoices):
        WEB = "web", _("Web page")
        ADMIN = "admin", _("Administration")
        IMPORT = "import", _("Roster import")
        JOB = "job", _("Background job")
        COMMAND = "command", _("Command")
        SYNC = "sync", _("Synchronisation")

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
    # The household the record belongs to, by key: the (household, at) index serves it.
    household_id = models.PositiveBigIntegerField(_("household ID"), null=True, blank=True)
    # Searched for in the admin, and the only name left of a deleted household.
    household_number = models.CharField(_("household number"), max_length=32, blank=True, db_index=True)
    object_type = models.CharField(_("record type"), max_length=100)  # a model label: "households.Member"
    object_id = models.PositiveBigIntegerField(_("record ID"), null=True, blank=True)
    object_repr = models.CharField(_("record"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    effective_on = models.DateField(_("effective date"), null=True, blank=True)
    import_batch_id = models.PositiveBigIntegerField(_("roster import ID"), null=True, blank=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("change history entry")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["household_id", "-at", "-id"], name="audit_event_household_time"),
            models.Index(fields=["actor", "-at", "-id"], name="audit_event_actor_time"),
            models.Index(fields=["-at", "-id"], name="audit_event_time"),
            # A record's own history, e.g. a project's timeline; and the dated steps of a month.
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
            models.Index(
                fields=["object_type", "effective_on"],
                name="audit_event_dated_steps",
                condition=Q(effective_on__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"

    @property
    def household(self):
        return _named("households.Household", self.household_id)

    @property
    def import_batch(self):
        return _named("households.ImportBatch", self.import_batch_id)


class AuditRowChange(models.Model):
    """One record's change within an event that wrote many at once (a roster import): which record, what changed.

    The event says who, when and through what, once; its rows are written in bulk
    as the write goes, never held together in memory. A row carries its event's
    time and names its household by key, like an event, so that a household's
    history finds what an import changed in it through the (household, time) index.
    `changes` reads as an event's does (audit.trail.readable_changes).
    """

    event = models.ForeignKey(
        AuditEvent, verbose_name=_("change history entry"), on_delete=models.PROTECT, related_name="rows"
    )
    at = models.DateTimeField(_("when"), editable=False)
    household_id = models.PositiveBigIntegerField(_("household ID"), null=True, blank=True)
    household_number = models.CharField(_("household number"), max_length=32, blank=True, db_index=True)
    object_type = models.CharField(_("record type"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("record ID"), null=True, blank=True)
    object_repr = models.CharField(_("record"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=AuditEvent.Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AdministratorsOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("record changed in a bulk change")
        verbose_name_plural = _("records changed in bulk changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["household_id", "-at", "-id"], name="audit_row_household_time")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"

    @property
    def household(self):
        return _named("households.Household", self.household_id)


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
    # By key, like the change history: the (household, at) index serves it.
    household_id = models.PositiveBigIntegerField(_("household ID"), null=True, blank=True)
    # Searched for in the admin, and the only name left of a deleted household.
    household_number = models.CharField(_("household number"), max_length=32, blank=True, db_index=True)
    member_id = models.PositiveBigIntegerField(_("member ID"), null=True, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=20, blank=True)  # for an ID number: "view" or "edit"
    detail = models.JSONField(_("detail"), default=dict, blank=True)  # a list's name, rows and filters

    objects = AdministratorsOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at", "-id"], name="audit_access_user_time"),
            models.Index(fields=["household_id", "-at", "-id"], name="audit_access_household_time"),
            models.Index(fields=["-at", "-id"], name="audit_access_time"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.get_kind_display()}"

    @property
    def household(self):
        return _named("households.Household", self.household_id)

    @property
    def member(self):
        return _named("households.Member", self.member_id)
