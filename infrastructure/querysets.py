"""Scoping of infrastructure projects: a project belongs to a village, and so do its history, documents and flags.

Reading follows the registry's village scope (a cadre reads their village's
projects). Changing a project is the town's business: only users who may
change a household's status (town officials and administrators) may create,
edit or advance one.
"""

from accounts.models import scope_of
from households.querysets import VillageChildQuerySet


class ProjectQuerySet(VillageChildQuerySet):
    def changeable_by(self, user):
        return self.visible_to(user) if scope_of(user).can_change_status else self.none()


class ProjectChildQuerySet(ProjectQuerySet):
    village_path = "project__village__"


class MilestoneFlagQuerySet(ProjectChildQuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)
