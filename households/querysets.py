"""The scoping choke point: every read of the registry goes through visible_to.

accounts says how far a user reaches (User.scope); these querysets turn that
into filters. Views, forms, exports, admin pages and jobs all start here, so a
user with no scope sees nothing and out-of-scope rows are simply not found.
"""

from django.db.models import Q
from django.utils import timezone

from accounts.models import Reach, scope_of
from accounts.querysets import ScopedQuerySet


def _open_assignments_of(user_id):
    from households.models import Assignment

    return Assignment.objects.current().filter(person_id=user_id)


def household_filter(scope, prefix: str = "") -> Q | None:
    """The Q that limits households (reached through `prefix`) to a scope; None means nothing."""
    match scope.reach:
        case Reach.EVERYTHING:
            return Q()
        case Reach.TOWN:
            return Q(**{f"{prefix}village__town_id": scope.town_id})
        case Reach.VILLAGES:
            return Q(**{f"{prefix}village_id__in": sorted(scope.village_ids)})
        case Reach.ASSIGNED:
            return Q(**{f"{prefix}pk__in": _open_assignments_of(scope.user_id).values("household_id")})
    return None


def town_filter(scope) -> Q | None:
    match scope.reach:
        case Reach.EVERYTHING:
            return Q()
        case Reach.TOWN:
            return Q(pk=scope.town_id)
        case Reach.VILLAGES | Reach.ASSIGNED:
            return Q(villages__in=_visible_villages(scope))
    return None


def _visible_villages(scope):
    from households.models import Village

    return Village.objects.filter(village_filter(scope)).values("pk")


def village_filter(scope, prefix: str = "") -> Q | None:
    match scope.reach:
        case Reach.EVERYTHING:
            return Q()
        case Reach.TOWN:
            return Q(**{f"{prefix}town_id": scope.town_id})
        case Reach.VILLAGES:
            return Q(**{f"{prefix}pk__in": sorted(scope.village_ids)})
        case Reach.ASSIGNED:
            return Q(**{f"{prefix}pk__in": _open_assignments_of(scope.user_id).values("household__village_id")})
    return None


class TownQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return town_filter(scope)

    def visible_to(self, user):
        return super().visible_to(user).distinct()


class TownChildQuerySet(ScopedQuerySet):
    """Rows that belong to a town (its yearly targets): visible to whoever sees the town."""

    def scope_filter(self, scope):
        q = town_filter(scope)
        if q is None:
            return None
        from households.models import Town

        return Q(town__in=Town.objects.filter(q).values("pk"))


class VillageQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return village_filter(scope)


class VillageChildQuerySet(ScopedQuerySet):
    """Rows that belong to a village (groups, support units, work teams): scoped by it."""

    village_path = "village__"

    def scope_filter(self, scope):
        return village_filter(scope, self.village_path)


class HouseholdQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return household_filter(scope)

    def status_changeable_by(self, user):
        return self.visible_to(user) if scope_of(user).can_change_status else self.none()


class HouseholdChildQuerySet(ScopedQuerySet):
    """Rows that belong to one household (members, assessments, history, plans): scoped by it.

    Models further down the chain subclass it with their own household_path,
    e.g. "plan__household__" for a plan's measures.
    """

    household_path = "household__"

    def scope_filter(self, scope):
        return household_filter(scope, self.household_path)


class AssignmentQuerySet(HouseholdChildQuerySet):
    def current(self, on=None):
        """Assignments in force on a day (today in the town's calendar by default)."""
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
