from dataclasses import dataclass, field
from enum import Enum

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OFFICIAL = "official", _("Town official")
    CADRE = "cadre", _("Village cadre")
    TEAM_MEMBER = "team_member", _("Resident work team member")
    RESPONSIBLE = "responsible", _("Responsible person")


class Reach(Enum):
    """How far a user's scope reaches; the registry turns it into filters."""

    NOTHING = "nothing"
    EVERYTHING = "everything"
    TOWN = "town"
    VILLAGES = "villages"
    ASSIGNED = "assigned"


@dataclass(frozen=True)
class Scope:
    reach: Reach
    user_id: int | None = None
    town_id: int | None = None
    village_ids: frozenset[int] = field(default_factory=frozenset)
    can_edit: bool = False
    can_change_status: bool = False


class User(AbstractUser):
    """A TownAid user: a role plus the place it applies to.

    Geography lives in the registry (households); it is named here by string so
    that accounts never imports households.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    town = models.ForeignKey(
        "households.Town",
        verbose_name=_("town"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("For town officials: the town they oversee."),
    )
    villages = models.ManyToManyField(
        "households.Village",
        verbose_name=_("villages"),
        blank=True,
        related_name="users",
        help_text=_("For village cadres and resident team members: the villages they work in."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        """Chinese names put the family name first, with no space between."""
        if any("\u4e00" <= char <= "\u9fff" for char in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    @property
    def scope(self) -> Scope:
        """What this user may see and do: the one answer every query asks for.

        Computed once per request object; village ids cost one query for the
        roles that have them.
        """
        cached = getattr(self, "_scope_cache", None)
        if cached is None:
            cached = self._scope_cache = self._compute_scope()
        return cached

    def _compute_scope(self) -> Scope:
        if not (self.is_authenticated and self.is_active):
            return Scope(Reach.NOTHING)
        if self.is_superuser or self.role == Role.ADMIN:
            return Scope(Reach.EVERYTHING, user_id=self.pk, can_edit=True, can_change_status=True)
        if self.role == Role.OFFICIAL:
            if self.town_id is None:
                return Scope(Reach.NOTHING)
            return Scope(Reach.TOWN, user_id=self.pk, town_id=self.town_id, can_edit=True, can_change_status=True)
        if self.role in (Role.CADRE, Role.TEAM_MEMBER):
            village_ids = frozenset(self.villages.values_list("pk", flat=True))
            if not village_ids:
                return Scope(Reach.NOTHING)
            return Scope(Reach.VILLAGES, user_id=self.pk, village_ids=village_ids, can_edit=True)
        if self.role == Role.RESPONSIBLE:
            return Scope(Reach.ASSIGNED, user_id=self.pk)
        return Scope(Reach.NOTHING)


class Notification(models.Model):
    """A message in a user's in-app inbox (also sent by e-mail when it is raised)."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self):
        return self.subject


class UserSession(models.Model):
    """Which user a stored session belongs to, written when they log in.

    Django's session rows hold the user id only inside their encoded data, so
    finding one user's sessions would mean decoding every session of the
    county. This table answers it with one indexed lookup; its rows go with
    their session (cascade), so logging out and `clearsessions` keep it small.
    It assumes the database session backend, the project's default.
    """

    session = models.OneToOneField(
        "sessions.Session", verbose_name=_("session"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self):
        return f"{self.user_id}:{self.session_id[:8]}"


NO_SCOPE = Scope(Reach.NOTHING)


def scope_of(user) -> Scope:
    """A user's scope; anonymous and inactive users reach nothing."""
    return getattr(user, "scope", NO_SCOPE) if user is not None else NO_SCOPE
